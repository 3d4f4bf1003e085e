// 备份记录 (BackupHistory): the delegate's own route by default, the institution's route on
// 备份详细信息; newest first, who did it, in the page's language; a refusal shown with 重试.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import { setLocale } from '../src/i18n'
import BackupHistory from '../src/components/BackupHistory.vue'
import { type Call, cleanUp, json, mounted, refusal, serve, settle } from './support'

const ENTRIES = [
  { at: '2023-06-28T02:00:00Z', event_type: 'BackupCreated', summary_zh: '创建备份“三例样本”', summary_en: 'Created backup “三例样本”',
    actor_id: 'a1', actor_name: '张晓寒', correlation_id: 'c1', details: {} },
  { at: '2023-06-28T03:00:00Z', event_type: 'BackupSubmitted', summary_zh: '提交备份，获得备份号 BF2023062816036',
    summary_en: 'Submitted the backup: backup number BF2023062816036', actor_id: 'a1', actor_name: '张晓寒', correlation_id: 'c2', details: {} },
  { at: '2026-01-15T02:00:00Z', event_type: 'FilingLinked', summary_zh: '人遗系统备案 BA1 引用此备份', summary_en: 'HGRG filing BA1 cites the backup',
    actor_id: null, actor_name: null, correlation_id: 'c3', details: {} },
]

let wrapper: VueWrapper
let calls: Call[]
const lines = () => wrapper.findAll('.el-timeline-item').map((item) => item.text())

beforeEach(() => setLocale('zh-CN'))
afterEach(cleanUp)

describe('备份记录', () => {
  it('asks the delegate\'s own route by default, newest first, naming who', async () => {
    calls = serve({ 'GET /api/v1/backups/b1/history': () => json(200, { items: ENTRIES }) })
    wrapper = mounted(BackupHistory, { backupId: 'b1' })
    await settle()
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/backups/b1/history'])
    expect(lines()).toHaveLength(3)
    expect(lines()[0]).toContain('人遗系统')
    expect(lines()[0]).toContain('2026-01-15 10:00:00')
    expect(lines()[1]).toContain('张晓寒')
    expect(lines()[2]).toContain('创建备份')
    expect(wrapper.text()).not.toContain('仅供查看')
  })

  it('asks the institution\'s route on 备份详细信息, and says what it shows, in both languages', async () => {
    calls = serve({ 'GET /api/v1/institution/backups/b1/history': () => json(200, { items: ENTRIES }) })
    wrapper = mounted(BackupHistory, { backupId: 'b1', scope: 'institution' })
    await settle()
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/institution/backups/b1/history'])
    expect(lines()[1]).toContain('提交备份，获得备份号 BF2023062816036')
    expect(wrapper.text()).toContain('仅供查看')
    setLocale('en')
    await settle()
    expect(wrapper.get('h2').text()).toBe('Backup history')
    expect(lines()[0]).toContain('HGRG')
    expect(lines()[1]).toContain('Submitted the backup: backup number BF2023062816036')
    expect(wrapper.text()).toContain('read only')
  })

  it('shows a refusal with its reason and 重试, never an empty timeline', async () => {
    let answer = () => refusal(404, 'backup_not_found', '备份不存在。', 'Backup not found.')
    calls = serve({ 'GET /api/v1/institution/backups/b1/history': () => answer() })
    wrapper = mounted(BackupHistory, { backupId: 'b1', scope: 'institution' })
    await settle()
    expect(wrapper.get('.el-alert').text()).toContain('备份不存在。')
    expect(wrapper.find('.el-timeline').exists()).toBe(false)
    answer = () => json(200, { items: ENTRIES })
    await wrapper.get('.el-alert button').trigger('click')
    await settle()
    expect(lines()).toHaveLength(3)
  })
})
