/**
 * The taxonomy (categories → detailed types → repository, with accession patterns) from
 * GET /api/v1/taxonomy, fetched once per page load and labelled in the page's language.
 */
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api, unwrap } from '../api/client'
import type { components } from '../api/schema'

export type Taxonomy = components['schemas']['Taxonomy']
export type Repository = components['schemas']['TaxonomyRepository']

const loaded = ref<Taxonomy | null>(null)
let pending: Promise<Taxonomy> | null = null

export function loadTaxonomy(): Promise<Taxonomy> {
  if (loaded.value) return Promise.resolve(loaded.value)
  pending ??= unwrap(api.GET('/api/v1/taxonomy')).then((taxonomy) => {
    loaded.value = taxonomy
    return taxonomy
  }).finally(() => { pending = null })
  return pending
}

export function useTaxonomy() {
  const { locale } = useI18n()
  const zh = computed(() => locale.value !== 'en')
  const taxonomy = computed(() => loaded.value)

  const categoryLabel = (code: string) => {
    const found = loaded.value?.categories.find((c) => c.code === code)
    return found ? (zh.value ? found.label_zh : found.label_en) : code
  }
  const typeLabel = (code: string) => {
    const found = loaded.value?.detailed_types.find((d) => d.code === code)
    return found ? (zh.value ? found.label_zh : found.label_en) : code
  }
  /** The detailed types the given categories allow, in the taxonomy's order. */
  const typesFor = (categories: readonly string[]) => {
    const allowed = new Set(loaded.value?.categories.filter((c) => categories.includes(c.code)).flatMap((c) => c.detailed_types))
    return (loaded.value?.detailed_types ?? []).filter((d) => allowed.has(d.code))
  }
  const repositoryOf = (typeCode: string): Repository | undefined => {
    const type = loaded.value?.detailed_types.find((d) => d.code === typeCode)
    return loaded.value?.repositories.find((r) => r.code === type?.repository || r.name === type?.repository)
  }
  /** For a dialog: load once, keeping a failure to show (with 重试) instead of throwing it. */
  const loadError = ref<unknown>(null)
  const loadShowingFailure = async () => {
    loadError.value = null
    try {
      await loadTaxonomy()
    } catch (error) {
      loadError.value = error
    }
  }
  return { taxonomy, load: loadTaxonomy, loadError, loadShowingFailure, categoryLabel, typeLabel, typesFor, repositoryOf }
}
