/**
 * Where a form shows the server's refusal: next to the field it is about (its per-field problems,
 * or a refusal code the form maps to one field), else above the buttons — in the page's language,
 * and gone from a field as soon as the person edits it.
 */
import { computed, reactive, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError, errorText } from '../api/errors'

export function useServerRefusal<Field extends string>(
  form: Record<Field, unknown>,
  /** The field a refusal (by its code) is about, when it is about one. */
  refusalField: (error: ApiError) => Field | null,
) {
  const { locale } = useI18n()
  const failure = ref<unknown>(null)
  /** Fields edited since the refusal: its message for them no longer applies. */
  const edited = reactive(new Set<Field>()) as Set<Field>
  const fields = Object.keys(form) as Field[]

  const fieldErrors = computed<Record<Field, string>>(() => {
    const out = Object.fromEntries(fields.map((field) => [field, ''])) as Record<Field, string>
    const error = failure.value
    if (!(error instanceof ApiError)) return out
    const texts = error.fieldTexts(locale.value)
    for (const field of fields) {
      if (texts[field]) out[field] = texts[field]
    }
    const field = refusalField(error)
    if (field) out[field] = error.text(locale.value)
    for (const field of edited) out[field] = ''
    return out
  })

  /** A refusal about no single field (or about fields the form does not have). */
  const generalError = computed(() => {
    const error = failure.value
    if (!error) return ''
    if (error instanceof ApiError) {
      if (refusalField(error)) return ''
      const named = Object.keys(error.fieldTexts(locale.value))
      if (named.length && named.every((field) => field in form)) return error.text(locale.value)
    }
    return errorText(error, locale.value)
  })

  watch(() => ({ ...form }), (now, before) => {
    for (const field of fields) {
      if (now[field] !== before[field]) edited.add(field)
    }
  })

  return {
    failure,
    fieldErrors,
    generalError,
    /** Show this refusal (every field's message applies again). */
    refuse(error: unknown) {
      edited.clear()
      failure.value = error
    },
    clear() {
      failure.value = null
      edited.clear()
    },
  }
}
