// 备份列表 and the 添加备份 / 修改备份 dialog: rules, what is sent, and how refusals are shown.
// The HTTP boundary is stubbed per test; the real gateway is the browser tests' business.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { i18n } from '../src/i18n'
import BackupFormDialog from '../src/components/BackupFormDialog.vue'
import BackupListView from '../src/views/BackupListView.vue'
import { backup, button, cleanUp, dialog, input, json, mounted, PROJECT, quietValidator, refusal, serve, settle, type } from './support'

beforeEach(() => {
  i18n.global.locale.value = 'zh-CN'
  quietValidator()
})
afterEach(cleanUp)

/** Types the backup's name and ticks the category at `category` (the manual's order), as a user would. */
async function fillBackupForm(name: string, category: number) {
  await type(input('备份名称'), name)
  ;(dialog().querySelectorAll('.el-checkbox input')[category] as HTMLInputElement).click()
  await settle()
}

describe('添加备份', () => {
  it('offers the six categories in the manual\'s order, in the active language', async () => {
    serve({})
    mounted(BackupFormDialog, { modelValue: true, projectId: 'p1' })
    await settle()
    const labels = () => [...dialog().querySelectorAll('.el-checkbox')].map((c) => c.textContent?.trim())
    expect(dialog().querySelector('.el-dialog__title')?.textContent).toBe('添加备份')
    expect(labels()).toEqual(['全基因组测序相关数据', '全基因组芯片相关数据', '全外显子组测序相关数据',
      '基因组靶向测序相关数据', '表观组测序相关数据', '转录组测序相关数据'])
    expect(dialog().textContent).toContain('按实际情况进行选择')
    expect(dialog().textContent).toContain('2、备份号获得后不可追加内容，如需追加请新建备份。人类遗传资源服务管理系统支持一个备案关联多个备份号。')
    i18n.global.locale.value = 'en'
    await settle()
    expect(labels()[0]).toBe('Whole-genome sequencing data')
  })

  it('asks for a name and at least one category before sending anything', async () => {
    const calls = serve({})
    mounted(BackupFormDialog, { modelValue: true, projectId: 'p1' })
    await settle()
    button(dialog(), '提交').click()
    await settle()
    await vi.waitFor(() => expect(dialog().textContent).toContain('请输入备份名称'))
    await vi.waitFor(() => expect(dialog().textContent).toContain('请至少选择一项涉及内容'))
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([])
  })

  it('creates the backup with the trimmed name and the chosen categories, once for a double click', async () => {
    let release: () => void = () => undefined
    const calls = serve({
      'POST /api/v1/projects/p1/backups': () => new Promise((resolve) => { release = () => resolve(json(201, backup())) }),
    })
    const wrapper = mounted(BackupFormDialog, { modelValue: true, projectId: 'p1' })
    await settle()
    await fillBackupForm('  三例样本（父母子）的测序数据对外提供 ', 3)
    button(dialog(), '提交').click()
    await settle()
    button(dialog(), '提交').click()
    await settle()
    release()
    await settle()
    const posts = calls.filter((c) => c.method === 'POST')
    expect(posts).toHaveLength(1)
    expect(posts[0].body).toEqual({ name: '三例样本（父母子）的测序数据对外提供', categories: ['targeted'] })
    expect(wrapper.findComponent(BackupFormDialog).emitted('saved')?.[0]?.[0]).toMatchObject({ id: 'b1' })
    expect(wrapper.findComponent(BackupFormDialog).emitted('update:modelValue')?.at(-1)).toEqual([false])
  })

  it('shows a per-field refusal of the server next to its field, in the active language', async () => {
    serve({
      'POST /api/v1/projects/p1/backups': () => refusal(400, 'invalid_input', '请求中有字段不符合要求。', 'The request contains invalid fields.', {
        fields: { name: [{ code: 'too_long', message: 'At most 200 characters.', message_zh: '最多 200 个字符。' }] },
      }),
    })
    mounted(BackupFormDialog, { modelValue: true, projectId: 'p1' })
    await settle()
    await fillBackupForm('x', 0)
    button(dialog(), '提交').click()
    await settle()
    await vi.waitFor(() => expect(dialog().querySelector('.el-form-item__error')?.textContent?.trim()).toBe('最多 200 个字符。'))
  })
})

