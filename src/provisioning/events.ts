// Provisioning events: what happened (a sign-in, a disabled user, a tenancy project change) and
// the snapshot of the user or project it concerns. Each is written to the outbox with the change
// that caused it and delivered as this JSON (schema in docs/events.md): a delivery acts on the
// snapshot it carries, so a retry or a replay does the same thing.

import { newUlid, type Clock } from '../lib/index.ts'
import type { JsonObject } from '../store/index.ts'

export const USER_EVENTS = ['user.signed_in', 'user.disabled'] as const
export const PROJECT_EVENTS = ['project.created', 'project.updated', 'project.deleted'] as const
export type UserEventType = (typeof USER_EVENTS)[number]
export type ProjectEventType = (typeof PROJECT_EVENTS)[number]
export type EventType = UserEventType | ProjectEventType

export interface EventOrganization {
  id: string
  name: string
  /** The user's groups in it (names). */
  groups: string[]
}

export interface ProvisioningUser {
  /** Gatehouse's subject: `local:<username>` or `ext:<hash>`. */
  subject: string
  /** The issuer that vouched for the user (Gatehouse's own for local accounts). */
  issuer: string
  /** Stable across sign-ins; valid as an OpenFGA id. */
  username: string
  email?: string
  name?: string
  /** Upstream groups as the identity provider names them. */
  groups: string[]
  /** The same, qualified by the upstream's id: `<upstream>:<group>`. */
  upstreamGroups: string[]
  organizations: EventOrganization[]
}

export interface ProvisioningProject {
  id: string
  name: string
  /** The owning organization's name and id. */
  organization: string
  organizationId: string
  /** Names of the groups the project is shared with. */
  groups: string[]
}

export type ProvisioningEvent =
  | { id: string; type: UserEventType; at: Date; user: ProvisioningUser }
  | { id: string; type: ProjectEventType; at: Date; project: ProvisioningProject }

export function userEvent(type: UserEventType, user: ProvisioningUser, clock: Clock): ProvisioningEvent {
  return { id: `evt_${newUlid()}`, type, at: clock.now(), user }
}

export function projectEvent(type: ProjectEventType, project: ProvisioningProject, clock: Clock): ProvisioningEvent {
  return { id: `evt_${newUlid()}`, type, at: clock.now(), project }
}

/** The outbox's ordering unit: one user's events, or one project's, are delivered in order. */
export function eventSubject(event: ProvisioningEvent): string {
  return 'user' in event ? event.user.subject : `project:${event.project.id}`
}

/** The documented JSON form (webhook body, outbox payload). */
export function eventJson(event: ProvisioningEvent): JsonObject {
  const base = { id: event.id, type: event.type, timestamp: event.at.toISOString() }
  if ('user' in event) return { ...base, data: { user: { ...event.user } } } as unknown as JsonObject
  return { ...base, data: { project: { ...event.project } } } as unknown as JsonObject
}

/** Reads an outbox payload back; undefined when it is not an event this version knows. */
export function eventFromJson(json: JsonObject): ProvisioningEvent | undefined {
  const { id, type, timestamp, data } = json as { id?: unknown; type?: unknown; timestamp?: unknown; data?: { user?: ProvisioningUser; project?: ProvisioningProject } }
  if (typeof id !== 'string' || typeof type !== 'string' || typeof timestamp !== 'string' || data === undefined) return undefined
  const at = new Date(timestamp)
  if ((USER_EVENTS as readonly string[]).includes(type) && data.user) return { id, type: type as UserEventType, at, user: data.user }
  if ((PROJECT_EVENTS as readonly string[]).includes(type) && data.project) return { id, type: type as ProjectEventType, at, project: data.project }
  return undefined
}
