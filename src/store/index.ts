// Persistence: the Store contract, its error codes, and the two backends' factories.
// May import: src/lib and SQL drivers. Nothing above store (authz, http, ...) may be imported here.
export type * from './types.ts'
export { StoreError, StoreErrorCodes, isStoreError, type StoreErrorCode } from './errors.ts'
