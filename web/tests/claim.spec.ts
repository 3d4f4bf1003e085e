// 备份认领: the form's rules (mirroring the gateway's), the SMS code and its countdown, the claim and
// its result, and every refusal shown as the server words it, in the page's language.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { setLocale } from '../src/i18n'
import { _setAccountForTests, type Account } from '../src/session'
import BackupClaimView from '../src/views/BackupClaimView.vue'
import { answerAfter, blank, cleanUp, fieldError, json, memoryRouter, mounted, refusal, requests, settler } from './support'

const ACCOUNT: Account = {
  id: 'a3', username: 'liuhaoran', name: '刘浩然', role: 'natural_person', mobile: '186****2222',
  institution: { code: 'INST-1', name: '国家基因组科学数据中心测试', foreign: false },
  unit: { code: 'UNIT-2', name: '数据资源部' },
  real_name_verified: true, authorised: true, authorised_at: '2024-01-01T00:00:00Z', employed: true,
}

const NOW = Date.parse('2026-12-02T04:00:00Z')

const SENT = json(202, {
  sent_to: '186****1111', expires_at: '2026-12-02T04:10:00Z', resend_available_at: '2026-12-02T04:01:00Z',
})

/** A slow server, so that a second click lands while the first is still under way. */
const answer = answerAfter(20)
/** Long enough for the slow server's answers. */
const settle = settler(6, 25)

let router: Router
let wrapper: VueWrapper

async function open() {
  _setAccountForTests(ACCOUNT)
  router = memoryRouter([
    { path: '/claims', name: 'claims', component: BackupClaimView },
    { path: '/backups/:backupId', name: 'backup-files', component: blank },
  ])
  await router.push('/claims')
  wrapper = mounted(BackupClaimView, {}, { router, bare: true })
  await settle()
}

async function fill(values: { name?: string; mobile?: string; code?: string }) {
  if (values.name !== undefined) await wrapper.find('input[name="legacy_name"]').setValue(values.name)
  if (values.mobile !== undefined) await wrapper.find('input[name="legacy_mobile"]').setValue(values.mobile)
  if (values.code !== undefined) await wrapper.find('input[name="sms_code"]').setValue(values.code)
}

const sendButton = () => wrapper.get('[data-test="send-code"]')

async function sendCode() {
  await sendButton().trigger('click')
  await settle()
}

async function submit() {
  await wrapper.find('form').trigger('submit')
  await settle()
}

const errorOf = (label: string) => fieldError(wrapper, label)
const refusalText = () => wrapper.get('[data-test="refusal"]').text()

beforeEach(() => {
  setLocale('zh-CN')
  // Only the clock and the countdown's interval are faked: the answers' small delays stay real.
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  cleanUp()
  vi.useRealTimers()
})

describe('the page', () => {
  it('has the manual\'s title, notice, fields, the 0/11 counter, the three rules and buttons', async () => {
    await open()
    expect(wrapper.get('h1').text()).toBe('旧系统备份信息认领')
    expect(wrapper.text()).toContain('认领须知')
    const labels = wrapper.findAll('.el-form-item__label').map((label) => label.text())
    expect(labels).toEqual(['原系统注册人姓名', '原系统注册手机号', '手机验证码'])
    expect(wrapper.get('input[name="legacy_mobile"]').attributes('maxlength')).toBe('11')
    expect(wrapper.get('.el-input__count').text().replace(/\s/g, '')).toBe('0/11')
    await fill({ mobile: '186' })
    expect(wrapper.get('.el-input__count').text().replace(/\s/g, '')).toBe('3/11')
    expect(sendButton().text()).toBe('获取验证码')
    expect(wrapper.text()).toContain('新委托人必须与原系统注册人属于同一家单位（公司），不支持跨单位（公司）认领；')
    expect(wrapper.text()).toContain('如果因单位（公司）名称中个别字词不一致造成无法认领，请及时联系我们；')
    expect(wrapper.text()).toContain('备份信息一旦认领成功，不可再次认领。请确保您为原平台账号所有者或已获得所有者的同意。')
    const buttons = wrapper.findAll('button').map((b) => b.text())
    expect(buttons).toEqual(expect.arrayContaining(['提交', '重置']))
  })
})

