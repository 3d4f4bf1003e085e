// 文件列表 and the 添加常规数据 / 修改常规数据 dialog: the form's rules, verification by code with its
// countdown, submission and the locked state, the HGRG sync panel. The HTTP boundary is stubbed per
// test; the real gateway is the browser tests' business.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { i18n } from '../src/i18n'
import CountdownButton from '../src/components/CountdownButton.vue'
import FileFormDialog, { accessionMatches, parseCases, parseMbPerCase } from '../src/components/FileFormDialog.vue'
import SyncStatePanel from '../src/components/SyncStatePanel.vue'
import FileListView from '../src/views/FileListView.vue'
import {
  backup, button, cleanUp, dialog, type Handler, input, json, messageBox, mounted, PROJECT, quietValidator, refusal, serve, settle,
  typed,
} from './support'

beforeEach(() => {
  i18n.global.locale.value = 'zh-CN'
  quietValidator()
})
afterEach(cleanUp)

function file(over: Record<string, unknown> = {}) {
  return {
    id: 'f1', detailed_type: 'raw_sequencing', repository: 'GSA-Human', cases: 50, mb_per_case: 2000,
    submission_account: 'data-admin@big.ac.cn', accession: 'HRA000567', progress: 'complete',
    created_at: '2023-06-28T02:00:00Z', updated_at: '2023-06-28T02:00:00Z', ...over,
  }
}
const PENDING = file({ id: 'f2', detailed_type: 'analysis_statistics', repository: 'OMIX', cases: 10, mb_per_case: 5,
  submission_account: 'zhangxx@big.ac.cn', accession: 'OMIX001226', progress: 'pending_verification' })

const options = () => [...document.body.querySelectorAll('.el-select-dropdown__item')] as HTMLElement[]

/** Picks the detailed type at `option` in the dialog's list and types the four fields, all at once as a
 * quick user would, then lets validation run. */
async function fillFileForm(option: number, fields: { cases: string; mbPerCase: string; account: string; accession: string }) {
  options()[option].click()
  typed(input('合计例数'), fields.cases)
  typed(input('规格(MB/例)'), fields.mbPerCase)
  typed(input('数据库提交账号'), fields.account)
  typed(input('数据集序列号'), fields.accession)
  await settle()
}

describe('the form\'s rules', () => {
  it('合计例数 is a whole number from 1 to the server\'s maximum', () => {
    expect(parseCases('50')).toBe(50)
    expect(parseCases(' 1 ')).toBe(1)
    expect(parseCases('1000000000')).toBe(1_000_000_000)
    for (const bad of ['0', '-1', '1.5', '1e3', 'ten', '', '2147483648', '1000000001']) expect(parseCases(bad), bad).toBeNull()
  })
  it('规格(MB/例) is a number greater than 0, at most the server\'s maximum', () => {
    expect(parseMbPerCase('2000')).toBe(2000)
    expect(parseMbPerCase('0.5')).toBe(0.5)
    expect(parseMbPerCase('1000000000')).toBe(1_000_000_000)
    for (const bad of ['0', '0.0', '-2', 'abc', '', '1.', '1000000000.5']) expect(parseMbPerCase(bad), bad).toBeNull()
  })
  it('数据集序列号 follows the repository\'s anchored pattern', () => {
    expect(accessionMatches('^HRA\\d{6}$', 'HRA000567')).toBe(true)
    expect(accessionMatches('^HRA\\d{6}$', 'HRA00056')).toBe(false)
    expect(accessionMatches('^HRA\\d{6}$', 'xHRA000567')).toBe(false)
    expect(accessionMatches('^OMIX\\d{6}(-\\d{2})?$', 'OMIX001226-01')).toBe(true)
    expect(accessionMatches('(', 'anything')).toBe(true) // left to the server
  })
})

