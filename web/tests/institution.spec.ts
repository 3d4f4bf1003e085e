// The institution's screens (法人/单位管理员): the menu and refusals by role, 备份列表 (tabs, filters,
// sort, paging, all in the address; blank filters never sent; the filing warning; export links),
// 备份详细信息, 成员列表, 委托调整 and its dialog (only allowed members offered, confirmation, what moved,
// refusals), and 备份认领 for an institution.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { setLocale } from '../src/i18n'
import { menuFor } from '../src/navigation'
import { guard, routes } from '../src/router'
import { _setAccountForTests, type Account } from '../src/session'
import InstitutionBackupListView from '../src/views/InstitutionBackupListView.vue'
import InstitutionBackupDetailView from '../src/views/InstitutionBackupDetailView.vue'
import MemberListView from '../src/views/MemberListView.vue'
import DelegationView from '../src/views/DelegationView.vue'
import InstitutionClaimView from '../src/views/InstitutionClaimView.vue'
import {
  blank, button, type Call, cleanUp, dialog, fieldError, type Handler, json, memoryRouter, messageBox, mounted, quietValidator, refusal,
  serve, settle,
} from './support'

const INSTITUTION = { code: 'INST-1', name: '国家基因组科学数据中心测试' }
const BIO = { code: 'U-BIO', name: '生物信息研究部' }
const DATA = { code: 'U-DATA', name: '数据资源部' }

const LEGAL: Account = {
  id: 'l1', username: 'ngdc-legal', name: '国家基因组科学数据中心测试', role: 'legal_person', mobile: '138****0001',
  institution: { ...INSTITUTION, foreign: false }, unit: null,
  real_name_verified: true, authorised: true, authorised_at: null, employed: true,
}
const UNIT_ADMIN: Account = { ...LEGAL, id: 'u1', username: 'ngdc-bio-admin', name: '李文博', role: 'unit_admin', unit: BIO }
const RESEARCHER: Account = { ...LEGAL, id: 'a1', username: 'zhangxiaohan', name: '张晓寒', role: 'natural_person', unit: BIO }

function member(username: string, name: string, over: Record<string, unknown> = {}) {
  return { account_id: `id-${username}`, username, name, role: 'natural_person', institution: INSTITUTION, unit: BIO, employed: true, ...over }
}
const MEMBERS = [
  member('ngdc-legal', '国家基因组科学数据中心测试', { role: 'legal_person', unit: null }),
  member('ngdc-bio-admin', '李文博', { role: 'unit_admin' }),
  member('zhangxiaohan', '张晓寒'),
  member('wangyuqing', '王雨晴'),
  member('left', '离职者', { employed: false }),
  member('ngdc-data-admin', '陈静怡', { role: 'unit_admin', unit: DATA }),
  member('liuhaoran', '刘浩然', { unit: DATA }),
]
const page = (items: unknown[], total = items.length, p = 1, size = 20) => json(200, { items, total, page: p, page_size: size })

function item(over: Record<string, unknown> = {}) {
  return {
    id: 'b1', backup_number: 'BF2023062816036', name: '三例样本（父母子）的测序数据开放共享备份', filing_numbers: [],
    filing_warning: false, pi_name: '刘晓寒', delegate: { account_id: 'id-zhangxiaohan', username: 'zhangxiaohan', name: '张晓寒' },
    unit: BIO, created_at: '2023-06-28T02:00:00Z', submitted_at: '2023-06-28T03:00:00Z', status: 'completed',
    file_count: 2, total_mb: 500, origin: 'new', ...over,
  }
}

let router: Router
let wrapper: VueWrapper
let calls: Call[]

/** The routes the institution's screens link to, each screen mounted by itself. */
function institutionRouter(component: unknown, name: string, path: string) {
  const all = [
    { path: '/institution/backups', name: 'institution-backups', component: blank },
    { path: '/institution/backups/:backupId', name: 'institution-backup', component: blank },
    { path: '/institution/members', name: 'members', component: blank },
    { path: '/institution/delegation', name: 'delegation', component: blank },
    { path: '/institution/claims', name: 'institution-claims', component: blank },
  ]
  return memoryRouter(all.map((r) => (r.name === name ? { ...r, path, component: component as never } : r)))
}

