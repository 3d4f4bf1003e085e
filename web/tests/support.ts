// What the spec files share: the HTTP boundary stubbed (answers, refusals, a fake gateway), the
// taxonomy and backup fixtures, mounting as App.vue does, waiting for the page to settle, the DOM
// helpers for teleported dialogs, and the per-test set-up and clean-up.
import { vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createMemoryHistory, createRouter, type RouteRecordRaw, type Router } from 'vue-router'
import { defineComponent, h } from 'vue'
import { ElConfigProvider } from 'element-plus'
import { elementLocale, i18n } from '../src/i18n'

// ---------------------------------------------------------------------------------------------
// Answers

/** A JSON answer as the gateway sends it (a 204 has no body, as on the wire). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status, headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/** The gateway's error envelope: both languages, so a test can switch the page's and see the other. */
export const refusal = (status: number, code: string, zh: string, en: string, details = {}, headers = {}) =>
  json(status, { error: { code, message: en, message_zh: zh, details } }, headers)

// ---------------------------------------------------------------------------------------------
// A queue of answers: for pages that ask a known sequence of questions

/** Every request since the last `answer(...)`, to look at what the page sent (emptied, not replaced). */
export const requests: Request[] = []

/** Fakes fetch with answers given in order, after `latency` ms each; a request with none left fails
 * as a network error would. A latency lets a second click land while the first is still under way. */
export function answerAfter(latency: number) {
  return (...responses: Response[]) => {
    requests.splice(0)
    const queue = [...responses]
    globalThis.fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(input instanceof Request ? input : new Request(input, init))
      if (latency) await new Promise((resolve) => setTimeout(resolve, latency))
      const next = queue.shift()
      if (!next) throw new TypeError('no answer queued')
      return next
    }) as typeof fetch
  }
}

/** The gateway's answers, in order, at once. */
export const answer = answerAfter(0)

// ---------------------------------------------------------------------------------------------
// A fake gateway by route: for screens whose requests depend on what the user does

export interface Call { method: string; path: string; body: unknown; query: Record<string, string> }
/** Answers a request: its JSON body, and its query string's values (the list screens send filters there). */
export type Handler = (body: unknown, query: Record<string, string>) => Response | Promise<Response>

/** The gateway as a test needs it: "METHOD /path" → answer; every request is recorded with its JSON
 * body. The taxonomy is always there (the forms need it); anything else unrouted is a 404. */
