// Shared primitives: typed errors, ids, clock.
// May import: node built-ins and npm packages only — nothing from src/.
export * from './errors.ts'
export * from './ids.ts'
export * from './clock.ts'
export * from './subjects.ts'
export * from './page-headers.ts'
export * from './canonical-json.ts'
