// 运营控制台 (role operator): the sync summary cards, a backup found by its number (detail, owner,
// history, HGRG state with attempts and last error; not found; the number in the address), dead
// letters (table, one viewed masked in a dialog, one replayed and all replayed after confirmation,
// the result shown and the actions list asked again), the operators' actions naming who did what,
// the tab in the address, and the English page.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { setLocale } from '../src/i18n'
import OperatorConsoleView from '../src/views/OperatorConsoleView.vue'
import { blank, button, type Call, cleanUp, dialog, type Handler, json, memoryRouter, messageBox, mounted, refusal, serve, settle } from './support'

const INSTITUTION = { code: 'INST-1', name: '国家基因组科学数据中心测试' }
const BIO = { code: 'U-BIO', name: '生物信息研究部' }
const OPERATOR = { id: 'op1', username: 'operator', name: '平台运维测试' }

const SYNC = {
  pending: 2, failing: 1, oldest_pending_at: '2026-12-02T01:00:00Z', oldest_pending_age_seconds: 7320,
  last_synced_at: '2026-12-02T02:30:00Z',
  numbers: { pending: 1, failing: 1, synced: 5, oldest_open_at: null, oldest_open_age_seconds: null, last_synced_at: null },
  owner_changes: { pending: 1, failing: 0, synced: 2, oldest_open_at: null, oldest_open_age_seconds: null, last_synced_at: null },
  at: '2026-12-02T03:02:00Z',
}

const FOUND = {
  backup: {
    id: 'b1', project: { id: 'p1', name: '三例样本（父母子）的测序数据开放共享备案' }, backup_number: 'BF2023062816036',
    name: '三例样本（父母子）的测序数据开放共享备份', file_count: 1, total_mb: 100000, status: 'completed',
    filing_numbers: [], filings: [], pi_name: '刘晓寒', pi_email: 'data-admin@big.ac.cn',
    delegate: { account_id: 'z1', username: 'zhangxiaohan', name: '张晓寒', authorised_at: '2023-06-27T03:26:27Z' },
    institution: INSTITUTION, unit: BIO, categories: ['targeted'],
    files: [{ id: 'f1', detailed_type: 'raw_sequencing', cases: 50, mb_per_case: 2000, accession: 'HRA000567' }],
    origin: 'new', created_at: '2023-06-28T02:00:00Z', submitted_at: '2023-06-28T03:00:00Z', warnings: [],
  },
  owner: { account_id: 'z1', username: 'zhangxiaohan', name: '张晓寒', role: 'natural_person', employed: true, institution: INSTITUTION, unit: BIO },
  history: [
    { at: '2023-06-28T02:00:00Z', event_type: 'BackupCreated', summary_zh: '创建备份', summary_en: 'Backup created', actor_id: 'z1', actor_name: '张晓寒', correlation_id: null, details: {} },
    { at: '2023-06-28T03:00:00Z', event_type: 'BackupSubmitted', summary_zh: '提交备份', summary_en: 'Backup submitted', actor_id: 'z1', actor_name: '张晓寒', correlation_id: null, details: {} },
  ],
  hgrg: {
    backup_number: 'BF2023062816036',
    number: { state: 'failing', attempts: 3, last_error: 'HGRG answered 503', requested_at: '2023-06-28T03:00:01Z',
      next_attempt_at: '2023-06-28T03:05:00Z', synced_at: null, updated_at: '2023-06-28T03:01:00Z' },
    owner_changes: [{ state: 'synced', attempts: 1, last_error: null, requested_at: '2023-06-29T03:00:00Z', next_attempt_at: null,
      synced_at: '2023-06-29T03:00:02Z', updated_at: '2023-06-29T03:00:02Z', change_id: 'c1', backup_number: 'BF2023062816036',
      reason: 'delegated', owner_username: 'wangyuqing', sequence: 1 }],
  },
}

