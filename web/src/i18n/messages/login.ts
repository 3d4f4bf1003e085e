// 登录 (the manual's 注册登录 section).
export default {
  zh: {
    title: '登录',
    username: '用户名',
    password: '密码',
    submit: '登录',
    usernameRequired: '请输入用户名',
    passwordRequired: '请输入密码',
    registerHint: '如果您尚未在人遗系统注册，请先进行注册并获取法人（单位）授权后再登录本系统；如已注册，您可以直接登录。',
    registerLink: '前往人遗系统注册',
    sameAccount: '本平台与人类遗传资源服务管理系统（人遗系统）账号一体化，使用同一个账号登录。',
    loggedOut: '您已退出登录。',
  },
  en: {
    title: 'Log in',
    username: 'Username',
    password: 'Password',
    submit: 'Log in',
    usernameRequired: 'Enter your username',
    passwordRequired: 'Enter your password',
    registerHint: 'If you have no account in the HGR service management system (HGRG) yet, register there and obtain your institution\'s authorisation first; if you have one, log in directly.',
    registerLink: 'Register at HGRG',
    sameAccount: 'This platform and the HGR service management system (HGRG) share one account.',
    loggedOut: 'You have logged out.',
  },
}
