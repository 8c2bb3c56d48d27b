import { z } from 'zod'
import type { KeySpec } from './schema.ts'

// Access tokens from identity providers an organization keeps (Authentik, Okta, Keycloak …),
// accepted beside Gatehouse's own.

export const trustedIssuerSchema = z.object({
  /** The `iss` the tokens carry, exactly. */
  issuer: z.string().url('issuer must be a URL'),
  /** Accepted `aud` values; a token must carry one of them. */
  audiences: z.array(z.string().min(1)).min(1, 'audiences must name at least one audience'),
  /** Where the signing keys are; default: the issuer's discovery document's jwks_uri. */
  jwksUri: z.string().url('jwksUri must be a URL').optional(),
  /** Claim with the user's groups (a list, or one space- or comma-separated string). */
  groupsClaim: z.string().min(1).max(200).default('groups'),
  /**
   * Qualifies the token's groups for tenancy (`<id>:<group>`, as organizations' groups name
   * upstream groups). Default: the id of the upstream whose issuer is exactly the same; without
   * either, the issuer's groups never count in tenancy. The server refuses to start when two
   * trusted issuers get one prefix or when it is the id of an upstream with another issuer.
   */
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'id must be 1 to 64 of A-Z a-z 0-9 . _ -').optional(),
}).strict()

export type TrustedIssuerConfig = z.output<typeof trustedIssuerSchema>

export const trustedIssuerKeys = {
  trustedIssuers: {
    kind: 'json',
    schema: z.array(trustedIssuerSchema).superRefine((list, ctx) => {
      const seen = new Set<string>()
      for (const t of list) {
        if (seen.has(t.issuer)) ctx.addIssue({ code: 'custom', message: `trusted issuer ${t.issuer} is listed twice` })
        seen.add(t.issuer)
      }
    }) as z.ZodType<TrustedIssuerConfig[]>,
    default: [],
    description: 'External issuers whose JWT access tokens Gatehouse accepts as `Authorization: Bearer` (forward-auth and the tenancy API): `{ issuer, audiences, jwksUri?, groupsClaim?, id? }`. The signature is checked against the issuer\'s keys, then `iss`, `aud` (one of `audiences`), `exp`/`nbf`. The user is the same subject a sign-in through that issuer as an upstream gets (`ext:` + hash of issuer and `sub`); groups come from `groupsClaim`. For tenancy the groups are qualified as `<id>:<group>` (as organizations\' `upstreamGroups` name them): `id` defaults to the id of the upstream whose issuer is exactly `issuer`; without either, the issuer\'s groups do not count in tenancy (its users count by subject only). When two trusted issuers would share a prefix, or `id` is the id of an upstream with another issuer, the server refuses to start (each IdP must name only its own groups).',
    secret: false,
  } satisfies KeySpec<TrustedIssuerConfig[]>,
}
