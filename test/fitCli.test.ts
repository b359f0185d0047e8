import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { observationsToCsv, parseObservationsCsv } from '../src/fit/csv.js';
import { compareForms } from '../src/fit/compareForms.js';
import { readFig6Observations } from '../src/fit/fig6Observations.js';
import { extrapolationCheck } from '../src/fit/extrapolation.js';
import { fitLaw } from '../src/fit/fitLaw.js';
import { fitTable } from '../src/fit/tables.js';
import { predictRaw, type LawObservation } from '../src/fit/lawForms.js';
import { repoRoot } from '../src/provenance.js';
import { createRng } from '../src/util/rng.js';
import { jsonLines } from './jsonLines.js';
import { expectExit2, runCli } from './cliHarness.js';

const TRUTH = { Estar: 0.1, A: 5, alpha: 0.5, B: 30, beta: 0.8 };

function synth(seed: number, noise: number, reps = 5, form: 'additive' | 'multiplicative' = 'additive'): LawObservation[] {
  const rng = createRng(seed);
  const rows: LawObservation[] = [];
  for (const n of [100, 300, 1000, 3000, 10000, 30000]) {
    for (const L of [10, 30, 100, 300, 1000]) {
      for (let s = 0; s < reps; s++) rows.push({ n, L, error: predictRaw(form, TRUTH, n, L) * (1 + noise * rng.normal()), seed: s });
    }
  }
  return rows;
}

let dir = '';
let csvPath = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lossyscale-fit-'));
  csvPath = join(dir, 'errors.csv');
  writeFileSync(csvPath, observationsToCsv(synth(1, 0.02)));
});
afterEach(() => vi.restoreAllMocks());

describe('CSV input (THEORY.md section 6)', () => {
  it('reads n,L,error[,seed] in any column order, ignores extra columns, comments and blank lines', () => {
    const rows = parseObservationsCsv('# measured\nseed,error,"L",n,distance\n0,0.5,100,1000,d1\n\n1,"0.25",200,2000,d2\n');
    expect(rows).toEqual([
      { n: 1000, L: 100, error: 0.5, seed: 0 },
      { n: 2000, L: 200, error: 0.25, seed: 1 },
    ]);
  });
  it('names the line and column of a bad value', () => {
    expect(() => parseObservationsCsv('n,L,error\n1,2,3\n4,5,abc\n', 'x.csv')).toThrow(/x\.csv line 3 column "error": "abc"/);
    expect(() => parseObservationsCsv('n,L,error\n0,2,3\n', 'x.csv')).toThrow(/line 2 column "n"/);
    expect(() => parseObservationsCsv('n,L\n1,2\n', 'x.csv')).toThrow(/missing column "error"/);
    expect(() => parseObservationsCsv('n,L,error\n1,2\n', 'x.csv')).toThrow(/line 2.*3 comma-separated fields/);
    expect(() => parseObservationsCsv('', 'x.csv')).toThrow(/x\.csv/);
  });
});

