/**
 * One route per screen of the manual; each view is loaded when first visited (code split by route),
 * so the login page carries none of the others.
 */
import { createRouter, createWebHistory, type RouteMeta, type Router } from 'vue-router'
import { installSessionExpiry, loadSession, session } from './session'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    /** Roles that may open the page; absent means every logged-in account. */
    roles?: string[]
    /** i18n key of the page title. */
    title?: string
  }
}

const RESEARCHER = ['natural_person']
const INSTITUTION = ['legal_person', 'unit_admin']
const OPERATOR = ['operator']

export const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  {
    path: '/',
    component: () => import('./layouts/AppLayout.vue'),
    children: [
      { path: '', redirect: { name: 'guide' } },
      { path: 'guide', name: 'guide', component: () => import('./views/OperationGuideView.vue'), meta: { title: 'nav.guide' } },
      { path: 'projects', name: 'projects', component: () => import('./views/ProjectListView.vue'), meta: { roles: RESEARCHER, title: 'nav.projects' } },
      { path: 'projects/new', name: 'project-new', component: () => import('./views/NewProjectView.vue'), meta: { roles: RESEARCHER, title: 'nav.newProject' } },
      { path: 'projects/:projectId', name: 'project-backups', component: () => import('./views/BackupListView.vue'), props: true, meta: { roles: RESEARCHER, title: 'backupList.title' } },
      { path: 'backups/:backupId', name: 'backup-files', component: () => import('./views/FileListView.vue'), props: true, meta: { roles: RESEARCHER, title: 'fileList.title' } },
      { path: 'claims', name: 'claims', component: () => import('./views/BackupClaimView.vue'), meta: { roles: RESEARCHER, title: 'nav.claims' } },
      { path: 'institution/members', name: 'members', component: () => import('./views/MemberListView.vue'), meta: { roles: INSTITUTION, title: 'nav.members' } },
      { path: 'institution/backups', name: 'institution-backups', component: () => import('./views/InstitutionBackupListView.vue'), meta: { roles: INSTITUTION, title: 'nav.institutionBackups' } },
      { path: 'institution/backups/:backupId', name: 'institution-backup', component: () => import('./views/InstitutionBackupDetailView.vue'), props: true, meta: { roles: INSTITUTION, title: 'institutionBackup.title' } },
      { path: 'institution/delegation', name: 'delegation', component: () => import('./views/DelegationView.vue'), meta: { roles: INSTITUTION, title: 'nav.delegation' } },
      { path: 'institution/claims', name: 'institution-claims', component: () => import('./views/InstitutionClaimView.vue'), meta: { roles: INSTITUTION, title: 'nav.claims' } },
      { path: 'console', name: 'console', component: () => import('./views/OperatorConsoleView.vue'), meta: { roles: OPERATOR, title: 'nav.console' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('./views/ForbiddenView.vue'), meta: { title: 'common.noPermission' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'common.notFound' } },
    ],
  },
]

/** Where a navigation may go: the login page for strangers, a refusal for a role not allowed. */
export async function guard(to: { meta: RouteMeta; name?: string | symbol | null; fullPath: string }) {
  const account = await loadSession()
  if (to.meta.public) return account && to.name === 'login' ? { name: 'guide' } : true
  if (!account) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  if (to.meta.roles && !to.meta.roles.includes(account.role)) return { name: 'forbidden', query: { from: to.fullPath } }
  return true
}

export function makeRouter(): Router {
  const router = createRouter({ history: createWebHistory(), routes })
  router.beforeEach(guard)
  installSessionExpiry(() => {
    const here = router.currentRoute.value
    if (!here.meta.public) router.push({ name: 'login', query: { redirect: here.fullPath, expired: '1' } })
  })
  return router
}

export { session }
