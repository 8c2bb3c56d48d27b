// Store conformance suite: one set of node:test cases every backend must pass.
// May import: node:test, node:assert, src/lib, store types/errors (no backend, no SQL).

import { describe } from 'node:test'
import { auditCategory } from './audit.ts'
import { changelogCategory } from './changelog.ts'
import { consistencyCategory } from './consistency.ts'
import { forwardAuthAppsCategory } from './forward-auth-apps.ts'
import type { StoreFactory } from './harness.ts'
import { localAccountsCategory } from './local-accounts.ts'
import { localMfaCategory } from './local-mfa.ts'
import { migrationsCategory } from './migrations.ts'
import { modelsCategory } from './models.ts'
import { multiConnectionCategory } from './multi-connection.ts'
import { oidcArtifactsCategory } from './oidc-artifacts.ts'
import { oidcClientsCategory } from './oidc-clients.ts'
import { oidcConcurrencyCategory } from './oidc-concurrency.ts'
import { onChangeCategory } from './on-change.ts'
import { outboxCategory } from './outbox.ts'
import { storesCategory } from './stores.ts'
import { tenancyCategory } from './tenancy.ts'
import { tuplesImportCategory } from './tuples-import.ts'
import { tuplesReadCategory } from './tuples-read.ts'
import { tuplesWriteCategory } from './tuples-write.ts'
import { signingKeysCategory } from './signing-keys.ts'
import { userRecordsCategory } from './user-records.ts'

export type { FixtureOptions, StoreFactory, StoreFixture } from './harness.ts'

const categories = {
  migrations: migrationsCategory,
  stores: storesCategory,
  models: modelsCategory,
  tuplesWrite: tuplesWriteCategory,
  tuplesImport: tuplesImportCategory,
  tuplesRead: tuplesReadCategory,
  changelog: changelogCategory,
  consistency: consistencyCategory,
  onChange: onChangeCategory,
  multiConnection: multiConnectionCategory,
  oidcArtifacts: oidcArtifactsCategory,
  oidcConcurrency: oidcConcurrencyCategory,
  signingKeys: signingKeysCategory,
  oidcClients: oidcClientsCategory,
  localAccounts: localAccountsCategory,
  localMfa: localMfaCategory,
  userRecords: userRecordsCategory,
  forwardAuthApps: forwardAuthAppsCategory,
  audit: auditCategory,
  tenancy: tenancyCategory,
  outbox: outboxCategory,
} as const

export type ConformanceCategory = keyof typeof categories

export interface ConformanceOptions {
  /** Categories a backend cannot run, each with the reason (shown in the test report). */
  skip?: Partial<Record<ConformanceCategory, string>>
}

/**
 * Registers the suite. `factory` is called once per category and must return a store on a
 * fresh, empty database (the suite runs migrate()); `cleanup` closes it and removes the data.
 */
export function runStoreConformance(name: string, factory: StoreFactory, options: ConformanceOptions = {}): void {
  describe(`store conformance: ${name}`, () => {
    for (const [category, register] of Object.entries(categories) as [ConformanceCategory, (f: StoreFactory) => void][]) {
      const reason = options.skip?.[category]
      if (reason !== undefined) describe(category, { skip: reason }, () => undefined)
      else describe(category, () => register(factory))
    }
  })
}