describe('lossyscale fit', () => {
  it('--json prints Estar, A, alpha, B, beta with standard errors, intervals, r2, rmse and the form', async () => {
    const r = await runCli(['fit', '--in', csvPath, '--json', '--bootstrap', '30']);
    expect(r.code).toBe(0);
    const law = JSON.parse(r.stdout);
    expect(law.form).toBe('additive');
    expect(law.estimator).toBe('lsq');
    for (const k of ['Estar', 'A', 'alpha', 'B', 'beta']) {
      expect(typeof law.params[k]).toBe('number');
      expect(typeof law.stdErr[k]).toBe('number');
      expect(law.intervals[k]).toHaveLength(2);
    }
    expect(law.params.alpha).toBeGreaterThan(0.35);
    expect(law.params.alpha).toBeLessThan(0.65);
    expect(law.r2).toBeGreaterThan(0.99);
    expect(typeof law.rmse).toBe('number');
    expect(law.intervalMethod).toBe('bootstrap-percentile');
    expect(law.provenance.tool).toBe('lossyscale');
    writeFileSync(join(dir, 'law.json'), r.stdout);
  });

  it('--form, --estimator, --compare and --extrapolate in text mode; --format md and csv tables', async () => {
    const t = await runCli(['fit', '--in', csvPath, '--estimator', 'huber-log', '--form', 'additive', '--bootstrap', '0', '--compare', '--extrapolate', 'n']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/additive law, huber-log fit to 150 rows/);
    expect(t.stdout).toMatch(/form comparison/);
    expect(t.stdout).toMatch(/best by AIC: additive/);
    expect(t.stdout).toMatch(/extrapolation check: fit on n in \{100, 300, 1000, 3000, 10000\}, predict n in \{30000\}/);
    const md = await runCli(['fit', '--in', csvPath, '--in', csvPath, '--task', 'a', '--task', 'b', '--bootstrap', '0', '--format', 'md']);
    expect(md.code).toBe(0);
    const lines = md.stdout.trim().split('\n');
    expect(lines[0]).toBe('| Task | form | E* | A | alpha | B | beta | nu | R^2 | RMSE | warnings |');
    expect(lines).toHaveLength(4);
    const csv = await runCli(['fit', '--in', csvPath, '--bootstrap', '0', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0].startsWith('task,form,estimator,Estar,Estar_se,Estar_lo,Estar_hi')).toBe(true);
  });

  it('stdout carries one output: --out - or --save-csv - replaces the table (was: JSON or CSV lines mixed with the --json or --format csv output)', async () => {
    const law = await runCli(['fit', '--in', csvPath, '--bootstrap', '0', '--out', '-', '--quiet']);
    expect(law.code, law.stderr).toBe(0);
    expect(jsonLines(law.stdout)).toHaveLength(1);
    const saved = await runCli(['fit', '--in', csvPath, '--bootstrap', '0', '--save-csv', '-', '--quiet']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(parseObservationsCsv(saved.stdout)).toHaveLength(150);
    await expectExit2(['fit', '--in', csvPath, '--bootstrap', '0', '--save-csv', '-', '--json'], /invalid --save-csv: "-" \(valid: a file when --json prints to stdout\)/);
    await expectExit2(['fit', '--in', csvPath, '--bootstrap', '0', '--out', '-', '--format', 'csv'], /invalid --out: "-" \(valid: a file when --format csv prints to stdout\)/);
    await expectExit2(['fit', '--in', csvPath, '--bootstrap', '0', '--out', '-', '--save-csv', '-'], /invalid --save-csv: "-"/);
    // Two --in - would read stdin twice (the second saw an "empty file").
    await expectExit2(['fit', '--in', '-', '--in', '-', '--bootstrap', '0'], /invalid --in: "-" \(valid: stdin \("-"\) for at most one --in/);
  });

  it('--fig6-run on a run that is not a Figure-6 run, or a malformed one: exit 2, one line (was: exit 1, "summary.cells is not iterable")', async () => {
    const notFig6 = join(dir, 'sweep-like');
    mkdirSync(notFig6, { recursive: true });
    writeFileSync(join(notFig6, 'summary.json'), JSON.stringify({ jobs: [] }));
    writeFileSync(join(notFig6, 'results.jsonl'), '');
    await expectExit2(['fit', '--fig6-run', notFig6], /sweep-like\/summary\.json: expected a Figure-6 summary \{ cells: \[\.\.\.\] \}/);
    writeFileSync(join(notFig6, 'summary.json'), '{"cells": [');
    await expectExit2(['fit', '--fig6-run', notFig6], /malformed JSON in .*sweep-like\/summary\.json/);
    writeFileSync(join(notFig6, 'summary.json'), JSON.stringify({ cells: [{ n: 100, m: 2, L: 3, tailCorrection: 0 }] }));
    writeFileSync(join(notFig6, 'results.jsonl'), JSON.stringify({ rep: 0, cells: [{ n: 100, m: 2, excess: [0.5], sel: 3 }] }) + '\n');
    await expectExit2(['fit', '--fig6-run', notFig6], /results\.jsonl line 1: cell n=100, m=2 has no finite excess at its selected lambda \(sel 3\)/);
  });

  it('options of a step that does not run are refused (were silently ignored)', async () => {
    await expectExit2(['fit', '--in', csvPath, '--bootstrap', '0', '--hold-out', '2'], /invalid --hold-out: "2" \(valid: only with --extrapolate n\|L\)/);
    await expectExit2(['fit', '--in', csvPath, '--bootstrap', '0', '--huber-delta', '0.01'], /invalid --huber-delta: "0\.01" \(valid: only with --estimator huber-log\)/);
    expect((await runCli(['fit', '--in', csvPath, '--bootstrap', '0', '--estimator', 'huber-log', '--huber-delta', '0.01', '--extrapolate', 'n', '--hold-out', '2', '--json'])).code).toBe(0);
  });

  it('bad CSV -> exit 2 with one stderr line naming the line and column', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'n,L,error\n100,10,0.5\n200,10,0.4\n300,ten,0.3\n');
    const r = await runCli(['fit', '--in', bad, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/line 4 column "L": "ten"/);
    const missing = await runCli(['fit', '--in', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
    expect((await runCli(['fit', '--in', csvPath, '--form', 'cubic'])).code).toBe(2);
    expect((await runCli(['fit'])).code).toBe(2);
  });
});

describe('lossyscale optimize', () => {
  it('reads the law fit --json printed and prints one object per budget', async () => {
    const r = await runCli(['optimize', '--law', join(dir, 'law.json'), '--storage', '4.848e7,9.696e7', '--original-bytes', '42804', '--available', '75000', '--fixed', 'd1=9000,d15=1500', '--json']);
    expect(r.code).toBe(0);
    const out = jsonLines(r.stdout) as any[];
    expect(out).toHaveLength(2);
    for (const [i, S] of [4.848e7, 9.696e7].entries()) {
      const o = out[i];
      expect(o.storage).toBe(S);
      expect(Number.isInteger(o.n)).toBe(true);
      expect(o.n * o.L).toBeLessThanOrEqual(S * (1 + 1e-12));
      expect(Array.isArray(o.activeConstraints)).toBe(true);
      expect(o.comparison.map((c: { name: string }) => c.name)).toEqual(['scaling-optimal', 'original format', 'd1', 'd15']);
      const original = o.comparison[1];
      expect(original.n).toBe(Math.min(Math.floor(S / 42804), 75000));
      for (const c of o.comparison) expect(o.error).toBeLessThanOrEqual(c.error * (1 + 1e-12));
    }
    const md = await runCli(['optimize', '--law', join(dir, 'law.json'), '--storage', '4.848e7', '--format', 'md']);
    expect(md.stdout.split('\n')[0]).toBe('| S (bytes) | n* | L* (bytes) | Err* | active constraints |');
  });

  it('bad input -> exit 2', async () => {
    const law = join(dir, 'law.json');
    expect((await runCli(['optimize', '--law', law, '--storage', 'abc'])).code).toBe(2);
    expect((await runCli(['optimize', '--law', law, '--storage', '1e6', '--min-bytes', '10', '--max-bytes', '5'])).code).toBe(2);
    expect((await runCli(['optimize', '--law', law, '--storage', '5', '--min-bytes', '10'])).code).toBe(2);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ form: 'additive', params: { Estar: 0, A: 1, alpha: 'x', B: 1, beta: 1 } }));
    const r = await runCli(['optimize', '--law', broken, '--storage', '1e6']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/params\.alpha/);
  });

  it('a flag of the other mode is refused, not ignored (was: --out with --law wrote nothing, exit 0); --fixed names once, --available whole, at most 10,000 budgets', async () => {
    const law = join(dir, 'law.json');
    await expectExit2(['optimize', '--law', law, '--storage', '1e6', '--out', join(dir, 'opt')], /invalid --out: ".*opt" \(valid: only with --stylized\)/);
    await expectExit2(['optimize', '--law', law, '--storage', '1e6', '--p', '3'], /invalid --p: "3" \(valid: only with --stylized\)/);
    await expectExit2(['optimize', '--stylized', '--storage-grid', '1e3,1e5,3', '--original-bytes', '500'], /invalid --original-bytes: "500" \(valid: not with --stylized/);
    await expectExit2(['optimize', '--stylized', '--storage-grid', '1e3,1e5,3', '--law', law], /invalid --law: .*not with --stylized/);
    await expectExit2(['optimize', '--law', law, '--storage', '1e6', '--fixed', 'd1=2400,d1=310'], /invalid --fixed: "d1=2400,d1=310" \(valid: each NAME once\); d1 is given twice/);
    await expectExit2(['optimize', '--law', law, '--storage', '1e6', '--available', '1.5'], /invalid --available: 1\.5 \(valid: a whole number of images >= 1\)/);
    const many = Array.from({ length: 10_001 }, (_, i) => String(1e5 + i)).join(',');
    await expectExit2(['optimize', '--law', law, '--storage', many], /invalid --storage: "10001 items" \(valid: at most 10000 items\)/);
  });

  it('end to end through bin/lossyscale.js: exit status 2 on a bad CSV', () => {
    const bad = join(dir, 'bad2.csv');
    writeFileSync(bad, 'n,L,err\n1,2,3\n');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), 'fit', '--in', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing column "error"/);
    expect(readFileSync(bad, 'utf8')).toContain('err');
  });
});

