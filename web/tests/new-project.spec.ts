// 新建项目: who may see the form, its rules (mirroring the gateway's), what it sends, and how the
// server's refusals are shown (next to the field they concern, in the page's language).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { setLocale } from '../src/i18n'
import { _setAccountForTests, type Account } from '../src/session'
import NewProjectView from '../src/views/NewProjectView.vue'
import { answerAfter, blank, cleanUp, fieldError, json, memoryRouter, mounted, refusal, requests, settler } from './support'

const AUTHORISED: Account = {
  id: 'a1', username: 'zhangxiaohan', name: '张晓寒', role: 'natural_person', mobile: '139****5678',
  institution: { code: 'INST-1', name: '国家基因组科学数据中心测试', foreign: false },
  unit: { code: 'UNIT-1', name: '生物信息研究部' },
  real_name_verified: true, authorised: true, authorised_at: '2023-06-27T03:26:27Z', employed: true,
}

const PROJECT = {
  id: '2b0f8c1e-6c1d-4d63-9c44-3a9e6f0d6a11', name: '三例样本（父母子）的测序数据开放共享备案', pi_name: '刘晓寒',
  pi_email: 'data-admin@big.ac.cn', institution: { code: 'INST-1', name: '国家基因组科学数据中心测试' },
  unit: { code: 'UNIT-1', name: '生物信息研究部' }, owner_id: 'a1', created_at: '2023-06-28T02:00:00Z',
}

/** A slow server, so that a second click lands while the first is still under way. */
const answer = answerAfter(20)
/** Lets validation, the (slow) answer and the re-render run their course. */
const settle = settler(6, 25)

let router: Router
let wrapper: VueWrapper

async function open(account: Account = AUTHORISED) {
  _setAccountForTests(account)
  router = memoryRouter([
    { path: '/projects/new', name: 'project-new', component: NewProjectView },
    { path: '/projects', name: 'projects', component: blank },
    { path: '/projects/:projectId', name: 'project-backups', component: blank },
  ])
  await router.push('/projects/new')
  wrapper = mounted(NewProjectView, {}, { router, bare: true })
  await flushPromises()
  return wrapper
}

async function fill(values: { name?: string; pi_name?: string; pi_email?: string; consent?: boolean }) {
  if (values.name !== undefined) await wrapper.find('input[name="name"]').setValue(values.name)
  if (values.pi_name !== undefined) await wrapper.find('input[name="pi_name"]').setValue(values.pi_name)
  if (values.pi_email !== undefined) await wrapper.find('input[name="pi_email"]').setValue(values.pi_email)
  if (values.consent !== undefined) await wrapper.find('input[name="consent"]').setValue(values.consent)
}

const VALID = { name: '  三例样本（父母子）的测序数据开放共享备案 ', pi_name: '刘晓寒', pi_email: 'data-admin@big.ac.cn', consent: true }

async function submit() {
  await wrapper.find('form').trigger('submit')
  await settle()
}

/** The message Element Plus shows under the form item whose label is `label`. */
const errorOf = (label: string) => fieldError(wrapper, label)

beforeEach(() => setLocale('zh-CN'))
afterEach(cleanUp)

describe('who may create projects', () => {
  it('shows the form with the institution from the authorisation, not editable', async () => {
    await open()
    const labels = wrapper.findAll('.el-form-item__label').map((label) => label.text())
    expect(labels).toEqual(['项目名称', '项目负责人', '负责人邮箱', '单位名称', '同意协议'])
    const institution = wrapper.findAll('input').find((i) => (i.element as HTMLInputElement).value.includes('国家基因组'))!
    expect((institution.element as HTMLInputElement).value).toBe('国家基因组科学数据中心测试 / 生物信息研究部')
    expect((institution.element as HTMLInputElement).disabled).toBe(true)
    expect(wrapper.text()).toContain('系统会自动获取单位名称，请到备案系统中完成单位信息认证')
    expect(wrapper.text()).toContain('执行此操作，将提交相关项目信息，请认真负责填写。')
    expect(wrapper.text()).toContain('若蓄意录入虚假信息，需录入者自行承担相应后果。')
    expect(wrapper.text()).toContain('我已阅读并同意以上协议')
    expect(wrapper.find('button[type="submit"]').text()).toBe('立即创建')
    expect(wrapper.text()).toContain('重置')
  })

  it('an account without authorisation is told to apply at HGRG, and has no form', async () => {
    await open({ ...AUTHORISED, authorised: false, authorised_at: null })
    expect(wrapper.find('form').exists()).toBe(false)
    const blocked = wrapper.get('[data-test="blocked"]')
    expect(blocked.text()).toContain('请到人遗系统申请授权，并提醒法人单位审核通过')
    expect(blocked.get('a').attributes('href')).toBe('https://www.hgrg.net/login')
  })

  it('an account without real-name verification is told so first', async () => {
    await open({ ...AUTHORISED, real_name_verified: false, authorised: false })
    expect(wrapper.find('form').exists()).toBe(false)
    expect(wrapper.get('[data-test="blocked"]').text()).toContain('尚未完成实名认证')
  })

  it('a foreign-controlled institution\'s account sees the refusal, naming the institution', async () => {
    await open({ ...AUTHORISED, institution: { code: 'INST-9', name: '太平洋基因科技（上海）有限公司测试', foreign: true } })
    expect(wrapper.find('form').exists()).toBe(false)
    const text = wrapper.get('[data-test="blocked"]').text()
    expect(text).toContain('太平洋基因科技（上海）有限公司测试')
    expect(text).toContain('境外组织')
    setLocale('en')
    await settle()
    expect(wrapper.get('[data-test="blocked"]').text()).toContain('foreign organisation')
  })
})

