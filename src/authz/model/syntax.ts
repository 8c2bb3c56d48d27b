// The reference DSL transformer, loaded at its first use: parsing its grammar costs about a tenth
// of the start-up time, and a server whose models arrive as JSON never needs it.
import { createRequire } from 'node:module'

type SyntaxTransformer = typeof import('@openfga/syntax-transformer')

let loaded: SyntaxTransformer | undefined

export function syntax(): SyntaxTransformer {
  loaded ??= createRequire(import.meta.url)('@openfga/syntax-transformer') as SyntaxTransformer
  return loaded
}