async function open(component: unknown, name: string, path: string, address: string, account: Account, handlers: Record<string, Handler>) {
  _setAccountForTests(account)
  calls = serve({ 'GET /api/v1/institution/members': () => page(MEMBERS), ...handlers })
  router = institutionRouter(component, name, path)
  await router.push(address)
  wrapper = mounted(component, name === 'institution-backup' ? { backupId: 'b1' } : {}, { router })
  await settle()
}

const rows = () => wrapper.findAll('.el-table__body tbody tr').map((row) => row.findAll('td').map((cell) => cell.text()))
const headers = () => wrapper.findAll('.el-table__header th').map((th) => th.text())
const lastList = (path: string) => calls.filter((c) => c.method === 'GET' && c.path === path).at(-1)!
const field = (name: string) => wrapper.get(`input[name="${name}"]`)
/** The options of every open or closed select, but the pager's page sizes. */
const options = () => ([...document.body.querySelectorAll('.el-select-dropdown__item')] as HTMLElement[])
  .filter((o) => !/条\/页|\/page$/.test(o.textContent?.trim() ?? ''))

beforeEach(() => setLocale('zh-CN'))
afterEach(cleanUp)

describe('navigation by role', () => {
  it('offers each role its own menu', () => {
    const paths = (role: string) => menuFor(role).map((i) => i.label)
    expect(paths('legal_person')).toEqual(['nav.guide', 'nav.members', 'nav.institutionBackups', 'nav.delegation', 'nav.claims'])
    expect(paths('unit_admin')).toEqual(paths('legal_person'))
    expect(paths('natural_person')).toEqual(['nav.guide', 'nav.projects', 'nav.newProject', 'nav.claims'])
    expect(paths('operator')).toEqual(['nav.guide', 'nav.console'])
  })

  it('refuses a page the role may not use by its address, whoever types it', async () => {
    const r = createRouter({ history: createMemoryHistory(), routes })
    const forbidden = (path: string) => ({ name: 'forbidden', query: { from: path } })
    _setAccountForTests(RESEARCHER)
    for (const path of ['/institution/backups', '/institution/backups/b1', '/institution/members', '/institution/delegation', '/institution/claims', '/console']) {
      expect(await guard(r.resolve(path))).toEqual(forbidden(path))
    }
    for (const account of [LEGAL, UNIT_ADMIN]) {
      _setAccountForTests(account)
      expect(await guard(r.resolve('/institution/backups'))).toBe(true)
      expect(await guard(r.resolve('/institution/claims'))).toBe(true)
      expect(await guard(r.resolve('/claims'))).toEqual(forbidden('/claims'))
      expect(await guard(r.resolve('/console'))).toEqual(forbidden('/console'))
    }
    _setAccountForTests({ ...LEGAL, role: 'operator', institution: null })
    expect(await guard(r.resolve('/console'))).toBe(true)
    expect(await guard(r.resolve('/institution/members'))).toEqual(forbidden('/institution/members'))
  })
})

