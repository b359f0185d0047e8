import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KINDS, configJsonSchema, configJsonSchemaText, type ConfigKind } from '../src/config/jsonSchemas.js';
import { parseStylizedConfig } from '../src/config/fig6Config.js';
import { applyOverrides, parseOverrides } from '../src/config/overrides.js';
import { parseSweepConfig } from '../src/sweep/config.js';
import { repoRoot } from '../src/provenance.js';
import { LIMITS } from '../src/util/limits.js';

const parsers: Record<ConfigKind, (j: unknown) => unknown> = { 'stylized-config': parseStylizedConfig, 'sweep-config': parseSweepConfig };
const shipped = ['sims', join('sims', 'gpu')].flatMap((d) => readdirSync(join(repoRoot, d)).filter((f) => f.endsWith('.json')).map((f) => join(repoRoot, d, f)));

describe('config JSON Schemas', () => {
  it('schemas/*.schema.json are what `npm run schemas` writes from the validating schemas', () => {
    for (const kind of Object.keys(CONFIG_KINDS) as ConfigKind[]) {
      expect(readFileSync(join(repoRoot, 'schemas', `${kind}.schema.json`), 'utf8'), `schemas/${kind}.schema.json is stale: run npm run schemas`).toBe(configJsonSchemaText(kind));
    }
  });

  it('every shipped config names the schema of the kind that validates it, and uses only its properties', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(7);
    for (const file of shipped) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const ref = json.$schema;
      expect(typeof ref, `${file} has a $schema`).toBe('string');
      const target = resolve(dirname(file), ref as string);
      expect(existsSync(target), `${file}: ${ref} exists`).toBe(true);
      const kind = (target.split('/').pop() as string).replace('.schema.json', '') as ConfigKind;
      expect(() => parsers[kind](json), `${file} validates as ${kind}`).not.toThrow();
      const props = configJsonSchema(kind).properties as Record<string, unknown>;
      for (const k of Object.keys(json)) expect(Object.keys(props), `${file}: ${k} is in the schema`).toContain(k);
      for (const k of configJsonSchema(kind).required as string[]) expect(json, `${file}: required ${k}`).toHaveProperty(k);
    }
  });

  it('the JSON Schema carries the validator bounds (e.g. simulation.reps integer >= 1)', () => {
    const s = configJsonSchema('stylized-config') as { properties: { simulation: { properties: { reps: unknown } } } };
    expect(s.properties.simulation.properties.reps).toEqual({ type: 'integer', minimum: 1, maximum: LIMITS.reps });
    expect(() => parseStylizedConfig(applyOverrides(JSON.parse(readFileSync(join(repoRoot, 'sims', 'fig6.json'), 'utf8')), parseOverrides(['simulation.reps=0'])))).toThrow(/config\.simulation\.reps: 0 \(valid: an integer (>= 1|in \[1, )/);
  });

  it('--set parses JSON values, falls back to strings, creates missing objects and records itself', () => {
    const o = parseOverrides(['a.b=3', 'a.c=[1,2]', 'd=hello', 'e.f.g=true']);
    expect(applyOverrides({ a: { x: 1 } }, o)).toEqual({ a: { x: 1, b: 3, c: [1, 2] }, d: 'hello', e: { f: { g: true } }, overrides: ['a.b=3', 'a.c=[1,2]', 'd=hello', 'e.f.g=true'] });
    expect(() => parseOverrides(['nokey'])).toThrow(/--set: "nokey"/);
    expect(() => applyOverrides({ a: 1 }, parseOverrides(['a.b=2']))).toThrow(/config\.a is not an object/);
  });
});