export function serve(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = []
  globalThis.fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const path = url.pathname
    const query = Object.fromEntries(url.searchParams.entries())
    const text = request.method === 'GET' ? '' : await request.clone().text()
    const body = text ? JSON.parse(text) : undefined
    calls.push({ method: request.method, path, body, query })
    const handler = routes[`${request.method} ${path}`] ?? (path === '/api/v1/taxonomy' ? () => json(200, TAXONOMY) : null)
    return handler ? handler(body, query) : refusal(404, 'not_found', '不存在。', 'Not found.')
  }) as typeof fetch
  return calls
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** The manual's six categories, three detailed types and their two repositories. */
export const TAXONOMY = {
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

/** The project the backup screens' backups belong to. */
export const PROJECT = {
  id: 'p1', name: '三例样本（父母子）的测序数据开放共享备案', pi_name: '刘晓寒', pi_email: 'data-admin@big.ac.cn',
  institution: { code: 'i', name: '国家基因组科学数据中心测试' }, unit: null, owner_id: 'a1', created_at: '2023-06-28T02:00:00Z',
}

/** A draft backup b1 of PROJECT with no files; `over` sets whatever a test needs otherwise. */
export function backup(over: Record<string, unknown> = {}) {
  return {
    id: 'b1', project_id: 'p1', project_name: PROJECT.name, name: '三例样本（父母子）的测序数据对外提供', categories: ['targeted'],
    status: 'draft', backup_number: null, filing_numbers: [], file_count: 0, total_mb: 0,
    created_at: '2023-07-13T02:00:00Z', submitted_at: null, files: [], filings: [], ...over,
  }
}

// ---------------------------------------------------------------------------------------------
// Mounting

/** A route's component that is never rendered (the tests mount the page themselves). */
export const blank = { render: () => null }

/** A router in memory, so that links resolve and navigation can be checked without a browser address. */
export function memoryRouter(routes: RouteRecordRaw[]): Router {
  return createRouter({ history: createMemoryHistory(), routes })
}

/** The routes the backup and file screens link to. */
const backupRoutes = (): RouteRecordRaw[] => [
  { path: '/', name: 'home', component: blank },
  { path: '/projects', name: 'projects', component: blank },
  { path: '/backups/:backupId', name: 'backup-files', component: blank },
]

const mountedWrappers = new Set<VueWrapper>()

/** Mounts `component` with `props` and i18n, attached to <body> (Element Plus teleports there), and
 * by default as App.vue does: inside Element Plus's config provider, so Element's own words (共 N 条,
 * 前往) follow the page's language. `bare` mounts the component alone, as pages that need no Element
 * words were tested. `unmountAll()` unmounts whatever is still mounted. */
export function mounted<T>(component: T, props: Record<string, unknown> = {},
  { router = memoryRouter(backupRoutes()), bare = false }: { router?: Router; bare?: boolean } = {}): VueWrapper {
  const global = { plugins: [i18n, router] }
  let wrapper: VueWrapper
  if (bare) {
    wrapper = mount(component as never, { props: props as never, attachTo: document.body, global }) as VueWrapper
  } else {
    const Shell = defineComponent({
      inheritAttrs: false,
      setup: (_, { attrs }) => () => h(ElConfigProvider, { locale: elementLocale.value }, () => h(component as never, attrs)),
    })
    wrapper = mount(Shell, { attrs: props, attachTo: document.body, global })
  }
  const unmount = wrapper.unmount.bind(wrapper)
  wrapper.unmount = () => {
    mountedWrappers.delete(wrapper)
    unmount()
  }
  mountedWrappers.add(wrapper)
  return wrapper
}

/** Returns a wait that lets requests answer, validators run (async-validator) and the DOM update:
 * `rounds` times, flush the promises then wait `pause` ms. Slower fake servers need more. */
export function settler(rounds: number, pause: number) {
  return async () => {
    for (let i = 0; i < rounds; i += 1) {
      await flushPromises()
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }
}

/** Enough for answers that come at once (or after 10 ms). */
export const settle = settler(4, 10)

// ---------------------------------------------------------------------------------------------
// The DOM, where Element Plus puts dialogs and message boxes: teleported to <body>

/** The open Element Plus dialog. */
export const dialog = () => document.body.querySelector('.el-dialog') as HTMLElement

/** The open Element Plus message box, if any. */
export const messageBox = () => document.body.querySelector('.el-message-box') as HTMLElement | null

/** The input of the form item labelled `label` in `root` (by default the dialog). */
export function input(label: string, root: ParentNode = dialog()): HTMLInputElement {
  const found = [...root.querySelectorAll('label')].find((l) => l.textContent?.trim() === label)
  const id = found?.getAttribute('for')
  return (id ? document.getElementById(id) : found?.parentElement?.querySelector('input')) as HTMLInputElement
}

/** The button of `root` whose text is `name`. */
export function button(root: ParentNode, name: string): HTMLButtonElement {
  return [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) as HTMLButtonElement
}

/** Types `value` into an input as a user does (Vue listens to the input event), without waiting. */
export function typed(element: HTMLInputElement, value: string) {
  element.value = value
  element.dispatchEvent(new Event('input'))
}

/** Types `value`, then lets the field's validation run and the DOM update. */
export async function type(element: HTMLInputElement, value: string) {
  typed(element, value)
  await settle()
}

/** The message Element Plus shows under the form item whose label is `label` ('' when none). */
export function fieldError(wrapper: VueWrapper, label: string): string {
  const item = wrapper.findAll('.el-form-item').find((i) => i.find('.el-form-item__label').exists()
    && i.find('.el-form-item__label').text() === label)
  if (!item) throw new Error(`no field ${label}`)
  return item.find('.el-form-item__error').exists() ? item.find('.el-form-item__error').text() : ''
}

// ---------------------------------------------------------------------------------------------
// Set-up and clean-up

/** async-validator reports each failed rule on the console outside production builds: let only the
 * other warnings through, so that a real one is not lost among them. Undone by `cleanUp()`. */
export function quietValidator() {
  const warn = console.warn
  vi.spyOn(console, 'warn').mockImplementation((...args) => { if (args[0] !== 'async-validator:') warn(...args) })
}

/** After each test: unmount what is still mounted, empty <body> (teleported dialogs stay there
 * otherwise) and put back what was mocked (fetch, console). */
export function cleanUp() {
  for (const wrapper of [...mountedWrappers].reverse()) wrapper.unmount()
  document.body.innerHTML = ''
  vi.restoreAllMocks()
}
