// One call from OpenFGA JSON (any accepted spelling) to a validated, compiled model.
import type { AuthorizationModelJson } from '../../store/types.ts'
import type { CompiledModel } from './compiled.ts'
import { normalizeModel } from './json.ts'
import { compileModel } from './validate.ts'

/** Validates and compiles a model; throws AuthzError (invalid_authorization_model, ...) when it is not valid. */
export function compileModelJson(json: AuthorizationModelJson | Record<string, unknown>, id = 'model'): CompiledModel {
  return compileModel(id, normalizeModel(json))
}
