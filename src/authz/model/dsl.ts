// The OpenFGA modeling language: DSL text to the JSON model, through the reference transformer.
// Only the transformer's DSL→JSON step is used; validation is ours (compileModel), because the
// package's own validator can throw TypeError on valid models.
import { syntax } from './syntax.ts'
import type { AuthorizationModelJson } from '../../store/types.ts'
import { validationError } from '../errors.ts'

/** Turns model DSL into OpenFGA's JSON model; throws validation_error with the syntax errors. */
export function modelFromDsl(dsl: string): AuthorizationModelJson {
  try {
    return syntax().transformer.transformDSLToJSONObject(dsl) as unknown as AuthorizationModelJson
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n').filter((l) => l.trim()).join('; ') : String(err)
    throw validationError(`invalid model DSL: ${message}`)
  }
}

/** Turns a JSON model (with or without its id) back into DSL text, as `fga model get` prints it. */
export function modelToDsl(model: unknown): string {
  try {
    const { transformer } = syntax()
    return transformer.transformJSONToDSL(model as Parameters<typeof transformer.transformJSONToDSL>[0])
  } catch (err) {
    throw validationError(`cannot write the model as DSL: ${err instanceof Error ? err.message : String(err)}`)
  }
}
