import { existsSync, statSync } from 'node:fs';
import { acquireRunLock } from '../store/runLock.js';
import { validateRepetitionRow } from '../io/rowSchemas.js';
import { guardMemory } from '../util/limits.js';
import { estimateSimulation } from './estimate.js';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { StylizedConfig } from '../config/fig6Config.js';
import { InputError, InterruptedError } from '../errors.js';
import { provenance } from '../provenance.js';
import { openStore, type StoreRow } from '../store/appendOnlyStore.js';
import { progress as makeProgress } from '../util/progress.js';
import { watchInterrupt, type InterruptFlag } from '../util/interrupt.js';
import { startWorker } from '../util/worker.js';
import type { RunSummary } from './aggregate.js';
import { monteCarloPaths, planIdentity, readMonteCarloRecord, writeMonteCarloRecord, writeMonteCarloSummary } from './runDir.js';
import { RANDOM_STREAM_VERSION } from '../model/sample.js';
import { planFromConfig, type SimulationPlan } from './plan.js';
import { runRepetition, type RepetitionResult } from './repetition.js';
import { linalgBackend, type LinalgBackendName } from '../linalg/backend.js';

/**
 * Orchestration of the Monte Carlo engine (THEORY.md section 5): repetitions run in parallel
 * on worker threads (each repetition is a pure function of (plan, rep), so results are
 * bit-identical for any number of workers), each finished repetition is appended to the
 * run's store at once (an interrupted run resumes where it stopped, losing nothing), and a
 * progress bar shows the ETA.
 */
export interface RunOptions {
  /** Worker threads (default: available cores); 1 runs in this thread. */
  workers?: number;
  quiet?: boolean;
  /** Progress label. */
  label?: string;
  /** Called with each finished repetition (in completion order). */
  onResult?: (r: RepetitionResult) => void;
  /** Stop (as if interrupted) after this many newly finished repetitions; for tests of resumption. */
  stopAfter?: number;
  /** Interrupt flag; default watches SIGINT/SIGTERM. */
  interrupt?: Pick<InterruptFlag, 'interrupted'> & Partial<Pick<InterruptFlag, 'exitCode'>>;
  /** Dense linear algebra backend (default: as LOSSYSCALE_BLAS selects, src/linalg/backend.ts); every worker uses the same one. */
  backend?: LinalgBackendName;
}

export type RepetitionRow = StoreRow & RepetitionResult;

/** Run the given repetitions of a plan (THEORY.md section 5), in parallel; returns them sorted by rep. */
export async function runRepetitions(plan: SimulationPlan, reps: number[], opts: RunOptions = {}): Promise<RepetitionResult[]> {
  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), reps.length || 1));
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1)) throw new InputError('workers', opts.workers, 'an integer >= 1');
  // A flag the caller did not pass is this function's own, released when it returns.
  let ownFlag: InterruptFlag | undefined;
  const flag = opts.interrupt ?? (ownFlag = watchInterrupt());
  const backend = linalgBackend(opts.backend);
  const bar = makeProgress(opts.label ?? 'simulate', reps.length, { quiet: opts.quiet });
  const out: RepetitionResult[] = [];
  let finished = 0;
  const stopNow = (): boolean => flag.interrupted || (opts.stopAfter !== undefined && finished >= opts.stopAfter);
  const record = (r: RepetitionResult): void => {
    out.push(r);
    finished++;
    opts.onResult?.(r);
    bar.tick(1, `(rep ${r.rep}: ${r.seconds.toFixed(1)}s)`);
  };
  try {
    if (workers === 1) {
      for (const rep of reps) {
        if (stopNow()) break;
        record(runRepetition(plan, rep, backend));
        await new Promise((resolve) => setImmediate(resolve)); // let a Ctrl-C handler run
      }
    } else {
      await new Promise<void>((resolve, reject) => {
        const queue = [...reps];
        let active = 0;
        let failed = false;
        const pool = Array.from({ length: workers }, () => startWorker(import.meta.url, 'worker'));
        const finish = (err?: Error): void => {
          if (failed) return;
          if (err) failed = true;
          if (err || active === 0) {
            for (const w of pool) void w.terminate();
            if (err) reject(err);
            else resolve();
          }
        };
        const dispatch = (w: (typeof pool)[number]): void => {
          if (stopNow() || queue.length === 0) {
            if (active === 0) finish();
            return;
          }
          active++;
          w.postMessage({ plan, rep: queue.shift(), backend: backend.name });
        };
        for (const w of pool) {
          w.on('message', (msg: { rep: number; result?: RepetitionResult; error?: string }) => {
            active--;
            if (msg.error !== undefined || !msg.result) return finish(new Error(`repetition ${msg.rep} failed: ${msg.error}`));
            try {
              record(msg.result);
            } catch (e) {
              return finish(e as Error);
            }
            dispatch(w);
          });
          w.on('error', (e) => finish(e));
        }
        for (const w of pool) dispatch(w);
      });
    }
  } finally {
    ownFlag?.dispose();
  }
  bar.done();
  if (out.length < reps.length) throw new InterruptedError(undefined, flag.exitCode ?? 130);
  return out.sort((a, b) => a.rep - b.rep);
}

