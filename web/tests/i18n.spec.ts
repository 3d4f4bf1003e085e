// Every visible string goes through vue-i18n: each namespace has the same keys in both languages,
// none is empty, and every key the sources name exists in both.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { i18n, initialLocale, namespaces, type Locale } from '../src/i18n'

function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>()
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      for (const [k, v] of leaves(child, prefix ? `${prefix}.${key}` : key)) out.set(k, v)
    }
  } else {
    out.set(prefix, value)
  }
  return out
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

describe('messages', () => {
  const all = namespaces()

  it('has namespaces', () => {
    expect(Object.keys(all)).toEqual(expect.arrayContaining(['common', 'login', 'nav']))
  })

  for (const [name, messages] of Object.entries(all)) {
    it(`namespace ${name} has the same keys in Chinese and English, none empty`, () => {
      const zh = leaves(messages.zh)
      const en = leaves(messages.en)
      expect([...zh.keys()].sort()).toEqual([...en.keys()].sort())
      for (const [key, text] of [...zh, ...en]) {
        expect(typeof text, `${name}.${key}`).toBe('string')
        expect((text as string).trim(), `${name}.${key}`).not.toBe('')
      }
    })
  }

  it('compiles every message in both languages (an @ or | must be escaped, e.g. {\'@\'})', () => {
    const broken: string[] = []
    for (const [name, messages] of Object.entries(all)) {
      for (const locale of ['zh-CN', 'en'] as Locale[]) {
        for (const key of leaves(locale === 'en' ? messages.en : messages.zh).keys()) {
          try {
            const text = i18n.global.t(`${name}.${key}`, {}, { locale })
            if (/\{'/.test(text) || text === `${name}.${key}`) broken.push(`${locale}: ${name}.${key} → ${text}`)
          } catch (error) {
            broken.push(`${locale}: ${name}.${key}: ${(error as Error).message.split('\n')[0]}`)
          }
        }
      }
    }
    expect(broken).toEqual([])
  })

  it('knows every key the sources use, in both languages', () => {
    const root = join(__dirname, '..', 'src')
    const used = new Set<string>()
    // t('ns.key'), $t("ns.key"), and the route titles (title: 'ns.key') / nav labels (label: 'ns.key').
    const pattern = /(?:\$?t\(|title:\s*|label:\s*)['"]([a-zA-Z]+\.[a-zA-Z0-9_.]+)['"]/g
    for (const file of sources(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
        // A key built at run time ('common.roles.' + role) is checked by its namespace's parity only.
        if (!match[1].endsWith('.')) used.add(match[1])
      }
    }
    expect(used.size).toBeGreaterThan(10)
    const missing: string[] = []
    for (const locale of ['zh-CN', 'en'] as Locale[]) {
      for (const key of used) {
        if (!i18n.global.te(key, locale)) missing.push(`${locale}: ${key}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('Chinese strings are Chinese and English strings carry no Chinese', () => {
    const han = /[\u4e00-\u9fff]/
    // The language switch names the other language in that language.
    const exceptions = new Set(['common.languageName'])
    const offenders: string[] = []
    for (const [name, messages] of Object.entries(all)) {
      for (const [key, text] of leaves(messages.en)) {
        if (exceptions.has(`${name}.${key}`)) continue
        // The English pages may quote a Chinese proper name or the manual's exact refusal in brackets.
        if (han.test(String(text)) && !/[（(][^）)]*[\u4e00-\u9fff]/.test(String(text)) && !/["“][^"”]*[\u4e00-\u9fff]/.test(String(text))) {
          offenders.push(`${name}.${key}`)
        }
      }
    }
    expect(offenders).toEqual([])
  })
})

describe('initialLocale', () => {
  it('is Chinese by default', () => {
    expect(initialLocale(null, [])).toBe('zh-CN')
    expect(initialLocale(null, ['fr-FR'])).toBe('zh-CN')
  })
  it('is English when the browser prefers it', () => {
    expect(initialLocale(null, ['en-US', 'zh-CN'])).toBe('en')
    expect(initialLocale(null, ['zh-TW', 'en'])).toBe('zh-CN')
  })
  it('remembers the choice over the browser', () => {
    expect(initialLocale('en', ['zh-CN'])).toBe('en')
    expect(initialLocale('zh-CN', ['en-GB'])).toBe('zh-CN')
    expect(initialLocale('de', ['en-GB'])).toBe('en')
  })
})