describe('the SMS code', () => {
  it('is not asked for without a name and a mainland mobile', async () => {
    answer()
    await open()
    await sendCode()
    expect(errorOf('原系统注册人姓名')).toBe('请输入原系统注册人姓名')
    expect(errorOf('原系统注册手机号')).toBe('请输入原系统注册手机号')
    expect(errorOf('手机验证码')).toBe('')
    await fill({ name: '刘浩然', mobile: '12600001111' })
    await sendCode()
    expect(errorOf('原系统注册手机号')).toBe('请输入 11 位中国大陆手机号')
    expect(requests).toHaveLength(0)
  })

  it('is sent for the trimmed name and the mobile, then waits out the server\'s minute', async () => {
    answer(SENT)
    await open()
    await fill({ name: ' 刘浩然 ', mobile: '18600001111' })
    await Promise.all([sendButton().trigger('click'), sendButton().trigger('click')])
    await settle()
    expect(requests).toHaveLength(1)
    expect(new URL(requests[0].url).pathname).toBe('/api/v1/claims/sms-code')
    expect(requests[0].headers.get('X-HGRIP-CSRF')).toBe('1')
    expect(await requests[0].json()).toEqual({ legacy_name: '刘浩然', legacy_mobile: '18600001111' })
    expect(wrapper.text()).toContain('验证码已发送至 186****1111，请在 2026-12-02 12:10:00 前使用。')
    expect(sendButton().text()).toBe('60 秒后重新获取')
    expect(sendButton().attributes('disabled')).toBeDefined()
    vi.advanceTimersByTime(30_000)
    await flushPromises()
    expect(sendButton().text()).toBe('30 秒后重新获取')
    vi.advanceTimersByTime(30_000)
    await flushPromises()
    expect(sendButton().text()).toBe('获取验证码')
    expect(sendButton().attributes('disabled')).toBeUndefined()
  })

  it('too soon: the countdown follows Retry-After and the server says why', async () => {
    answer(refusal(429, 'sms_code_too_soon', '验证码发送过于频繁，请 42 秒后再试。', 'Too soon: try again in 42 s.',
      { retry_after_seconds: 42 }, { 'Retry-After': '42' }))
    await open()
    await fill({ name: '刘浩然', mobile: '18600001111' })
    await sendCode()
    expect(sendButton().text()).toBe('42 秒后重新获取')
    expect(refusalText()).toBe('验证码发送过于频繁，请 42 秒后再试。')
  })

  it('a claim across institutions is refused before any code is sent, naming both institutions', async () => {
    const zh = '新委托人必须与原系统注册人属于同一家单位（公司），不支持跨单位（公司）认领。原系统注册人的单位为“华东医学遗传研究院测试”，新委托人的单位为“国家基因组科学数据中心测试”。'
    const en = 'The new delegate must belong to the same institution (company) as the registrant on the old platform. The registrant\'s institution is “华东医学遗传研究院测试”, the new delegate\'s is “国家基因组科学数据中心测试”.'
    answer(refusal(409, 'claim_other_institution', zh, en,
      { registrant_institution: '华东医学遗传研究院测试', claimant_institution: '国家基因组科学数据中心测试' }))
    await open()
    await fill({ name: '赵明辉', mobile: '17755556666' })
    await sendCode()
    expect(refusalText()).toBe(zh)
    expect(sendButton().text()).toBe('获取验证码')
    setLocale('en')
    await settle()
    expect(refusalText()).toBe(en)
  })

  it('no legacy backups under that name and mobile: the server says so', async () => {
    answer(refusal(404, 'legacy_registrant_not_found', '原备份平台中没有以该注册人姓名和手机号登记的已获得备份号的备份信息。',
      'No backup with a backup number on the old platform is registered under this name and mobile number.'))
    await open()
    await fill({ name: '无此人', mobile: '13800000000' })
    await sendCode()
    expect(refusalText()).toBe('原备份平台中没有以该注册人姓名和手机号登记的已获得备份号的备份信息。')
  })
})

