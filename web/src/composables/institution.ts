/**
 * What the institution's screens (法人/单位管理员) share: the list state kept in the address (so a
 * view can be bookmarked, shared, and the back button works), queries without blank values, the
 * institution's units (from its members: the API has no unit list of its own) and the members a
 * backup may be given to (natural persons in the caller's scope who are employed).
 */
import { computed, ref } from 'vue'
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import { api, unwrap } from '../api/client'
import type { components } from '../api/schema'
import { session } from '../session'

export type Member = components['schemas']['Member']
export type CodeName = components['schemas']['CodeName']

export const PAGE_SIZES = [10, 20, 50, 100]
export const DEFAULT_PAGE_SIZE = 20
/** The API's page size limit: units and candidates are read in pages of this size. */
const MAX_PAGE_SIZE = 100
/** At most this many pages of members are read for a unit list (10 000 members). */
const MAX_PAGES = 100

/** One value of the address's query as text ('' when absent or repeated oddly). */
export function queryText(query: LocationQuery, key: string): string {
  const value = query[key]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first : ''
}

/** A positive whole number from the address, else the fallback (a typed "abc" or "0" is ignored). */
export function queryNumber(query: LocationQuery, key: string, fallback: number, allowed?: number[]): number {
  const text = queryText(query, key)
  if (!/^\d{1,6}$/.test(text)) return fallback
  const value = Number(text)
  if (value < 1) return fallback
  if (allowed && !allowed.includes(value)) return fallback
  return value
}

/** The values worth sending: trimmed, and none that is blank (a blank filter means no filter). */
export function withoutBlanks<T extends Record<string, unknown>>(values: T): Partial<T> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue
    if (typeof value === 'string') {
      const trimmed = value.trim()
      if (trimmed) out[key] = trimmed
    } else {
      out[key] = value
    }
  }
  return out as Partial<T>
}

/** The address's query for a list: blanks and defaults dropped, so the address stays short. */
export function listQuery(values: Record<string, string | number | null | undefined>,
  defaults: Record<string, string | number> = {}): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  for (const [key, value] of Object.entries(withoutBlanks(values))) {
    if (defaults[key] !== undefined && String(defaults[key]) === String(value)) continue
    out[key] = String(value)
  }
  return out
}

/** A list's page and page size from the address (defaults when absent or not allowed). */
export function queryPage(query: LocationQuery): { page: number; pageSize: number } {
  return { page: queryNumber(query, 'page', 1), pageSize: queryNumber(query, 'page_size', DEFAULT_PAGE_SIZE, PAGE_SIZES) }
}

/** The paging values the address leaves out (see `listQuery`). */
export const PAGE_DEFAULTS = { page: 1, page_size: DEFAULT_PAGE_SIZE }

/** The number shown in a paged list's 序号 column for the `index`-th row of the page. */
export function rowNumber(paging: { page: number; pageSize: number }, index: number): number {
  return (paging.page - 1) * paging.pageSize + index + 1
}

/** The manual's 单位: the institution, and the unit within it when there is one. */
export function placeName(institution: CodeName | Record<string, never> | null | undefined,
  unit: CodeName | Record<string, never> | null | undefined): string {
  return [(institution as CodeName | null | undefined)?.name, (unit as CodeName | null | undefined)?.name].filter(Boolean).join(' / ')
}

export const isInstitutionAdmin = computed(() => ['legal_person', 'unit_admin'].includes(session.account?.role ?? ''))
/** A unit administrator sees one unit, fixed; a legal person chooses among the institution's. */
export const fixedUnit = computed<CodeName | null>(() => (session.account?.role === 'unit_admin'
  ? (session.account.unit as CodeName | null | undefined) ?? null : null))

/** Every member in the caller's scope matching `query`, page after page (at most MAX_PAGES). */
export async function allMembers(query: { name?: string; role?: Member['role'] | 'natural_person' } = {}): Promise<Member[]> {
  const out: Member[] = []
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const answer = await unwrap(api.GET('/api/v1/institution/members', {
      params: { query: { ...withoutBlanks(query), page, page_size: MAX_PAGE_SIZE } as never },
    }))
    out.push(...answer.items)
    if (out.length >= answer.total || !answer.items.length) break
  }
  return out
}

/** The distinct units of the given members, in the API's order (by unit code). */
export function unitsOf(members: readonly Member[]): CodeName[] {
  const seen = new Map<string, CodeName>()
  for (const member of members) {
    const unit = member.unit as CodeName | null
    if (unit?.code && !seen.has(unit.code)) seen.set(unit.code, { code: unit.code, name: unit.name })
  }
  return [...seen.values()]
}

/** Who may receive backups: a natural person of the caller's scope (the API bounds it), employed,
 * of the same institution as `from` when given, and not `from` itself. The server stays the judge. */
export function allowedDelegates(members: readonly Member[], from?: { username: string; institution?: CodeName | null } | null): Member[] {
  return members.filter((m) => m.role === 'natural_person' && m.employed
    && (!from || (m.username !== from.username && (!from.institution || m.institution.code === from.institution.code))))
}

/** The units the unit filter offers: the unit administrator's own, or the institution's. */
export function useUnits() {
  const units = ref<CodeName[]>([])
  const failure = ref<unknown>(null)
  async function load() {
    failure.value = null
    if (fixedUnit.value) {
      units.value = [fixedUnit.value]
      return
    }
    try {
      units.value = unitsOf(await allMembers())
    } catch (error) {
      failure.value = error
    }
  }
  return { units, failure, load, fixed: fixedUnit }
}
