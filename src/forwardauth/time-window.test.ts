import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileTimeWindow, inTimeWindow, isTimeZone, type TimeWindowSpec } from './time-window.ts'

const at = (iso: string) => new Date(iso)

describe('time windows', () => {
  const office: TimeWindowSpec = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:30', timeZone: 'UTC' }
  const cases: [string, TimeWindowSpec, string, boolean][] = [
    ['office hours, Wednesday noon', office, '2026-11-25T12:00:00Z', true],
    ['office hours, opening minute', office, '2026-11-25T09:00:00Z', true],
    ['office hours, closing minute excluded', office, '2026-11-25T17:30:00Z', false],
    ['office hours, Saturday', office, '2026-11-28T12:00:00Z', false],
    // Berlin is UTC+1 in November: 08:30 UTC is 09:30 local.
    ['Berlin zone, 08:30 UTC', { ...office, timeZone: 'Europe/Berlin' }, '2026-11-25T08:30:00Z', true],
    ['Berlin zone, 16:45 UTC', { ...office, timeZone: 'Europe/Berlin' }, '2026-11-25T16:45:00Z', false],
    // Summer time: UTC+2, so 07:30 UTC is 09:30 local.
    ['Berlin zone in summer', { ...office, timeZone: 'Europe/Berlin' }, '2026-07-15T07:30:00Z', true],
    // Monday 01:00 in Tokyo is still Sunday in UTC.
    ['weekday taken in the zone', { days: ['mon'], from: '00:00', to: '02:00', timeZone: 'Asia/Tokyo' }, '2026-11-22T16:30:00Z', true],
  ]
  const night: TimeWindowSpec = { days: ['fri'], from: '22:00', to: '06:00', timeZone: 'America/New_York' }
  cases.push(
    // New York is UTC-5 in November.
    ['past midnight, Friday 23:00', night, '2026-11-28T04:00:00Z', true],
    ['past midnight, Saturday 05:59', night, '2026-11-28T10:59:00Z', true],
    ['past midnight, Saturday 06:00', night, '2026-11-28T11:00:00Z', false],
    ['past midnight, Friday 21:59', night, '2026-11-28T02:59:00Z', false],
    ['past midnight, Saturday 23:00 (opens only Friday)', night, '2026-11-29T04:00:00Z', false],
    ['past midnight, Friday 02:00 (belongs to Thursday)', night, '2026-11-27T07:00:00Z', false],
    ['all day until 24:00', { from: '00:00', to: '24:00', timeZone: 'UTC' }, '2026-11-25T23:59:00Z', true],
  )
  for (const [name, spec, now, expected] of cases) {
    it(`${name}: ${expected ? 'inside' : 'outside'}`, () => assert.equal(inTimeWindow(compileTimeWindow(spec), at(now)), expected))
  }

  it('knows IANA zones', () => {
    assert.equal(isTimeZone('Europe/Berlin'), true)
    assert.equal(isTimeZone('Mars/Olympus'), false)
  })
})