describe('备份列表', () => {
  const openList = (address = '/institution/backups', account = LEGAL, list: Handler = () => page([item()])) =>
    open(InstitutionBackupListView, 'institution-backups', '/institution/backups', address, account,
      { 'GET /api/v1/institution/backups': list })

  it('shows the manual\'s tabs and columns, the total and page sizes', async () => {
    await openList()
    expect(wrapper.findAll('.el-tabs__item').map((t) => t.text())).toEqual(['已完成备份列表', '未完成备份列表'])
    expect(headers()).toEqual(['序号', '备份号', '备份名称', '备案号', '项目负责人', '委托人', '创建时间'])
    expect(rows()).toEqual([['1', 'BF2023062816036', '三例样本（父母子）的测序数据开放共享备份', '', '刘晓寒', '张晓寒', '2023-06-28']])
    expect(wrapper.get('.el-table__body a').attributes('href')).toBe('/institution/backups/b1')
    expect(wrapper.get('.el-pagination').text()).toContain('共 1 条')
    expect(wrapper.find('.el-pagination__sizes').exists()).toBe(true)
    expect(lastList('/api/v1/institution/backups').query).toEqual({ status: 'completed', page: '1', page_size: '20' })
  })

  it('marks a backup whose filing exceeds its declared volume, with the reason', async () => {
    await openList('/institution/backups', LEGAL, () => page([item({ filing_numbers: ['BA202601150001'], filing_warning: true })]))
    const marker = wrapper.get('[data-test="filing-warning"]')
    expect(marker.text()).toBe('超出申报量')
    expect(marker.attributes('title')).toContain('请在人遗系统中办理备案变更')
    expect(rows()[0][3]).toContain('BA202601150001')
  })

  it('opens as the address says: tab, filters, sort and page', async () => {
    await openList('/institution/backups?status=incomplete&name=%E6%B5%8B%E5%BA%8F&pi=%E5%88%98&sort=name&page=2&page_size=50',
      LEGAL, () => page([item({ backup_number: null, status: 'draft' })], 60, 2, 50))
    expect(lastList('/api/v1/institution/backups').query).toEqual({
      status: 'incomplete', name: '测序', pi: '刘', sort: 'name', page: '2', page_size: '50',
    })
    expect(wrapper.get('.el-tabs__item.is-active').text()).toBe('未完成备份列表')
    expect((field('name').element as HTMLInputElement).value).toBe('测序')
    expect(rows()[0][0]).toBe('51')
    expect(rows()[0][1]).toBe('未获得备份号')
    expect(wrapper.get('th.ascending').text()).toBe('备份名称')
  })

  it('sends no blank filter, keeps the search in the address, and the back button restores it', async () => {
    await openList()
    await field('name').setValue('   ')
    await field('pi').setValue(' 刘晓寒 ')
    await field('filing_number').setValue('')
    await wrapper.get('[data-test="filters"]').trigger('submit')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ pi: '刘晓寒' })
    expect(lastList('/api/v1/institution/backups').query).toEqual({ status: 'completed', pi: '刘晓寒', page: '1', page_size: '20' })
    await wrapper.findAll('.el-tabs__item')[1].trigger('click')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ status: 'incomplete', pi: '刘晓寒' })
    expect(lastList('/api/v1/institution/backups').query.status).toBe('incomplete')
    router.back()
    await settle()
    expect(router.currentRoute.value.query).toEqual({ pi: '刘晓寒' })
    expect(lastList('/api/v1/institution/backups').query).toEqual({ status: 'completed', pi: '刘晓寒', page: '1', page_size: '20' })
    await wrapper.findAll('[data-test="filters"] button').find((b) => b.text() === '重置')!.trigger('click')
    await settle()
    expect(router.currentRoute.value.query).toEqual({})
    expect((field('pi').element as HTMLInputElement).value).toBe('')
  })

  it('maps a column\'s sort to the API\'s sort parameter; columns the API cannot sort are not sortable', async () => {
    await openList()
    const table = () => wrapper.findComponent({ name: 'ElTable' })
    table().vm.$emit('sort-change', { prop: 'backup_number', order: 'ascending' })
    await settle()
    expect(router.currentRoute.value.query.sort).toBe('backup_number')
    expect(lastList('/api/v1/institution/backups').query.sort).toBe('backup_number')
    table().vm.$emit('sort-change', { prop: 'name', order: 'descending' })
    await settle()
    expect(lastList('/api/v1/institution/backups').query.sort).toBe('-name')
    expect(wrapper.get('th.descending').text()).toBe('备份名称')
    router.back()
    await settle()
    expect(lastList('/api/v1/institution/backups').query.sort).toBe('backup_number')
    expect(wrapper.get('th.ascending').text()).toBe('备份号')
    table().vm.$emit('sort-change', { prop: 'created_at', order: null })
    await settle()
    expect(router.currentRoute.value.query.sort).toBeUndefined()
    expect(lastList('/api/v1/institution/backups').query.sort).toBeUndefined()
    const sortable = wrapper.findAll('.el-table__header th.is-sortable').map((th) => th.text())
    expect(sortable).toEqual(['备份号', '备份名称', '创建时间'])
  })

  it('pages through the address', async () => {
    await openList('/institution/backups', LEGAL, () => page(Array.from({ length: 20 }, (_, i) => item({ id: `b${i}` })), 45))
    await wrapper.get('.el-pager li:nth-child(2)').trigger('click')
    await settle()
    expect(router.currentRoute.value.query.page).toBe('2')
    expect(lastList('/api/v1/institution/backups').query.page).toBe('2')
  })

  it('exports what the list shows, every page of it', async () => {
    await openList('/institution/backups?status=incomplete&name=%E6%B5%8B%E5%BA%8F&page=3')
    const href = new URL(wrapper.get('[data-test="export-csv"]').attributes('href')!, 'http://x')
    expect(href.pathname).toBe('/api/v1/institution/backups/export')
    expect(Object.fromEntries(href.searchParams)).toEqual({ format: 'csv', status: 'incomplete', name: '测序' })
    expect(wrapper.get('[data-test="export-csv"]').text()).toBe('导出 CSV')
    expect(new URL(wrapper.get('[data-test="export-xlsx"]').attributes('href')!, 'http://x').searchParams.get('format')).toBe('xlsx')
    expect(wrapper.get('[data-test="export-xlsx"]').text()).toBe('导出 Excel')
  })

  it('lets a legal person choose among the institution\'s units', async () => {
    await openList()
    expect(options().map((o) => o.textContent?.trim())).toEqual(['生物信息研究部', '数据资源部'])
    expect(wrapper.get('[data-test="unit-filter"]').classes()).not.toContain('is-disabled')
    options()[1].click()
    await settle()
    await wrapper.get('[data-test="filters"]').trigger('submit')
    await settle()
    expect(lastList('/api/v1/institution/backups').query.unit).toBe('U-DATA')
    expect(router.currentRoute.value.query.unit).toBe('U-DATA')
  })

  it('shows a unit administrator their unit, fixed, and sends none', async () => {
    await openList('/institution/backups?unit=U-DATA', UNIT_ADMIN)
    expect(wrapper.get('[data-test="unit-filter"]').text()).toContain('生物信息研究部')
    expect(wrapper.find('[data-test="unit-filter"] .is-disabled').exists()).toBe(true)
    expect(lastList('/api/v1/institution/backups').query.unit).toBeUndefined()
    expect(calls.some((c) => c.path === '/api/v1/institution/members')).toBe(false)
  })

  it('shows a refusal with its reason, never an empty table alone', async () => {
    await openList('/institution/backups', LEGAL, () => refusal(403, 'institution_admins_only', '仅法人或单位管理员可以进行此操作。',
      'Only a legal person or a unit administrator of an institution may do this.'))
    expect(wrapper.get('.el-alert').text()).toContain('加载失败：仅法人或单位管理员可以进行此操作。')
    setLocale('en')
    await settle()
    expect(wrapper.get('.el-alert').text()).toContain('Only a legal person or a unit administrator')
    expect(headers()[1]).toBe('Backup number')
  })
})

