import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, NON_FINITE, runCli, textLines, type CliOutcome } from './cliHarness.js';

/**
 * Fuzz suite: for every command, fast-check mutates a cheap valid invocation (bad flag values,
 * unknown and missing flags, broken configs, random CSV and JSON inputs) and checks the CLI
 * contract: exit 0 or 2; on exit 2 at most one stderr line; never a stack trace; no NaN or
 * Infinity on stdout; done within a time bound. Seeds are fixed; FUZZ_RUNS=N (default 12 per
 * command) runs longer locally, FUZZ_SEED=S another seed. Commands run in this process through
 * the CLI's main (test/cliHarness.ts), with the working directory in a scratch folder.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const TIME_BOUND_S = 30;
const repo = resolve('.');
const tmp = mkdtempSync(join(tmpdir(), 'fuzz-'));
let probe = 0;
const fresh = (name: string): string => join(tmp, `${name}-${probe++}`);
const fig6 = JSON.parse(readFileSync(join(repo, 'sims/fig6.json'), 'utf8')) as Record<string, unknown>;

/** A tiny valid stylized config (milliseconds per repetition). */
const tinyStylized = {
  ...fig6,
  levels: [2, 3, 4],
  lambda: { schedule: 'theorem1', lambda0: { from: 0.1, to: 10, count: 3 } },
  theory: { n: { from: 100, to: 1000, count: 3 } },
  simulation: { n: { from: 300, to: 1500, count: 3, floor: true }, reps: 2, extraLevels: 1, validationSize: 200, testSize: 200 },
  out: join(tmp, 'stylized-out'),
};
const folderRoot = join(tmp, 'folder');
const tinySweep = {
  name: 'fuzz', dataset: { kind: 'folder', root: folderRoot, testFraction: 0.25 }, trainer: 'ridge', trainerOptions: { lambdaGrid: [0.1, 1] }, seed: 1,
  split: { validationSize: 6 }, codec: { cacheDir: join(tmp, 'codec'), workers: 0, effort: 1 },
  grid: { fractions: [0.5, 1], distances: [0, 1, 3], seeds: 1 }, fit: {}, figures: { png: false },
};
const goodCsv = ['n,L,error', ...[100, 200, 400, 800].flatMap((n) => [10, 20, 40].map((L) => `${n},${L},${(0.1 + 2 * n ** -0.5 + 0.5 * L ** -0.7).toFixed(6)}`))].join('\n') + '\n';
const riskCsv = 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,100,3,1\n2.01,2,0.99,1,1000,4,opt\n';

const BAD_NUMBERS = ['', ' ', '-1', '0', '-0', '0x10', '1_000', 'NaN', 'Infinity', '-Infinity', '1e400', '1e-400', '1e12', '1e308', '0.5', 'abc', '١٢', '--', '-', '1,2', '2.', '.', 'null'];
const BAD_JSON_VALUES: unknown[] = [-1, 0, 0.5, 1e12, -1e300, 'abc', '', null, [], {}, true, [1, 'x'], { x: 1 }];

function writeTmp(name: string, content: string | Buffer): string {
  const p = fresh(name);
  writeFileSync(p, content);
  return p;
}

/** Arbitrary CSV text: a header from the expected and odd columns, rows of numbers, words, blanks and bad numerals. */
const csvText = (columns: string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.shuffledSubarray([...columns, 'extra', '', 'n'], { minLength: 0 }),
      fc.array(fc.array(fc.oneof(fc.double({ noNaN: false }).map(String), fc.integer({ min: -5, max: 5000 }).map(String), fc.constantFrom(...BAD_NUMBERS), fc.string({ maxLength: 4 })), { maxLength: 8 }), { maxLength: 6 }),
      fc.boolean(),
    )
    .map(([head, rows, bom]) => (bom ? '\ufeff' : '') + [head.join(','), ...rows.map((r) => r.join(','))].join('\n'));

/** Set a random (possibly nested, possibly new) field of a config to a bad value. */
const mutatedConfig = (base: Record<string, unknown>): fc.Arbitrary<string> => {
  const paths: string[][] = [];
  const walk = (o: unknown, p: string[]): void => {
    if (o && typeof o === 'object' && !Array.isArray(o)) for (const [k, v] of Object.entries(o)) { paths.push([...p, k]); walk(v, [...p, k]); }
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...BAD_JSON_VALUES), fc.constantFrom('set', 'delete', 'add'), fc.constantFrom('', '\ufeff'), fc.boolean()).map(([path, value, op, bom, truncate]) => {
    const c = structuredClone(base);
    let o = c as Record<string, unknown>;
    for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
    const last = path[path.length - 1];
    if (op === 'set') o[last] = value;
    else if (op === 'delete') delete o[last];
    else o[`${last}Typo`] = value;
    const text = bom + JSON.stringify(c, null, 1);
    return truncate ? text.slice(0, Math.floor(text.length / 2)) : text;
  });
};

