// Process entry: hands the command line to the CLI and exits with its status.
// Node's compile cache keeps the compiled (and type-stripped) modules on disk, which halves the
// start-up's module loading from the second start on; it must be on before anything else loads.
import { enableCompileCache } from 'node:module'

enableCompileCache()
const { runCli } = await import('./cli/index.ts')
process.exitCode = await runCli(process.argv.slice(2))