describe('备份详细信息', () => {
  const DETAIL = {
    id: 'b1', project: { id: 'p1', name: '三例样本（父母子）的测序数据开放共享备案' }, backup_number: 'BF2023062816036',
    name: '三例样本（父母子）的测序数据开放共享备份', file_count: 2, total_mb: 500, status: 'completed', filing_numbers: ['BA1'],
    filings: [{ filing_number: 'BA1', recipient: 'Foreign Lab', declared_mb: 100, cited_total_mb: 500, exceeds_declared: true, filed_at: '2026-01-15T02:00:00Z' }],
    pi_name: '刘晓寒', pi_email: 'data-admin@big.ac.cn',
    delegate: { account_id: 'id-zhangxiaohan', username: 'zhangxiaohan', name: '张晓寒', authorised_at: '2023-06-27T03:26:27Z' },
    institution: INSTITUTION, unit: null, categories: ['wgs', 'chip'],
    files: [
      { id: 'f1', detailed_type: 'raw_sequencing', repository: 'GSA-Human', cases: 50, mb_per_case: 2000, accession: 'HRA000567', submission_account: 'x', progress: 'complete', created_at: '2023-06-28T02:00:00Z', updated_at: '2023-06-28T02:00:00Z' },
      { id: 'f2', detailed_type: 'analysis_statistics', repository: 'OMIX', cases: 10, mb_per_case: 5, accession: 'OMIX001226', submission_account: 'x', progress: 'complete', created_at: '2023-06-28T02:00:00Z', updated_at: '2023-06-28T02:00:00Z' },
    ],
    origin: 'new', created_at: '2023-06-28T02:00:00Z', submitted_at: '2023-06-28T03:00:00Z',
    warnings: [{ code: 'filing_exceeds_declared', filing_number: 'BA1', message: 'Filing BA1 declares 100 MB, but the backups it cites hold 500 MB.', message_zh: '备案号 BA1 申报的数据量为 100 MB，但其引用的备份合计 500 MB，已超出申报量，请在人遗系统中办理变更。' }],
  }
  const HISTORY = [
    { at: '2023-06-28T02:00:00Z', event_type: 'BackupCreated', summary_zh: '创建备份“三例样本（父母子）的测序数据开放共享备份”',
      summary_en: 'Created backup “三例样本（父母子）的测序数据开放共享备份”', actor_id: 'id-zhangxiaohan', actor_name: '张晓寒', correlation_id: 'c1', details: {} },
    { at: '2023-06-28T03:00:00Z', event_type: 'BackupSubmitted', summary_zh: '提交备份，获得备份号 BF2023062816036（2 个文件，共 500 MB），备份已锁定',
      summary_en: 'Submitted the backup: backup number BF2023062816036 (2 files, 500 MB); the backup is now locked',
      actor_id: 'id-zhangxiaohan', actor_name: '张晓寒', correlation_id: 'c2', details: {} },
  ]
  const openDetail = (answer: Handler = () => json(200, DETAIL)) => open(InstitutionBackupDetailView, 'institution-backup',
    '/institution/backups/:backupId', '/institution/backups/b1', LEGAL, {
      'GET /api/v1/institution/backups/b1': answer,
      'GET /api/v1/institution/backups/b1/history': () => json(200, { items: HISTORY }),
    })

  it('shows 基本信息 as the manual\'s table, 文件列表信息, the filings and their warning', async () => {
    await openDetail()
    const basic = Object.fromEntries(wrapper.findAll('[data-test="basic"] tr').flatMap((tr) => {
      const cells = tr.findAll('th, td').map((c) => c.text())
      const pairs: [string, string][] = []
      for (let i = 0; i + 1 < cells.length; i += 2) pairs.push([cells[i], cells[i + 1]])
      return pairs
    }))
    expect(basic).toEqual({
      项目名称: '三例样本（父母子）的测序数据开放共享备案', 备份编号: 'BF2023062816036', 备份名称: '三例样本（父母子）的测序数据开放共享备份',
      文件数: '2', 总大小: '500 MB', 完成情况: '已完成', 备案编号: 'BA1', 项目负责人: '刘晓寒', 联系方式: 'data-admin@big.ac.cn',
      委托人: '张晓寒', 授权时间: '2023-06-27 11:26:27', 单位信息: '国家基因组科学数据中心测试',
      涉及内容: '全基因组测序相关数据, 全基因组芯片相关数据',
    })
    expect(wrapper.findAll('[data-test="files"] .el-table__header th').map((th) => th.text()))
      .toEqual(['序号', '详细类型', '合计例数', '单位规格(MB/例)', '文件名称/数据编号'])
    expect(wrapper.findAll('[data-test="files"] .el-table__body tr').map((r) => r.findAll('td').map((c) => c.text())))
      .toEqual([['1', '组学原始测序数据', '50', '2000', 'HRA000567'], ['2', '各类统计与分析数据', '10', '5', 'OMIX001226']])
    expect(wrapper.get('[data-test="detail-warning"]').text()).toContain('已超出申报量')
    expect(wrapper.get('[data-test="filings"]').text()).toContain('超出申报量')
    setLocale('en')
    await settle()
    expect(wrapper.get('[data-test="detail-warning"]').text()).toContain('declares 100 MB')
  })

  it('shows its history below the filings, from the institution\'s route, newest first', async () => {
    await openDetail()
    const history = wrapper.get('[data-test="backup-history"]')
    expect(history.get('h2').text()).toBe('备份记录')
    const entries = history.findAll('.el-timeline-item').map((i) => i.text())
    expect(entries[0]).toContain('提交备份，获得备份号 BF2023062816036')
    expect(entries[1]).toContain('张晓寒')
    expect(calls.some((c) => c.path === '/api/v1/institution/backups/b1/history')).toBe(true)
    expect(calls.some((c) => c.path === '/api/v1/backups/b1/history')).toBe(false)
    const html = wrapper.html()
    expect(html.indexOf('data-test="filings"')).toBeLessThan(html.indexOf('data-test="backup-history"'))
    setLocale('en')
    await settle()
    expect(history.findAll('.el-timeline-item')[0].text()).toContain('Submitted the backup')
  })

  it('says a backup outside the scope is not found, with 重试', async () => {
    await openDetail(() => refusal(404, 'backup_not_found', '备份不存在。', 'Backup not found.'))
    expect(wrapper.get('.el-alert').text()).toContain('备份不存在。')
    expect(wrapper.find('[data-test="basic"]').exists()).toBe(false)
  })
})