export interface SimulateOptions extends RunOptions {
  /** Run directory (default: config.out). */
  outDir?: string;
  /** Number of repetitions (default: config.simulation.reps). */
  reps?: number;
  /** Refuse a run whose estimated memory exceeds this many bytes (the estimate of a large run is printed first). */
  maxMemoryBytes?: number;
  /** Accept a directory holding results but no run.json (its rows are validated against this plan). */
  adopt?: boolean;
}

export interface SimulateResult {
  plan: SimulationPlan;
  summary: RunSummary;
  results: RepetitionResult[];
  runDir: string;
  /** Repetitions computed by this call (the others came from the store). */
  computed: number;
  seconds: number;
}

/**
 * Run (or resume) the Monte Carlo simulation of a stylized-model config (THEORY.md section 5)
 * into a run directory: run.json (provenance), results.jsonl (one row per repetition),
 * summary.json and summary.csv (mean and standard error per (n, m)).
 */
export async function simulateStylized(config: StylizedConfig, opts: SimulateOptions = {}): Promise<SimulateResult> {
  const t0 = performance.now();
  const plan = planFromConfig(config, { reps: opts.reps });
  const runDir = opts.outDir ?? config.out;
  const lock = acquireRunLock(runDir, '--out');
  try {
    return await simulateLocked(config, plan, runDir, opts, t0);
  } finally {
    lock.release();
  }
}

async function simulateLocked(config: StylizedConfig, plan: SimulationPlan, runDir: string, opts: SimulateOptions, t0: number): Promise<SimulateResult> {
  const resultsPath = monteCarloPaths(runDir).results;
  const identity = planIdentity(plan);
  const backend = linalgBackend(opts.backend);
  const here = { ...provenance({ config, seed: config.seed }), reps: plan.reps, randomStreamVersion: RANDOM_STREAM_VERSION, linalgBackend: backend.description, planIdentity: identity };
  let record: Record<string, unknown> = here;
  const prev = readMonteCarloRecord(runDir);
  if (!prev && existsSync(resultsPath) && statSync(resultsPath).size > 0 && !opts.adopt) {
    throw new InputError('--out', runDir, 'a new directory, or a run directory with its run.json (pass --adopt to take over these results)', `it holds ${resultsPath} but no run.json, so the plan of its rows is unknown`);
  }
  if (prev) {
    if (prev.planIdentity !== identity) {
      throw new InputError('--out', runDir, 'an empty directory or one holding a run of the same config (only reps may differ)', 'its run.json records a different plan');
    }
    const version = prev.randomStreamVersion ?? 1;
    if (version !== RANDOM_STREAM_VERSION) {
      throw new InputError('--out', runDir, `a directory of random-stream version ${RANDOM_STREAM_VERSION} (this engine's) or an empty one`, `its repetitions were drawn by version ${version}; resuming would mix draws, so write to a new --out or delete the directory`);
    }
    // Keep the provenance of the run that started the directory; record each resumption.
    const resumed = { time: here.time, gitCommit: here.gitCommit, gitDirty: here.gitDirty, version: here.version, command: here.command, reps: plan.reps, linalgBackend: backend.description };
    record = { ...prev, reps: plan.reps, resumes: [...(prev.resumes ?? []), resumed] };
  }
  const store = openStore<RepetitionRow>(resultsPath);
  for (const row of store.rows()) validateRepetitionRow(row, plan, resultsPath, store.lineOf(row.key) ?? 0);
  const todo = Array.from({ length: plan.reps }, (_, r) => r).filter((r) => !store.has(`rep-${r}`));
  if (opts.maxMemoryBytes !== undefined && todo.length > 0) {
    guardMemory(estimateSimulation({ ...plan, reps: todo.length }, Math.min(opts.workers ?? availableParallelism(), todo.length)), opts.maxMemoryBytes, { quiet: opts.quiet });
  }
  writeMonteCarloRecord(runDir, record);
  if (todo.length < plan.reps && !opts.quiet) process.stderr.write(`simulate: resuming, ${plan.reps - todo.length} of ${plan.reps} repetitions already in ${store.path}\n`);
  await runRepetitions(plan, todo, {
    ...opts,
    backend: backend.name,
    onResult: (r) => {
      store.append({ key: `rep-${r.rep}`, ...r });
      opts.onResult?.(r);
    },
  });
  const results = store
    .rows()
    .filter((r) => r.rep < plan.reps)
    .map(({ key: _key, ...r }) => r as RepetitionResult)
    .sort((a, b) => a.rep - b.rep);
  const summary = writeMonteCarloSummary(runDir, config, plan, results);
  return { plan, summary, results, runDir, computed: todo.length, seconds: (performance.now() - t0) / 1000 };
}