describe('form comparison and extrapolation check', () => {
  it('AIC, BIC and cell-grouped CV pick the generating form', () => {
    const add = compareForms(synth(2, 0.01, 3));
    expect(add.bestByAic).toBe('additive');
    expect(add.bestByCv).toBe('additive');
    const mul = compareForms(synth(3, 0.01, 3, 'multiplicative'), { forms: ['additive', 'multiplicative'] });
    expect(mul.bestByAic).toBe('multiplicative');
    expect(mul.bestByBic).toBe('multiplicative');
  });

  it('held-out largest n is predicted within the noise when the law is right, and flagged when it is wrong', () => {
    const good = extrapolationCheck(synth(4, 0.01, 3), { axis: 'n' });
    expect(good.heldOutValues).toEqual([30000]);
    expect(good.meanAbsRelativeError as number).toBeLessThan(0.03);
    // A saturating n-dependence the power law cannot follow: error stops improving beyond n = 3000.
    const rows = synth(5, 0.005, 3).map((r) => ({ ...r, error: predictRaw('additive', TRUTH, Math.min(r.n, 3000), r.L) * (r.error / predictRaw('additive', TRUTH, r.n, r.L)) }));
    const bad = extrapolationCheck(rows, { axis: 'n', holdOut: 2 });
    expect(bad.maxAbsRelativeError as number).toBeGreaterThan(3 * (good.maxAbsRelativeError as number));
    expect(() => extrapolationCheck(rows, { axis: 'n', holdOut: 5 })).toThrow(/holdOut/);
  });

  it('Table-1 layout marks unidentified parameters', () => {
    const fit = fitLaw(synth(6, 0.01, 1).filter((r) => r.L === 100), { startGrid: [0.3, 1] });
    const md = fitTable([{ task: 'one-L', fit }], 'md');
    expect(md).toMatch(/n\.i\./);
  });
});

describe('Figure-6 run observations', () => {
  it('one row per repetition and cell, excess at the selected lambda plus the tail correction, seed = repetition', async () => {
    const run = join(dir, 'fig6run');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'summary.json'), JSON.stringify({ scoring: 'exact', cells: [{ n: 100, m: 2, L: 3, tailCorrection: 0.001 }, { n: 1000, m: 2, L: 3, tailCorrection: 0.001 }] }));
    writeFileSync(join(run, 'results.jsonl'), [0, 1].map((rep) => JSON.stringify({ rep, cells: [{ n: 100, m: 2, excess: [0.5, 0.4 + rep / 100, 0.6], sel: 1 }, { n: 1000, m: 2, excess: [0.3, 0.2, 0.25], sel: 2 }] })).join('\n') + '\n');
    const rows = readFig6Observations(run);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({ n: 100, L: 3, error: 0.401, seed: 0 });
    expect(rows[3].error).toBeCloseTo(0.251, 12);
    expect((await runCli(['fit', '--fig6-run', join(dir, 'missing')])).code).toBe(2);
  });
});
