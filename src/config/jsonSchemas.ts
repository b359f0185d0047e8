import { stylizedConfigSchema } from './fig6Config.js';
import { toJsonSchema, type JsonSchema } from './schema.js';
import { sweepConfigSchema } from '../sweep/config.js';

/**
 * JSON Schemas of the config kinds, generated from the same schema objects that validate the
 * configs (src/config/schema.ts), so editors autocomplete and check exactly what the CLI
 * accepts (cross-field rules, such as p > q, are checked by the CLI only). Written to
 * schemas/<kind>.schema.json by `npm run schemas`; configs point at them with "$schema".
 */
export const CONFIG_KINDS = {
  'stylized-config': { schema: stylizedConfigSchema, title: 'lossyscale stylized-model config (simulate, theory; e.g. sims/fig6.json)' },
  'sweep-config': { schema: sweepConfigSchema, title: 'lossyscale real-data sweep config (sweep; e.g. sims/fashion-mnist-cpu.json)' },
} as const;

export type ConfigKind = keyof typeof CONFIG_KINDS;

/** The JSON Schema document of one config kind. */
export function configJsonSchema(kind: ConfigKind): JsonSchema {
  const { schema, title } = CONFIG_KINDS[kind];
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://lossyscale.invalid/schemas/${kind}.schema.json`, title, ...toJsonSchema(schema) };
}

/** The file text of a kind's schema (stable: 2-space JSON, trailing newline). */
export function configJsonSchemaText(kind: ConfigKind): string {
  return JSON.stringify(configJsonSchema(kind), null, 2) + '\n';
}