describe('the claim', () => {
  it('needs a six-digit code before anything is sent', async () => {
    answer()
    await open()
    await fill({ name: '刘浩然', mobile: '18600001111', code: '12345' })
    await submit()
    expect(errorOf('手机验证码')).toBe('手机验证码为 6 位数字')
    await fill({ code: '' })
    await submit()
    expect(errorOf('手机验证码')).toBe('请输入手机验证码')
    expect(requests).toHaveLength(0)
  })

  it('sends name, mobile and code once, then lists the claimed backups and empties the form', async () => {
    answer(json(200, {
      count: 1,
      claimed: [{ id: '7f1c9a52-0d55-5a8e-9e7d-0c7e6b1d2a10', backup_number: 'BF2020120100005', name: '新生儿全基因组测序数据备份' }],
    }))
    await open()
    await fill({ name: '刘浩然', mobile: '18600001111', code: '123456' })
    const form = wrapper.find('form')
    await Promise.all([form.trigger('submit'), form.trigger('submit')])
    await settle()
    expect(requests).toHaveLength(1)
    expect(new URL(requests[0].url).pathname).toBe('/api/v1/claims')
    expect(await requests[0].json()).toEqual({ legacy_name: '刘浩然', legacy_mobile: '18600001111', sms_code: '123456' })
    const result = wrapper.get('[data-test="claimed"]')
    expect(result.text()).toContain('认领成功：共 1 条已获得备份号的备份信息已归入您的账号。')
    expect(result.text()).toContain('BF2020120100005')
    expect(result.text()).toContain('新生儿全基因组测序数据备份')
    expect(result.get('a').attributes('href')).toBe('/backups/7f1c9a52-0d55-5a8e-9e7d-0c7e6b1d2a10')
    expect((wrapper.get('input[name="legacy_name"]').element as HTMLInputElement).value).toBe('')
    expect((wrapper.get('input[name="sms_code"]').element as HTMLInputElement).value).toBe('')
  })

  it('a wrong code is shown next to 手机验证码, and forgotten once the code is typed again', async () => {
    answer(refusal(400, 'sms_code_invalid', '手机验证码不正确，还可尝试 4 次。', 'The SMS code is wrong; 4 attempts left.'))
    await open()
    await fill({ name: '刘浩然', mobile: '18600001111', code: '000000' })
    await submit()
    expect(errorOf('手机验证码')).toBe('手机验证码不正确，还可尝试 4 次。')
    expect(wrapper.find('[data-test="refusal"]').exists()).toBe(false)
    setLocale('en')
    await settle()
    expect(errorOf('SMS code')).toBe('The SMS code is wrong; 4 attempts left.')
    await fill({ code: '111111' })
    await settle()
    expect(errorOf('SMS code')).toBe('')
  })

  it('already claimed: the server says a backup is claimed once only', async () => {
    answer(refusal(409, 'legacy_already_claimed', '该备份信息已被认领，备份信息一旦认领成功，不可再次认领。',
      'These legacy backups have already been claimed; a backup claimed once cannot be claimed again.'))
    await open()
    await fill({ name: '刘浩然', mobile: '18600001111', code: '123456' })
    await submit()
    expect(refusalText()).toBe('该备份信息已被认领，备份信息一旦认领成功，不可再次认领。')
  })

  it('重置 empties the form, the refusal and the result', async () => {
    answer(refusal(409, 'legacy_already_claimed', '该备份信息已被认领。', 'Already claimed.'))
    await open()
    await fill({ name: '刘浩然', mobile: '18600001111', code: '123456' })
    await submit()
    await wrapper.findAll('button').find((b) => b.text() === '重置')!.trigger('click')
    await settle()
    expect(wrapper.find('[data-test="refusal"]').exists()).toBe(false)
    expect((wrapper.get('input[name="legacy_mobile"]').element as HTMLInputElement).value).toBe('')
  })
})
