/**
 * The old platform's registrant that a claim names (备份认领, by a researcher or an institution):
 * the gateway's limits on the name and mobile, and the form rules that check them before sending.
 */
import type { FormItemRule } from 'element-plus'

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
