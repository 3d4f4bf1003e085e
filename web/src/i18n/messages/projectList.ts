// 项目列表 (the manual's project list: 序号, 项目名称, 负责人姓名, 创建时间, 操作).
export default {
  zh: {
    title: '项目列表',
    caption: '项目列表',
    name: '项目名称',
    piName: '负责人姓名',
    emptyHint: '您还没有项目，',
    create: '新建项目',
  },
  en: {
    title: 'Projects',
    caption: 'Projects',
    name: 'Project name',
    piName: 'Principal investigator',
    emptyHint: 'You have no projects yet. ',
    create: 'New project',
  },
}
