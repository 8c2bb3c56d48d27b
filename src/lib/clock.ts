/** Time source, injectable so tests can pin or advance time. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
