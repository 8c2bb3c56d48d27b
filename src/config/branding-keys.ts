import { isAbsolute } from 'node:path'
import { z } from 'zod'
import type { KeySpec } from './schema.ts'

// Branding of the pages people see (sign-in, consent, device, account, sign-out, errors,
// forward-auth): the product's name, logo and accent colour, and the same per organization.

/** A logo is an https URL, or an image file on this server that Gatehouse serves itself. */
export const LOGO_FILE_TYPES: Readonly<Record<string, string>> = {
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif',
}

export function logoProblem(value: string): string | undefined {
  if (value === '') return undefined
  if (isAbsolute(value)) {
    const ext = value.slice(value.lastIndexOf('.')).toLowerCase()
    return LOGO_FILE_TYPES[ext] === undefined ? `a logo file must be one of ${Object.keys(LOGO_FILE_TYPES).join(', ')}` : undefined
  }
  try {
    return new URL(value).protocol === 'https:' ? undefined : 'a logo URL must be https:'
  } catch {
    return 'must be an https URL or an absolute file path'
  }
}

const logo = z.string().max(2048, 'must be at most 2048 characters').superRefine((value, ctx) => {
  const problem = logoProblem(value)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
})
const colour = z.string().regex(/^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6})?$/, 'must be a colour written #rgb or #rrggbb')
const name = z.string().max(60, 'must be at most 60 characters')

export interface OrganizationBrandConfig {
  name?: string
  logo?: string
  accentColor?: string
}

const organizationBrand = z.object({ name: name.min(1).optional(), logo: logo.optional(), accentColor: colour.optional() }).strict()

export const brandingKeys = {
  brandName: {
    kind: 'string',
    schema: name.min(1, 'must not be empty'),
    default: 'Gatehouse',
    description: 'The product name the pages people see carry in their header and title (sign-in, consent, device, account, sign-out, errors, forward-auth).',
    secret: false,
  } satisfies KeySpec<string>,
  brandLogo: {
    kind: 'string',
    schema: logo,
    default: '',
    description: 'The logo in the pages\' header: an https URL, or the absolute path of an SVG, PNG, JPEG, WebP or GIF file, which Gatehouse reads at start and serves at /branding/logo. Empty: a monogram of `brandName`. Its alt text is `brandName`.',
    secret: false,
  } satisfies KeySpec<string>,
  brandAccentColor: {
    kind: 'string',
    schema: colour,
    default: '',
    description: 'Accent colour of buttons, focus rings and highlights, `#rgb` or `#rrggbb`, in both light and dark mode; text on it is black or white, whichever contrasts more. Empty: the design\'s own blue.',
    secret: false,
  } satisfies KeySpec<string>,
  brandOrganizations: {
    kind: 'json',
    schema: z.record(z.string().min(1), organizationBrand) as z.ZodType<Record<string, OrganizationBrandConfig>>,
    default: {} as Record<string, OrganizationBrandConfig>,
    description: 'Branding per organization, keyed by organization name: `{ <name>: { name?, logo?, accentColor? } }` (a YAML map, or JSON in the env var), each field as `brandName`, `brandLogo`, `brandAccentColor`, and falling back to them. Used on the sign-in pages of a request that names the organization (`organization=<name>`) or whose email (`login_hint`, or the one entered) is of a domain the organization claims. A logo file is served at /branding/organizations/<name>/logo.',
    secret: false,
  } satisfies KeySpec<Record<string, OrganizationBrandConfig>>,
}
