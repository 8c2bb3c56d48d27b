// What every shared repository needs: the database, the clock, and the change hub.

import type { Clock } from '../../lib/index.ts'
import { StoreError, StoreErrorCodes } from '../errors.ts'
import type { Page, PageRequest } from '../types.ts'
import type { ChangeHub } from './change-hub.ts'
import { prepared, type SqlDatabase, type SqlRunner } from './executor.ts'

export interface RepoContext {
  db: SqlDatabase
  clock: Clock
  changes: ChangeHub
}

const STORE_REVISION = prepared('SELECT revision FROM stores WHERE id = $1 AND deleted_at IS NULL')

/** The store's current revision; throws store_not_found for unknown or deleted stores. */
export async function requireStore(runner: SqlRunner, storeId: string): Promise<number> {
  const rows = await runner.all(STORE_REVISION, [storeId])
  if (rows.length === 0) throw storeNotFound(storeId)
  return Number(rows[0].revision)
}

export function storeNotFound(storeId: string): StoreError {
  return new StoreError(StoreErrorCodes.storeNotFound, `store ${storeId} not found`)
}

export function pageSizeOf(page: PageRequest): number {
  return Math.max(1, Math.floor(page.pageSize))
}

/** Rows fetched with LIMIT size + 1: the extra row only tells that another page exists. */
export function toPage<R, T>(rows: R[], size: number, map: (row: R) => T, tokenFor: (last: R) => string): Page<T> {
  const more = rows.length > size
  const kept = more ? rows.slice(0, size) : rows
  return { items: kept.map(map), continuationToken: more ? tokenFor(kept[kept.length - 1]) : '' }
}
