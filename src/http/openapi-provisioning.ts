// The provisioning admin API in the OpenAPI document: events and their attempts, replay, stats,
// the configured targets and rules, and the dry run. Behind the preshared key only (the
// operator), like the rest of the admin API outside tenancy.

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra })
const int = (description: string): Schema => ({ type: 'integer', description })
const time = (description: string): Schema => ({ type: ['string', 'null'], format: 'date-time', description })
const list = (items: Schema, description: string): Schema => ({ type: 'array', description, items })
const TAG = 'provisioning'
const OPERATOR = 'Needs the preshared key.'

const EVENT_FIELDS: Record<string, Schema> = {
  id: int('The outbox entry: one delivery of one event to one action of one rule.'),
  event_id: str('The event (`evt_` + ULID), shared by its deliveries; webhook receivers see it as `webhook-id`.'),
  type: str('user.signed_in, user.disabled, project.created, project.updated or project.deleted.'),
  subject: str('Who or what the event is about: a user\'s subject or `project:<id>`; the unit of ordering per target.'),
  target: str('The target id, or `store:<id>` for a store of this Gatehouse.'),
  action: str('`<rule id>.<action>`: incusProject, tuples, groupSync or webhook.'),
  state: str('pending, done or dead.', { enum: ['pending', 'done', 'dead'] }),
  attempts: int('Attempts so far (reset by a replay).'),
  next_attempt_at: time('When a pending event is tried next; null once finished.'),
  last_error: { type: ['string', 'null'], description: 'What the last failed attempt was told.' },
  created_at: time('Enqueued, in the transaction of the change.'),
  updated_at: time('Last change.'),
  finished_at: time('Done or dead; null while pending.'),
}

export const provisioningSchemas: Record<string, Schema> = {
  provisioningEvent: { type: 'object', description: 'An outbox entry.', required: Object.keys(EVENT_FIELDS), properties: EVENT_FIELDS },
  provisioningEventDetail: {
    type: 'object', description: 'An outbox entry with its attempts and the event it delivers (see docs/events.md).',
    allOf: [ref('provisioningEvent')],
    properties: {
      history: list({
        type: 'object', required: ['at', 'outcome', 'detail', 'duration_ms'],
        properties: { at: str('RFC 3339 time.', { format: 'date-time' }), outcome: str('done, retry or dead.'), detail: str('What the downstream system did or said.'), duration_ms: int('How long the attempt took.') },
      }, 'The most recent attempts, oldest first.'),
      payload: { type: 'object', description: 'The event: `{ id, type, timestamp, data }`.' },
    },
  },
  provisioningEventPage: {
    type: 'object', description: 'Events, newest first.', required: ['items'],
    properties: { items: list(ref('provisioningEvent'), 'The page.'), continuation_token: str('For the next page; absent on the last one.') },
  },
  provisioningStats: {
    type: 'object', required: ['pending', 'dead', 'done', 'oldest_pending_at', 'by_target'],
    properties: {
      pending: int('Events waiting for delivery (due or backing off).'), dead: int('Events in the dead letters.'), done: int('Delivered events kept for inspection.'),
      oldest_pending_at: time('Enqueue time of the oldest pending event.'),
      by_target: list({ type: 'object', properties: { target: str('Target.'), state: str('State.'), count: int('Events.') } }, 'Counts by target and state.'),
    },
  },
  provisioningConfiguration: {
    type: 'object', required: ['targets', 'rules'],
    properties: {
      targets: list({ type: 'object', properties: { id: str('Id.'), kind: str('incus, webhook or openfga.'), url: str('Where it is reached.') } }, 'Configured targets (no secrets).'),
      rules: list({ type: 'object', properties: { id: str('Id.'), on: list(str('Event type.'), 'Events the rule listens to.'), when: { type: ['object', 'null'] }, actions: list(str('Action.'), 'Its actions.') } }, 'Configured rules.'),
    },
  },
  provisioningPreviewInput: {
    type: 'object', additionalProperties: false, required: ['username'],
    properties: {
      username: str('The user\'s name as `{{ user.username }}` sees it.'), email: str('Email.'), name: str('Display name.'),
      subject: str('Subject (default `preview:<username>`).'), issuer: str('Issuer.'),
      groups: list(str('An upstream group.'), 'Upstream groups.'),
      organizations: list({ type: 'object', required: ['name'], properties: { id: str('Id.'), name: str('Name.'), groups: list(str('Group name.'), 'The user\'s groups there.') } }, 'Organizations.'),
    },
  },
  provisioningPreview: {
    type: 'object', required: ['rules'],
    properties: { rules: list({ type: 'object', description: 'What one rule would do: `matches`, and per action the rendered project, tuples or webhook target; `error` when a template cannot render for this user.' }, 'Rules listening to user.signed_in.') },
  },
  provisioningReplayInput: { type: 'object', additionalProperties: false, properties: { target: str('Only this target\'s dead events.') } },
}

const op = (summary: string, ok: [number, Schema], errors: number[], extra: Schema = {}): Schema => ({
  summary, description: OPERATOR, tags: [TAG], ...extra,
  responses: {
    [String(ok[0])]: { description: 'OK.', content: { 'application/json': { schema: ok[1] } } },
    ...Object.fromEntries([401, ...errors].sort().map((code) => [String(code), { $ref: `#/components/responses/e${code}` }])),
  },
})
const body = (name: string): Schema => ({ requestBody: { required: false, content: { 'application/json': { schema: ref(name) } } } })
const eventParam = { parameters: [{ $ref: '#/components/parameters/event' }] }
const QUERY: Array<[string, string]> = [
  ['state', 'pending, done or dead.'], ['target', 'Target id.'], ['subject', 'Subject.'], ['type', 'Event type.'], ['event_id', 'One event\'s deliveries.'],
  ['page_size', 'Page size, 1 to 500 (default 100).'], ['limit', 'Older name of page_size.'], ['continuation_token', 'From the previous page.'],
]

export const PROVISIONING_PARAMS: Record<string, string> = { event: 'The outbox entry id (a positive whole number).' }

export function provisioningPaths(): Record<string, Schema> {
  const base = '/api/v1/provisioning'
  const wrapped = (name: string): Schema => ({ type: 'object', required: ['event'], properties: { event: ref(name) } })
  return {
    [`${base}/events`]: {
      get: op('List provisioning events, newest first', [200, ref('provisioningEventPage')], [400], {
        parameters: QUERY.map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
      }),
    },
    [`${base}/events/{event}`]: { get: op('One event with its attempts and payload', [200, wrapped('provisioningEventDetail')], [400, 404], eventParam) },
    [`${base}/events/{event}/replay`]: { post: op('Deliver a finished event again (attempts reset)', [200, wrapped('provisioningEventDetail')], [400, 404, 409], eventParam) },
    [`${base}/replay`]: { post: op('Deliver every dead event again', [200, { type: 'object', properties: { replayed: int('How many.') } }], [400], body('provisioningReplayInput')) },
    [`${base}/stats`]: { get: op('Queue depth by target and state', [200, ref('provisioningStats')], []) },
    [`${base}/configuration`]: { get: op('The targets and rules in force', [200, ref('provisioningConfiguration')], []) },
    [`${base}/preview`]: { post: op('What each rule would do for a user (nothing is contacted)', [200, ref('provisioningPreview')], [400], body('provisioningPreviewInput')) },
  }
}
