// Canonical subjects and their relationship-engine users. Shared by identity (which issues them)
// and tenancy (which keys memberships by them), so both always derive the same strings.

import { createHash } from 'node:crypto'

export const LOCAL_SUBJECT_PREFIX = 'local:'
export const EXTERNAL_SUBJECT_PREFIX = 'ext:'
/** Subjects of service clients (client_credentials) in forward-auth and relationship checks. */
export const SERVICE_SUBJECT_PREFIX = 'service:'

/** Subject prefixes no client id may take, so a client can never pass for an account. */
export const RESERVED_SUBJECT_PREFIXES = [LOCAL_SUBJECT_PREFIX, EXTERNAL_SUBJECT_PREFIX, SERVICE_SUBJECT_PREFIX] as const

/** The issuer name tenancy uses for local accounts in `{ id, issuer }` subjects. */
export const LOCAL_ISSUER = 'local'

export function localSubject(username: string): string {
  return LOCAL_SUBJECT_PREFIX + username.normalize('NFKC').toLowerCase()
}

/**
 * Stable, opaque and URL-safe per (upstream issuer, upstream sub): the newline cannot occur in
 * an issuer URL, so two different pairs never hash the same input.
 */
export function externalSubject(issuer: string, sub: string): string {
  return EXTERNAL_SUBJECT_PREFIX + createHash('sha256').update(`${issuer}\n${sub}`).digest('base64url')
}

export function serviceSubject(clientId: string): string {
  return SERVICE_SUBJECT_PREFIX + clientId
}

/** The canonical subject of `{ id, issuer }`: `local` for local accounts, else the issuer URL. */
export function subjectOf(id: string, issuer: string): string {
  return issuer === LOCAL_ISSUER ? localSubject(id) : externalSubject(issuer, id)
}

/**
 * OpenFGA ids cannot hold `:`, `#` or white space: those (and `%`) are percent-encoded as their
 * UTF-8 bytes, like URLs, so the mapping is one-to-one (U+2001 is `%E2%80%81`, never `%20` + `01`).
 */
export function escapeRelationshipId(text: string): string {
  return text.replace(/[%:#\s]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
}

/**
 * The relationship-engine user for a subject: `user:local.admin`, `user:ext.<hash>`,
 * `service:<client id>`. The mapping is one-to-one and documented for tuple writers.
 */
export function relationshipUser(subject: string): string {
  const escape = escapeRelationshipId
  if (subject.startsWith(SERVICE_SUBJECT_PREFIX)) return `service:${escape(subject.slice(SERVICE_SUBJECT_PREFIX.length))}`
  const colon = subject.indexOf(':')
  return colon < 0 ? `user:${escape(subject)}` : `user:${escape(subject.slice(0, colon))}.${escape(subject.slice(colon + 1))}`
}
