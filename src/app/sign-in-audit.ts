// Sign-ins in the audit log: who signed in through which provider, who was refused for belonging
// to no organization, and failed attempts (a wrong password, an upstream error). The console's
// overview and `GET /api/v1/audit?action=user.sign_in` read them. Recording never fails a sign-in.

import { localSubject } from '../lib/index.ts'
import type { AuditEntryInput, AuditRepo } from '../store/index.ts'
import type { Logger } from './logger.ts'

export const SIGN_IN_ACTION = 'user.sign_in'

export interface SignInAudit {
  /** A sign-in that completed (`allowed`) or was refused by the organization rule. */
  signedIn(subject: string, allowed: boolean, context: { sourceIp?: string; upstream: string; username: string }): Promise<void>
  /** A local password sign-in that failed; `code` is the error's stable code. */
  localFailed(username: string, code: string, sourceIp?: string): Promise<void>
  /** An upstream leg that failed (state mismatch, token error, the provider's own error). */
  upstreamFailed(upstream: string, err: unknown): Promise<void>
}

export function createSignInAudit(repo: AuditRepo, logger: Logger): SignInAudit {
  const record = async (entry: AuditEntryInput) => {
    try {
      await repo.append(entry)
    } catch (err) {
      logger.warn({ err, action: entry.action }, 'could not record a sign-in in the audit log')
    }
  }
  return {
    signedIn: (subject, allowed, { sourceIp, upstream, username }) => record({
      actor: subject, actorType: 'user', action: SIGN_IN_ACTION, target: `user:${subject}`,
      outcome: allowed ? 'success' : 'denied', ...(sourceIp ? { sourceIp } : {}),
      details: allowed ? { upstream, username } : { upstream, username, reason: 'no_organization' },
    }),
    localFailed: (username, code, sourceIp) => record({
      // The name is what was typed: it may not be an account at all.
      actor: 'anonymous', actorType: 'anonymous', action: SIGN_IN_ACTION, target: `user:${localSubject(username)}`,
      outcome: 'failure', ...(sourceIp ? { sourceIp } : {}), details: { upstream: 'local', reason: code },
    }),
    upstreamFailed: (upstream, err) => record({
      actor: 'anonymous', actorType: 'anonymous', action: SIGN_IN_ACTION, target: `upstream:${upstream}`,
      outcome: 'failure', details: { upstream, reason: reasonOf(err) },
    }),
  }
}

/** A stable code when the error has one; never a stack or a token. */
function reasonOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { code, error } = err as { code?: unknown; error?: unknown }
    if (typeof code === 'string' && code !== '') return code
    if (typeof error === 'string' && error !== '') return error
  }
  return 'upstream_error'
}
