// One answer shape for every admin list: `{ items, continuation_token? }` (the token absent on the
// last page). Lists that answered under another name (`clients`, `applications`, `entries`)
// repeat it under that name, with their old token field, for one release: clients written
// against the old shape keep working while they move over. The OpenFGA API keeps OpenFGA's shapes.

export interface ListAnswer<T> {
  items: T[]
  continuation_token?: string
  [deprecated: string]: unknown
}

export interface LegacyShape {
  /** The old name of the items. */
  key: string
  /** The old name of the continuation token, when the list was paged. */
  tokenKey?: string
}

export function listAnswer<T>(items: T[], continuationToken?: string, legacy?: LegacyShape): ListAnswer<T> {
  const more = continuationToken !== undefined && continuationToken !== ''
  return {
    items,
    ...(more ? { continuation_token: continuationToken } : {}),
    ...(legacy ? { [legacy.key]: items } : {}),
    ...(legacy?.tokenKey !== undefined && more ? { [legacy.tokenKey]: continuationToken } : {}),
  }
}