describe('添加常规数据', () => {
  it('offers only the types the categories allow and names each one\'s repository', async () => {
    serve({})
    mounted(FileFormDialog, { modelValue: true, backupId: 'b1', categories: ['targeted'] })
    await settle()
    expect(dialog().querySelector('.el-dialog__title')?.textContent).toBe('添加常规数据')
    expect(options().map((o) => o.textContent?.trim())).toEqual(['组学原始测序数据', '各类统计与分析数据'])
    const line = () => dialog().querySelector('[data-test="repository-line"]')!.textContent!.trim()
    expect(line()).toBe('所选数据类型会提示对应提交数据库')
    options()[0].click()
    await settle()
    expect(line()).toBe('此类型数据库请提交至GSA-Human数据库')
    options()[1].click()
    await settle()
    expect(line()).toBe('此类型数据库请提交至OMIX数据库')
    expect(dialog().textContent).toContain('“数据库提交账号”填写数据提交账号邮箱；')
    expect(dialog().textContent).toContain('“数据集序列号”填写在数据库中获得的数据归档编号')
  })

  it('checks the accession against the chosen repository as it is typed, and again when the type changes', async () => {
    serve({})
    mounted(FileFormDialog, { modelValue: true, backupId: 'b1', categories: ['targeted'] })
    await settle()
    options()[0].click()
    await settle()
    const error = () => dialog().querySelectorAll('.el-form-item')[4].querySelector('.el-form-item__error')?.textContent?.trim()
    typed(input('数据集序列号'), 'HRA12')
    await vi.waitFor(() => expect(error()).toBe('数据集序列号不符合 GSA-Human 的编号格式（例如 HRA000567）'))
    typed(input('数据集序列号'), 'HRA000567')
    await vi.waitFor(() => expect(error()).toBeUndefined())
    options()[1].click()
    await vi.waitFor(() => expect(error()).toBe('数据集序列号不符合 OMIX 的编号格式（例如 OMIX001226）'))
  })

  it('refuses a fractional case count and a size of 0 before sending anything', async () => {
    const calls = serve({})
    mounted(FileFormDialog, { modelValue: true, backupId: 'b1', categories: ['targeted'] })
    await settle()
    await fillFileForm(0, { cases: '1.5', mbPerCase: '0', account: 'not-an-email', accession: 'HRA000567' })
    button(dialog(), '立即创建').click()
    await vi.waitFor(() => expect(dialog().textContent).toContain('合计例数须为 1 至 1000000000 的整数'))
    await vi.waitFor(() => expect(dialog().textContent).toContain('规格(MB/例)须为大于 0 且不超过 1000000000 的数字'))
    await vi.waitFor(() => expect(dialog().textContent).toContain('数据库提交账号须为邮箱地址'))
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([])
  })

  it('sends numbers, and shows 提交账号与数据集序列号不匹配 as the server says it, with the help line', async () => {
    const calls = serve({
      'POST /api/v1/backups/b1/files': () => refusal(400, 'dataset_account_mismatch',
        '提交账号与数据集序列号不匹配', 'The submission account and the dataset accession do not match.'),
    })
    mounted(FileFormDialog, { modelValue: true, backupId: 'b1', categories: ['targeted'] })
    await settle()
    await fillFileForm(1, { cases: '10', mbPerCase: '5', account: ' wrong@big.ac.cn ', accession: 'OMIX001226' })
    button(dialog(), '立即创建').click()
    await vi.waitFor(() => expect(calls.find((c) => c.method === 'POST')).toBeDefined())
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({
      detailed_type: 'analysis_statistics', cases: 10, mb_per_case: 5, submission_account: 'wrong@big.ac.cn', accession: 'OMIX001226',
    })
    await vi.waitFor(() => expect(dialog().querySelector('[data-test="file-form-error"]')).not.toBeNull())
    const alert = dialog().querySelector('[data-test="file-form-error"]')!.textContent!
    expect(alert).toContain('提交账号与数据集序列号不匹配')
    expect(alert).toContain('如需更多帮助，可致电 010-84097816 或者直接咨询对应数据库。')
  })

  it('once the backup is locked, edits only 合计例数 and 规格 and sends only what changed', async () => {
    const calls = serve({ 'PATCH /api/v1/backups/b1/files/f1': (body) => json(200, file(body as Record<string, unknown>)) })
    const wrapper = mounted(FileFormDialog, { modelValue: true, backupId: 'b1', categories: ['targeted'], locked: true, file: file() })
    await settle()
    expect(dialog().querySelector('.el-dialog__title')?.textContent).toBe('修改常规数据')
    expect(input('数据库提交账号').disabled).toBe(true)
    expect(input('数据集序列号').disabled).toBe(true)
    expect(input('合计例数').disabled).toBe(false)
    expect(input('合计例数').value).toBe('50')
    typed(input('合计例数'), '60')
    await settle()
    button(dialog(), '提交').click()
    await vi.waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ cases: 60 }))
    await vi.waitFor(() => expect(wrapper.findComponent(FileFormDialog).emitted('saved')?.[0]).toEqual([file({ cases: 60 }), false]))
  })
})