/** A flag value: a bad number, a path of some kind, or random text. */
const flagValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...BAD_NUMBERS),
  fc.constantFrom('missing-file', 'a-dir', 'a-file', 'relative/dir'),
  fc.string({ maxLength: 12 }),
  fc.double().map(String),
);

type Probe = { argv: string[] };

interface CommandSpec {
  /** A cheap valid invocation (fresh output paths per probe). */
  base: () => string[];
  /** Flags the command knows (mutations give them bad values). */
  flags: string[];
  /** Extra generators of whole probes (bad configs, CSV and JSON inputs). */
  inputs?: fc.Arbitrary<Probe>;
}

function resolveValue(v: string): string {
  if (v === 'a-dir') return tmp;
  if (v === 'a-file') return writeTmp('file', 'x');
  if (v === 'missing-file') return join(tmp, 'no', 'such', 'file');
  return v;
}

const commands: Record<string, CommandSpec> = {
  exponents: { base: () => ['exponents', '--json'], flags: ['p', 'q', 'r'] },
  risk: {
    base: () => ['risk', '--n', '100', '--m', '3', '--lambda', '1', '--json'],
    flags: ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda', 'grid'],
    inputs: csvText(['p', 'q', 'r', 'tau', 'n', 'm', 'lambda']).map((t) => ({ argv: ['risk', '--grid', writeTmp('grid.csv', t), '--json'] })),
  },
  fit: {
    base: () => ['fit', '--in', writeTmp('obs.csv', goodCsv), '--bootstrap', '0', '--out', fresh('fit-out')],
    flags: ['bootstrap', 'estimator', 'form', 'format', 'hold-out', 'huber-delta', 'seed', 'task', 'extrapolate', 'compare'],
    inputs: csvText(['n', 'L', 'error', 'seed']).map((t) => ({ argv: ['fit', '--in', writeTmp('obs.csv', t), '--bootstrap', '0', '--json'] })),
  },
  optimize: {
    base: () => ['optimize', '--stylized', '--storage-grid', '1e3,1e5,3', '--out', fresh('opt-out')],
    flags: ['storage', 'storage-grid', 'p', 'q', 'r', 'tau', 'min-bytes', 'max-bytes', 'original-bytes', 'available', 'fixed', 'format'],
    inputs: fc.oneof(fc.jsonValue(), fc.constant({ Estar: 0.1, A: 1, alpha: 0.5, B: 1, beta: 'x' })).map((j) => ({ argv: ['optimize', '--law', writeTmp('law.json', JSON.stringify(j) ?? ''), '--storage', '1e6'] })),
  },
  theory: {
    base: () => ['theory', '--config', writeTmp('stylized.json', JSON.stringify(tinyStylized)), '--out', fresh('theory-out'), '--no-figures'],
    flags: ['out', 'figures'],
    inputs: mutatedConfig(tinyStylized).map((t) => ({ argv: ['theory', '--config', writeTmp('stylized.json', t), '--out', fresh('theory-out'), '--no-figures'] })),
  },
  simulate: {
    base: () => ['simulate', '--config', writeTmp('stylized.json', JSON.stringify(tinyStylized)), '--out', fresh('sim-out'), '--figures', fresh('sim-fig'), '--workers', '1', '--quiet'],
    flags: ['reps', 'workers', 'max-memory', 'adopt', 'p', 'lambda'],
    inputs: fc.oneof(
      mutatedConfig(tinyStylized).map((t) => ({ argv: ['simulate', '--config', writeTmp('stylized.json', t), '--out', fresh('sim-out'), '--figures', fresh('sim-fig'), '--workers', '1', '--quiet'] })),
      fc.tuple(fc.constantFrom('p', 'q', 'r', 'tau', 'n', 'm', 'lambda', 'seed', 'extra'), fc.constantFrom(...BAD_NUMBERS)).map(([k, v]) => {
        const point: Record<string, string> = { p: '2.01', q: '2', r: '0.99', tau: '1', n: '50', m: '3', lambda: '1', seed: '1', extra: '1' };
        point[k] = v;
        return { argv: ['simulate', ...Object.entries(point).flatMap(([a, b]) => [`--${a}`, b]), '--reps', '2', '--workers', '1', '--json'] };
      }),
    ),
  },
  codec: {
    base: () => ['codec', 'sizes', '--limit', '3', '--distances', '1', '--workers', '0', '--effort', '1', '--cache', fresh('codec-cache'), '--json'],
    flags: ['distances', 'part', 'effort', 'backend', 'workers', 'cache', 'dataset', 'root', 'size', 'seed', 'test-fraction'],
  },
  dataset: {
    base: () => ['dataset', 'info', '--dataset', 'folder', '--root', folderRoot, '--json'],
    flags: ['dataset', 'root', 'size', 'test-fraction', 'validation-fraction', 'max-per-class', 'seed'],
  },
  sweep: {
    base: () => ['sweep', '--config', writeTmp('sweep.json', JSON.stringify(tinySweep)), '--run', fresh('sweep-run'), '--allow-skipped', '--quiet'],
    flags: ['run', 'max-memory', 'resume', 'adopt'],
    inputs: fc.oneof(
      mutatedConfig(tinySweep).map((t) => ({ argv: ['sweep', '--config', writeTmp('sweep.json', t), '--run', fresh('sweep-run'), '--quiet'] })),
      fc.array(fc.oneof(fc.jsonValue().map((j) => JSON.stringify(j) ?? ''), fc.string({ maxLength: 30 })), { maxLength: 4 }).map((lines) => ({ argv: ['sweep', 'ingest', writeTmp('results.jsonl', lines.join('\n')), '--run', fresh('ingest-run'), '--quiet'] })),
    ),
  },
  report: {
    base: () => ['report', '--run', join(tmp, 'report-run'), '--out', fresh('report-out')],
    flags: ['run', 'out'],
    inputs: fc.jsonValue().map((j) => {
      const dir = fresh('bad-run');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'run.json'), JSON.stringify(j) ?? '');
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(j) ?? '');
      return { argv: ['report', '--run', dir, '--out', fresh('report-out')] };
    }),
  },
};