const LETTER = {
  message_id: 'poison-1', service: 'backups', queue: 'backups.on_project_created', event_type: 'ProjectCreated',
  error: 'KeyError: event_id', attempts: 0, failed_at: '2026-12-02T03:00:00Z',
}
const DETAIL = {
  ...LETTER,
  message: { headers: { 'x-death': 1 }, body: { event_type: 'ProjectCreated', data: { mobile: '139****5678', pi_email: 'l***@big.ac.cn' } },
    content_type: 'application/json', correlation_id: null },
}
function action(over: Record<string, unknown> = {}) {
  return {
    id: 'e1', at: '2026-12-02T03:05:00Z', action: 'dead_letter_replayed', operator: OPERATOR, target: 'poison-1',
    replayed: [{ message_id: 'poison-1', service: 'backups', queue: 'backups.on_project_created', event_type: 'ProjectCreated' }],
    count: 1, correlation_id: null, ...over,
  }
}

let router: Router
let wrapper: VueWrapper
let calls: Call[]

async function open(address: string, handlers: Record<string, Handler> = {}) {
  calls = serve({ 'GET /api/v1/operator/sync': () => json(200, SYNC), ...handlers })
  router = memoryRouter([{ path: '/console', name: 'console', component: OperatorConsoleView }, { path: '/', name: 'home', component: blank }])
  await router.push(address)
  wrapper = mounted(OperatorConsoleView, {}, { router })
  await settle()
}

const asked = (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path)
const tableRows = (selector: string) => wrapper.findAll(`${selector} .el-table__body tbody tr`).map((r) => r.findAll('td').map((c) => c.text()))

beforeEach(() => setLocale('zh-CN'))
afterEach(cleanUp)

describe('the synchronisation at a glance', () => {
  it('shows pending, failing, the oldest pending age and the last successful push, and refreshes', async () => {
    await open('/console')
    const card = (name: string) => wrapper.get(`[data-test="card-${name}"]`).text()
    expect(card('pending')).toContain('等待同步')
    expect(card('pending')).toContain('2')
    expect(card('failing')).toContain('1')
    expect(card('oldest')).toContain('2 小时 2 分钟')
    expect(card('oldest')).toContain('2026-12-02 09:00:00')
    expect(card('last-synced')).toContain('2026-12-02 10:30:00')
    expect(wrapper.get('[data-test="sync-breakdown"]').text()).toContain('备份号：等待 1，失败 1，已同步 5')
    await wrapper.get('[data-test="sync-refresh"]').trigger('click')
    await settle()
    expect(asked('GET', '/api/v1/operator/sync')).toHaveLength(2)
  })

  it('says why when it cannot load', async () => {
    await open('/console', { 'GET /api/v1/operator/sync': () => refusal(503, 'service_unavailable', '服务暂不可用。', 'Unavailable.') })
    expect(wrapper.get('[data-test="sync-summary"] [role="alert"]').text()).toContain('加载失败：服务暂不可用。')
  })
})

