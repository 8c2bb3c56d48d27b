// Persistence: the Store contract and its error codes. Backends: ./sqlite (openSqliteStore) and
// ./postgres (openPostgresStore), imported directly by app/ only. May import: src/lib and SQL drivers.
export type * from './types.ts'
export { StoreError, StoreErrorCodes, isStoreError, type StoreErrorCode } from './errors.ts'