/** Mutations of a command's base invocation. */
function flagProbes(spec: CommandSpec): fc.Arbitrary<Probe> {
  return fc
    .tuple(fc.constantFrom('value', 'unknown', 'drop-value', 'duplicate', 'positional'), fc.constantFrom(...spec.flags), flagValue)
    .map(([kind, flag, value]) => {
      const argv = spec.base();
      const v = resolveValue(value);
      if (kind === 'value') {
        const i = argv.indexOf(`--${flag}`);
        if (i >= 0 && i + 1 < argv.length && !argv[i + 1].startsWith('--')) argv[i + 1] = v;
        else argv.push(`--${flag}`, v);
      } else if (kind === 'unknown') argv.push(`--${flag}x`, v);
      else if (kind === 'drop-value') argv.push(`--${flag}`);
      else if (kind === 'duplicate') argv.push(`--${flag}`, v, `--${flag}`, v);
      else argv.splice(1, 0, v);
      return { argv };
    });
}

function check(argv: string[], r: CliOutcome): void {
  const where = `${JSON.stringify(argv)} -> ${r.code}\n${r.stderr.slice(0, 600)}`;
  expect([0, 2], where).toContain(r.code);
  if (r.code === 2) expect(textLines(r.stderr).length, where).toBeLessThanOrEqual(1);
  expect(hasStackTrace(r.stderr), where).toBe(false);
  // A path or value the probe passed in may itself read "NaN"; only numbers the command computed count.
  const own = argv.reduce((t, a) => (a.length > 2 ? t.split(a).join('') : t), r.stdout);
  expect(own, where).not.toMatch(NON_FINITE);
  expect(r.seconds, where).toBeLessThan(TIME_BOUND_S);
}

const cwd = process.cwd();
beforeAll(async () => {
  for (const c of ['a', 'b']) {
    mkdirSync(join(folderRoot, c), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const p = new PNG({ width: 8, height: 8 });
      for (let k = 0; k < 64; k++) p.data.set([(k * 9 + i * 17 + c.charCodeAt(0)) % 256, (k * 5) % 256, i * 20, 255], k * 4);
      writeFileSync(join(folderRoot, c, `${i}.png`), PNG.sync.write(p));
    }
  }
  // Relative paths a probe makes up land in the scratch folder, never in the repository.
  process.chdir(tmp);
  const sim = await runCli(['simulate', '--config', writeTmp('stylized.json', JSON.stringify(tinyStylized)), '--out', join(tmp, 'report-run'), '--figures', join(tmp, 'report-run', 'figures'), '--workers', '1', '--quiet']);
  expect(sim.code, sim.stderr).toBe(0);
}, 120_000);
afterAll(() => {
  process.chdir(cwd);
  rmSync(tmp, { recursive: true, force: true });
});

describe('fuzz: every command keeps the CLI contract on bad input', () => {
  for (const [name, spec] of Object.entries(commands)) {
    it(`${name}: exit 0 or 2, one stderr line on 2, no stack trace, no NaN/Infinity on stdout, bounded time`, async () => {
      const base = await runCli(spec.base());
      expect(base.code, `base ${name}: ${base.stderr}`).toBe(0);
      const probes = spec.inputs ? fc.oneof(flagProbes(spec), spec.inputs) : flagProbes(spec);
      await fc.assert(
        fc.asyncProperty(probes, async ({ argv }) => {
          check(argv, await runCli(argv));
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }, 600_000);
  }
});
