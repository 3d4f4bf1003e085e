// 操作指南 and the repository table: the manual's four steps, the repositories with their data types
// (from the taxonomy) and contacts, and what each role is told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import { setLocale } from '../src/i18n'
import { _setAccountForTests, type Account } from '../src/session'
import RepositoryTable from '../src/components/RepositoryTable.vue'
import OperationGuideView from '../src/views/OperationGuideView.vue'
import { answer, blank, cleanUp, json, memoryRouter, mounted, settle, TAXONOMY } from './support'

// The shared taxonomy's types and repositories, with GVM between them: a repository over two types.
const [rawSequencing, , analysisStatistics] = TAXONOMY.detailed_types
const [gsaHuman, omix] = TAXONOMY.repositories
const GUIDE_TAXONOMY = {
  categories: [],
  detailed_types: [
    rawSequencing,
    { code: 'genome_variation', label_zh: '基因组变异数据', label_en: 'Genome variation data', repository: 'GVM' },
    { code: 'variation_chip', label_zh: '变异芯片数据', label_en: 'Variation chip data', repository: 'GVM' },
    analysisStatistics,
  ],
  repositories: [
    gsaHuman,
    { code: 'GVM', name: 'GVM', accession_pattern: '^GVM\\d{6}$', accession_example: 'GVM000123', url: 'https://ngdc.cncb.ac.cn/gvm/' },
    omix,
  ],
}

const PERSON: Account = {
  id: 'a1', username: 'zhangxiaohan', name: '张晓寒', role: 'natural_person',
  institution: { code: 'INST-1', name: '国家基因组科学数据中心测试', foreign: false }, unit: null,
  real_name_verified: true, authorised: true,
}

let wrapper: VueWrapper

const router = () => memoryRouter([{ path: '/:rest(.*)*', component: blank }])

async function mountTable(props: Record<string, unknown> = {}) {
  wrapper = mounted(RepositoryTable, props, { router: router(), bare: true })
  await settle()
  return wrapper
}

const cells = () => wrapper.findAll('.el-table__body tbody tr')
  .map((row) => row.findAll('td').map((cell) => cell.text().replace(/\s+/g, ' ')))

beforeEach(() => setLocale('zh-CN'))
afterEach(cleanUp)

// The taxonomy is fetched once per page load, so the failure comes first, then every test uses it.
describe('the repository table', () => {
  it('says why the taxonomy could not be loaded, and 重试 loads it', async () => {
    answer(json(503, { error: { code: 'service_unavailable', message: 'Unavailable.', message_zh: '服务暂不可用。', details: {} } }),
      json(200, GUIDE_TAXONOMY))
    await mountTable()
    expect(wrapper.get('.el-alert').text()).toContain('加载失败：服务暂不可用。')
    await wrapper.get('.el-alert button').trigger('click')
    await settle()
    expect(wrapper.find('.el-alert').exists()).toBe(false)
    expect(cells()).toHaveLength(4)
  })

  it('lists each repository once over its data types, with the manual\'s e-mail and QQ group', async () => {
    await mountTable()
    const headers = wrapper.findAll('.el-table__header th').map((th) => th.text())
    expect(headers).toEqual(['对应数据库', '数据类型', '格式类型'])
    // Spanned cells are written once: GVM's second row has only its data type.
    expect(cells()).toEqual([
      ['GSA-Human（在新窗口打开）', '组学原始测序数据', '邮箱：gsa@big.ac.cn QQ 群：548170081'],
      ['GVM（在新窗口打开）', '基因组变异数据', '邮箱：gvm@big.ac.cn QQ 群：468638108'],
      ['变异芯片数据'],
      ['OMIX（在新窗口打开）', '各类统计与分析数据', '邮箱：gsa@big.ac.cn QQ 群：516418530'],
    ])
    const gvm = wrapper.findAll('.el-table__body td')[3]
    expect(gvm.attributes('rowspan')).toBe('2')
    expect(wrapper.get('a[href="https://ngdc.cncb.ac.cn/gsa-human/"]').attributes('target')).toBe('_blank')
    expect(wrapper.find('a[href="mailto:gvm@big.ac.cn"]').exists()).toBe(true)
  })

  it('leaves the contacts out when asked, and speaks English', async () => {
    setLocale('en')
    await mountTable({ contacts: false })
    const headers = wrapper.findAll('.el-table__header th').map((th) => th.text())
    expect(headers).toEqual(['Repository', 'Data type'])
    expect(cells()[0]).toEqual(['GSA-Human (opens in a new window)', 'Omics raw sequencing data'])
    expect(wrapper.text()).not.toContain('gsa@big.ac.cn')
  })
})

describe('操作指南', () => {
  async function openGuide(account: Account) {
    _setAccountForTests(account)
    wrapper = mounted(OperationGuideView, {}, { router: router(), bare: true })
    await settle()
  }

  it('shows the four steps, the important note, the table, registration and contacts', async () => {
    await openGuide(PERSON)
    const steps = wrapper.findAll('.el-step__title').map((step) => step.text())
    expect(steps).toEqual(['①创建项目信息', '②创建备份信息', '③创建文件信息与数据信息关联', '④获得备份编号'])
    expect(wrapper.text()).toContain('重要提示：在进行数据信息关联之前，需先将数据文件提交到 CNCB-NGDC 的数据资源库中。')
    expect(wrapper.findAll('.el-table__body tbody tr')).toHaveLength(4)
    expect(wrapper.find('a[href="https://www.hgrg.net/login"]').exists()).toBe(true)
    expect(wrapper.text()).toContain('服务热线：010-84097816 / 010-84097340，服务邮箱：hgrip@big.ac.cn。')
    expect(wrapper.find('a[href="mailto:hgrip@big.ac.cn"]').exists()).toBe(true)
  })

  it('a natural person is pointed to 新建项目 and 备份认领', async () => {
    await openGuide(PERSON)
    expect(wrapper.get('a[href="/projects/new"]').text()).toBe('新建项目')
    expect(wrapper.get('a[href="/claims"]').text()).toBe('备份认领')
    expect(wrapper.text()).not.toContain('本版本网页尚未提供')
  })

  it('a legal person learns that the institution screens are not here yet and the API serves them', async () => {
    await openGuide({ ...PERSON, role: 'legal_person' })
    expect(wrapper.text()).toContain('法人/单位管理员作为管理层')
    expect(wrapper.text()).toContain('本版本网页尚未提供备份列表、成员列表、委托调整和备份认领页面')
    expect(wrapper.find('a[href="/api/v1/openapi.json"]').exists()).toBe(true)
    expect(wrapper.find('a[href="/projects/new"]').exists()).toBe(false)
    expect(wrapper.find('a[href="/claims"]').exists()).toBe(false)
  })

  it('an operator is told the console is not here yet', async () => {
    setLocale('en')
    await openGuide({ ...PERSON, role: 'operator', institution: null })
    expect(wrapper.text()).toContain('The operator console is not yet part of this version of the web application')
    expect(wrapper.find('a[href="/projects/new"]').exists()).toBe(false)
  })
})
