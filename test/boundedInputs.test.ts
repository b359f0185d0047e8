import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectExit2 } from './cliHarness.js';
import { parseByteSize } from '../src/util/limits.js';
import { estimateSimulation } from '../src/simulate/estimate.js';
import { planFromConfig } from '../src/simulate/plan.js';
import { parseStylizedConfig } from '../src/config/fig6Config.js';
import { FIGURE6_MODEL } from '../src/model/params.js';
import { levelTerms } from '../src/theory/fixedPoint.js';
import { optimalRisk, optimalRiskFromTerms } from '../src/theory/optimalLambda.js';

/**
 * Every count, grid size and memory-scaling input has a documented maximum (docs/reliability.md, "Limits and memory")
 * checked before any allocation: sizes that used to crash the process natively or run out of
 * memory now exit 2 with one line naming the parameter and the valid range.
 */
const tmp = mkdtempSync(join(tmpdir(), 'bounded-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fig6 = JSON.parse(readFileSync('sims/fig6.json', 'utf8')) as Record<string, Record<string, unknown>>;

function config(name: string, edit: (c: typeof fig6) => void): string {
  const c = structuredClone(fig6);
  c.out = join(tmp, name) as never;
  edit(c);
  const p = join(tmp, `${name}.json`);
  writeFileSync(p, JSON.stringify(c));
  return p;
}

async function refused(argv: string[], param: RegExp): Promise<void> {
  expect((await expectExit2(argv, param)).seconds).toBeLessThan(10);
}

describe('bounded inputs', () => {
  it('theory: n.count 1e9 (was a V8 fatal error, rc 133) is refused', async () => {
    await refused(['theory', '--config', config('ncount', (c) => ((c.theory.n as Record<string, unknown>).count = 1e9))], /config\.theory\.n\.count.*10000/);
  });
  it('n above 1e300 (was: risk --lambda opt and optimize --stylized never ended, the lambda scan ran to ln(1e8 n) = Infinity) is refused', async () => {
    await refused(['risk', '--n', '1e305', '--m', '1', '--lambda', 'opt'], /^lossyscale: invalid n: 1e\+305 \(valid: 1 <= n <= 1e300 \(number of training samples\)\)$/m);
    const grid = join(tmp, 'big-n.csv');
    writeFileSync(grid, 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,1e305,1,opt\n');
    await refused(['risk', '--grid', grid, '--json'], /big-n\.csv row 1 \(line 2\) column n: 1e\+305 \(valid: 1 <= n <= 1e300/);
    await refused(['optimize', '--stylized', '--storage', '1e3,1e4,1e305'], /invalid --storage: 1e\+305 \(valid: budgets up to 1e300 bytes with --stylized\)/);
    expect(() => optimalRiskFromTerms(levelTerms(FIGURE6_MODEL, 2), 1e305)).toThrow(/invalid n: 1e\+305/);
    expect(optimalRisk(FIGURE6_MODEL, 1e300, 3).risk).toBeGreaterThan(1);
  });
  it('theory: n.count x lambda0.count x levels above 1e8 solves (was: allowed, about 40 min without a word at 10,000 x 10,000 x 60) is refused', async () => {
    const big = config('theory-work', (c) => {
      (c.theory.n as Record<string, unknown>).count = 10_000;
      ((c.lambda as Record<string, Record<string, unknown>>).lambda0).count = 10_000;
    });
    await refused(['theory', '--config', big, '--no-figures', '--out', join(tmp, 'theory-work-out')], /invalid config\.theory\.n\.count: 10000 \(valid: theory\.n\.count x lambda\.lambda0\.count x levels <= 100000000 fixed-point solves\); this config needs 800000000/);
  });
  it('optimize --stylized --storage-grid 1e3,1e10,1e9 (was out of memory, rc 134) is refused', async () => {
    await refused(['optimize', '--stylized', '--storage-grid', '1e3,1e10,1e9'], /--storage-grid.*3\.\.10000/);
  });
  it('simulate: reps 1e12 (was "unexpected error: Invalid array length", exit 1) is refused', async () => {
    await refused(['simulate', '--config', config('reps', (c) => (c.simulation.reps = 1e12))], /config\.simulation\.reps.*1000000/);
    await refused(['simulate', '--config', 'sims/fig6.json', '--reps', '1e12', '--out', join(tmp, 'x')], /--reps/);
  });
  it('simulate: simulation.n.count, validationSize and testSize have maxima', async () => {
    await refused(['simulate', '--config', config('simn', (c) => ((c.simulation.n as Record<string, unknown>).count = 5000))], /simulation\.n\.count/);
    await refused(['simulate', '--config', config('val', (c) => (c.simulation.validationSize = 1e9))], /validationSize/);
    await refused(['simulate', '--config', config('test', (c) => (c.simulation.testSize = 1e9))], /testSize/);
  });
  it('sweep: testSize, validationSize and lambda-grid length have maxima, checked before the dataset loads', async () => {
    const base = { name: 'b', dataset: { kind: 'fashion-mnist' }, trainer: 'ridge', seed: 1, split: { validationSize: 60, poolSize: 100, testSize: 100 }, codec: { cacheDir: join(tmp, 'cache') }, grid: { fractions: [1], distances: [0, 2], seeds: 1 }, fit: {} };
    const write = (name: string, c: unknown): string => {
      const p = join(tmp, `${name}.json`);
      writeFileSync(p, JSON.stringify(c));
      return p;
    };
    await refused(['sweep', '--config', write('s1', { ...base, split: { ...base.split, testSize: 1e12 } }), '--run', join(tmp, 'r1')], /config\.split\.testSize/);
    await refused(['sweep', '--config', write('s2', { ...base, split: { ...base.split, validationSize: 1e12 } }), '--run', join(tmp, 'r2')], /config\.split\.validationSize/);
    await refused(['sweep', '--config', write('s3', { ...base, trainerOptions: { lambdaGrid: Array.from({ length: 5000 }, () => 1) } }), '--run', join(tmp, 'r3')], /lambdaGrid.*(1\.\.1000|at most 1000 items)/);
    await refused(['sweep', '--config', write('s4', { ...base, trainerOptions: { lambdaGrid: [1, -1] } }), '--run', join(tmp, 'r4')], /lambdaGrid\[1\]/);
  });
  it('sweep ingest: the number of bundle shards has a maximum', async () => {
    await refused(['sweep', 'ingest', ...Array.from({ length: 10_001 }, (_, i) => `s${i}.jsonl`), '--run', join(tmp, 'ing')], /BUNDLE_RESULTS.*at most 10000/);
  });
  it('--max-memory refuses a run whose estimate is larger, and prints nothing else', async () => {
    await refused(['simulate', '--config', 'sims/fig6.json', '--out', join(tmp, 'mm'), '--max-memory', '16M'], /--max-memory.*estimated/);
    await refused(['simulate', '--config', 'sims/fig6.json', '--out', join(tmp, 'mm'), '--max-memory', 'lots'], /--max-memory: "lots"/);
  });
  it('parses byte sizes and estimates the Figure-6 run within its measured order of magnitude', () => {
    expect(parseByteSize('--max-memory', '4G')).toBe(4 * 2 ** 30);
    expect(parseByteSize('--max-memory', '512MiB')).toBe(512 * 2 ** 20);
    expect(() => parseByteSize('--max-memory', '0')).toThrow(/--max-memory/);
    // Measured: 50 repetitions in 118 CPU seconds (docs/monte-carlo.md); the estimate is within 3x.
    const e = estimateSimulation(planFromConfig(parseStylizedConfig(fig6)), 2);
    expect(e.seconds).toBeGreaterThan(118 / 3);
    expect(e.seconds).toBeLessThan(118 * 3);
    expect(e.memoryBytes).toBeLessThan(2 ** 30);
  });
});
