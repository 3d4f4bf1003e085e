/**
 * The old platform's registrant that a claim names (备份认领, by a researcher or an institution):
 * the gateway's limits on the name and mobile, and the form rules that check them before sending.
 */
import { nextTick, ref, type Ref } from 'vue'
import type { FormInstance, FormItemRule } from 'element-plus'

export const NAME_MAX = 200
export const MOBILE = /^1[3-9]\d{9}$/

type Translate = (key: string, values?: Record<string, unknown>) => string

/** The rules for `legacy_name` and `legacy_mobile`, in the claim's words. */
export function legacyRegistrantRules(t: Translate): { legacy_name: FormItemRule[]; legacy_mobile: FormItemRule[] } {
  return {
    legacy_name: [
      { required: true, whitespace: true, trigger: 'blur', message: () => t('claim.nameRequired') },
      { max: NAME_MAX, trigger: 'blur', message: () => t('claim.nameTooLong', { max: NAME_MAX }) },
    ],
    legacy_mobile: [
      { required: true, trigger: 'blur', message: () => t('claim.mobileRequired') },
      { pattern: MOBILE, trigger: 'blur', message: () => t('claim.mobileInvalid') },
    ],
  }
}

/**
 * A claim form's 提交 and 重置: one submission at a time, the form checked first, the server's
 * refusal shown (`refusal`, from useServerRefusal); after `send` succeeds the form is emptied with no
 * field marked red (a blur check still in flight from the last field would mark it).
 */
export function useClaimSubmit(
  formRef: Ref<FormInstance | undefined>,
  refusal: { refuse: (error: unknown) => void; clear: () => void },
  send: () => Promise<void>,
) {
  const submitting = ref(false)

  async function submit() {
    if (submitting.value) return
    submitting.value = true
    try {
      if (!(await formRef.value?.validate().catch(() => false))) return
      refusal.clear()
      await send()
      formRef.value?.resetFields()
      await nextTick()
      formRef.value?.clearValidate()
    } catch (error) {
      refusal.refuse(error)
    } finally {
      submitting.value = false
    }
  }

  /** Empties the form and forgets the refusal (the caller forgets its own result). */
  function resetForm() {
    formRef.value?.resetFields()
    refusal.clear()
  }

  return { submitting, submit, resetForm }
}
