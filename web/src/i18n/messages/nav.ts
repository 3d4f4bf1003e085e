// The left navigation (the manual's menu): the researcher's, the institution's (法人/单位管理员) and
// the operator's.
export default {
  zh: {
    label: '主导航', guide: '操作指南', projects: '项目列表', newProject: '新建项目', claims: '备份认领',
    members: '成员列表', institutionBackups: '备份列表', delegation: '委托调整', console: '运营控制台',
  },
  en: {
    label: 'Main navigation', guide: 'Operation guide', projects: 'Projects', newProject: 'New project', claims: 'Claim backups',
    members: 'Members', institutionBackups: 'Backups', delegation: 'Delegation', console: 'Operator console',
  },
}
