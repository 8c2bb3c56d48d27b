// Time-of-week windows in an IANA time zone, evaluated with Intl (the zone database Node ships),
// so daylight-saving changes follow the zone rather than a fixed offset.

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Day = (typeof DAYS)[number]

export interface TimeWindowSpec {
  /** Days the window opens on; all days when absent. */
  days?: Day[]
  /** `HH:MM`, inclusive. */
  from: string
  /** `HH:MM` (or `24:00`), exclusive; earlier than `from` means the window runs past midnight. */
  to: string
  timeZone: string
}

export interface CompiledTimeWindow {
  days: ReadonlySet<number>
  from: number
  to: number
  timeZone: string
  format: Intl.DateTimeFormat
}

const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return h * 60 + m
}

export function compileTimeWindow(spec: TimeWindowSpec): CompiledTimeWindow {
  const days = new Set((spec.days ?? DAYS).map((d) => DAYS.indexOf(d)))
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: spec.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  })
  return { days, from: minutesOf(spec.from), to: minutesOf(spec.to), timeZone: spec.timeZone, format }
}

/** Local weekday (0 = Monday) and minute of day of `now` in the window's zone. */
function localTime(window: CompiledTimeWindow, now: Date): { day: number; minute: number } {
  const parts = window.format.formatToParts(now)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return { day: WEEKDAY_INDEX[get('weekday')], minute: Number(get('hour')) * 60 + Number(get('minute')) }
}

/**
 * True when `now` is inside the window. A window past midnight belongs to the day it opens:
 * `fri 22:00-06:00` covers Friday night and the early hours of Saturday.
 */
export function inTimeWindow(window: CompiledTimeWindow, now: Date): boolean {
  const { day, minute } = localTime(window, now)
  if (window.from < window.to) return window.days.has(day) && minute >= window.from && minute < window.to
  const previous = (day + 6) % 7
  return (window.days.has(day) && minute >= window.from) || (window.days.has(previous) && minute < window.to)
}
