// node:sqlite errors → StoreError. Extended result codes: the low byte is the primary code.

import { StoreError, StoreErrorCodes } from '../errors.ts'

const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_CONSTRAINT = 19
const SQLITE_CONSTRAINT_FOREIGNKEY = 787

export function mapSqliteError(err: unknown): unknown {
  if (err instanceof StoreError || err === null || typeof err !== 'object') return err
  const errcode = (err as { errcode?: unknown }).errcode
  if (typeof errcode !== 'number') return err
  switch (errcode & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new StoreError(StoreErrorCodes.writeConflict, 'the database is locked by another writer; retry', { cause: err })
    case SQLITE_CONSTRAINT:
      if (errcode === SQLITE_CONSTRAINT_FOREIGNKEY) {
        return new StoreError(StoreErrorCodes.storeNotFound, 'the referenced store does not exist', { cause: err })
      }
      return new StoreError(StoreErrorCodes.writeConflict, 'a record with this key already exists', { cause: err })
    default:
      return err
  }
}
