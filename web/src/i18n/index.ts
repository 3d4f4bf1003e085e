/**
 * Two languages: Chinese by default, English when the browser prefers it, and whatever the person
 * chose last (remembered in localStorage). Messages live in one module per screen or concern under
 * ./messages, each giving the same keys in both languages (tests/i18n.spec.ts checks that).
 */
import { createI18n } from 'vue-i18n'
import { computed } from 'vue'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import en from 'element-plus/es/locale/lang/en'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
const STORAGE_KEY = 'hgrip.locale'

export type MessageTree = { [key: string]: string | MessageTree }
export interface Bilingual { zh: MessageTree; en: MessageTree }

// Every ./messages/<namespace>.ts default-exports {zh, en}; keys are used as `<namespace>.<key>`.
const modules = import.meta.glob<{ default: Bilingual }>('./messages/*.ts', { eager: true })

export function namespaces(): Record<string, Bilingual> {
  const out: Record<string, Bilingual> = {}
  for (const [path, module] of Object.entries(modules)) {
    out[path.replace(/^.*\/(.+)\.ts$/, '$1')] = module.default
  }
  return out
}

function messages(): Record<Locale, MessageTree> {
  const zh: MessageTree = {}
  const english: MessageTree = {}
  for (const [name, module] of Object.entries(namespaces())) {
    zh[name] = module.zh
    english[name] = module.en
  }
  return { 'zh-CN': zh, en: english }
}

/** The language to start in: the remembered choice, else the browser's preference, else Chinese. */
export function initialLocale(stored: string | null, preferred: readonly string[]): Locale {
  if (stored && (LOCALES as string[]).includes(stored)) return stored as Locale
  for (const language of preferred) {
    const lower = language.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en'
  }
  return 'zh-CN'
}

function storedLocale(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null
  } catch {
    return null
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(storedLocale(), globalThis.navigator?.languages ?? []),
  fallbackLocale: 'zh-CN',
  messages: messages(),
  missingWarn: false,
  fallbackWarn: false,
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale)
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

/** Element Plus's own texts (paging 共 N 条, 前往 N 页, dialogs) follow the page's language. */
export const elementLocale = computed(() => (i18n.global.locale.value === 'en' ? en : zhCn))

/** The active language, for picking message / message_zh and label_zh / label_en. */
export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}
