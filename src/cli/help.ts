import { CONFIG_FILE_ENV } from '../config/index.ts'

export const HELP = `Usage: gatehouse [--config FILE] <command>

Commands:
  serve                    Run the HTTP server (OpenFGA API, /healthz, /readyz, /metrics)
  migrate                  Apply database migrations and exit
  model validate FILE      Check an authorization model (.fga DSL or .json); exit 1 when invalid
  config print             Print the effective configuration (secrets redacted)
  config docs [--out F]    Write the configuration reference (Markdown) to stdout or F

Options:
  -c, --config FILE        YAML configuration file (or ${CONFIG_FILE_ENV}=FILE)
  -h, --help               Show this help
  -V, --version            Show the version

Configuration: defaults < YAML file < GATEHOUSE_* environment variables.
See docs/configuration.md or \`gatehouse config docs\` for every key.
Exit status: 0 ok, 1 failure or invalid model, 2 bad usage or configuration.
`
