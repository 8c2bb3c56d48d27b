// How V8 collects garbage while a store's index loads. Nearly everything a load allocates lives
// on (it is the index), and V8's defaults are tuned for the opposite:
//
// - It answers a high survival rate by doubling the young generation, up to 64 MB per
//   semi-space on this Node (128 MB in all). The survivors are promoted all the same, so growth
//   past a few pages' worth of garbage buys nothing, while the grown space stays committed for
//   the life of the process (~60 MB of resident memory after a million-tuple load). While a load
//   runs, the young generation may grow to YOUNG_CAP (as it does while the server starts), no
//   further.
// - It lets the old generation grow to up to a few times what was live after the last full
//   collection before it collects again. The garbage the load does promote then piles up to tens
//   of MB above the index, and the pages it took stay resident after it is collected: the RSS
//   after a million-tuple load ranged 336–406 MB over nine runs. With the old generation allowed
//   to grow by OLD_GROWTH_PERCENT between collections it ranged 323–348 MB over seven, and the
//   load took as long (docs/performance.md).
//
// Both are V8 flags read as the heap resizes, set while any load runs and restored to what the
// process started with once none does.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'

/** Young generation (both semi-spaces) past which a load stops it growing. */
const YOUNG_CAP = 64 * 2 ** 20
/** Growth of the old generation between full collections while a load runs. */
const OLD_GROWTH_PERCENT = 30

/** A flag's value as this process was started (command line or NODE_OPTIONS), else V8's default. */
function startingValue(name: string, fallback: number): number {
  const pattern = new RegExp(`^--${name.replace(/-/g, '[-_]')}=(\\d+)$`)
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  for (const a of args.reverse()) {
    const m = pattern.exec(a)
    if (m) return Number(m[1])
  }
  return fallback
}

let loads = 0
let youngHeld = false

function holdYoung(on: boolean): void {
  if (on === youngHeld) return
  youngHeld = on
  setFlagsFromString(`--semi-space-growth-factor=${on ? 1 : startingValue('semi-space-growth-factor', 2)}`)
}

function youngSize(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size
  return 0
}

/** One index load: call `page()` after each page it adds, `end()` once when it is done. */
export interface LoadGuard {
  page(): void
  end(): void
}

export function startLoad(): LoadGuard {
  if (loads++ === 0) setFlagsFromString(`--heap-growing-percent=${OLD_GROWTH_PERCENT}`)
  let ended = false
  const page = () => { if (!ended) holdYoung(youngSize() >= YOUNG_CAP) }
  page()
  return {
    page,
    end() {
      if (ended) return
      ended = true
      if (--loads > 0) return
      holdYoung(false)
      setFlagsFromString(`--heap-growing-percent=${startingValue('heap-growing-percent', 0)}`)
    },
  }
}
