// `npm test`: every test file except the slowest end-to-end suites — those driving a browser,
// real proxies, a real incusd, npm itself, or every documentation example — which
// `npm run test:e2e` runs. CI runs both. Files run three at a time; extra arguments go to
// `node --test` (for instance `--test-name-pattern=outbox`).
import { spawnSync } from 'node:child_process'
import { existsSync, globSync } from 'node:fs'

const SLOW = [
  'test/docs-examples.test.ts',
  'test/e2e/console.test.ts',
  'test/e2e/console-stores.test.ts',
  'test/e2e/console-people.test.ts',
  'test/e2e/crash.test.ts',
  'test/e2e/forward-auth-proxies.test.ts',
  'test/e2e/forward-auth-quickstart.test.ts',
  'test/e2e/fresh-clone.test.ts',
  'test/e2e/incus-oidc.test.ts',
  'test/e2e/oidc-passkey.test.ts',
  'test/e2e/pages.test.ts',
  'test/e2e/package.test.ts',
  'test/e2e/provisioning-incus.test.ts',
]

const missing = SLOW.filter((f) => !existsSync(f))
if (missing.length > 0) {
  console.error(`scripts/test.ts lists test files that do not exist: ${missing.join(', ')}`)
  process.exit(2)
}
const args = process.argv.slice(2)
const slow = args[0] === '--e2e'
const all = [...globSync('src/**/*.test.ts'), ...globSync('test/**/*.test.ts')].sort()
const files = slow ? SLOW : all.filter((f) => !SLOW.includes(f))
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=300000', ...(slow ? args.slice(1) : args), ...files], { stdio: 'inherit' })
process.exit(run.status ?? 1)
