// The left navigation (the manual's menu).
export default {
  zh: { label: '主导航', guide: '操作指南', projects: '项目列表', newProject: '新建项目', claims: '备份认领' },
  en: { label: 'Main navigation', guide: 'Operation guide', projects: 'Projects', newProject: 'New project', claims: 'Claim backups' },
}
