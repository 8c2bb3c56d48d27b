// What the pages people see are branded with: the product's name, its logo and an accent colour,
// set once from configuration when the server starts, with overrides per organization for the
// sign-in of users routed to it. Kept here, next to the page frame, so every page (sign-in,
// consent, device, account, errors, forward-auth) reads the same values without threading them
// through each call.

export interface Brand {
  /** Shown in the page header and the title. */
  name: string
  /** An https URL, or a path on this server (/branding/logo); absent: a monogram of the name. */
  logoUrl?: string
  /** `#rgb` or `#rrggbb`; absent: the design's own blue. */
  accent?: string
}

export interface Branding {
  product: Brand
  /** Organization name → its brand; fields it leaves out come from the product's. */
  organizations: Readonly<Record<string, Partial<Brand>>>
}

/** The authorization parameter naming the organization a sign-in is for: its pages wear that organization's brand. */
export const ORGANIZATION_PARAM = 'organization'

export const DEFAULT_BRAND: Brand = { name: 'Gatehouse' }

let current: Branding = { product: DEFAULT_BRAND, organizations: {} }

export function setBranding(branding: Branding): void {
  current = branding
}

/** The product's brand, or an organization's over it. */
export function brandFor(organization?: string): Brand {
  const own = organization === undefined ? undefined : current.organizations[organization]
  if (own === undefined) return current.product
  // Another name under the product's logo would misname one of them: a renamed brand without
  // a logo of its own gets the monogram of its name.
  const base = own.name !== undefined && own.logoUrl === undefined ? { ...current.product, logoUrl: undefined } : current.product
  return { ...base, ...stripUndefined(own) }
}

/** Whether an organization has a brand of its own. */
export const hasOrganizationBrand = (organization: string): boolean => current.organizations[organization] !== undefined

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>
}

export const ACCENT_COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/

function rgb(hex: string): [number, number, number] {
  const h = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1)
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number]
}

/** WCAG relative luminance. */
function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((v) => {
    const c = v / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/**
 * The accent's tokens, in both colour schemes: buttons, focus rings and highlights take it; text
 * on it is black or white, whichever reads better. Links keep the design's own colours, which
 * are checked for contrast against both backgrounds whatever the accent.
 */
export function accentStyle(accent: string | undefined): string {
  if (accent === undefined || !ACCENT_COLOUR.test(accent)) return ''
  const l = luminance(accent)
  // Contrast with white is 1.05/(l+.05); with black (l+.05)/.05: take the larger.
  const onAccent = 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#fff' : '#000'
  return `:root{--accent:${accent};--accent-hover:color-mix(in srgb,${accent} 84%,${onAccent === '#fff' ? '#000' : '#fff'});--on-accent:${onAccent}}`
}
