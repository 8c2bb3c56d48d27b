// A minimal OpenFGA HTTP client with the facade's method names, so the same test logic can run
// in-process (embedding) and over HTTP. Errors carry the response's `code`, `status`, `message`.

export class HttpApiError extends Error {
  readonly code: string
  readonly status: number
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

export function openFgaHttpClient(baseUrl: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (token) headers.authorization = `Bearer ${token}`
    const res = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    const json = text ? JSON.parse(text) : undefined
    if (!res.ok) throw new HttpApiError(res.status, json?.code ?? String(res.status), json?.message ?? text)
    return json
  }
  const s = (storeId: string) => `/stores/${encodeURIComponent(storeId)}`
  return {
    call,
    createStore: (body: unknown) => call('POST', '/stores', body),
    getStore: (storeId: string) => call('GET', s(storeId)),
    deleteStore: (storeId: string) => call('DELETE', s(storeId)),
    writeAuthorizationModel: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/authorization-models`, body),
    readAuthorizationModel: (storeId: string, id: string) => call('GET', `${s(storeId)}/authorization-models/${id}`),
    write: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/write`, body),
    read: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/read`, body),
    check: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/check`, body),
    batchCheck: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/batch-check`, body),
    expand: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/expand`, body),
    listObjects: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/list-objects`, body),
    listUsers: (storeId: string, body: unknown) => call('POST', `${s(storeId)}/list-users`, body),
  }
}
