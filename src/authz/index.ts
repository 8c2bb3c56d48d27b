// The relationship engine: OpenFGA's API and semantics over the Store, with in-memory tuple indexes and Explain.
// May import: src/lib, src/store types (types.ts) and its error codes (errors.ts); npm: CEL, the OpenFGA DSL transformer.
export { Authz, type AuthzOptions, type QueryParams } from './authz.ts'
export type { AuthzLogger } from './commands/context.ts'
export { DEFAULT_IMPORT_BATCH, MAX_IMPORT_BATCH, type ImportItem, type ImportOptions, type ImportResult } from './commands/import.ts'
export type { QueryMeta } from './commands/query.ts'
export { AuthzError, ERROR_CODES, errorNameOf, httpStatusOf, isAuthzError, type AuthzErrorCode } from './errors.ts'
export { DEFAULT_LIMITS, type AuthzLimits } from './limits.ts'
export { modelFromDsl, modelToDsl } from './model/dsl.ts'
export type { TraceCheck, TraceRule, TraceTuple } from './resolve/trace.ts'

// The pure evaluator, for benchmarks and embedders that hold tuples themselves:
//   const model = compileModelJson(modelFromDsl(dsl))
//   const index = TupleIndex.from(tuples)
//   new Evaluator(model, [index], context, 25).check('doc:1', 'viewer', userRef('user:anne')) === TRUE
export { compileModelJson } from './model/build.ts'
export type { CompiledModel } from './model/compiled.ts'
export { Evaluator, userRef, TRUE, FALSE, CYCLE, ERROR, type Outcome, type UserRef } from './resolve/check.ts'
export { TupleIndex } from './resolve/tuple-index.ts'
export { listObjects, type ListRun } from './resolve/list-objects.ts'
export { listUsers, type UserFilter } from './resolve/list-users.ts'
