// A streamed error line carries OpenFGA's numeric code (google.rpc.Status), where HTTP error
// bodies carry the name. The engine owns the table; the http layer adds its own auth code.
import { ERROR_CODES } from '../authz/index.ts'

const HTTP_ONLY: Record<string, number> = { bearer_token_missing: 1010 }

/** The numeric code for an error name; unknown names fall back by HTTP status class. */
export function numericCode(code: string, status: number): number {
  const known = (ERROR_CODES as Record<string, number>)[code] ?? HTTP_ONLY[code]
  if (known !== undefined) return known
  if (status === 401 || status === 403) return 1500
  if (status === 404) return 5000
  if (status === 409) return 10
  if (status === 422 || status === 429) return 3500
  if (status >= 400 && status < 500) return 2000
  return 4000
}
