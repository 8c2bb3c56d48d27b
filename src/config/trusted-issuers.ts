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
   * upstream groups). Default: the id of the upstream with the same issuer, else the issuer's host.
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
    description: 'External issuers whose JWT access tokens Gatehouse accepts as `Authorization: Bearer` (forward-auth): `{ issuer, audiences, jwksUri?, groupsClaim? }`. The signature is checked against the issuer\'s keys, then `iss`, `aud` (one of `audiences`), `exp`/`nbf`. The user is the same subject a sign-in through that issuer as an upstream gets (`ext:` + hash of issuer and `sub`); groups come from `groupsClaim`.',
    secret: false,
  } satisfies KeySpec<TrustedIssuerConfig[]>,
}