describe('成员列表', () => {
  it('shows 序号, 姓名, 角色, 单位, searches by name (never blank) and pages in the address', async () => {
    await open(MemberListView, 'members', '/institution/members', '/institution/members', LEGAL,
      { 'GET /api/v1/institution/members': (_, query) => page(query.name ? [MEMBERS[2]] : MEMBERS, query.name ? 1 : 47) })
    expect(headers()).toEqual(['序号', '姓名', '角色', '单位'])
    expect(rows()[0]).toEqual(['1', '国家基因组科学数据中心测试', '法人', '国家基因组科学数据中心测试'])
    expect(rows()[2]).toEqual(['3', '张晓寒', '自然人', '国家基因组科学数据中心测试 / 生物信息研究部'])
    expect(wrapper.get('.el-pagination').text()).toContain('共 47 条')
    await field('name').setValue('  ')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(lastList('/api/v1/institution/members').query).toEqual({ page: '1', page_size: '20' })
    await field('name').setValue('张晓寒')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ name: '张晓寒' })
    expect(lastList('/api/v1/institution/members').query).toEqual({ name: '张晓寒', page: '1', page_size: '20' })
    expect(rows()).toEqual([['1', '张晓寒', '自然人', '国家基因组科学数据中心测试 / 生物信息研究部']])
  })
})

