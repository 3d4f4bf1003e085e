// A page the account's role may not use, reached by typing its address.
export default {
  zh: { hint: '该页面仅供已获得单位授权的自然人使用。法人与单位管理员的功能请从左侧导航进入。' },
  en: { hint: 'This page is for natural persons authorised by an institution. Legal persons and unit administrators find their functions in the navigation on the left.' },
}