describe('a backup by its number', () => {
  it('searches by the number typed, keeps it in the address, and shows detail, owner, HGRG state and history', async () => {
    await open('/console', { 'GET /api/v1/operator/backups/BF2023062816036': () => json(200, FOUND) })
    expect(wrapper.text()).toContain('输入备份号后点击查询')
    const box = wrapper.get('input[name="backup_number"]')
    await box.setValue('  BF2023062816036 ')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ number: 'BF2023062816036' })
    expect(asked('GET', '/api/v1/operator/backups/BF2023062816036')).toHaveLength(1)
    const basic = wrapper.get('[data-test="operator-basic"]').text()
    expect(basic).toContain('三例样本（父母子）的测序数据开放共享备份')
    expect(basic).toContain('97.66 GB')
    expect(basic).toContain('张晓寒')
    expect(basic).toContain('国家基因组科学数据中心测试 / 生物信息研究部')
    const owner = wrapper.get('[data-test="owner"]').text()
    expect(owner).toContain('zhangxiaohan')
    expect(owner).toContain('自然人')
    expect(owner).toContain('在职')
    const hgrg = tableRows('[data-test="hgrg"]')
    expect(hgrg[0].slice(0, 4)).toEqual(['备份号 BF2023062816036', '同步失败，正在重试', '3', 'HGRG answered 503'])
    expect(hgrg[1].slice(0, 3)).toEqual(['委托调整 → wangyuqing（第 1 次变更）', '已同步', '1'])
    expect(tableRows('[data-test="operator-files"]')[0]).toContain('HRA000567')
    const history = wrapper.findAll('[data-test="operator-history"] .el-timeline-item').map((i) => i.text())
    expect(history[0]).toContain('提交备份')       // newest first
    expect(history[1]).toContain('创建备份')
  })

  it('reads the number from the address, says so when no backup has it, and refuses a blank search', async () => {
    await open('/console?number=BF2099010100001', {
      'GET /api/v1/operator/backups/BF2099010100001': () => refusal(404, 'backup_not_found', '备份不存在。', 'No such backup.'),
    })
    expect(wrapper.get('[data-test="backup-not-found"]').text()).toContain('未找到备份号 BF2099010100001 对应的备份。')
    await wrapper.get('input[name="backup_number"]').setValue('  ')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(wrapper.text()).toContain('请输入备份号')
    expect(router.currentRoute.value.query).toEqual({ number: 'BF2099010100001' })
  })

  it('shows an unclaimed legacy backup without an owner and without pushes', async () => {
    const legacy = { ...FOUND, backup: { ...FOUND.backup, origin: 'legacy', delegate: null }, owner: null,
      hgrg: { backup_number: 'BF2021031500012', number: null, owner_changes: [] } }
    await open('/console?number=BF2021031500012', { 'GET /api/v1/operator/backups/BF2021031500012': () => json(200, legacy) })
    expect(wrapper.get('[data-test="owner-none"]').text()).toContain('尚未被认领')
    expect(wrapper.find('[data-test="hgrg-none"]').exists()).toBe(true)
    expect(wrapper.get('[data-test="operator-basic"]').text()).toContain('旧系统导入')
  })
})

