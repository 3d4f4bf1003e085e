// 备份列表 and the 添加备份 / 修改备份 dialog: rules, what is sent, and how refusals are shown.
// The HTTP boundary is stubbed per test; the real gateway is the browser tests' business.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent, h } from 'vue'
import { ElConfigProvider } from 'element-plus'
import { elementLocale, i18n } from '../src/i18n'
import BackupFormDialog from '../src/components/BackupFormDialog.vue'
import BackupListView from '../src/views/BackupListView.vue'

const TAXONOMY = {
  categories: [
    { code: 'wgs', label_zh: '全基因组测序相关数据', label_en: 'Whole-genome sequencing data', detailed_types: ['raw_sequencing', 'analysis_statistics'] },
    { code: 'chip', label_zh: '全基因组芯片相关数据', label_en: 'Genome-wide chip data', detailed_types: ['chip_raw'] },
    { code: 'wes', label_zh: '全外显子组测序相关数据', label_en: 'Whole-exome sequencing data', detailed_types: ['raw_sequencing'] },
    { code: 'targeted', label_zh: '基因组靶向测序相关数据', label_en: 'Targeted genome sequencing data', detailed_types: ['raw_sequencing', 'analysis_statistics'] },
    { code: 'epigenome', label_zh: '表观组测序相关数据', label_en: 'Epigenome sequencing data', detailed_types: ['raw_sequencing'] },
    { code: 'transcriptome', label_zh: '转录组测序相关数据', label_en: 'Transcriptome sequencing data', detailed_types: ['raw_sequencing'] },
  ],
  detailed_types: [
    { code: 'raw_sequencing', label_zh: '组学原始测序数据', label_en: 'Omics raw sequencing data', repository: 'GSA-Human' },
    { code: 'chip_raw', label_zh: '基因组芯片原始数据', label_en: 'Chip raw data', repository: 'OMIX' },
    { code: 'analysis_statistics', label_zh: '各类统计与分析数据', label_en: 'Statistics and analysis data', repository: 'OMIX' },
  ],
  repositories: [
    { code: 'GSA-Human', name: 'GSA-Human', accession_pattern: '^HRA\\d{6}$', accession_example: 'HRA000567', url: 'https://ngdc.cncb.ac.cn/gsa-human/' },
    { code: 'OMIX', name: 'OMIX', accession_pattern: '^OMIX\\d{6}(-\\d{2})?$', accession_example: 'OMIX001226', url: 'https://ngdc.cncb.ac.cn/omix/' },
  ],
}

const PROJECT = {
  id: 'p1', name: '三例样本（父母子）的测序数据开放共享备案', pi_name: '刘晓寒', pi_email: 'data-admin@big.ac.cn',
  institution: { code: 'i', name: '国家基因组科学数据中心测试' }, unit: null, owner_id: 'a1', created_at: '2023-06-28T02:00:00Z',
}

function backup(over: Record<string, unknown> = {}) {
  return {
    id: 'b1', project_id: 'p1', project_name: PROJECT.name, name: '三例样本（父母子）的测序数据对外提供', categories: ['targeted'],
    status: 'draft', backup_number: null, filing_numbers: [], file_count: 0, total_mb: 0,
    created_at: '2023-07-13T02:00:00Z', submitted_at: null, files: [], filings: [], ...over,
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
const refusal = (status: number, code: string, en: string, zh: string, details = {}) =>
  json(status, { error: { code, message: en, message_zh: zh, details } })

interface Call { method: string; path: string; body: unknown }
type Handler = (body: unknown) => Response | Promise<Response>

/** The gateway as this test needs it: "METHOD /path" → answer; every request is recorded. */
function serve(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = []
  globalThis.fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const path = new URL(request.url).pathname
    const text = request.method === 'GET' ? '' : await request.clone().text()
    const body = text ? JSON.parse(text) : undefined
    calls.push({ method: request.method, path, body })
    const handler = routes[`${request.method} ${path}`] ?? (path === '/api/v1/taxonomy' ? () => json(200, TAXONOMY) : null)
    return handler ? handler(body) : refusal(404, 'not_found', 'Not found.', '不存在。')
  }) as typeof fetch
  return calls
}

