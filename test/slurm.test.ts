import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { repoRoot } from '../src/provenance.js';
import { findPython } from '../src/trainers/torch/index.js';
import { readSlurmRun } from '../src/slurm/layout.js';
import { runStatus, type RunStatus, type TaskStatus } from '../src/slurm/status.js';
import { startSlurmCluster, slurmUnavailable, type SlurmCluster } from './helpers/slurmCluster.js';
import { tinySweepConfig } from './helpers/tinySweep.js';
import { jsonLines } from './jsonLines.js';

/**
 * `lossyscale slurm` against a real single-node Slurm (Debian's munge, slurmctld and slurmd,
 * started here by test/helpers/slurmCluster.ts and stopped by their process ids): a tiny
 * Monte Carlo config as a 3-task array and a tiny sweep as a 4-task array (then its fit step
 * and strategies array), one task of each cancelled mid-run with scancel, the run re-submitted
 * (only the cancelled task runs again; finished units are not redone), collected, and compared
 * with a single-machine run of the same config: equal bit for bit in every computed field
 * (timings and timestamps excepted). Runs in CI (CI=true: never skipped there); skipped with a
 * message on a machine without Slurm or without root.
 */
const why = slurmUnavailable();
const required = process.env.CI === 'true';
if (why && !required) console.warn(`test/slurm.test.ts skipped: ${why}`);

const exec = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-slurm-test-'));
let cluster: SlurmCluster;

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const r = await exec(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), 'slurm', ...args], { cwd: tmp, env: { ...cluster.env, ...env }, timeout: 300_000, maxBuffer: 1 << 24 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

async function cliJson<T>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await cli([...args, '--json'], env);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** Status through the library (the CLI's own output is checked once; polling it would start a process every time). */
function status(run: string): { tasks: TaskStatus[]; summary: RunStatus } {
  // A controller too busy to answer (a loaded machine) is asked again rather than read as "all done".
  for (let attempt = 0; ; attempt++) {
    const s = runStatus(run, readSlurmRun(run)!);
    if (!s.queryError || attempt >= 10) {
      expect(s.queryError, 'squeue kept failing').toBeUndefined();
      return { tasks: s.tasks, summary: s };
    }
  }
}

type Line = Record<string, unknown>;

/**
 * `slurm status RUN --json` read under the output contract (compact JSON lines): the task lines,
 * then the step lines, then one summary line, each naming its kind; returned without the kind.
 */
async function statusJson(run: string): Promise<{ tasks: Line[]; steps: Line[]; summary: Line }> {
  const r = await cli(['status', run, '--json']);
  expect(r.status, r.stderr).toBe(0);
  const rows = jsonLines<{ kind: string } & Line>(r.stdout);
  expect(rows.map((l) => l.kind).join(' ')).toMatch(/^(task )*(step )*summary$/);
  const strip = ({ kind: _kind, ...rest }: { kind: string } & Line): Line => rest;
  return { tasks: rows.filter((l) => l.kind === 'task').map(strip), steps: rows.filter((l) => l.kind === 'step').map(strip), summary: strip(rows[rows.length - 1]) };
}

/** The fields of status --json that stay put once no task runs (the state may turn 'unknown' when the controller forgets a job). */
function settled(json: Awaited<ReturnType<typeof statusJson>>, lib: { tasks: TaskStatus[]; summary: RunStatus }): void {
  expect(json.tasks.map((t) => Object.keys(t))).toEqual(lib.tasks.map(() => ['phase', 'task', 'units', 'done', 'state', 'jobId']));
  expect(json.tasks.map(({ state: _state, ...t }) => t)).toEqual(lib.tasks.map((t) => ({ phase: t.phase, task: t.task, units: t.units, done: t.done, jobId: t.jobId ?? null })));
  expect(json.steps.map(({ state: _state, ...s }) => s)).toEqual(lib.summary.steps.map((s) => ({ step: s.step, jobId: s.jobId })));
  expect(Object.keys(json.summary)).toEqual(['counts', 'unplanned', 'active', 'source', 'queryError']);
  expect(json.summary).toMatchObject({ unplanned: lib.summary.unplanned, active: 0, queryError: null });
  expect(json.summary.counts).toMatchObject({ units: lib.summary.counts.units, done: lib.summary.counts.done });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU seconds the lossyscale-engine tasks report at their end (their logs under each run). */
function taskCpuSeconds(): number {
  let total = 0;
  for (const run of ['mc-run', 'sweep-run']) {
    const dir = join(tmp, run, 'slurm', 'logs');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/; CPU ([\d.]+) s/g)) total += Number(m[1]);
  }
  return total;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 240_000, everyMs = 200): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.endsWith('}')) : [];
}