describe('修改备份', () => {
  it('sends only what changed, and names the stranded files of a refused category change', async () => {
    const calls = serve({
      'PATCH /api/v1/backups/b1': () => refusal(409, 'category_change_strands_files',
        '修改后的涉及内容不再包含部分文件的详细类型，请先修改或删除这些文件。',
        'The new content categories do not allow the detailed type of some files; change or delete those files first.',
        { files: [{ id: 'f2', detailed_type: 'analysis_statistics', accession: 'OMIX001226' }] }),
    })
    mounted(BackupFormDialog, { modelValue: true, backup: backup({ categories: ['targeted'] }) })
    await settle()
    expect(dialog().querySelector('.el-dialog__title')?.textContent).toBe('修改备份')
    expect(input('备份名称').value).toBe('三例样本（父母子）的测序数据对外提供')
    const boxes = dialog().querySelectorAll('.el-checkbox input')
    ;(boxes[3] as HTMLInputElement).click() // untick targeted
    await settle()
    ;(boxes[4] as HTMLInputElement).click() // tick epigenome
    await settle()
    button(dialog(), '提交').click()
    await settle()
    await vi.waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ categories: ['epigenome'] }))
    await vi.waitFor(() => expect(dialog().querySelector('[data-test="backup-form-error"]')).not.toBeNull())
    const alert = dialog().querySelector('[data-test="backup-form-error"]')!.textContent!
    expect(alert).toContain('修改后的涉及内容不再包含部分文件的详细类型，请先修改或删除这些文件。')
    expect(alert).toContain('各类统计与分析数据（OMIX001226）')

    i18n.global.locale.value = 'en'
    await settle()
    button(dialog(), 'Submit').click()
    await vi.waitFor(() => expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(2))
    await settle()
    const english = dialog().querySelector('[data-test="backup-form-error"]')!.textContent!
    expect(english).toContain('change or delete those files first')
    expect(english).toContain('Statistics and analysis data (OMIX001226)')
  })

  it('重置 puts back the backup\'s own values', async () => {
    serve({})
    mounted(BackupFormDialog, { modelValue: true, backup: backup() })
    await settle()
    await type(input('备份名称'), '别的名字')
    button(dialog(), '重置').click()
    await settle()
    expect(input('备份名称').value).toBe('三例样本（父母子）的测序数据对外提供')
  })
})

describe('备份列表', () => {
  const numbered = backup({
    id: 'b0', name: '三例样本（父母子）的测序数据开放共享备份', status: 'completed', backup_number: 'BF2023062816036',
    filing_numbers: ['BA202601150001', 'BA202601150002'], file_count: 2, total_mb: 500, created_at: '2023-06-28T02:00:00Z',
  })
  const draft = backup()

  it('shows the project, the tip, and each backup as the manual does', async () => {
    serve({
      'GET /api/v1/projects/p1': () => json(200, PROJECT),
      'GET /api/v1/projects/p1/backups': () => json(200, { items: [draft, numbered], total: 2 }),
    })
    const wrapper = mounted(BackupListView, { projectId: 'p1' })
    await settle()
    const text = wrapper.text()
    expect(wrapper.find('h1').text()).toBe('项目名称：三例样本（父母子）的测序数据开放共享备案')
    expect(text).toContain('项目负责人：刘晓寒，邮箱：data-admin@big.ac.cn')
    expect(text).toContain('提示：同一批次备份数据，取得备份号后，不用重复备份。如有接收方国家变更或增加，请去人遗系统重新备案即可。')
    const headers = wrapper.findAll('th').map((th) => th.text())
    expect(headers).toEqual(['序号', '备份名称', '备份号', '备案号', '文件数', '总数据量', '创建时间', '状态', '操作'])
    const rows = wrapper.findAll('.el-table__body tr').map((tr) => tr.findAll('td').map((td) => td.text()))
    expect(rows[0]).toEqual(['1', '三例样本（父母子）的测序数据对外提供', '', '', '', '', '2023-07-13', '未完成', '添加文件修改'])
    expect(rows[1]).toEqual(['2', '三例样本（父母子）的测序数据开放共享备份', 'BF2023062816036', 'BA202601150001、BA202601150002',
      '2', '500 MB', '2023-06-28', '已完成', '查看文件'])
    expect(text).toContain('共 2 条')
  })

  it('says 暂无数据 when there is none, and offers 重试 when loading fails', async () => {
    let fail = true
    serve({
      'GET /api/v1/projects/p1': () => json(200, PROJECT),
      'GET /api/v1/projects/p1/backups': () => (fail
        ? refusal(503, 'service_unavailable', '请求所需的服务暂不可用。', 'A service this request needs is not available.')
        : json(200, { items: [], total: 0 })),
    })
    const wrapper = mounted(BackupListView, { projectId: 'p1' })
    await settle()
    expect(wrapper.find('[role="alert"]').text()).toContain('加载失败：请求所需的服务暂不可用。')
    fail = false
    await wrapper.findAll('button').find((b) => b.text() === '重试')!.trigger('click')
    await settle()
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.text()).toContain('暂无数据')
    expect(wrapper.text()).toContain('共 0 条')
  })

  it('opens 修改备份 on an unnumbered backup and reloads after saving', async () => {
    const calls = serve({
      'GET /api/v1/projects/p1': () => json(200, PROJECT),
      'GET /api/v1/projects/p1/backups': () => json(200, { items: [draft], total: 1 }),
      'PATCH /api/v1/backups/b1': () => json(200, backup({ name: '新名字' })),
    })
    const wrapper = mounted(BackupListView, { projectId: 'p1' })
    await settle()
    // The table also renders each column's cell once, empty, in a hidden measuring row: use the body's.
    await wrapper.find('.el-table__body').findAll('button').find((b) => b.text() === '修改')!.trigger('click')
    await settle()
    expect(dialog().querySelector('.el-dialog__title')?.textContent).toBe('修改备份')
    await type(input('备份名称'), '新名字')
    button(dialog(), '提交').click()
    await settle()
    await vi.waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ name: '新名字' }))
    await vi.waitFor(() => expect(calls.filter((c) => c.path === '/api/v1/projects/p1/backups')).toHaveLength(2))
  })
})
