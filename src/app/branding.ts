// Sets the brand of every page from configuration, and reads logo files once at start so the
// server can serve them (http/routes/branding.ts). A missing or unreadable file stops the start
// with the key to fix, rather than pages with a broken image.

import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { ConfigError, envVarFor, type GatehouseConfig } from '../config/index.ts'
import { LOGO_FILE_TYPES } from '../config/branding-keys.ts'
import { setBranding, type Brand } from '../identity/index.ts'

export interface LogoFile { body: Buffer; contentType: string }

/** Served logo files by URL path. */
export type LogoFiles = ReadonlyMap<string, LogoFile>

export const PRODUCT_LOGO_PATH = '/branding/logo'
export const organizationLogoPath = (organization: string) => `/branding/organizations/${encodeURIComponent(organization)}/logo`

export function applyBranding(config: GatehouseConfig): LogoFiles {
  const files = new Map<string, LogoFile>()
  const logoUrl = (value: string | undefined, path: string, key: string): string | undefined => {
    if (value === undefined || value === '') return undefined
    if (!value.startsWith('/')) return value
    try {
      files.set(path, { body: readFileSync(value), contentType: LOGO_FILE_TYPES[extname(value).toLowerCase()]! })
    } catch (err) {
      throw new ConfigError([`${key} (${envVarFor(key === 'brandLogo' ? 'brandLogo' : 'brandOrganizations')}): cannot read ${value}: ${(err as Error).message}`])
    }
    return path
  }
  const product: Brand = {
    name: config.brandName,
    logoUrl: logoUrl(config.brandLogo, PRODUCT_LOGO_PATH, 'brandLogo'),
    accent: config.brandAccentColor === '' ? undefined : config.brandAccentColor,
  }
  const organizations = Object.fromEntries(Object.entries(config.brandOrganizations).map(([org, b]) => [org, {
    name: b.name,
    logoUrl: logoUrl(b.logo, organizationLogoPath(org), `brandOrganizations.${org}.logo`),
    accent: b.accentColor === '' ? undefined : b.accentColor,
  } satisfies Partial<Brand>]))
  setBranding({ product, organizations })
  return files
}
