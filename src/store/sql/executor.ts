// The narrow database surface the shared repositories run on. Each backend adapts its driver to
// it; SQL text is written once, PostgreSQL style ($1, $2 ...), and SQLite rewrites it to ?1, ?2.

/** A SQL statement. `prepare` marks fixed text worth caching as a prepared statement. */
export interface Query {
  readonly text: string
  readonly prepare: boolean
}

/** Fixed SQL text: prepared once per connection and reused. */
export function prepared(text: string): Query {
  return { text, prepare: true }
}

/** SQL text built per call (multi-row VALUES lists); not cached. */
export function adHoc(text: string): Query {
  return { text, prepare: false }
}

export type Row = Record<string, unknown>

export interface SqlRunner {
  all<R extends Row = Row>(query: Query, params?: readonly unknown[]): Promise<R[]>
  /**
   * Rows as arrays of column values, in the statement's column order. For large reads: SQLite
   * builds a row object per row (and those mostly end up in V8's old generation before they
   * die); an array per row costs a fraction of that.
   */
  values(query: Query, params?: readonly unknown[]): Promise<unknown[][]>
  /** Executes a statement and returns the number of rows it changed. */
  run(query: Query, params?: readonly unknown[]): Promise<number>
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>
}

export interface SqlDatabase extends SqlRunner {
  readonly dialect: 'sqlite' | 'postgres'
  /** A read-only transaction that sees one consistent snapshot. */
  read<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>
  /**
   * A read-write transaction. `fn` may run more than once (PostgreSQL retries serialization
   * failures), so it must keep its state inside the callback.
   */
  write<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>
  /** Runs pending migrations under whatever lock keeps two processes from racing. */
  migrate(fn: (tx: SqlRunner) => Promise<void>): Promise<void>
  /**
   * Called inside a tuple write transaction after changes were applied; PostgreSQL queues a
   * NOTIFY here so other processes hear of the commit, SQLite does nothing.
   */
  announce(tx: SqlRunner, storeId: string, revision: number): Promise<void>
  /** Why the database counts as stalled now (recent statement or lock timeouts), or undefined. */
  stalled?(): string | undefined
  close(): Promise<void>
}

/** "(prefix$k+1, ..., $k+width), ..." for `rows` rows, numbering parameters after `offset`. */
export function rowsSql(rows: number, width: number, offset: number, prefix = ''): string {
  const out: string[] = []
  let n = offset
  for (let r = 0; r < rows; r++) {
    const cells: string[] = []
    for (let c = 0; c < width; c++) cells.push(`$${++n}`)
    out.push(`(${prefix}${cells.join(', ')})`)
  }
  return out.join(', ')
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
