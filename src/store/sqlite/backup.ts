// Online backup of a SQLite database file through SQLite's backup API (node:sqlite `backup()`),
// safe while a server writes to the same file: the copy is one consistent snapshot.

import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { backup, DatabaseSync } from 'node:sqlite'
import { StoreError, StoreErrorCodes } from '../errors.ts'

/**
 * All pages in one step: one step is one read transaction, so the copy is a snapshot and never
 * restarts because a server committed meanwhile (with smaller steps, SQLite starts over after
 * every write from another connection, which on a busy server may never finish). In WAL mode the
 * read does not block the server's writers.
 */
const ONE_STEP = 2 ** 31 - 1

export interface SqliteBackupResult {
  pages: number
  bytes: number
}

/** Copies `source` to `destination` (which must not exist); the copy is checked and self-contained. */
export async function backupSqliteFile(source: string, destination: string, busyTimeoutMs = 5000): Promise<SqliteBackupResult> {
  if (!existsSync(source)) throw new StoreError(StoreErrorCodes.unavailable, `no SQLite database at ${source}`)
  if (existsSync(destination)) throw new StoreError(StoreErrorCodes.alreadyExists, `${destination} exists; choose a new file name (a backup never overwrites)`)
  // Written next to the destination and renamed at the end: a failed or interrupted backup never
  // leaves a file that looks complete.
  const partial = `${destination}.partial`
  rmSync(partial, { force: true })
  const db = new DatabaseSync(source, { readOnly: true })
  let pages: number
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
    pages = await backup(db, partial, { rate: ONE_STEP })
  } catch (err) {
    rmSync(partial, { force: true })
    throw new StoreError(StoreErrorCodes.unavailable, `backup of ${source} failed: ${(err as Error).message}`, { cause: err })
  } finally {
    db.close()
  }
  try {
    verify(partial)
    renameSync(partial, destination)
  } catch (err) {
    rmSync(partial, { force: true })
    rmSync(`${partial}-wal`, { force: true })
    rmSync(`${partial}-shm`, { force: true })
    throw err
  }
  return { pages, bytes: statSync(destination).size }
}

/** The copy keeps the source's WAL mode; rollback journal mode makes it one file to move around. */
function verify(path: string): void {
  const copy = new DatabaseSync(path)
  try {
    copy.exec('PRAGMA journal_mode = DELETE')
    const row = copy.prepare('PRAGMA integrity_check').get() as { integrity_check?: string } | undefined
    if (row?.integrity_check !== 'ok') throw new StoreError(StoreErrorCodes.unavailable, `the backup copy failed its integrity check: ${row?.integrity_check ?? 'no answer'}`)
  } finally {
    copy.close()
  }
}