describe('the form\'s rules', () => {
  it('refuses an empty form without asking the server', async () => {
    answer()
    await open()
    await submit()
    expect(errorOf('项目名称')).toBe('请输入项目名称')
    expect(errorOf('项目负责人')).toBe('请输入项目负责人')
    expect(errorOf('负责人邮箱')).toBe('请输入负责人邮箱')
    expect(errorOf('同意协议')).toBe('请阅读并同意以上协议')
    expect(requests).toHaveLength(0)
  })

  it('mirrors the gateway\'s limits: name ≤ 200, PI ≤ 50, a valid e-mail, white space is not a name', async () => {
    answer()
    await open()
    await fill({ name: '名'.repeat(201), pi_name: '刘'.repeat(51), pi_email: 'not-an-address', consent: true })
    await submit()
    expect(errorOf('项目名称')).toBe('项目名称不能超过 200 个字符')
    expect(errorOf('项目负责人')).toBe('项目负责人不能超过 50 个字符')
    expect(errorOf('负责人邮箱')).toBe('请输入正确的邮箱地址')
    await fill({ name: '   ', pi_name: '刘'.repeat(50), pi_email: `${'a'.repeat(250)}@b.cn` })
    await submit()
    expect(errorOf('项目名称')).toBe('请输入项目名称')
    expect(errorOf('项目负责人')).toBe('')
    expect(errorOf('负责人邮箱')).toBe('负责人邮箱不能超过 254 个字符')
    expect(requests).toHaveLength(0)
  })

  it('needs the agreement ticked', async () => {
    answer()
    await open()
    await fill({ ...VALID, consent: false })
    await submit()
    expect(errorOf('同意协议')).toBe('请阅读并同意以上协议')
    expect(requests).toHaveLength(0)
  })

  it('speaks English when the page does', async () => {
    setLocale('en')
    answer()
    await open()
    await submit()
    expect(errorOf('Project name')).toBe('Enter the project name')
  })
})

describe('creating', () => {
  it('sends the trimmed fields with consent true, once however often it is clicked, then opens the project', async () => {
    answer(json(201, PROJECT))
    await open()
    await fill(VALID)
    const form = wrapper.find('form')
    await Promise.all([form.trigger('submit'), form.trigger('submit')])
    await settle()
    expect(requests).toHaveLength(1)
    expect(requests[0].method).toBe('POST')
    expect(new URL(requests[0].url).pathname).toBe('/api/v1/projects')
    expect(requests[0].headers.get('X-HGRIP-CSRF')).toBe('1')
    expect(await requests[0].json()).toEqual({
      name: '三例样本（父母子）的测序数据开放共享备案', pi_name: '刘晓寒', pi_email: 'data-admin@big.ac.cn', consent: true,
    })
    expect(router.currentRoute.value.fullPath).toBe('/projects')  // the manual: back to 项目列表
    expect(document.body.textContent).toContain('项目“三例样本（父母子）的测序数据开放共享备案”已创建')
  })

  it('shows a taken name next to 项目名称 in the page\'s language, and forgets it once the name changes', async () => {
    answer(refusal(409, 'project_name_taken', '同一账户下的项目名称不可重复，该项目名称已被使用。',
      'You already have a project with this name; project names must be unique within an account.', { name: 'x' }))
    await open()
    await fill(VALID)
    await submit()
    expect(errorOf('项目名称')).toBe('同一账户下的项目名称不可重复，该项目名称已被使用。')
    expect(router.currentRoute.value.name).toBe('project-new')
    setLocale('en')
    await settle()
    expect(errorOf('Project name')).toContain('You already have a project with this name')
    await fill({ name: '另一个名称' })
    await settle()
    expect(errorOf('Project name')).toBe('')
  })

  it('shows the gateway\'s per-field messages next to their fields', async () => {
    answer(refusal(400, 'invalid_input', '请求中有字段不符合要求。', 'The request contains invalid fields.', {
      fields: { pi_email: [{ code: 'invalid_email', message: 'Not a valid email address.', message_zh: '邮箱地址格式不正确。' }] },
    }))
    await open()
    await fill(VALID)
    await submit()
    expect(errorOf('负责人邮箱')).toBe('邮箱地址格式不正确。')
    expect(wrapper.get('[data-test="refusal"]').text()).toContain('请求中有字段不符合要求。')
  })

  it('shows a refusal the page did not foresee as the server words it', async () => {
    answer(refusal(403, 'foreign_institution', '境外组织及境外组织设立或实际控制的机构不能创建项目。',
      'A foreign organisation, or an institution it controls, cannot create projects.'))
    await open()
    await fill(VALID)
    await submit()
    expect(wrapper.get('[data-test="refusal"]').text()).toBe('境外组织及境外组织设立或实际控制的机构不能创建项目。')
    setLocale('en')
    await settle()
    expect(wrapper.get('[data-test="refusal"]').text()).toBe('A foreign organisation, or an institution it controls, cannot create projects.')
  })

  it('重置 empties the form and the refusal', async () => {
    answer(refusal(403, 'authorisation_required', '账号需在人遗系统获得法人单位的授权许可后才能创建项目。', 'Authorise first.'))
    await open()
    await fill(VALID)
    await submit()
    expect(wrapper.find('[data-test="refusal"]').exists()).toBe(true)
    const reset = wrapper.findAll('button').find((b) => b.text() === '重置')!
    await reset.trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test="refusal"]').exists()).toBe(false)
    expect((wrapper.find('input[name="name"]').element as HTMLInputElement).value).toBe('')
    expect((wrapper.find('input[name="consent"]').element as HTMLInputElement).checked).toBe(false)
  })
})