describe('发送验证码 countdown', () => {
  afterEach(() => vi.useRealTimers())

  it('waits until the moment given, then may be pressed again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    const wrapper = mount(CountdownButton, { props: { label: '发送验证码', until: Date.now() + 65_000 }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.text()).toBe('1:05 后可重发')
    expect(wrapper.find('button').attributes('disabled')).toBeDefined()
    await wrapper.find('button').trigger('click')
    expect(wrapper.emitted('press')).toBeUndefined()
    vi.advanceTimersByTime(60_000)
    await flushPromises()
    expect(wrapper.text()).toBe('0:05 后可重发')
    vi.advanceTimersByTime(5_000)
    await flushPromises()
    expect(wrapper.text()).toBe('发送验证码')
    await wrapper.find('button').trigger('click')
    expect(wrapper.emitted('press')).toHaveLength(1)
    wrapper.unmount()
  })
})

describe('人遗系统同步', () => {
  it('before submission says there is no number yet, asking nothing', async () => {
    const calls = serve({})
    const wrapper = mounted(SyncStatePanel, { backupId: 'b1', backupNumber: null })
    await settle()
    expect(wrapper.text()).toContain('备份尚未提交，还没有备份号')
    expect(calls).toEqual([])
  })

  it('takes 409 backup_not_submitted as "no number yet", not as an error', async () => {
    serve({ 'GET /api/v1/backups/b1/sync': () => refusal(409, 'backup_not_submitted', '备份尚未提交。', 'Not submitted.') })
    const wrapper = mounted(SyncStatePanel, { backupId: 'b1', backupNumber: 'BF2023062816036' })
    await settle()
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.text()).toContain('备份尚未提交，还没有备份号')
  })

  it('shows a failing push with its attempts, and asks again until synced', async () => {
    const answers = [
      { backup_number: 'BF2023062816036', state: 'failing', attempts: 3, last_error: 'HGRG answered 503',
        synced_at: null, next_attempt_at: '2023-06-28T10:04:05Z' },
      { backup_number: 'BF2023062816036', state: 'synced', attempts: 4, last_error: null,
        synced_at: '2023-06-28T10:04:06Z', next_attempt_at: null },
    ]
    const calls = serve({ 'GET /api/v1/backups/b1/sync': () => json(200, answers.length > 1 ? answers.shift() : answers[0]) })
    const wrapper = mounted(SyncStatePanel, { backupId: 'b1', backupNumber: 'BF2023062816036', watchUntilSynced: true, interval: 30 })
    await settle()
    await vi.waitFor(() => expect(wrapper.text()).toContain('已同步'))
    expect(wrapper.text()).toContain('同步时间：2023-06-28 18:04:06')
    const asked = calls.length
    expect(asked).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(calls.length).toBe(asked) // synced: no more asking
  })

  it('says a failing push is being retried', async () => {
    serve({ 'GET /api/v1/backups/b1/sync': () => json(200, { backup_number: 'BF2023062816036', state: 'failing', attempts: 3,
      last_error: 'HGRG answered 503', synced_at: null, next_attempt_at: '2023-06-28T10:04:05Z' }) })
    const wrapper = mounted(SyncStatePanel, { backupId: 'b1', backupNumber: 'BF2023062816036' })
    await settle()
    expect(wrapper.text()).toContain('同步失败，正在重试')
    expect(wrapper.text()).toContain('已尝试 3 次')
    expect(wrapper.text()).toContain('下次尝试：2023-06-28 18:04:05')
  })
})

