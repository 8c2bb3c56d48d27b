// Shared SQL layer: the repositories both backends run, row mapping, tokens and migrations.
// May import: src/lib and store types/errors only; never a driver (backends adapt theirs to SqlDatabase).
export { createSqlStore, consoleLogger, type SqlStoreParts } from './sql-store.ts'
export { ChangeHub } from './change-hub.ts'
export { loadMigrations, type Migration } from './migrations.ts'
export { adHoc, prepared, type Query, type Row, type SqlDatabase, type SqlRunner } from './executor.ts'