describe('委托调整', () => {
  const ZHANG = {
    ...member('zhangxiaohan', '张晓寒'), project_count: 1, backups_completed: 1, backups_incomplete: 2,
  }
  const MOVED = {
    transfer_id: 't1', from_account: { username: 'zhangxiaohan', name: '张晓寒' }, to_account: { username: 'wangyuqing', name: '王雨晴' },
    backups: [{ id: 'b1', backup_number: 'BF2023062816036', name: '三例样本' }, { id: 'b2', backup_number: null, name: '草稿' }],
    project_ids: ['p1'], transferred_at: '2026-12-02T04:00:00Z',
  }

  async function openDelegation(post: Handler = () => json(200, MOVED), address = '/institution/delegation') {
    await open(DelegationView, 'delegation', '/institution/delegation', address, LEGAL, {
      'GET /api/v1/institution/delegates': () => page([ZHANG]),
      'POST /api/v1/institution/delegations': post,
    })
  }

  async function chooseWang() {
    await wrapper.get('[data-test="adjust"]').trigger('click')
    await settle()
    const wang = options().find((o) => o.textContent?.includes('王雨晴'))!
    wang.click()
    await settle()
  }

  it('shows 张晓寒\'s row as the manual does', async () => {
    await openDelegation()
    expect(headers()).toEqual(['序号', '委托人', '单位', '角色', '项目数', '备份数', '状态', '操作'])
    expect(rows()).toEqual([['1', '张晓寒', '国家基因组科学数据中心测试 / 生物信息研究部', '自然人', '1', '已完成: 1; 未完成: 2;', '在职', '委托调整']])
    expect(wrapper.get('.el-pagination').text()).toContain('共 1 条')
  })

  it('filters by 委托人, 单位 and 状态 through the address, never sending a blank one', async () => {
    await openDelegation(undefined, '/institution/delegation?employed=false&unit=U-DATA')
    expect(lastList('/api/v1/institution/delegates').query).toEqual({ unit: 'U-DATA', employed: 'false', page: '1', page_size: '20' })
    await wrapper.findAll('[data-test="filters"] button').find((b) => b.text() === '重置')!.trigger('click')
    await settle()
    expect(lastList('/api/v1/institution/delegates').query).toEqual({ page: '1', page_size: '20' })
    await field('name').setValue('张')
    await wrapper.get('[data-test="filters"]').trigger('submit')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ name: '张' })
    expect(lastList('/api/v1/institution/delegates').query.name).toBe('张')
  })

  it('offers as 新委托人 only employed natural persons other than the person, and says everything will move', async () => {
    await openDelegation()
    await wrapper.get('[data-test="adjust"]').trigger('click')
    await settle()
    expect(lastList('/api/v1/institution/members').query).toMatchObject({ role: 'natural_person' })
    const offered = options().map((o) => o.textContent?.trim()).filter((text) => !['在职', '离职', '生物信息研究部', '数据资源部'].includes(text!))
    expect(offered).toEqual(['王雨晴（生物信息研究部）', '刘浩然（数据资源部）'])
    expect(dialog().querySelector('[data-test="move-all"]')!.textContent).toContain('张晓寒 名下的全部备份（已完成 1 条，未完成 2 条）和全部项目（1 个）都将移交给新委托人')
    expect(dialog().querySelector('.el-select input')!.getAttribute('readonly')).toBeNull() // searchable by typing
  })

  it('asks for confirmation, then says what moved and reloads the list', async () => {
    await openDelegation()
    await chooseWang()
    button(dialog(), '确定').click()
    await vi.waitFor(() => expect(messageBox()?.textContent).toContain('确定将 张晓寒 名下的全部备份和项目移交给 王雨晴？'))
    button(messageBox()!, '取消').click()
    await settle()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    button(dialog(), '确定').click()
    await vi.waitFor(() => expect(messageBox()).not.toBeNull())
    await settle()
    button(document.body.querySelector('.delegation-confirm') as HTMLElement, '确定').click()
    await settle()
    await settle()
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.body).toEqual({ from_account: 'zhangxiaohan', to_account: 'wangyuqing' })
    const done = dialog().querySelector('[data-test="delegation-done"]')!.textContent!
    expect(done).toContain('委托调整完成：张晓寒 名下的 2 条备份和 1 个项目已移交给 王雨晴。')
    expect(done).toContain('BF2023062816036')
    expect(calls.filter((c) => c.path === '/api/v1/institution/delegates')).toHaveLength(2)
  })

  it('shows every refusal with its reason', async () => {
    await openDelegation(() => refusal(409, 'delegate_not_employed', '新委托人已离职，不能接收备份。', 'The new delegate has left the institution.'))
    await chooseWang()
    button(dialog(), '确定').click()
    await vi.waitFor(() => expect(messageBox()).not.toBeNull())
    await settle()
    button(document.body.querySelector('.delegation-confirm') as HTMLElement, '确定').click()
    await settle()
    await settle()
    expect(dialog().querySelector('[data-test="refusal"]')!.textContent).toContain('新委托人已离职，不能接收备份。')
    setLocale('en')
    await settle()
    expect(dialog().querySelector('[data-test="refusal"]')!.textContent).toContain('The new delegate has left the institution.')
  })
})

