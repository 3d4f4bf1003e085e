import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n'
import { makeRouter } from './router'
import './styles.css'
// Functions used from scripts (ElMessage, ElMessageBox) are not seen by the component resolver.
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'

document.documentElement.lang = i18n.global.locale.value as string
createApp(App).use(i18n).use(makeRouter()).mount('#app')
