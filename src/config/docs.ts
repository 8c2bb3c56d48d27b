import { CONFIG_FILE_ENV, CONFIG_KEY_NAMES, envVarFor, specOf } from './schema.ts'

/** The text of docs/configuration.md, generated from the schema so the two cannot drift. */
export function configurationMarkdown(): string {
  const rows = CONFIG_KEY_NAMES.map((name) => {
    const spec = specOf(name)
    const fallback = typeof spec.default === 'function' ? (spec.defaultText ?? '(computed)') : formatDefault(spec.default)
    return `| \`${name}\` | \`${envVarFor(name)}\` | ${spec.kind} | ${cell(fallback)} | ${spec.secret ? 'yes' : 'no'} | ${cell(spec.description)} |`
  })
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Gatehouse reads its configuration from three sources; a later source overrides an earlier one:',
    '',
    '1. the defaults below;',
    `2. a YAML file given with \`--config FILE\` or \`${CONFIG_FILE_ENV}=FILE\` (keys as in the first column);`,
    '3. environment variables (second column).',
    '',
    'Lists are comma-separated in the environment and YAML sequences (or comma-separated strings) in the file.',
    'Booleans accept `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`). An empty environment variable counts as unset.',
    'Invalid values stop the program with exit status 2 and a message naming the key and its environment variable.',
    '`gatehouse config print` shows the effective configuration with secrets redacted.',
    '',
    '| key | env var | type | default | secret | description |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}

function formatDefault(value: unknown): string {
  if (value === '') return '(unset)'
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : `\`${value.join(',')}\``
  return `\`${String(value)}\``
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}
