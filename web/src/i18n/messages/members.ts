// 成员列表 (the manual's 人员信息浏览).
export default {
  zh: {
    title: '人员信息浏览',
    intro: '法人（单位）可查看名下所有单位的人员信息。单位管理员可查看到所在单位的人员信息。',
    name: '姓名',
    role: '角色',
    unit: '单位',
    search: '查询',
  },
  en: {
    title: 'Members',
    intro: 'A legal person sees the members of every unit of the institution; a unit administrator sees those of their unit.',
    name: 'Name',
    role: 'Role',
    unit: 'Unit',
    search: 'Search',
  },
}
