// The relationship-store pages under /stores, for routes.tsx.

import { match } from '../../router.ts'
import { CheckPage } from './check.tsx'
import { ModelPage } from './model.tsx'
import { PreviewPage } from './preview.tsx'
import { StoresPage } from './stores.tsx'
import { TuplesPage } from './tuples.tsx'

export function storeRoute(path: string, query: URLSearchParams) {
  if (path === '/stores') return <StoresPage query={query} />
  let m: Record<string, string> | undefined
  if ((m = match('/stores/:id', path))) return <ModelPage id={m.id!} />
  if ((m = match('/stores/:id/tuples', path))) return <TuplesPage id={m.id!} />
  if ((m = match('/stores/:id/check', path))) return <CheckPage id={m.id!} />
  if ((m = match('/stores/:id/preview', path))) return <PreviewPage id={m.id!} />
  return undefined
}
