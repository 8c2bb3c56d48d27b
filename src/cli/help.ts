import { CONFIG_FILE_ENV } from '../config/index.ts'

export const HELP = `Usage: gatehouse [--config FILE] <command>

Commands:
  serve                    Run the HTTP server (OpenFGA API, /healthz, /readyz, /metrics)
  migrate                  Apply database migrations and exit
  backup FILE              Copy the SQLite database to FILE, consistently, while servers run
                           (PostgreSQL: prints the pg_dump command to use instead)
  keys list                List signing keys (kid, algorithm, status, dates; never key material)
  keys stage               Publish next signing keys without signing with them yet
  keys rotate              Sign with the staged keys (or new ones when none are staged); retire the old
  keys prune               Delete retired signing keys whose tokens have all expired
  model validate FILE      Check an authorization model (.fga DSL or .json); exit 1 when invalid
  model test FILE...       Run OpenFGA model test files (.fga.yaml: check, list_objects, list_users)
                           on an in-memory store; prints each test's mismatches, exit 1 on any failure
  model transform FILE     Convert a model between DSL and JSON (--format fga|json, --out F)
  model write --store ID FILE  Write an authorization model (.fga or .json) to a store; prints its id
  model get --store ID     Print the store's latest model as DSL (--id M for another, --format json)
  stores list              List OpenFGA stores (JSON)
  stores create NAME       Create a store; prints it with its id
  stores delete ID         Delete a store with its models and tuples
  tuples read --store ID   Tuples, all or filtered (--object type:id or type:, --relation R, --user U);
                           --format json (default), or yaml|csv to import elsewhere
  tuples write --store ID USER RELATION OBJECT  Write one tuple (--condition NAME [--context JSON])
  tuples delete --store ID USER RELATION OBJECT Delete one tuple
  tuples import --store ID FILE  Bulk-write tuples from a YAML, JSON, JSONL or CSV file (the fga CLI's
                           formats) in transactions of --batch-size (default 5000), validated as Write;
                           --on-duplicate ignore (default: already there is skipped) or error. Stops at
                           the first bad tuple, naming it (exit 1); earlier batches stay written, so
                           running the file again resumes it
  tuples write|delete --store ID --file F  Write or delete a file's tuples 100 at a time, going on past
                           bad ones; reports written, skipped and failed, exit 1 when any failed
  bootstrap                Apply the bootstrap file (clients, upstreams, applications, tenancy) and create the local admin
  clients list             List OIDC clients (JSON)
  clients get ID           Show one client (never its secret)
  clients create --file F  Create a client from YAML/JSON F; prints its secret once
  clients delete ID        Delete a client
  clients rotate-secret ID Replace a confidential client's secret; prints the new one once
  accounts list            List local accounts (JSON)
  accounts create NAME [--email E] [--group G ...]
                           Create a local account (password from GATEHOUSE_NEW_PASSWORD, else generated and shown once)
  accounts set NAME [--email E|--no-email] [--group G ...|--no-groups]
                           Set a local account's email and groups (--group replaces the list)
  accounts set-password NAME  Set a local account's password (same rule)
  accounts disable NAME    Refuse the account's logins (enable NAME undoes it)
  accounts mfa list NAME   A local account's second factors and recovery codes left (JSON; never a secret)
  accounts mfa reset NAME  Remove every second factor and recovery code of the account (a lost phone or key)
  apps list                List forward-auth applications (JSON)
  apps get ID              Show one application
  apps put --file F        Create or replace an application from YAML/JSON F
  apps delete ID           Delete an application
  provisioning events      Provisioning events, newest first (--state pending|done|dead, --target T, --subject S)
  provisioning show ID     One event with its attempts and payload
  provisioning replay ID   Deliver a finished event again
  provisioning replay-dead Deliver every dead event again (--target T for one target)
  provisioning stats       Queue depth by target and state
  provisioning rules       The configured targets and rules
  provisioning preview --file USER   What each rule would do for a user (YAML/JSON: username, email, groups)
  orgs list                List organizations (JSON)
  orgs get NAME            Show one organization
  orgs create --file F     Create an organization from YAML/JSON F
  orgs update NAME --file F  Change an organization (displayName, description, domains, upstreams)
  orgs delete NAME         Delete an organization with its groups, projects and service accounts
  groups list ORG          List an organization's groups
  groups get ORG NAME      Show one group
  groups put ORG --file F  Create or replace a group (by its name) from YAML/JSON F
  groups delete ORG NAME   Delete a group
  projects list ORG        List an organization's projects
  projects get ORG NAME    Show one project
  projects put ORG --file F  Create or replace a project (by its name) from YAML/JSON F
  projects delete ORG NAME Delete a project
  roles list               List roles, built-in ones included
  roles get NAME           Show one role
  roles put --file F       Create or replace a role (by its name) from YAML/JSON F
  roles delete NAME        Delete a role no group or binding uses
  acl ORG --subject ID --issuer ISS [--group G ...]
                           Show the ACL of a user in ORG (G: upstream groups such as okta:admins)
  config print             Print the effective configuration (secrets redacted)
  config check             Validate the configuration, the bootstrap file and provisioning rules without starting
  config docs [--out F]    Write the configuration reference (Markdown) to stdout or F

Options:
  -c, --config FILE        YAML configuration file (or ${CONFIG_FILE_ENV}=FILE)
  -h, --help               Show this help
  -V, --version            Show the version

Key rotation with several servers or caching relying parties: \`gatehouse keys stage\`, wait at
least keyRefreshIntervalSeconds plus the relying parties' JWKS cache lifetime, then
\`gatehouse keys rotate\`. Servers switch keys at their next refresh; retired keys stay in /jwks
until every token they signed has expired, so issued tokens keep verifying.

Configuration: defaults < YAML file < GATEHOUSE_* environment variables.
See docs/configuration.md or \`gatehouse config docs\` for every key.
Exit status: 0 ok, 1 failure or invalid model, 2 bad usage or configuration.
`
