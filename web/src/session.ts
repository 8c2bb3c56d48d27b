// What the signed-in administrator may see, from `GET /api/v1/acl`: platform administrators
// (global grants) get every page; organization administrators their organizations only.

import type { CallerAcl, ConsoleSettings } from './types.ts'

export interface Session {
  settings: ConsoleSettings
  username: string
  acl: CallerAcl
  /** Global organization creation: the platform administrator (or the operator). */
  platform: boolean
}

export function isPlatform(acl: CallerAcl): boolean {
  return acl.global?.some((e) => e.name === 'identity:organizations' && e.operations.includes('create')) === true
}
