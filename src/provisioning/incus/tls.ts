// TLS material for talking to incusd: the client certificate (PEM pair or PKCS#12) and how the
// server is trusted — a CA (or the server's own self-signed certificate), or a pinned SHA-256
// fingerprint. Checked when the client is built, so a broken key fails configuration, not delivery.

import { X509Certificate } from 'node:crypto'
import { connect, createSecureContext, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import { provisioningConfigError, rejectedDelivery, retryableDelivery } from '../errors.ts'

export interface IncusTlsOptions {
  /** Client certificate (PEM text), with `key`. Or give `pfx` instead. */
  cert?: string
  /** Private key of `cert` (PEM text). */
  key?: string
  /** Client certificate and key as PKCS#12 (.pfx/.p12 bytes), with an optional `passphrase`. */
  pfx?: Uint8Array
  passphrase?: string
  /**
   * Trusted CA certificates (PEM), or the server's own self-signed certificate
   * (`$INCUS_DIR/server.crt`). The URL's host must then be one of the certificate's names.
   */
  ca?: string
  /**
   * SHA-256 fingerprint of the server certificate (hex, colons and case ignored), as
   * `incus remote add` shows it. Only that certificate is accepted, whatever names it carries.
   */
  serverFingerprint?: string
}

/** Normalizes a fingerprint to lower-case hex without separators; undefined when malformed. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[:\s]/g, '').toLowerCase()
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined
}

function fingerprintOf(cert: PeerCertificate): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase()
}

/** The client-certificate part of the TLS options, verified to load. */
export function clientCredentials(o: IncusTlsOptions, where: string): ConnectionOptions {
  const pem = o.cert !== undefined || o.key !== undefined
  if (pem && o.pfx !== undefined) throw provisioningConfigError(where, 'give either cert + key or pfx, not both')
  if (!pem && o.pfx === undefined) throw provisioningConfigError(where, 'a client certificate is required (cert + key, or pfx)')
  if (pem && (!o.cert || !o.key)) throw provisioningConfigError(where, 'cert and key go together')
  const creds: ConnectionOptions = pem ? { cert: o.cert, key: o.key } : { pfx: Buffer.from(o.pfx!), passphrase: o.passphrase }
  try {
    createSecureContext(creds)
  } catch (err) {
    // OpenSSL's reason ("mac verify failure", "bad decrypt") names no secret.
    throw provisioningConfigError(where, `the client certificate cannot be loaded (${(err as Error).message})`)
  }
  return creds
}

/** Checks the trust options; returns the normalized pin, if any. */
export function serverTrust(o: IncusTlsOptions, where: string): { ca?: string; pin?: string } {
  if (o.ca === undefined && o.serverFingerprint === undefined) {
    throw provisioningConfigError(where, 'the server must be verified: give ca or serverFingerprint')
  }
  if (o.ca !== undefined) {
    try {
      new X509Certificate(o.ca)
    } catch {
      throw provisioningConfigError(where, 'ca is not a PEM certificate')
    }
  }
  if (o.serverFingerprint === undefined) return { ca: o.ca }
  const pin = normalizeFingerprint(o.serverFingerprint)
  if (!pin) throw provisioningConfigError(where, 'serverFingerprint must be 64 hex digits (SHA-256)')
  return { ca: o.ca, pin }
}

/** checkServerIdentity for a pinned server: only the fingerprint counts, names are ignored. */
export function pinnedIdentity(pin: string): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => fingerprintOf(cert) === pin ? undefined : pinMismatch(pin, fingerprintOf(cert))
}

function pinMismatch(pin: string, got: string): Error {
  return rejectedDelivery(`the Incus server certificate (SHA-256 ${got}) does not match the pinned fingerprint ${pin}`, undefined, {
    expected: pin, actual: got,
  })
}

/**
 * Fetches the server certificate once, without sending anything, and returns it as PEM when its
 * fingerprint is the pinned one. The real connections then trust exactly that certificate, so
 * OpenSSL rejects an impostor during the handshake, before a request byte is written — rather
 * than accepting any certificate and checking it afterwards.
 */
export function fetchPinnedCertificate(host: string, port: number, pin: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: isIp(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs })
    const fail = (err: Error) => { socket.destroy(); reject(err) }
    socket.once('timeout', () => fail(retryableDelivery(`Incus at ${host}:${port} did not complete a TLS handshake within ${timeoutMs} ms`)))
    socket.once('error', (err) => fail(retryableDelivery(`Incus at ${host}:${port} is unreachable (${(err as NodeJS.ErrnoException).code ?? err.message})`, err)))
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate()
      socket.end()
      if (!cert) return fail(retryableDelivery(`Incus at ${host}:${port} sent no certificate`))
      const got = cert.fingerprint256.replace(/:/g, '').toLowerCase()
      if (got !== pin) return fail(pinMismatch(pin, got))
      resolve(cert.toString())
    })
  })
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}
