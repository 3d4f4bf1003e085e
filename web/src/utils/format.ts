/** Sizes and times as the manual shows them: human units, Beijing dates. */

const UNITS = ['MB', 'GB', 'TB', 'PB']

/** 500 → "500 MB", 100050 → "97.71 GB" (binary steps, as repositories report sizes). */
export function formatSize(mb: number | null | undefined): string {
  if (mb === null || mb === undefined || !Number.isFinite(mb)) return ''
  let value = mb
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '')
  return `${text} ${UNITS[unit]}`
}

const BEIJING = 'Asia/Shanghai'

function parts(iso: string, withTime: boolean): Record<string, string> | null {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return null
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: BEIJING, year: 'numeric', month: '2-digit', day: '2-digit',
    ...(withTime ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' as const } : {}),
  })
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]))
}

/** "2023-06-28" in Beijing time, whatever the browser's zone. */
export function formatDate(iso: string | null | undefined): string {
  const p = iso ? parts(iso, false) : null
  return p ? `${p.year}-${p.month}-${p.day}` : ''
}

/** "2023-06-27 11:26:27" in Beijing time. */
export function formatDateTime(iso: string | null | undefined): string {
  const p = iso ? parts(iso, true) : null
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}` : ''
}