/** Rows as computed, without the fields in `drop` (those that measure time, not results). */
function computed(path: string, drop: string[]): unknown[] {
  return lines(path).map((l) => {
    const row = JSON.parse(l) as Record<string, unknown>;
    for (const k of drop) delete row[k];
    return row;
  });
}

/** scancel one array task as soon as its shard store holds a finished unit; returns that store's content then. */
async function cancelMidRun(jobId: string, task: number, store: string): Promise<void> {
  try {
    await until(`a first finished unit in ${store}`, () => lines(store).length >= 1, 240_000, 25);
  } catch (e) {
    // What Slurm and the tasks say, for the failure message (the temporary directory is removed afterwards).
    const q = spawnSync('squeue', ['-t', 'all', '-r', '-o', '%i %T %r'], { env: cluster.env, encoding: 'utf8' });
    const logs = join(store, '..', '..', '..', 'logs');
    const tails = existsSync(logs) ? readdirSync(logs).map((f) => `${f}: ${readFileSync(join(logs, f), 'utf8').split('\n').slice(-4).join(' | ')}`) : [];
    const ctld = join(cluster.dir, 'log', 'slurmctld.log');
    const ctldTail = existsSync(ctld) ? readFileSync(ctld, 'utf8').split('\n').slice(-8).join('\n') : '';
    throw new Error(`${(e as Error).message}\nsqueue: ${q.stdout}${q.stderr}\nlogs: ${tails.join('\n')}\nslurmctld: ${ctldTail}`);
  }
  const r = spawnSync('scancel', [`${jobId}_${task}`], { env: cluster.env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

async function inProcess(args: string[]): Promise<{ status: number; stderr: string }> {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return { status: await main(['slurm', ...args]), stderr: writes.join('') };
  } finally {
    spy.mockRestore();
    out.mockRestore();
  }
}

describe.skipIf(Boolean(why) && !required)('lossyscale slurm on a real single-node Slurm', () => {
  const saved = { conf: process.env.SLURM_CONF, cwd: process.cwd() };
  beforeAll(async () => {
    cluster = await startSlurmCluster({ cpus: 4 });
    process.env.SLURM_CONF = cluster.env.SLURM_CONF; // for the in-process calls
  });
  // A failed case leaves no jobs behind to slow the next one down.
  afterEach(() => {
    if (cluster) spawnSync('scancel', ['--user=root'], { env: cluster.env });
  });
  afterAll(async () => {
    const cpu = taskCpuSeconds();
    if (cpu > 0) console.log(`test/slurm.test.ts: the lossyscale array tasks used ${cpu.toFixed(1)} CPU s in all (their own logs)`);
    if (saved.conf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = saved.conf;
    if (!cluster) return;
    const pids = Object.values(cluster.pids);
    await cluster.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0), `daemon pid ${pid} still alive`).toThrow();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('Monte Carlo as a 3-task array: scancel mid-run, re-submit, collect equals a single-machine simulate run', async () => {
    const cfg = JSON.parse(readFileSync(join(repoRoot, 'sims', 'fig6.json'), 'utf8'));
    cfg.name = 'slurm-mc';
    // Repetitions heavy enough (L up to 511, n to 40,000: about 0.3 CPU-s each on native BLAS)
    // that the cancel below lands while task 1 still has repetitions to do.
    cfg.levels = [2, 4, 6, 9];
    cfg.simulation = { ...cfg.simulation, n: { from: 100, to: 40000, count: 3, floor: true }, reps: 12, extraLevels: 2, validationSize: 500 };
    cfg.out = join(tmp, 'mc-single');
    const config = join(tmp, 'mc.json');
    writeFileSync(config, JSON.stringify(cfg));
    const run = join(tmp, 'mc-run');
    // Submitted held (sbatch reads SBATCH_HOLD), so the collect below sees pending tasks however
    // fast they would run or however slowly this process imports; released right after it.
    const first = await cliJson<{ submitted: { step: string; jobId: string; tasks: number[] }[]; units: { reps: number } }>(['submit', '--config', config, '--run', run, '--shards', '3'], { SBATCH_HOLD: '1' });
    expect(first.units.reps).toBe(12);
    expect(first.submitted.map((s) => [s.step, s.tasks])).toEqual([['reps', [0, 1, 2]]]);
    const jobId = first.submitted[0].jobId;
    const store1 = join(run, 'slurm', 'shards', 'reps', 'task-1.jsonl');

    // Collecting while tasks are pending is refused with one line.
    const early = await inProcess(['collect', run]);
    expect(early.status, early.stderr).toBe(2);
    expect(early.stderr.trim().split('\n')).toHaveLength(1);
    expect(early.stderr).toMatch(/--partial.*still pending or running/);
    expect(spawnSync('scontrol', ['release', jobId], { env: cluster.env }).status).toBe(0);

    await cancelMidRun(jobId, 1, store1);
    await until('every task to leave the queue', async () => (status(run)).summary.active === 0);
    const afterKill = status(run);
    const t1 = afterKill.tasks.find((t) => t.task === 1)!;
    expect(t1.state).toBe('CANCELLED');
    expect(t1.done).toBeGreaterThanOrEqual(1);
    expect(t1.done).toBeLessThan(t1.units);
    expect(afterKill.tasks.filter((t) => t.task !== 1).map((t) => [t.state, t.done])).toEqual([['COMPLETED', 4], ['COMPLETED', 4]]);
    expect(t1.done).toBeLessThanOrEqual(2); // SIGTERM: the repetition in progress is finished, no other
    expect(afterKill.summary.counts.failed).toBe(4 - t1.done);
    const before = [0, 1, 2].map((t) => lines(join(run, 'slurm', 'shards', 'reps', `task-${t}.jsonl`)));
    settled(await statusJson(run), afterKill);
    const shown = await cli(['status', run]);
    expect(shown.stdout).toMatch(/reps +1 +\d+ +CANCELLED/);
    expect(shown.stdout).toMatch(/re-submit to re-run the missing units/);

    // Missing units: a plain collect is refused; re-submitting runs task 1 only.
    const refused = await cli(['collect', run]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/units missing/);
    const again = await cliJson<{ submitted: { step: string; tasks: number[] }[] }>(['submit', '--config', config, '--run', run]);
    expect(again.submitted.map((s) => [s.step, s.tasks])).toEqual([['reps', [1]]]);
    await until('the re-submitted task', async () => (status(run)).summary.active === 0);
    const done = status(run);
    expect(done.summary.counts).toMatchObject({ units: 12, done: 12, failed: 0 });
    const after = [0, 1, 2].map((t) => lines(join(run, 'slurm', 'shards', 'reps', `task-${t}.jsonl`)));
    expect(after[0]).toEqual(before[0]); // finished tasks untouched
    expect(after[2]).toEqual(before[2]);
    expect(after[1].slice(0, before[1].length)).toEqual(before[1]); // the cancelled task's finished units kept, not redone
    expect(after[1]).toHaveLength(4);
    const nothing = await cliJson<{ complete: boolean; submitted: unknown[] }>(['submit', '--config', config, '--run', run]);
    expect(nothing).toMatchObject({ complete: true, submitted: [] });

    const collected = await cliJson<{ rows: number; duplicates: number; missing: number }>(['collect', run, '--no-figures']);
    expect(collected).toMatchObject({ rows: 12, duplicates: 0, missing: 0 });

    // The same config on one machine.
    const single = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), 'simulate', '--config', config, '--workers', '1', '--quiet', '--figures', join(tmp, 'mc-single-figures')], { cwd: tmp, encoding: 'utf8', timeout: 300_000 });
    expect(single.status, single.stderr).toBe(0);
    const drop = ['seconds', 'timing'];
    const merged = computed(join(run, 'results.jsonl'), drop);
    expect(merged.map((r) => (r as { key: string }).key)).toEqual(Array.from({ length: 12 }, (_, r) => `rep-${r}`));
    expect(merged).toEqual(computed(join(tmp, 'mc-single', 'results.jsonl'), drop));
    const summary = (dir: string): unknown => {
      const { provenance: _p, ...s } = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
      return s;
    };
    expect(summary(run)).toEqual(summary(join(tmp, 'mc-single')));
    expect(JSON.parse(readFileSync(join(run, 'law.json'), 'utf8')).params).toEqual(JSON.parse(readFileSync(join(tmp, 'mc-single', 'law.json'), 'utf8')).params);

    // Bad input: one line, exit 2.
    const other = join(tmp, 'other.json');
    writeFileSync(other, JSON.stringify({ ...cfg, seed: cfg.seed + 1 }));
    const cases: [string[], RegExp][] = [
      [['submit', '--config', config, '--run', join(tmp, 'mc-bad'), '--shards', '0'], /--shards/],
      [['submit', '--config', config, '--run', join(tmp, 'mc-bad'), '--shards', '13'], /--shards.*1\.\.12/],
      [['submit', '--config', config, '--run', join(tmp, 'mc-bad'), '--partition', 'nosuch'], /--partition.*"nosuch".*debug/],
      [['submit', '--config', other, '--run', run], /--run.*different config/],
      [['submit', '--config', config, '--run', run, '--shards', '4'], /--shards.*fixed/],
      [['submit', '--config', config, '--run', join(tmp, 'mc-bad'), '--time', '90 minutes'], /--time/],
      [['status', join(tmp, 'nowhere')], /RUN/],
    ];
    for (const [args, re] of cases) {
      const r = await inProcess(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    const path = process.env.PATH;
    process.env.PATH = join(tmp, 'empty-bin');
    try {
      const r = await inProcess(['submit', '--config', config, '--run', join(tmp, 'mc-bad')]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/PATH.*sbatch/);
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(join(tmp, 'mc-bad', 'slurm', 'slurm.json'))).toBe(false);
  }, 400_000);

  it('a sweep as a 4-task grid array, fit step and strategies array: scancel mid-run, re-submit, collect equals a single-machine sweep', async () => {
    const rawConfig = tinySweepConfig({ name: 'slurm-sweep', cacheDir: join(tmp, 'cache'), split: { validationSize: 40, poolSize: 100, testSize: 60 }, gridSeeds: 3, matrixTestSize: 20 });
    const config = join(tmp, 'sweep.json');
    writeFileSync(config, JSON.stringify(rawConfig));
    const run = join(tmp, 'sweep-run');
    const dry = await cli(['submit', '--config', config, '--run', run, '--shards', '4', '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/#SBATCH --array=0-3/);
    expect(dry.stdout).toMatch(/--dependency=afterok:<job id of the grid step>/);
    expect(dry.stdout).toMatch(/SLURM_ARRAY_TASK_ID/);
    expect(existsSync(join(run, 'slurm', 'slurm.json'))).toBe(false);

    const first = await cliJson<{ submitted: { step: string; jobId: string; tasks: number[]; args: string[] }[]; units: { grid: number } }>(['submit', '--config', config, '--run', run, '--shards', '4']);
    expect(first.units.grid).toBe(9); // 3 distances x 3 seeds: nested chains of 2 fractions
    expect(first.submitted.map((s) => s.step)).toEqual(['grid', 'fit', 'strategies']);
    expect(first.submitted[1].args).toContain(`--dependency=afterok:${first.submitted[0].jobId}`);
    expect(first.submitted[2].args).toContain(`--dependency=afterok:${first.submitted[1].jobId}`);
    const store0 = join(run, 'slurm', 'shards', 'grid', 'task-0.jsonl');
    // Task 0 holds units 0, 4 and 8; SIGTERM lets it finish the unit in progress, so 1 or 2 are stored.
    await cancelMidRun(first.submitted[0].jobId, 0, store0);
    await until('the grid tasks and their dependents to leave the queue', async () => (status(run)).summary.active === 0);
    const afterKill = status(run);
    const t0 = afterKill.tasks.find((t) => t.phase === 'grid' && t.task === 0)!;
    expect(t0).toMatchObject({ state: 'CANCELLED', units: 3 });
    expect(t0.done).toBeGreaterThanOrEqual(1);
    expect(t0.done).toBeLessThan(3);
    expect(afterKill.summary.steps[0].state).not.toBe('COMPLETED'); // the fit never ran (afterok)
    settled(await statusJson(run), afterKill);
    const before = lines(store0);

    const again = await cliJson<{ submitted: { step: string; tasks: number[] }[] }>(['submit', '--config', config, '--run', run]);
    expect(again.submitted.map((s) => [s.step, s.tasks])).toEqual([['grid', [0]], ['fit', []], ['strategies', [0, 1, 2, 3]]]);
    await until('grid task 0, the fit and the strategies', async () => {
      const s = status(run);
      return s.summary.active === 0 && s.summary.steps.length > 0;
    });
    const done = status(run);
    expect(done.summary.counts.failed).toBe(0);
    expect(done.summary.counts.done).toBe(done.summary.counts.units);
    expect(done.tasks.filter((t) => t.phase === 'strategies').length).toBe(4);
    expect(lines(store0).slice(0, before.length)).toEqual(before); // units finished before the kill are kept, not redone
    expect(lines(store0)).toHaveLength(3);

    const collected = await cliJson<{ rows: number; duplicates: number; missing: number }>(['collect', run]);
    expect(collected.duplicates).toBe(0);
    expect(collected.missing).toBe(0);
    for (const f of ['law.json', 'summary.json', 'tables/law.md', 'tables/budgets.md', 'figures/tiny-fig3-strategies.vl.json']) expect(existsSync(join(run, f)), f).toBe(true);

    const single = join(tmp, 'sweep-single');
    const s = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), 'sweep', '--config', config, '--run', single, '--quiet'], { cwd: tmp, encoding: 'utf8', timeout: 300_000 });
    expect(s.status, s.stderr).toBe(0);
    const drop = ['time', 'trainSeconds'];
    const merged = computed(join(run, 'results.jsonl'), drop);
    expect(merged).toHaveLength(collected.rows);
    expect(merged.filter((r) => (r as { phase: string }).phase === 'grid')).toHaveLength(18);
    expect(merged.filter((r) => (r as { phase: string }).phase === 'strategy').length).toBeGreaterThanOrEqual(4);
    expect(merged).toEqual(computed(join(single, 'results.jsonl'), drop)); // same rows, same order, same bits
    expect(JSON.parse(readFileSync(join(run, 'law.json'), 'utf8')).params).toEqual(JSON.parse(readFileSync(join(single, 'law.json'), 'utf8')).params);
    // The fit step pre-registered the same prediction before any strategy task ran.
    const prediction = (dir: string) => JSON.parse(readFileSync(join(dir, 'prediction.json'), 'utf8')) as { preRegistered: boolean; budgets: unknown[] };
    expect(prediction(run).preRegistered).toBe(true);
    expect(prediction(run).budgets).toEqual(prediction(single).budgets);
    expect(readFileSync(join(run, 'tables', 'storage-test.md'), 'utf8')).toMatch(/pre-registered in prediction\.json/);
  }, 500_000);
  it('a torch sweep on the worker engine: tasks run the Python worker on the bundle (no Node), a failed array is retried, results equal plan + run-bundle + ingest', async () => {
    let python: string;
    try {
      python = findPython().executable;
    } catch (e) {
      if (required) throw e;
      console.warn(`worker-engine case skipped: ${(e as Error).message.slice(0, 120)}`);
      return;
    }
    const config = join(tmp, 'torch.json');
    writeFileSync(config, JSON.stringify({
      name: 'slurm-torch', dataset: { kind: 'fashion-mnist' }, trainer: 'torch',
      trainerOptions: { model: 'cnn', epochs: 2, batchSize: 16, lr: 0.003, width: 0.25 },
      seed: 3, split: { validationSize: 20, poolSize: 60, testSize: 40 },
      codec: { cacheDir: join(tmp, 'cache'), workers: 1, effort: 1 },
      grid: { fractions: [0.4, 0.7, 1], distances: [0, 2, 7], seeds: 1 }, fit: { bootstrap: 0 },
      matrix: { testDistances: [0, 7], testSize: 20 }, figures: { prefix: 't-', png: false },
    }));
    const run = join(tmp, 'torch-run');
    // 1. Nodes whose Python cannot be started: every task fails, nothing is stored.
    const broken = { LOSSYSCALE_PYTHON: join(tmp, 'no-such-python'), LOSSYSCALE_DEVICE: 'cpu' };
    const first = await cliJson<{ engine: string; submitted: { step: string; tasks: number[] }[] }>(['submit', '--config', config, '--run', run, '--shards', '3'], broken);
    expect(first.engine).toBe('worker');
    expect(first.submitted.map((x) => [x.step, x.tasks])).toEqual([['grid', [0, 1, 2]]]);
    const script = readFileSync(join(run, 'slurm', 'scripts', 'grid.sbatch'), 'utf8');
    expect(script).toMatch(/lossyscale_worker run-bundle \. --shard "\$TASK\/3"/);
    expect(script).not.toMatch(/lossyscale\.js/); // the worker engine needs no Node on the node
    expect(existsSync(join(run, 'slurm', 'bundle-grid', 'lossyscale_worker', '__main__.py'))).toBe(true);
    await until('the failing tasks', () => status(run).summary.active === 0);
    expect(status(run).tasks.map((t) => t.state)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    // 2. Re-submitted with a working interpreter: the failed tasks are retried.
    const fixed = { LOSSYSCALE_PYTHON: python, LOSSYSCALE_DEVICE: 'cpu' };
    const again = await cliJson<{ submitted: { step: string; tasks: number[] }[] }>(['submit', '--config', config, '--run', run], fixed);
    expect(again.submitted.map((x) => [x.step, x.tasks])).toEqual([['grid', [0, 1, 2]]]);
    await until('the retried tasks', () => status(run).summary.active === 0);
    expect(status(run).summary.counts).toMatchObject({ units: 9, done: 9, failed: 0 });
    const collected = await cliJson<{ rows: number; duplicates: number }>(['collect', run, '--no-figures']);
    expect(collected).toMatchObject({ rows: 9, duplicates: 0 });
    // 3. One machine: the same bundle plan, run-bundle without shards, ingest.
    const bundle = join(tmp, 'torch-bundle');
    const ls = (args: string[]): void => {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), ...args], { cwd: tmp, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, r.stderr).toBe(0);
    };
    ls(['sweep', 'plan', '--config', config, '--out', bundle, '--quiet']);
    const w = spawnSync(python, ['-m', 'lossyscale_worker', 'run-bundle', '.', '--device', 'cpu'], { cwd: bundle, encoding: 'utf8', timeout: 300_000, env: { ...process.env, PYTHONPATH: '' } });
    expect(w.status, w.stderr).toBe(0);
    ls(['sweep', 'ingest', bundle, '--run', join(tmp, 'torch-single'), '--no-figures', '--quiet']);
    const timings = (rows: unknown[]): unknown[] => rows.map((r) => {
      const { details, ...rest } = r as { details: Record<string, unknown> };
      return { ...rest, details: Object.fromEntries(Object.entries(details).filter(([k]) => !/Seconds$/.test(k))) };
    });
    const byKey = (rows: unknown[]): unknown[] => [...rows].sort((a, b) => ((a as { key: string }).key < (b as { key: string }).key ? -1 : 1));
    const drop = ['time', 'trainSeconds'];
    expect(byKey(timings(computed(join(run, 'results.jsonl'), drop)))).toEqual(byKey(timings(computed(join(tmp, 'torch-single', 'results.jsonl'), drop))));
  }, 400_000);
});