describe('备份认领 for an institution', () => {
  async function openClaim(post: Handler) {
    quietValidator()
    await open(InstitutionClaimView, 'institution-claims', '/institution/claims', '/institution/claims', LEGAL,
      { 'POST /api/v1/institution/claims': post })
  }

  async function fillAndSubmit() {
    await field('legacy_name').setValue('张晓寒')
    await field('legacy_mobile').setValue('13912345678')
    options().find((o) => o.textContent?.includes('王雨晴'))!.click()
    await settle()
    await wrapper.get('form').trigger('submit')
    await settle()
    await settle()
  }

  it('shows 认领须知, the three fields (0/11), the rules, and offers the institution\'s employed natural persons', async () => {
    await openClaim(() => json(200, { claimed: [], count: 0 }))
    const text = wrapper.text()
    expect(text).toContain('认领须知')
    expect(text).toContain('输入“原系统注册人姓名”和“原系统注册手机号”，选择“新委托人”，进行账户信息校验；')
    expect(wrapper.findAll('.el-form-item__label').map((l) => l.text()).slice(0, 3)).toEqual(['旧系统注册人姓名', '旧系统注册手机号', '新委托人'])
    expect(wrapper.get('.el-input__count').text()).toBe('0 / 11')
    expect(wrapper.findAll('.rules li').map((li) => li.text())).toHaveLength(3)
    expect(text).toContain('新委托人必须与原系统注册人属于同一单位（公司），不支持跨单位（公司）认领；')
    expect(options().map((o) => o.textContent?.trim())).toEqual(['张晓寒（生物信息研究部）', '王雨晴（生物信息研究部）', '刘浩然（数据资源部）'])
    expect(button(wrapper.element, '提交')).toBeTruthy()
    expect(button(wrapper.element, '重置')).toBeTruthy()
  })

  it('claims for the chosen member and lists what was claimed, for whom', async () => {
    await openClaim(() => json(200, { claimed: [{ id: 'b9', backup_number: 'BF2021000001', name: '旧平台备份' }], count: 1 }))
    await fillAndSubmit()
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ legacy_name: '张晓寒', legacy_mobile: '13912345678', delegate_account: 'wangyuqing' })
    const claimed = wrapper.get('[data-test="claimed"]')
    expect(claimed.text()).toContain('认领成功：共 1 条已获得备份号的备份信息已归入 王雨晴 名下。')
    expect(claimed.get('a').attributes('href')).toBe('/institution/backups/b9')
    expect(claimed.text()).toContain('旧平台备份')
  })

  it('shows the server\'s words when it refuses a claim across institutions', async () => {
    const zh = '新委托人必须与原系统注册人属于同一单位（公司），不支持跨单位（公司）认领：原系统注册人属于“华东医学遗传研究院测试”，新委托人属于“国家基因组科学数据中心测试”。'
    await openClaim(() => refusal(409, 'claim_other_institution', zh, 'The new delegate must belong to the same institution as the registrant: 华东医学遗传研究院测试 vs 国家基因组科学数据中心测试.'))
    await fillAndSubmit()
    expect(wrapper.get('[data-test="refusal"]').text()).toBe(zh)
  })

  it('checks the fields before sending anything', async () => {
    await openClaim(() => json(200, { claimed: [], count: 0 }))
    await field('legacy_mobile').setValue('123')
    await wrapper.get('form').trigger('submit')
    await settle()
    await settle()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    await vi.waitFor(() => {
      expect(fieldError(wrapper, '旧系统注册人姓名')).toBe('请输入原系统注册人姓名')
      expect(fieldError(wrapper, '旧系统注册手机号')).toBe('请输入 11 位中国大陆手机号')
      expect(fieldError(wrapper, '新委托人')).toBe('请选择新委托人')
    })
  })
})
