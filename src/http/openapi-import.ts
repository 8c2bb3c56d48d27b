// The tuple import route in the OpenAPI document: POST /stores/{store_id}/import, a streamed bulk
// write next to the OpenFGA API (whose other routes OpenFGA documents itself). Authenticated
// like Write: the preshared key or a platform administrator's token.

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const int = (description: string): Schema => ({ type: 'integer', minimum: 0, description })

const tupleKey: Schema = {
  type: 'object', required: ['user', 'relation', 'object'],
  description: 'A tuple key as Write takes it.',
  properties: {
    user: { type: 'string', description: '`type:id`, `type:*` or `type:id#relation`.' },
    relation: { type: 'string' },
    object: { type: 'string', description: '`type:id`.' },
    condition: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, context: { type: 'object' } } },
  },
}

const PROGRESS: Record<string, Schema> = {
  imported: int('Tuples written and committed.'),
  skipped: int('Duplicates skipped (on_duplicate=ignore).'),
  batches: int('Batches done, each one transaction and one store revision (none when it held nothing new).'),
}

export const importSchemas: Record<string, Schema> = {
  importTupleKey: tupleKey,
  importResult: { type: 'object', required: Object.keys(PROGRESS), properties: PROGRESS },
  importError: {
    type: 'object', required: ['code', 'message', ...Object.keys(PROGRESS)],
    description: 'Why the import stopped, where, and what was committed before: every batch before the failing one; nothing of the failing batch.',
    properties: {
      code: { type: 'string', description: 'As Write answers it: validation_error, write_failed_due_to_invalid_input (a duplicate under on_duplicate=error), Aborted (same key, another condition), store_id_not_found, latest_authorization_model_not_found.' },
      message: { type: 'string', description: 'Begins with `line N:` (or `tuple N:`) when one entry is at fault.' },
      index: int('0-based position of the failing entry in the input.'),
      line: int('1-based line where the failing entry starts.'),
      ...PROGRESS,
    },
  },
}

const query = (name: string, description: string, schema: Schema): Schema => ({ name, in: 'query', required: false, description, schema })

export function importPaths(): Record<string, Schema> {
  const failure = (description: string): Schema => ({ description, content: { 'application/json': { schema: ref('importError') } } })
  return {
    '/stores/{store_id}/import': {
      post: {
        summary: 'Import tuples in bulk',
        description: 'Streams tuple keys (JSON Lines, or one JSON array) into the store, validated exactly as Write validates them, '
          + 'written in transactions of `batch_size` tuples. The body is read entry by entry (each entry within the body limit), never held whole. '
          + 'On a bad entry the import stops: batches before it stay committed, its own batch writes nothing; the answer names the entry. '
          + 'Sending the same input again with on_duplicate=ignore resumes it.',
        tags: ['tuples'],
        parameters: [
          { name: 'store_id', in: 'path', required: true, schema: { type: 'string' } },
          query('on_duplicate', '`error` (default): a tuple already stored, or repeated in the input, stops the import; `ignore`: identical tuples are skipped.', { type: 'string', enum: ['error', 'ignore'] }),
          query('authorization_model_id', 'Model to validate against; default the latest.', { type: 'string' }),
          query('batch_size', 'Tuples per transaction, 1 to 10000 (default 5000).', { type: 'integer', minimum: 1, maximum: 10000 }),
        ],
        requestBody: {
          required: true,
          content: {
            'application/x-ndjson': { schema: ref('importTupleKey'), description: 'One tuple key per line (also application/jsonl).' },
            'application/json': { schema: { type: 'array', items: ref('importTupleKey') } },
          },
        },
        responses: {
          200: { description: 'Every entry imported (or skipped).', content: { 'application/json': { schema: ref('importResult') } } },
          400: failure('A bad entry or option (the entry\'s line and what was committed are in the body).'),
          401: { $ref: '#/components/responses/e401' },
          404: failure('No such store, or it has no model.'),
          409: failure('The same key is stored with another condition (Aborted).'),
        },
      },
    },
  }
}
