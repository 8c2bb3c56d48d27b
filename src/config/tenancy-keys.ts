import { z } from 'zod'
import type { KeySpec } from './schema.ts'

// Tenancy: who may sign in, which names nobody may take, which tokens the tenancy API accepts.

export const DEFAULT_RESERVED_NAMES = ['default', 'admin', 'administrator', 'root', 'system', 'gatehouse', 'api', 'public', 'internal', 'kube-system', 'kube-public', 'all', 'global']

export const tenancyKeys = {
  requireOrganization: {
    kind: 'boolean',
    schema: z.boolean({ error: 'must be true or false' }),
    default: true,
    description: 'Refuse sign-in to users who belong to no organization (and hold no global role binding). Has no effect while no organization exists, so a fresh installation signs everyone in.',
    secret: false,
  } satisfies KeySpec<boolean>,
  reservedNames: {
    kind: 'list',
    schema: z.array(z.string().min(1).max(63)),
    default: DEFAULT_RESERVED_NAMES,
    description: 'Names no organization, project or new local account may take (compared case-insensitively after Unicode NFKC folding). New local accounts also may not take the name of an existing project.',
    secret: false,
  } satisfies KeySpec<string[]>,
  apiAudiences: {
    kind: 'list',
    schema: z.array(z.string().min(1).max(2048)),
    default: [],
    description: 'Audiences (resource-server indicators, see `resourceServers`) whose Gatehouse JWT access tokens the tenancy API (`/api/v1/organizations`, `/api/v1/roles`, `/api/v1/acl`, …) accepts as `Authorization: Bearer` for changes (POST, PUT, PATCH, DELETE): a client gets one by requesting `resource=<audience>`. Opaque access tokens (issued to any client, which may hand them to other services) may only read (GET); trusted issuers\' tokens and the preshared key may also change.',
    secret: false,
  } satisfies KeySpec<string[]>,
}
