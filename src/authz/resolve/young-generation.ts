// While a store's index loads, nearly everything allocated lives on (it is the index), and V8
// answers a high survival rate by doubling its young generation, up to 64 MB per semi-space on
// this Node (128 MB in all). The survivors are promoted all the same, so growth past a few pages'
// worth of garbage buys nothing, while the grown space stays committed for the life of the
// process: ~60 MB of resident memory after a million-tuple load (docs/performance.md). So while
// any index loads, the young generation may grow to YOUNG_CAP (as it does while the server
// starts) but not beyond; V8's own growth rule applies again once no load is running.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'

/** Young generation (both semi-spaces) past which a load stops it growing. */
const YOUNG_CAP = 64 * 2 ** 20

const FLAG = '--semi-space-growth-factor'

/** The factor this process was started with (NODE_OPTIONS or the command line), else V8's default. */
function startingFactor(): number {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  for (const a of args.reverse()) {
    const m = /^--semi[-_]space[-_]growth[-_]factor=(\d+)$/.exec(a)
    if (m) return Number(m[1])
  }
  return 2
}

let loads = 0
let held = false

function hold(on: boolean): void {
  if (on === held) return
  held = on
  setFlagsFromString(`${FLAG}=${on ? 1 : startingFactor()}`)
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
  loads++
  let ended = false
  const page = () => { if (!ended) hold(youngSize() >= YOUNG_CAP) }
  page()
  return {
    page,
    end() {
      if (ended) return
      ended = true
      if (--loads === 0) hold(false)
    },
  }
}
