import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, NON_FINITE, expectExit2 } from './cliHarness.js';

/**
 * `sweep ingest` validates every row against its bundle and the row schema: bad cells (was
 * "r.cells.find is not a function", exit 1), an empty results file (was NaN in summary.csv,
 * exit 0) and results of another bundle (was "2 already present" while recording 0 rows) are
 * exit 2 with one line naming the file, line and field. Ridge-mc rows come from a real
 * simulate run of the same config (same repetition schema as the torch worker's).
 */
const tmp = mkdtempSync(join(tmpdir(), 'ingest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cfgPath = join(tmp, 'mc.json');
const mcBundle = join(tmp, 'mc-bundle');
let repetitions: Record<string, unknown>[] = [];

beforeAll(async () => {
  writeFileSync(cfgPath, JSON.stringify({
    name: 'ing', model: { p: 2.01, q: 2, r: 0.99, tau: 1 }, levels: [2, 3, 4],
    lambda: { schedule: 'theorem1', lambda0: { from: 0.1, to: 10, count: 3 } },
    theory: { n: { from: 100, to: 1000, count: 3 } },
    simulation: { n: { from: 300, to: 2000, count: 3, floor: true }, reps: 4, extraLevels: 2, validationSize: 300, testSize: 300 },
    seed: 7, out: join(tmp, 'sim'),
  }));
  expect((await runCli(['simulate', '--config', cfgPath, '--workers', '1', '--quiet'])).code).toBe(0);
  repetitions = readFileSync(join(tmp, 'sim', 'results.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const { key: _k, ...r } = JSON.parse(l) as Record<string, unknown>;
    return r;
  });
  expect((await runCli(['sweep', 'plan', '--config', cfgPath, '--out', mcBundle, '--reps-per-job', '2', '--quiet'])).code).toBe(0);
}, 120_000);

function resultsFile(name: string, rows: unknown[]): string {
  const p = join(tmp, `${name}.jsonl`);
  writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  return p;
}

const row = (key: string, reps: unknown[]) => ({ key, id: key, kind: 'ridge-mc', result: { repetitions: reps } });


describe('sweep ingest row validation', () => {
  it('good rows ingest, and the counts on stdout equal the summary', async () => {
    const f = resultsFile('good', [row('ridge-mc/rep=0..1', repetitions.slice(0, 2)), row('ridge-mc/rep=2..3', repetitions.slice(2, 4))]);
    const r = await runCli(['sweep', 'ingest', f, '--bundle', mcBundle, '--run', join(tmp, 'run-good'), '--no-figures', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ingested 4 repetitions .*\(0 already there/);
    const summary = JSON.parse(readFileSync(join(tmp, 'run-good', 'summary.json'), 'utf8')) as { reps: number };
    expect(summary.reps).toBe(4);
    const again = await runCli(['sweep', 'ingest', f, '--bundle', mcBundle, '--run', join(tmp, 'run-good'), '--no-figures', '--quiet']);
    expect(again.stdout).toMatch(/ingested 0 repetitions .*\(4 already there/);
  });

  it('sweep plan and sweep ingest --json print one compact JSON line (were: no --json, exit 2)', async () => {
    const plan = await runCli(['sweep', 'plan', '--config', cfgPath, '--out', join(tmp, 'json-bundle'), '--reps-per-job', '2', '--quiet', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(plan.stdout)).toMatchObject({ bundle: join(tmp, 'json-bundle'), jobs: 2 });
    const f = resultsFile('json', [row('ridge-mc/rep=0..1', repetitions.slice(0, 2)), row('ridge-mc/rep=2..3', repetitions.slice(2, 4))]);
    const args = ['sweep', 'ingest', f, '--bundle', mcBundle, '--run', join(tmp, 'run-json'), '--no-figures', '--quiet', '--json'];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({ runDir: join(tmp, 'run-json'), kind: 'ridge-mc', ingested: 4, alreadyPresent: 0, failures: 0, devices: expect.any(Array) });
    expect(JSON.parse((await runCli(args)).stdout)).toMatchObject({ ingested: 0, alreadyPresent: 4 });
  });

  it('bad cells are exit 2 naming file, line and field (was "r.cells.find is not a function", exit 1)', async () => {
    const bad = { ...repetitions[1], cells: 'none' };
    const f = resultsFile('badcells', [row('ridge-mc/rep=0..1', [repetitions[0], bad])]);
    await expectExit2(['sweep', 'ingest', f, '--bundle', mcBundle, '--run', join(tmp, 'run-bad'), '--quiet'], /badcells\.jsonl line 1: field cells = "none"/);
    const text = structuredClone(repetitions[0]) as { cells: { excess: unknown[] }[] };
    text.cells[0].excess[1] = null;
    const f2 = resultsFile('nullexcess', [row('ridge-mc/rep=0..1', [text])]);
    await expectExit2(['sweep', 'ingest', f2, '--bundle', mcBundle, '--run', join(tmp, 'run-bad'), '--quiet'], /line 1: field cells\[0\]\.excess\[1\] = null/);
    expect(existsSync(join(tmp, 'run-bad', 'summary.csv'))).toBe(false);
  });

  it('an empty results file is exit 2 (was NaN in summary.csv, exit 0)', async () => {
    const f = resultsFile('empty', []);
    await expectExit2(['sweep', 'ingest', f, '--bundle', mcBundle, '--run', join(tmp, 'run-empty'), '--quiet'], /invalid BUNDLE_RESULTS.*no rows yet/);
    expect(existsSync(join(tmp, 'run-empty', 'summary.csv'))).toBe(false);
  });

  it('results of another bundle are exit 2 (was "2 already present" while recording 0 rows)', async () => {
    const classify = resultsFile('classify', [{ key: 'grid/n=10/d=0/seed=0', id: 'grid/n=10/d=0/seed=0', kind: 'classify', result: { evaluations: {} } }]);
    await expectExit2(['sweep', 'ingest', classify, '--bundle', mcBundle, '--run', join(tmp, 'run-mismatch'), '--quiet'], /classify\.jsonl line 1: field kind = "classify" \(valid: "ridge-mc"/);
    const otherKeys = resultsFile('otherkeys', [row('ridge-mc/rep=0..4', repetitions.slice(0, 4))]);
    await expectExit2(['sweep', 'ingest', otherKeys, '--bundle', mcBundle, '--run', join(tmp, 'run-mismatch'), '--quiet'], /line 1: field key = "ridge-mc\/rep=0\.\.4" \(valid: a job of the bundle/);
  });

  it('no NaN or Infinity in any file the ingest writes', async () => {
    for (const name of ['summary.csv', 'summary.json', 'run.json']) {
      expect(readFileSync(join(tmp, 'run-good', name), 'utf8')).not.toMatch(NON_FINITE);
    }
  });
});
