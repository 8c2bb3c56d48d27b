import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyBaseLogger } from 'fastify'
import type { AuthzApi, QueryMeta } from '../authz-api.ts'
import { toHttpError } from '../errors.ts'
import { numericCode } from '../openfga-codes.ts'
import { bodyOf, setModelHeader, type StoreParams } from './shared.ts'

/**
 * NDJSON, one `{"result":{"object":…}}` line per object. The first result is awaited before
 * the status is sent, so bad input still gets a normal 4xx reply; a failure after that can only
 * be reported in-band, as a `{"error":{"code":<number>,"message":…}}` line.
 */
export function streamedListObjectsRoute(app: FastifyInstance, authz: AuthzApi, bodyLimit: number): void {
  app.post<{ Params: StoreParams }>('/stores/:store_id/streamed-list-objects', async (request, reply) => {
    const meta: QueryMeta = {}
    const iterable = await authz.streamedListObjects(request.params.store_id, bodyOf(request.body), meta)
    const iterator = iterable[Symbol.asyncIterator]()
    const first = await iterator.next()
    setModelHeader(reply, meta)
    reply.type('application/x-ndjson; charset=utf-8')
    return reply.send(Readable.from(ndjsonLines(first, iterator, request.log, bodyLimit)))
  })
}

/** The NDJSON body: result lines, then at most one error line if the source fails. */
export async function* ndjsonLines(
  first: IteratorResult<{ object: string }>,
  iterator: AsyncIterator<{ object: string }>,
  log: FastifyBaseLogger,
  bodyLimit: number,
): AsyncGenerator<string> {
  let finished = false
  try {
    let next = first
    while (next.done !== true) {
      yield JSON.stringify({ result: { object: next.value.object } }) + '\n'
      next = await iterator.next()
    }
    finished = true
  } catch (err) {
    finished = true
    const { status, body, internal } = toHttpError(err, bodyLimit)
    if (internal) log.error({ err }, 'streamed list objects failed')
    yield JSON.stringify({ error: { code: numericCode(body.code, status), message: body.message, details: [] } }) + '\n'
  } finally {
    // A client that disconnects ends this generator early; let the engine stop its work.
    if (!finished) await iterator.return?.()
  }
}
