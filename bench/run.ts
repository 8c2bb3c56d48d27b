// `npm run bench -- NAME [options]`: runs bench/NAME.ts. Benchmarks print throughput and p50/p99
// next to a baseline measured in the same run; they are not tests and assert nothing about time.
import { readdirSync } from 'node:fs'

const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort()
const name = process.argv[2]
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME\navailable: ${available.join(', ')}`)
  process.exit(name ? 1 : 0)
}
await import(`./${name}.ts`)