const wrappers: VueWrapper[] = []
function router() {
  return createRouter({ history: createMemoryHistory(), routes: [
    { path: '/', name: 'home', component: { template: '<div/>' } },
    { path: '/projects', name: 'projects', component: { template: '<div/>' } },
    { path: '/backups/:backupId', name: 'backup-files', component: { template: '<div/>' } },
  ] })
}
/** Mounted as App.vue does: inside Element Plus's config provider, in the page's language. */
function mounted<T>(component: T, props: Record<string, unknown>) {
  const Shell = defineComponent({
    inheritAttrs: false,
    setup: (_, { attrs }) => () => h(ElConfigProvider, { locale: elementLocale.value }, () => h(component as never, attrs)),
  })
  const wrapper = mount(Shell, { attrs: props, attachTo: document.body, global: { plugins: [i18n, router()] } })
  wrappers.push(wrapper)
  return wrapper
}

/** Lets requests answer, validators run (async-validator) and the DOM update. */
async function settle() {
  for (let i = 0; i < 4; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The dialog is teleported to <body>. */
const body = () => document.body
const dialog = () => body().querySelector('.el-dialog') as HTMLElement
function input(label: string): HTMLInputElement {
  const found = [...dialog().querySelectorAll('label')].find((l) => l.textContent?.trim() === label)
  const id = found?.getAttribute('for')
  return (id ? document.getElementById(id) : found?.parentElement?.querySelector('input')) as HTMLInputElement
}
function button(root: ParentNode, name: string): HTMLButtonElement {
  return [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) as HTMLButtonElement
}
async function type(element: HTMLInputElement, value: string) {
  element.value = value
  element.dispatchEvent(new Event('input'))
  await settle()
}

beforeEach(() => {
  i18n.global.locale.value = 'zh-CN'
  // async-validator reports each failed rule on the console outside production builds.
  const warn = console.warn
  vi.spyOn(console, 'warn').mockImplementation((...args) => { if (args[0] !== 'async-validator:') warn(...args) })
})
afterEach(() => {
  while (wrappers.length) wrappers.pop()!.unmount()
  document.body.innerHTML = ''
  vi.restoreAllMocks()
})

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
    await type(input('备份名称'), '  三例样本（父母子）的测序数据对外提供 ')
    ;(dialog().querySelectorAll('.el-checkbox input')[3] as HTMLInputElement).click()
    await settle()
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
      'POST /api/v1/projects/p1/backups': () => refusal(400, 'invalid_input', 'The request contains invalid fields.', '请求中有字段不符合要求。', {
        fields: { name: [{ code: 'too_long', message: 'At most 200 characters.', message_zh: '最多 200 个字符。' }] },
      }),
    })
    mounted(BackupFormDialog, { modelValue: true, projectId: 'p1' })
    await settle()
    await type(input('备份名称'), 'x')
    ;(dialog().querySelectorAll('.el-checkbox input')[0] as HTMLInputElement).click()
    await settle()
    button(dialog(), '提交').click()
    await settle()
    await vi.waitFor(() => expect(dialog().querySelector('.el-form-item__error')?.textContent?.trim()).toBe('最多 200 个字符。'))
  })
})

describe('修改备份', () => {
  it('sends only what changed, and names the stranded files of a refused category change', async () => {
    const calls = serve({
      'PATCH /api/v1/backups/b1': () => refusal(409, 'category_change_strands_files',
        'The new content categories do not allow the detailed type of some files; change or delete those files first.',
        '修改后的涉及内容不再包含部分文件的详细类型，请先修改或删除这些文件。',
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
        ? refusal(503, 'service_unavailable', 'A service this request needs is not available.', '请求所需的服务暂不可用。')
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
