/** The left navigation: the manual's menu for each role. */

export interface NavItem { name: string; label: string; path: string }

/** The manual's left navigation for each role: a page a role may not use is not offered. */
export function menuFor(role: string | undefined): NavItem[] {
  const all: NavItem[] = [{ name: 'guide', label: 'nav.guide', path: '/guide' }]
  if (role === 'natural_person') {
    all.push({ name: 'projects', label: 'nav.projects', path: '/projects' },
      { name: 'project-new', label: 'nav.newProject', path: '/projects/new' },
      { name: 'claims', label: 'nav.claims', path: '/claims' })
  } else if (role === 'legal_person' || role === 'unit_admin') {
    all.push({ name: 'members', label: 'nav.members', path: '/institution/members' },
      { name: 'institution-backups', label: 'nav.institutionBackups', path: '/institution/backups' },
      { name: 'delegation', label: 'nav.delegation', path: '/institution/delegation' },
      { name: 'institution-claims', label: 'nav.claims', path: '/institution/claims' })
  } else if (role === 'operator') {
    all.push({ name: 'console', label: 'nav.console', path: '/console' })
  }
  return all
}
