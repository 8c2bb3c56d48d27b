// Assembles a Store from a backend's SqlDatabase: the repositories are shared, only the driver,
// the migrations and the change feed differ per backend.

import type { Clock } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Store, StoreLogger } from '../types.ts'
import { assertionsRepo } from './assertions-repo.ts'
import { auditRepo } from './audit-repo.ts'
import { ChangeHub } from './change-hub.ts'
import { changelogRepo } from './changelog-repo.ts'
import { forwardAuthAppsRepo } from './forward-auth-apps-repo.ts'
import { prepared, type SqlDatabase } from './executor.ts'
import { localAccountsRepo } from './local-accounts-repo.ts'
import { localMfaRepo } from './local-mfa-repo.ts'
import { applyMigrations, type Migration } from './migrations.ts'
import { modelsRepo } from './models-repo.ts'
import { oidcArtifactsRepo } from './oidc-artifacts-repo.ts'
import { oidcClientsRepo } from './oidc-clients-repo.ts'
import { outboxRepo } from './outbox-repo.ts'
import { signingKeysRepo } from './signing-keys-repo.ts'
import { storesRepo } from './stores-repo.ts'
import { tenancyRepo } from './tenancy-repo.ts'
import { readTuples, scanTuples, snapshotTuples } from './tuples-read.ts'
import { importTuples } from './tuples-import.ts'
import { writeTuples } from './tuples-write.ts'
import { userRecordsRepo } from './user-records-repo.ts'
import type { RepoContext } from './context.ts'

export interface SqlStoreParts {
  db: SqlDatabase
  migrations: Migration[]
  clock: Clock
  changes: ChangeHub
  /** Extra teardown (e.g. the LISTEN connection), run before the database closes. */
  beforeClose?: () => Promise<void>
}

const PING = prepared('SELECT 1 AS ok')

export function createSqlStore(parts: SqlStoreParts): Store {
  const { db, changes } = parts
  const ctx: RepoContext = { db, clock: parts.clock, changes }
  let closing: Promise<void> | undefined
  return {
    dialect: db.dialect,
    stores: storesRepo(ctx),
    models: modelsRepo(ctx),
    tuples: {
      write: (storeId, input) => writeTuples(ctx, storeId, input),
      import: (storeId, input) => importTuples(ctx, storeId, input),
      read: (storeId, filter, page) => readTuples(ctx, storeId, filter, page),
      snapshot: (storeId) => snapshotTuples(ctx, storeId),
      scan: (storeId, after, limit) => scanTuples(ctx, storeId, after, limit),
    },
    changelog: changelogRepo(ctx),
    assertions: assertionsRepo(ctx),
    oidc: oidcArtifactsRepo(ctx),
    signingKeys: signingKeysRepo(ctx),
    oidcClients: oidcClientsRepo(ctx),
    localAccounts: localAccountsRepo(ctx),
    localMfa: localMfaRepo(ctx),
    userRecords: userRecordsRepo(ctx),
    forwardAuthApps: forwardAuthAppsRepo(ctx),
    audit: auditRepo(ctx),
    tenancy: tenancyRepo(ctx),
    outbox: outboxRepo(ctx),
    migrate: () => applyMigrations(db, parts.migrations, parts.clock),
    async ping() {
      await db.all(PING)
      // A database that answers SELECT 1 can still be stuck for real work (a table lock).
      const stall = db.stalled?.()
      if (stall !== undefined) throw new StoreError(StoreErrorCodes.unavailable, stall)
    },
    onChange: (listener) => changes.subscribe(listener),
    onResync: (listener) => changes.subscribeResync(listener),
    close() {
      closing ??= (async () => {
        await parts.beforeClose?.()
        await db.close()
      })()
      return closing
    },
  }
}

/** Logs warnings and errors to stderr when the caller supplies no logger. */
export const consoleLogger: StoreLogger = {
  warn: (details, message) => console.warn(message, details),
  error: (details, message) => console.error(message, details),
}