describe('文件列表', () => {
  function gateway(current: { value: ReturnType<typeof backup> }, extra: Record<string, Handler> = {}) {
    return serve({
      'GET /api/v1/backups/b1': () => json(200, current.value),
      'GET /api/v1/projects/p1': () => json(200, PROJECT),
      'GET /api/v1/backups/b1/history': () => json(200, { items: [] }),
      ...extra,
    })
  }
  // The notice's repository table comes first; the files are in their own table.
  const files = (wrapper: VueWrapper) => wrapper.find('[data-test="file-table"]')
  const row = (wrapper: VueWrapper, index: number) => files(wrapper).find('.el-table__body').findAll('tr')[index]
  const cells = (wrapper: VueWrapper, index: number) => row(wrapper, index).findAll('td').map((td) => td.text())

  it('shows the notice with the PI\'s e-mail, the files, and a 待验证 row\'s code controls; 提交 waits for every file', async () => {
    const current = { value: backup({ files: [file(), PENDING], file_count: 2, total_mb: 100050 }) }
    gateway(current)
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    expect(wrapper.find('h1').text()).toBe('三例样本（父母子）的测序数据对外提供')
    expect(wrapper.text()).toContain('涉及内容：基因组靶向测序相关数据')
    const notice = wrapper.find('[data-test="file-notice"]').text()
    expect(notice).toContain('添加常规数据须知')
    expect(notice).toContain('如果您的数据还未提交，请先使用项目负责人邮箱：data-admin@big.ac.cn，按数据类型将数据提交至对应数据库后，再进行添加。')
    expect(notice).toContain('注：基因数据是记录生物个体遗传信息的数据')
    expect(files(wrapper).find('.el-table__header').findAll('th').map((th) => th.text()))
      .toEqual(['序号', '详细类型', '合计例数', '单位规格', '文件名称/数据编号', '进度', '操作'])
    expect(cells(wrapper, 0)).toEqual(['1', '组学原始测序数据', '50', '2000', 'HRA000567', '完成', '修改删除'])
    expect(cells(wrapper, 1)).toEqual(['2', '各类统计与分析数据', '10', '5', 'OMIX001226发送验证码', '待验证', '校验修改删除'])
    expect(row(wrapper, 1).find('input[aria-label="输入验证码"]').exists()).toBe(true)
    const submit = wrapper.findAll('button').find((b) => b.text() === '提交')!
    expect(submit.attributes('disabled')).toBeDefined()
    expect(wrapper.text()).toContain('共 2 条')
    expect(wrapper.text()).toContain('备份尚未提交，还没有备份号')
  })

  it('sends a code: 温馨提示 in the manual\'s words, then the button counts down', async () => {
    const current = { value: backup({ files: [PENDING], file_count: 1 }) }
    const calls = gateway(current, {
      'POST /api/v1/backups/b1/files/f2/verification-code': () => json(202, {
        sent_to: 'z***@big.ac.cn', expires_at: new Date(Date.now() + 48 * 3600e3).toISOString(),
        resend_available_at: new Date(Date.now() + 300e3).toISOString(),
      }),
    })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    const send = () => row(wrapper, 0).findAll('button').find((b) => /发送验证码|后可重发/.test(b.text()))!
    await send().trigger('click')
    await send().trigger('click') // a double click sends once
    await vi.waitFor(() => expect(messageBox()).not.toBeNull())
    expect(calls.filter((c) => c.path.endsWith('/verification-code'))).toHaveLength(1)
    expect(messageBox()!.textContent).toContain('温馨提示')
    expect(messageBox()!.textContent).toContain('数据集授权验证码已成功发送，请您及时联系提交者获取验证码并正确填入系统进行校验。')
    expect(messageBox()!.textContent).toContain('注：发送验证码有效期 48 小时，每 5 分钟可重发一次。')
    await vi.waitFor(() => expect(send().text()).toMatch(/^[45]:\d\d 后可重发$/))
    expect(send().attributes('disabled')).toBeDefined()
  })

  it('on 429 counts down from Retry-After and says why', async () => {
    const current = { value: backup({ files: [PENDING], file_count: 1 }) }
    gateway(current, {
      'POST /api/v1/backups/b1/files/f2/verification-code': () => new Response(JSON.stringify({ error: {
        code: 'code_resend_too_soon', message: 'A verification code can be sent once every 5 minutes; please wait before requesting another.',
        message_zh: '验证码每5分钟可重发一次，请稍后再试。', details: { retry_after_seconds: 120 } } }),
      { status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '120' } }),
    })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    await row(wrapper, 0).findAll('button').find((b) => b.text() === '发送验证码')!.trigger('click')
    await vi.waitFor(() => expect(row(wrapper, 0).text()).toContain('验证码每5分钟可重发一次，请稍后再试。'))
    expect(row(wrapper, 0).text()).toMatch(/[12]:\d\d 后可重发/)
  })

  it('校验 wants 6 digits before asking, shows the server\'s refusal, and completes the file', async () => {
    const current = { value: backup({ files: [PENDING], file_count: 1 }) }
    let wrong = true
    const calls = gateway(current, {
      'POST /api/v1/backups/b1/files/f2/verify': () => {
        if (wrong) return refusal(400, 'verification_code_invalid', '验证码错误。', 'The verification code is incorrect.', { attempts_left: 4 })
        current.value = backup({ files: [{ ...PENDING, progress: 'complete' }], file_count: 1 })
        return json(200, current.value.files[0])
      },
    })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    const code = () => row(wrapper, 0).find('input[aria-label="输入验证码"]')
    const verify = () => row(wrapper, 0).findAll('button').find((b) => b.text() === '校验')!
    await code().setValue('12ab')
    await verify().trigger('click')
    await settle()
    expect(row(wrapper, 0).text()).toContain('请输入 6 位数字验证码')
    expect(calls.filter((c) => c.path.endsWith('/verify'))).toEqual([])
    await code().setValue('000000')
    await verify().trigger('click')
    await vi.waitFor(() => expect(row(wrapper, 0).text()).toContain('验证码错误。'))
    wrong = false
    await code().setValue('320000')
    await code().trigger('keyup.enter')
    await vi.waitFor(() => expect(cells(wrapper, 0)[5]).toBe('完成'))
    expect(calls.filter((c) => c.path.endsWith('/verify')).map((c) => c.body)).toEqual([{ code: '000000' }, { code: '320000' }])
    expect(wrapper.findAll('button').find((b) => b.text() === '提交')!.attributes('disabled')).toBeUndefined()
  })

  it('删除 asks first and removes the file only when confirmed', async () => {
    const current = { value: backup({ files: [file()], file_count: 1 }) }
    const calls = gateway(current, {
      'DELETE /api/v1/backups/b1/files/f1': () => {
        current.value = backup()
        return json(200, { deleted: 'f1' })
      },
    })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    await row(wrapper, 0).findAll('button').find((b) => b.text() === '删除')!.trigger('click')
    await vi.waitFor(() => expect(messageBox()?.textContent).toContain('确定删除文件 HRA000567（组学原始测序数据）吗？'))
    button(messageBox()!, '取消').click()
    await settle()
    expect(calls.filter((c) => c.method === 'DELETE')).toEqual([])
    await row(wrapper, 0).findAll('button').find((b) => b.text() === '删除')!.trigger('click')
    await vi.waitFor(() => expect(messageBox()).not.toBeNull())
    button(messageBox()!, '删除').click()
    await vi.waitFor(() => expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1))
    await vi.waitFor(() => expect(files(wrapper).text()).toContain('暂无数据'))
  })

  it('提交 asks for confirmation, shows the number, and locks the page', async () => {
    const current = { value: backup({ files: [file()], file_count: 1, total_mb: 100000 }) }
    const calls = gateway(current, {
      'POST /api/v1/backups/b1/submit': () => {
        current.value = backup({ files: [file()], file_count: 1, total_mb: 100000, status: 'completed',
          backup_number: 'BF2023062816036', submitted_at: '2023-06-28T10:00:00Z' })
        return json(200, current.value)
      },
      'GET /api/v1/backups/b1/sync': () => json(200, { backup_number: 'BF2023062816036', state: 'synced', attempts: 1,
        last_error: null, synced_at: '2023-06-28T10:00:01Z', next_attempt_at: null }),
    })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    await wrapper.findAll('button').find((b) => b.text() === '提交')!.trigger('click')
    await vi.waitFor(() => expect(messageBox()?.textContent).toContain('提交后系统将为该备份分配唯一备份号，同时备份信息锁定'))
    button(messageBox()!, '提交').click()
    await vi.waitFor(() => expect(messageBox()?.textContent).toContain('已获得备份号 BF2023062816036'))
    expect(calls.filter((c) => c.path.endsWith('/submit'))).toHaveLength(1)
    button(messageBox()!, '确定').click()
    await settle()
    expect(wrapper.find('[data-test="backup-number"]').text()).toContain('备份号：BF2023062816036')
    expect(wrapper.text()).toContain('重要提示：该备份已获得备份号，备份信息已锁定')
    expect(wrapper.findAll('button').map((b) => b.text())).not.toContain('添加常规文件')
    expect(wrapper.findAll('button').map((b) => b.text())).not.toContain('提交')
    expect(cells(wrapper, 0)[6]).toBe('修改')
    expect(wrapper.find('[data-test="file-notice"]').exists()).toBe(false)
    await vi.waitFor(() => expect(wrapper.find('[data-test="sync-state"]').text()).toContain('已同步'))
  })

  it('shows the filings citing a numbered backup, warning when the volume backed up exceeds the declared one', async () => {
    const current = { value: backup({ files: [file()], file_count: 1, total_mb: 100000, status: 'completed',
      backup_number: 'BF2023062816036', filing_numbers: ['BA202601150001'],
      filings: [{ filing_number: 'BA202601150001', recipient: 'Example Labs Inc.', declared_mb: 51200, cited_total_mb: 100000,
        exceeds_declared: true, filed_at: '2026-01-15T02:00:00Z' }] }) }
    gateway(current, { 'GET /api/v1/backups/b1/sync': () => json(200, { backup_number: 'BF2023062816036', state: 'pending',
      attempts: 0, last_error: null, synced_at: null, next_attempt_at: null }) })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    expect(wrapper.text()).toContain('备案号 BA202601150001，接收方：Example Labs Inc.，备案数据量 50 GB，已备份数据量 97.66 GB')
    expect(wrapper.text()).toContain('已备份数据量超过备案数据量，请到人遗系统变更备案。')
    expect(wrapper.find('[data-test="sync-state"]').text()).toContain('等待同步')
  })

  it('a legacy backup (no project here) goes back to the project list', async () => {
    const current = { value: backup({ project_id: null, status: 'completed', backup_number: 'BF2019010100001', files: [file()], file_count: 1 }) }
    const calls = gateway(current, { 'GET /api/v1/backups/b1/sync': () => json(200, { backup_number: 'BF2019010100001', state: 'synced',
      attempts: 1, last_error: null, synced_at: '2023-06-28T10:00:01Z', next_attempt_at: null }) })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    expect(calls.some((c) => c.path.startsWith('/api/v1/projects/'))).toBe(false)
    const router = wrapper.findComponent(FileListView).vm.$router
    await wrapper.findAll('button').find((b) => b.text() === '返回')!.trigger('click')
    await settle()
    expect(router.currentRoute.value.name).toBe('projects')
  })

  it('says why the page could not load, and 重试 loads it', async () => {
    let fail = true
    serve({
      'GET /api/v1/backups/b1': () => (fail ? refusal(404, 'backup_not_found', '备份不存在。', 'Backup not found.') : json(200, backup())),
      'GET /api/v1/projects/p1': () => json(200, PROJECT),
      'GET /api/v1/backups/b1/history': () => json(200, { items: [] }),
    })
    const wrapper = mounted(FileListView, { backupId: 'b1' })
    await settle()
    expect(wrapper.find('[role="alert"]').text()).toContain('加载失败：备份不存在。')
    fail = false
    await wrapper.findAll('button').find((b) => b.text() === '重试')!.trigger('click')
    await settle()
    expect(wrapper.find('h1').text()).toBe('三例样本（父母子）的测序数据对外提供')
    expect(files(wrapper).text()).toContain('暂无数据')
  })
})