describe('dead letters', () => {
  let letters: typeof LETTER[]
  let actions: ReturnType<typeof action>[]
  const handlers = (): Record<string, Handler> => ({
    'GET /api/v1/operator/dead-letters': () => json(200, { items: letters, total: letters.length }),
    'GET /api/v1/operator/dead-letters/poison-1': () => json(200, DETAIL),
    'POST /api/v1/operator/dead-letters/poison-1/replay': () => {
      letters = []
      actions = [action(), ...actions]
      return json(200, { replayed: [LETTER], count: 1, action: actions[0] })
    },
    'POST /api/v1/operator/dead-letters/replay': () => {
      const replayed = letters
      letters = []
      actions = [action({ id: 'e2', action: 'dead_letters_replayed', target: null, count: replayed.length }), ...actions]
      return json(200, { replayed, count: replayed.length, action: actions[0] })
    },
    'GET /api/v1/operator/actions': () => json(200, { items: actions, total: actions.length }),
  })
  beforeEach(() => {
    letters = [LETTER, { ...LETTER, message_id: 'poison-2', service: 'identity', queue: 'identity.on_backup_submitted' }]
    actions = []
  })

  it('lists them with service, queue, event type, error, attempts and time', async () => {
    await open('/console?tab=dead-letters', handlers())
    const rows = tableRows('[data-test="dead-letter-table"]')
    expect(rows).toHaveLength(2)
    expect(rows[0].slice(1, 7)).toEqual(['backups', 'backups.on_project_created', 'ProjectCreated', 'KeyError: event_id', '0', '2026-12-02 11:00:00'])
    expect(wrapper.text()).toContain('共 2 条')
  })

  it('opens one in a dialog with its masked message', async () => {
    await open('/console?tab=dead-letters', handlers())
    await wrapper.findAll('[data-test="dead-letter-table"] .el-table__body tbody tr')[0].findAll('button')
      .find((b) => b.text() === '查看')!.trigger('click')
    await settle()
    expect(asked('GET', '/api/v1/operator/dead-letters/poison-1')).toHaveLength(1)
    const body = dialog().querySelector('[data-test="dead-letter-body"]')!.textContent!
    expect(body).toContain('139****5678')
    expect(body).toContain('l***@big.ac.cn')
    expect(dialog().textContent).toContain('消息内容（个人信息已脱敏）')
  })

  it('replays one only after confirmation, shows the result, and the action names the operator', async () => {
    await open('/console?tab=dead-letters', handlers())
    const replayButton = () => wrapper.findAll('[data-test="dead-letter-table"] .el-table__body tbody tr')[0].findAll('button')
      .find((b) => b.text() === '重放')!
    await replayButton().trigger('click')
    await settle()
    expect(messageBox()!.textContent).toContain('poison-1')
    button(messageBox()!, '取消').click()
    await settle()
    expect(asked('POST', '/api/v1/operator/dead-letters/poison-1/replay')).toHaveLength(0)

    await replayButton().trigger('click')
    await settle()
    button(messageBox()!, '重放').click()
    await settle()
    expect(asked('POST', '/api/v1/operator/dead-letters/poison-1/replay')).toHaveLength(1)
    expect(wrapper.get('[data-test="replay-result"]').text()).toContain('已重放 1 条消息。')
    expect(asked('GET', '/api/v1/operator/dead-letters')).toHaveLength(2)     // asked again
    expect(tableRows('[data-test="dead-letter-table"]')).toHaveLength(0)
    expect(wrapper.get('[data-test="dead-letter-table"]').text()).toContain('没有死信')

    await wrapper.findAll('.el-tabs__item').find((i) => i.text() === '操作记录')!.trigger('click')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ tab: 'actions' })
    const [row] = tableRows('[data-test="action-table"]')
    expect(row.slice(1, 6)).toEqual(['平台运维测试 (operator)', '重放死信', 'poison-1', '1', 'backups.on_project_created'])
  })

  it('replays all after confirmation', async () => {
    await open('/console?tab=dead-letters', handlers())
    await wrapper.get('[data-test="replay-all"]').trigger('click')
    await settle()
    expect(messageBox()!.textContent).toContain('全部 2 条死信')
    button(messageBox()!, '重放').click()
    await settle()
    expect(asked('POST', '/api/v1/operator/dead-letters/replay')).toHaveLength(1)
    expect(wrapper.get('[data-test="replay-result"]').text()).toContain('已重放 2 条消息。')
    expect(wrapper.get('[data-test="replay-all"]').attributes('disabled')).toBeDefined()
  })

  it('shows a refused replay with its reason', async () => {
    await open('/console?tab=dead-letters', {
      ...handlers(),
      'POST /api/v1/operator/dead-letters/poison-1/replay': () => refusal(404, 'dead_letter_not_found', '死信不存在（可能已被重放）。', 'No such dead letter.'),
    })
    await wrapper.findAll('[data-test="dead-letter-table"] .el-table__body tbody tr')[0].findAll('button')
      .find((b) => b.text() === '重放')!.trigger('click')
    await settle()
    button(messageBox()!, '重放').click()
    await settle()
    expect(wrapper.get('[data-test="replay-failed"]').text()).toContain('重放失败：死信不存在（可能已被重放）。')
  })
})

describe('in English', () => {
  it('speaks English on every tab', async () => {
    setLocale('en')
    await open('/console?tab=actions', {
      'GET /api/v1/operator/actions': () => json(200, { items: [action({ action: 'dead_letters_replayed', target: null, count: 2 })], total: 1 }),
    })
    expect(wrapper.get('[data-test="card-oldest"]').text()).toContain('2 h 2 min')
    expect(wrapper.findAll('.el-tabs__item').map((i) => i.text())).toEqual(['Find a backup', 'Dead letters', 'Operator actions'])
    const [row] = tableRows('[data-test="action-table"]')
    expect(row.slice(1, 5)).toEqual(['平台运维测试 (operator)', 'Replayed all dead letters', 'All dead letters', '2'])
  })
})
