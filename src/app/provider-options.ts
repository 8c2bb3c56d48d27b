// The provider options that follow from configuration alone, shared by the serving provider and
// the one that only validates client metadata, so both accept exactly the same clients.

import type { GatehouseConfig } from '../config/index.ts'
import type { OidcProviderOptions } from '../identity/index.ts'
import { loadMtlsFiles, mtlsBaseUrl } from './mtls.ts'

export type ConfiguredProviderOptions = Pick<OidcProviderOptions, 'issuer' | 'ttl' | 'claimNamespace' | 'resourceServers' | 'mtls'>

export function configuredProviderOptions(config: GatehouseConfig): ConfiguredProviderOptions {
  const mtlsFiles = loadMtlsFiles(config)
  return {
    issuer: config.issuer,
    ttl: {
      accessToken: config.accessTokenTtlSeconds,
      idToken: config.idTokenTtlSeconds,
      refreshToken: config.refreshTokenTtlSeconds,
      session: config.sessionTtlSeconds,
    },
    claimNamespace: config.claimNamespace,
    resourceServers: config.resourceServers.map(({ accessTokenTtlSeconds, ...rs }) => ({ ...rs, accessTokenTtl: accessTokenTtlSeconds })),
    mtls: mtlsFiles && { baseUrl: mtlsBaseUrl(config), clientCaConfigured: mtlsFiles.clientCa !== undefined },
  }
}
