/**
 * A screen's load that only the latest request may answer: `loading` and `failure` for the view, and
 * `load()` to ask (again). An answer or a refusal to an earlier request, arriving after a later one
 * was sent, is dropped, so a slow reply never overwrites a newer one.
 */
import { ref } from 'vue'

export function useLatest<T>(fetch: () => Promise<T>, apply: (answer: T) => void) {
  const loading = ref(false)
  const failure = ref<unknown>(null)
  let asked = 0

  async function load() {
    const ticket = ++asked
    loading.value = true
    failure.value = null
    try {
      const answer = await fetch()
      if (ticket === asked) apply(answer)
    } catch (error) {
      if (ticket === asked) failure.value = error
    } finally {
      if (ticket === asked) loading.value = false
    }
  }

  return { loading, failure, load }
}

/** A page of a list (`{items, total}`) asked by `fetch`, with the latest answer's rows and count. */
export function usePage<T>(fetch: () => Promise<{ items: T[]; total: number }>) {
  const items = ref<T[]>([])
  const total = ref(0)
  const { loading, failure, load } = useLatest(fetch, (answer) => {
    items.value = answer.items
    total.value = answer.total
  })
  return { items, total, loading, failure, load }
}
