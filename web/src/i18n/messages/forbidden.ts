// A page the account's role may not use, reached by typing its address.
export default {
  zh: { hint: '该页面不属于您的角色可使用的功能（自然人、法人/单位管理员、平台运维各有其功能）。请从左侧导航进入。' },
  en: { hint: 'This page is not one your role may use (natural persons, legal persons / unit administrators and platform operators each have their own). Use the navigation on the left.' },
}
