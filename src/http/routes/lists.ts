// One answer shape for every admin list: `{ items, continuation_token? }` (the token absent on the
// last page). Lists that answered under another name (`clients`, `applications`, `entries`)
// repeat it under that name, with their old token field, for one release: clients written
// against the old shape keep working while they move over. The OpenFGA API keeps OpenFGA's shapes.

import { AppError, CommonCodes } from '../../lib/index.ts'

/** The paging parameters every admin list takes. */
export interface ListQuery {
  page_size?: string
  continuation_token?: string
}

/** `page_size` (1 to 100, default 50) and `continuation_token` of an admin list's query. */
export function pageOf(query: ListQuery | undefined): { pageSize: number; continuationToken?: string } {
  const text = query?.page_size
  if (text !== undefined && text !== '' && (typeof text !== 'string' || !/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100)) {
    throw new AppError(CommonCodes.validation, 'page_size must be a whole number between 1 and 100', { status: 400 })
  }
  const token = query?.continuation_token
  if (token !== undefined && typeof token !== 'string') throw new AppError(CommonCodes.validation, 'continuation_token may be given once', { status: 400 })
  return { pageSize: text === undefined || text === '' ? 50 : Number(text), ...(token ? { continuationToken: token } : {}) }
}

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
