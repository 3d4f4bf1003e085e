// 项目列表: the manual's columns, Beijing dates, paging with the total (kept in the address), and the
// loading, empty and error states.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { setLocale } from '../src/i18n'
import ProjectListView from '../src/views/ProjectListView.vue'
import { answerAfter, blank, cleanUp, json, memoryRouter, mounted, requests, settler } from './support'

function project(n: number) {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: `项目 ${n}`, pi_name: `负责人 ${n}`,
    pi_email: `pi${n}@big.ac.cn`, institution: { code: 'INST-1', name: '国家基因组科学数据中心测试' }, unit: null,
    owner_id: 'a1', created_at: '2023-06-27T17:30:00Z',
  }
}

const answer = answerAfter(10)
const settle = settler(5, 20)

let router: Router
let wrapper: VueWrapper

async function open(path = '/projects') {
  router = memoryRouter([
    { path: '/projects', name: 'projects', component: ProjectListView },
    { path: '/projects/new', name: 'project-new', component: blank },
    { path: '/projects/:projectId', name: 'project-backups', component: blank },
  ])
  await router.push(path)
  // As in App.vue: Element Plus's own words (共 N 条, 前往) follow the page's language.
  wrapper = mounted(ProjectListView, {}, { router })
  await settle()
}

const rows = () => wrapper.findAll('.el-table__body tbody tr').map((row) => row.findAll('td').map((cell) => cell.text()))

beforeEach(() => setLocale('zh-CN'))
afterEach(cleanUp)

describe('项目列表', () => {
  it('shows the manual\'s columns, the Beijing date and 查看 to the project', async () => {
    answer(json(200, { items: [project(1)], total: 1 }))
    await open()
    expect(new URL(requests[0].url).pathname).toBe('/api/v1/projects')
    const headers = wrapper.findAll('.el-table__header th').map((th) => th.text())
    expect(headers).toEqual(['序号', '项目名称', '负责人姓名', '创建时间', '操作'])
    expect(rows()).toEqual([['1', '项目 1', '负责人 1', '2023-06-28', '查看']])
    expect(wrapper.get('.el-table__body a').attributes('href')).toBe(`/projects/${project(1).id}`)
    expect(wrapper.get('.el-pagination').text()).toContain('共 1 条')
    expect(wrapper.get('.el-pagination').text()).toContain('前往')
  })

  it('pages ten at a time, numbering on across pages, and keeps the page in the address', async () => {
    const all = Array.from({ length: 12 }, (_, i) => project(i + 1))
    answer(json(200, { items: all, total: 12 }))
    await open()
    expect(rows()).toHaveLength(10)
    expect(wrapper.get('.el-pagination').text()).toContain('共 12 条')
    await wrapper.get('.el-pager li:nth-child(2)').trigger('click')
    await settle()
    expect(rows().map((row) => row[0])).toEqual(['11', '12'])
    expect(rows()[0][1]).toBe('项目 11')
    expect(router.currentRoute.value.query.page).toBe('2')
  })

  it('opens on the page the address names, or the last one there is', async () => {
    const all = Array.from({ length: 12 }, (_, i) => project(i + 1))
    answer(json(200, { items: all, total: 12 }))
    await open('/projects?page=2')
    expect(rows().map((row) => row[0])).toEqual(['11', '12'])
    wrapper.unmount()
    answer(json(200, { items: all, total: 12 }))
    await open('/projects?page=9')
    expect(rows().map((row) => row[0])).toEqual(['11', '12'])
    expect(router.currentRoute.value.query.page).toBe('2')
  })

  it('with no project says 暂无数据 and offers 新建项目', async () => {
    answer(json(200, { items: [], total: 0 }))
    await open()
    const empty = wrapper.get('[data-test="empty"]')
    expect(empty.text()).toContain('暂无数据')
    expect(empty.get('a').attributes('href')).toBe('/projects/new')
    expect(empty.get('a').text()).toBe('新建项目')
    expect(wrapper.get('.el-pagination').text()).toContain('共 0 条')
  })

  it('says why it could not load, in the page\'s language, and 重试 loads again', async () => {
    answer(json(503, { error: { code: 'service_unavailable', message: 'The projects service is not available.', message_zh: '项目服务暂不可用。', details: {} } }),
      json(200, { items: [project(1)], total: 1 }))
    await open()
    const alert = wrapper.get('.el-alert')
    expect(alert.text()).toContain('加载失败：项目服务暂不可用。')
    setLocale('en')
    await settle()
    expect(wrapper.get('.el-alert').text()).toContain('Could not load: The projects service is not available.')
    await wrapper.get('.el-alert button').trigger('click')
    await settle()
    expect(wrapper.find('.el-alert').exists()).toBe(false)
    expect(rows()).toEqual([['1', '项目 1', '负责人 1', '2023-06-28', 'View']])
  })
})
