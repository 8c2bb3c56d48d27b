// The relationship store tools in the OpenAPI document: the model as DSL, DSL checked with line
// and column, and the change preview. The OpenFGA API itself (/stores/...) is OpenFGA's own.

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const str = (description: string): Schema => ({ type: 'string', description })
const int = (description: string): Schema => ({ type: 'integer', description })
const list = (items: Schema, description: string): Schema => ({ type: 'array', description, items })
const tupleKey: Schema = {
  type: 'object', required: ['object', 'relation', 'user'],
  properties: {
    object: str('`type:id`.'), relation: str('Relation.'), user: str('`type:id`, `type:*` or `type:id#relation`.'),
    condition: { type: 'object', required: ['name'], properties: { name: str('Condition name.'), context: { type: 'object' } } },
  },
}
const TAG = 'stores'
const WHO = 'Needs the preshared key or a platform administrator\'s access token.'

export const storeToolSchemas: Record<string, Schema> = {
  tuplePage: {
    type: 'object', required: ['tuples', 'continuation_token'],
    properties: {
      tuples: list({ type: 'object', required: ['key', 'timestamp'], properties: { key: tupleKey, timestamp: str('When it was written (RFC 3339).') } }, 'The page, as OpenFGA\'s Read answers it.'),
      continuation_token: str('For the next page; empty on the last one.'),
    },
  },
  modelDsl: { type: 'object', required: ['id', 'dsl'], properties: { id: str('The model id.'), dsl: str('The model in the OpenFGA modeling language.') } },
  modelDslInput: { type: 'object', additionalProperties: false, required: ['dsl'], properties: { dsl: str('Model DSL to check.') } },
  modelDslCheck: {
    type: 'object', required: ['valid', 'problems'],
    properties: {
      valid: { type: 'boolean', description: 'Whether WriteAuthorizationModel would accept the model.' },
      problems: list({
        type: 'object', required: ['message'],
        properties: { line: int('1-based line; absent for the model as a whole.'), column: int('1-based column.'), message: str('What is wrong.') },
      }, 'Syntax and type-check problems, empty when valid.'),
      authorization_model: { type: 'object', description: 'The JSON model, when valid (what to POST to /stores/{store_id}/authorization-models).' },
    },
  },
  changePreviewInput: {
    type: 'object', additionalProperties: false,
    properties: {
      dsl: str('A candidate model as DSL (or give authorization_model; neither: the latest model stays).'),
      authorization_model: { type: 'object', description: 'A candidate model as JSON.' },
      writes: list(tupleKey, 'Tuples the change would write (at most 1000).'),
      deletes: list(tupleKey, 'Tuples the change would delete (at most 1000).'),
      users: list(str('A user.'), 'Users to ask about; absent: every user the tuples mention.'),
      objects: list(str('An object.'), 'Objects to ask about; absent: every object the tuples mention.'),
      relations: list(str('A relation.'), 'Relations to ask about; absent: every relation of the object\'s type in either model.'),
      context: { type: 'object', description: 'Condition context for every check.' },
      limit: { type: 'integer', minimum: 1, maximum: 10000, description: 'Most questions asked (default 1000); `truncated` says when more were possible.' },
    },
  },
  changePreview: {
    type: 'object', required: ['sample', 'checked', 'truncated', 'counts', 'flips', 'current_model_id'],
    properties: {
      sample: { type: 'string', enum: ['given', 'sample'], description: '`given`: users, objects or relations came from the request; `sample`: the server drew them from the tuples.' },
      checked: int('Questions asked, each on both sides.'),
      truncated: { type: 'boolean', description: 'More questions were possible than `limit` allowed.' },
      counts: {
        type: 'object', required: ['granted', 'revoked', 'unchanged', 'undetermined'],
        properties: {
          granted: int('false before, true after.'), revoked: int('true before, false after.'), unchanged: int('Same answer.'),
          undetermined: int('A side could not decide (a condition needs context not given).'),
        },
      },
      flips: list({
        type: 'object', required: ['user', 'relation', 'object', 'before', 'after'],
        properties: { user: str('User.'), relation: str('Relation.'), object: str('Object.'), before: { type: 'boolean' }, after: { type: 'boolean' } },
      }, 'Answers that change.'),
      current_model_id: { type: ['string', 'null'], description: 'The latest model the "before" side used; null when the store has none.' },
    },
  },
}

export const STORE_TOOL_PARAMS: Record<string, string> = { store: 'The store id (a ULID).' }

const op = (summary: string, ok: Schema, errors: number[], extra: Schema = {}): Schema => ({
  summary, description: WHO, tags: [TAG], parameters: [{ $ref: '#/components/parameters/store' }, ...((extra.parameters as Schema[]) ?? [])],
  ...(extra.requestBody ? { requestBody: extra.requestBody } : {}),
  responses: {
    200: { description: 'OK.', content: { 'application/json': { schema: ok } } },
    ...Object.fromEntries([401, ...errors].sort().map((code) => [String(code), { $ref: `#/components/responses/e${code}` }])),
  },
})
const body = (name: string): Schema => ({ requestBody: { required: true, content: { 'application/json': { schema: ref(name) } } } })

export function storeToolPaths(): Record<string, Schema> {
  const base = '/api/v1/stores/{store}'
  return {
    [`${base}/model-dsl`]: {
      get: op('A model as DSL (the latest unless `id` names one)', ref('modelDsl'), [400, 403, 404], {
        parameters: [{ name: 'id', in: 'query', required: false, description: 'A model id.', schema: { type: 'string' } }],
      }),
    },
    [`${base}/model-dsl/validate`]: {
      post: op('Check model DSL without saving it: problems with line and column', ref('modelDslCheck'), [400, 403, 404], body('modelDslInput')),
    },
    [`${base}/tuples`]: {
      get: op('Tuples by any mix of object type, object, relation and user, in key order', ref('tuplePage'), [400, 403, 404], {
        parameters: [
          ['object_type', 'Objects of this type.'], ['object', '`type:id`, or the id when object_type is given.'], ['relation', 'Relation.'],
          ['user', '`type:id`, `type:*`, `type:id#relation`, or `type:` for every user of a type.'],
          ['page_size', 'Page size, 1 to 100 (default 50).'], ['continuation_token', 'From the previous page.'],
        ].map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
      }),
    },
    [`${base}/change-preview`]: {
      post: op('Which answers a model change and tuple writes/deletes would flip (nothing is written)', ref('changePreview'), [400, 403, 404], {
        ...body('changePreviewInput'),
      }),
    },
  }
}
