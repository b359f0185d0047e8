// Writes schemas/<kind>.schema.json from the config schemas (src/config/jsonSchemas.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KINDS, configJsonSchemaText, type ConfigKind } from '../src/config/jsonSchemas.js';
import { repoRoot } from '../src/provenance.js';

mkdirSync(join(repoRoot, 'schemas'), { recursive: true });
for (const kind of Object.keys(CONFIG_KINDS) as ConfigKind[]) {
  writeFileSync(join(repoRoot, 'schemas', `${kind}.schema.json`), configJsonSchemaText(kind));
  console.log(`wrote schemas/${kind}.schema.json`);
}
