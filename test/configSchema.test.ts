import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arr, loadConfig, num, obj, oneOf, optional, str } from '../src/config/schema.js';
import { parseStylizedConfig } from '../src/config/fig6Config.js';
import { parseSweepConfig } from '../src/sweep/config.js';

const schema = obj({
  name: str({ nonEmpty: true }),
  reps: num({ integer: true, min: 1 }),
  kind: optional(oneOf(['a', 'b'] as const), 'a'),
  grid: arr(num({ min: 0, minOpen: true }), { minLength: 1, increasing: true }),
  note: optional(str()),
});

describe('config schema', () => {
  it('parses, fills defaults and keeps optional fields absent', () => {
    const c = schema.parse({ name: 'x', reps: 3, grid: [1, 2] }, 'config');
    expect(c).toEqual({ name: 'x', reps: 3, kind: 'a', grid: [1, 2] });
  });
  it('names the bad field, its value and the valid range', () => {
    expect(() => schema.parse({ name: 'x', reps: 0, grid: [1] }, 'config')).toThrow('invalid config.reps: 0 (valid: an integer >= 1)');
    expect(() => schema.parse({ name: 'x', reps: 1, grid: [2, 1] }, 'config')).toThrow(/config.grid\[1\].*strictly increasing/);
    expect(() => schema.parse({ name: 'x', reps: 1, grid: [1], extra: 1 }, 'config')).toThrow(/config.extra.*unknown field/);
    expect(() => schema.parse({ reps: 1, grid: [1] }, 'config')).toThrow(/config.name: missing/);
  });
  it('config seeds are exact integers: above 2^53 - 1 they are refused (was: seed 1e20 accepted, where distinct seeds collapse to one double)', () => {
    const fig6 = JSON.parse(readFileSync('sims/fig6.json', 'utf8')) as Record<string, unknown>;
    expect(() => parseStylizedConfig({ ...fig6, seed: 1e20 })).toThrow('invalid config.seed: 100000000000000000000 (valid: an integer >= 0 <= 9007199254740991)');
    expect(parseStylizedConfig({ ...fig6, seed: Number.MAX_SAFE_INTEGER }).seed).toBe(Number.MAX_SAFE_INTEGER);
    const sweep = JSON.parse(readFileSync('sims/fashion-mnist-cpu.json', 'utf8')) as Record<string, unknown>;
    expect(() => parseSweepConfig({ ...sweep, seed: 2 ** 60 })).toThrow(/invalid config\.seed: .*<= 9007199254740991/);
  });
  it('a value nested deeper than the stack allows is named by its path (was: exit 1, "Maximum call stack size exceeded")', () => {
    const deep = JSON.parse('{"name":"x","reps":1,"grid":[1],"extra":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}') as unknown;
    expect(() => schema.parse(deep, 'config')).toThrow('invalid config.extra: "(a value nested too deeply to show)" (valid: a known field of config');
    const sweep = JSON.parse(readFileSync('sims/fashion-mnist-cpu.json', 'utf8')) as Record<string, unknown>;
    const nested = JSON.parse('[' .repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(() => parseSweepConfig({ ...sweep, trainer: 'torch', trainerOptions: nested })).toThrow(/invalid config\.trainerOptions: "\(a value nested too deeply to show\)"/);
  });
  it('reports malformed and missing files as resource errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'bad.json'), '{"name": ');
    expect(() => loadConfig(join(dir, 'bad.json'), schema)).toThrow(/malformed config/);
    expect(() => loadConfig(join(dir, 'none.json'), schema)).toThrow(/cannot read config .*ENOENT/);
  });
});
