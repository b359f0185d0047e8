import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { ingestBundle, writeRidgeMcBundle, writeSweepBundle } from '../src/trainers/torch/sweepBundle.js';
import { parseStylizedConfig } from '../src/config/fig6Config.js';
import { parseSweepConfig } from '../src/sweep/config.js';
import { openSweepContext } from '../src/sweep/context.js';
import { materializeJob } from '../src/sweep/materialize.js';
import type { PlannedJob } from '../src/sweep/plan.js';
import { readResults } from '../src/sweep/results.js';
import { runSweep } from '../src/sweep/runSweep.js';
import type { BundleManifest } from '../src/trainers/torch/bundle.js';
import { findPython } from '../src/trainers/torch/index.js';
import type { ClassifyJobSpec } from '../src/trainers/torch/protocol.js';

/**
 * Plan / execute / ingest end to end on CPU: a tiny Fashion-MNIST sweep planned into a
 * bundle, run by the worker standalone from the bundle's own copy of the worker package
 * (as on a GPU box without a checkout), and ingested into a run directory with the sweep's
 * fit, tables and figures; the same for a tiny ridge-mc bundle.
 */
const dir = mkdtempSync(join(tmpdir(), 'lossyscale-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const python = findPython().executable;

function runBundle(bundle: string, extra: string[] = []): { status: number | null; stderr: string } {
  const r = spawnSync(python, ['-m', 'lossyscale_worker', 'run-bundle', '.', '--device', 'cpu', '--threads', '1', ...extra], { cwd: bundle, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONPATH: '' } });
  return { status: r.status, stderr: r.stderr };
}

const sweepConfig = parseSweepConfig({
  name: 'torch-bundle-test',
  dataset: { kind: 'fashion-mnist' },
  trainer: 'torch',
  trainerOptions: { model: 'cnn', epochs: 2, batchSize: 16, lr: 0.003, width: 0.25, device: 'cpu' },
  seed: 3,
  split: { validationSize: 20, poolSize: 60, testSize: 40 },
  codec: { cacheDir: join(dir, 'codec'), workers: 1, effort: 1 },
  grid: { fractions: [0.4, 0.7, 1], distances: [0, 2, 7], seeds: 1 },
  fit: { bootstrap: 0 },
  matrix: { testDistances: [0, 7], testSize: 20 },
  figures: { prefix: 't-', png: false },
});

describe('sweep plan -> run-bundle -> sweep ingest', () => {
  const bundle = join(dir, 'bundle');
  const runDir = join(dir, 'run');

  it('plans a self-contained bundle whose pool-row jobs select exactly the materialized training images', async () => {
    const r = await writeSweepBundle(sweepConfig, bundle);
    expect(r.jobs).toBe(9);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as BundleManifest;
    expect(existsSync(join(bundle, 'lossyscale_worker', '__main__.py'))).toBe(true);
    const jobs = manifest.jobs as ClassifyJobSpec[];
    expect(jobs.every((j) => j.options!.device === undefined && j.options!.model === 'cnn')).toBe(true);
    // Independent check of one job: read its array rows through the index file and compare with materializeJob.
    const ctx = await openSweepContext(sweepConfig);
    try {
      const job = jobs.find((j) => (j.meta as PlannedJob).info.distance === 7 && (j.meta as PlannedJob).info.fraction === 0.7)!;
      expect(job.data.train.indices).toBeDefined();
      const { planGridJobs } = await import('../src/sweep/plan.js');
      const planned = (await planGridJobs(ctx)).find((p) => p.key === job.id)!;
      expect((job.meta as PlannedJob).train.indices).toEqual([]); // kept out of the manifest
      const t = await materializeJob(planned, ctx);
      const desc = manifest.arrays[job.data.train.array];
      const pix = readFileSync(join(bundle, desc.pixels));
      const idx = new Int32Array(new Uint8Array(readFileSync(join(bundle, job.data.train.indices!))).buffer);
      const per = 28 * 28;
      expect(idx.length).toBe(t.train.count);
      idx.forEach((p, j) => expect(Buffer.compare(pix.subarray(p * per, (p + 1) * per), Buffer.from(t.train.pixels.subarray(j * per, (j + 1) * per)))).toBe(0));
      expect(job.seed).toBe(t.seed);
      expect(Object.keys(job.data.evaluate).sort()).toEqual(Object.keys(t.evaluate).sort());
    } finally {
      await ctx.close();
    }
  });

  it('the worker runs the bundle standalone (resumable) and ingest records it like a local run', async () => {
    const first = runBundle(bundle, ['--group', '3', '--shard', '0/2']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/5 jobs to run \(0 already/);
    const second = runBundle(bundle, ['--group', '3']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/4 jobs to run \(5 already/);
    const s = await ingestBundle(join(bundle, 'results.jsonl'), runDir);
    expect(s).toMatchObject({ kind: 'sweep', ingested: 9, alreadyPresent: 0, failures: 0 });
    expect(s.devices[0]).toMatch(/^cpu/);
    const rows = readResults(runDir);
    expect(rows).toHaveLength(9);
    const full = rows.find((r) => r.info.fraction === 1 && r.info.distance === 0)!;
    expect(Object.keys(full.evaluations).sort()).toEqual(['test', 'test@d=0', 'test@d=7']);
    expect(full.evaluations.test.count).toBe(40);
    expect(full.error).toBeGreaterThan(0);
    expect(full.error).toBeLessThan(0.9); // 10 classes: chance is 0.9
    expect((full.details as { device: string }).device).toBe('cpu');
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { trainer: string; grid: unknown[] };
    expect(summary.trainer).toBe('torch');
    expect(summary.grid).toHaveLength(9);
    const again = await ingestBundle(bundle, runDir);
    expect(again).toMatchObject({ ingested: 0, alreadyPresent: 9 });
  });

  it('trainer "torch" in the config runs the same sweep live (one worker) with the same results as the bundle', async () => {
    const liveDir = join(dir, 'live');
    const r = await runSweep(sweepConfig, { runDir: liveDir, quiet: true });
    expect(r.jobsRun).toBe(9);
    const live = new Map(readResults(liveDir).map((x) => [x.key, x]));
    const viaBundle = readResults(runDir);
    expect([...live.keys()].sort()).toEqual(viaBundle.map((x) => x.key).sort());
    // Same data, seeds and options on the same CPU; the bundle trained 3 models at a time as
    // one stacked network (summation order differs at ~1e-6), which may flip a borderline
    // prediction: allow one test image in 40.
    for (const b of viaBundle) expect(Math.abs(live.get(b.key)!.error - b.error), b.key).toBeLessThanOrEqual(1 / 40 + 1e-12);
    expect(existsSync(join(liveDir, 'summary.json'))).toBe(true);
  });

  it('a ridge-mc bundle runs standalone and ingests into the Monte Carlo run layout', async () => {
    const config = parseStylizedConfig({
      name: 'mc', model: { p: 2.01, q: 2, r: 0.99, tau: 1 }, levels: [2, 3, 4], lambda: { schedule: 'theorem1', lambda0: { from: 0.1, to: 10, count: 3 } },
      theory: { n: { from: 10, to: 100, count: 3 } },
      simulation: { n: { from: 20, to: 60, count: 2, floor: true }, reps: 4, extraLevels: 2, validationSize: 50, testSize: 10 },
      seed: 5, out: join(dir, 'unused'),
    });
    const mcBundle = join(dir, 'mc-bundle');
    expect(writeRidgeMcBundle(config, mcBundle, { repsPerJob: 3 }).jobs).toBe(2);
    const r = runBundle(mcBundle);
    expect(r.status, r.stderr).toBe(0);
    const s = await ingestBundle(mcBundle, join(dir, 'mc-run'));
    expect(s).toMatchObject({ kind: 'ridge-mc', ingested: 4 });
    const summary = JSON.parse(readFileSync(join(dir, 'mc-run', 'summary.json'), 'utf8')) as { cells: { reps: number }[] };
    expect(summary.cells).toHaveLength(6);
    expect(existsSync(join(dir, 'mc-run', 'law.json'))).toBe(true);
    expect(summary.cells.every((c) => c.reps === 4)).toBe(true);
  });

  it('CLI: plan and ingest name missing or bad arguments (exit 2)', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['sweep', 'plan', '--config', 'sims/fig6.json'])).toBe(2);
      expect(await main(['sweep', 'plan', '--config', 'sims/fig6.json', '--out', bundle])).toBe(2);
      expect(await main(['sweep', 'ingest', join(dir, 'nothing.jsonl'), '--run', runDir])).toBe(2);
      expect(await main(['sweep', 'ingest', join(bundle, 'results.jsonl')])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join('')).toMatch(/invalid --out: missing/);
    expect(err.join('')).toMatch(/already holds a bundle/);
    expect(err.join('')).toMatch(/BUNDLE_RESULTS/);
    expect(err.join('')).toMatch(/invalid --run: missing/);
  });
});
