import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StylizedConfig } from '../../config/fig6Config.js';
import { InputError, InterruptedError } from '../../errors.js';
import { provenance } from '../../provenance.js';
import type { RunSummary } from '../../simulate/aggregate.js';
import { checkPlanIdentity, monteCarloPaths, planIdentity, writeMonteCarloRecord, writeMonteCarloSummary } from '../../simulate/runDir.js';
import { planFromConfig, type SimulationPlan } from '../../simulate/plan.js';
import type { RepetitionResult } from '../../simulate/repetition.js';
import type { RepetitionRow } from '../../simulate/simulateStylized.js';
import { openStore } from '../../store/appendOnlyStore.js';
import { progress as makeProgress } from '../../util/progress.js';
import { launchWorker, type WorkerLaunchOptions } from './launch.js';
import type { RidgeMcJobSpec } from './protocol.js';
import { WorkerJobError, type WorkerProcess } from './workerProcess.js';

/**
 * The stylized-model Monte Carlo (THEORY.md section 5) on a torch worker, job kind
 * "ridge-mc": the same SimulationPlan and the same per-repetition result shape as the CPU
 * engine (src/simulate/repetition.ts), so aggregation, the run directory and the figures are
 * shared. Float64 throughout; the random streams are torch's, so GPU and CPU runs agree in
 * distribution, and on the same samples (spec.data) to float tolerance.
 */
export interface RidgeMcOptions extends WorkerLaunchOptions {
  /** A running worker to use (else one is started and shut down at the end). */
  worker?: WorkerProcess;
  /** Repetitions per job message (progress and resumption granularity). */
  repsPerJob?: number;
  /** Rows per block on the worker (default 16384 on CUDA, 1024 on CPU). */
  blockRows?: number;
  /** Called with every finished repetition. */
  onRepetition?: (r: RepetitionResult) => void;
  onProgress?: (done: number, total: number) => void;
  /** Extra fields for the job spec (e.g. data: per-set float64 files, with bundle). */
  extraSpec?: Record<string, unknown>;
  bundle?: string;
}

/** The ridge-mc job spec for some repetitions of a plan (protocol v1, worker/README.md). */
export function ridgeMcJob(id: string, plan: SimulationPlan, reps: number[], extra: Record<string, unknown> = {}): RidgeMcJobSpec {
  return { id, kind: 'ridge-mc', spec: { plan, reps, ...extra } };
}

/** Run repetitions of a plan on a torch worker (THEORY.md section 5); results sorted by rep. */
export async function runRidgeMcTorch(plan: SimulationPlan, reps: number[], opts: RidgeMcOptions = {}): Promise<{ results: RepetitionResult[]; device: string; deviceName: string }> {
  const per = opts.repsPerJob ?? 5;
  if (!Number.isInteger(per) || per < 1) throw new InputError('repsPerJob', per, 'an integer >= 1');
  const worker = opts.worker ?? (await launchWorker(opts));
  const out: RepetitionResult[] = [];
  try {
    for (let i = 0; i < reps.length; i += per) {
      const chunk = reps.slice(i, i + per);
      const extra = { ...opts.extraSpec, ...(opts.blockRows ? { blockRows: opts.blockRows } : {}) };
      const job = ridgeMcJob(`ridge-mc/rep=${chunk[0]}..${chunk[chunk.length - 1]}`, plan, chunk, extra);
      let res: Record<string, unknown>;
      try {
        res = await worker.run({ type: 'job', ...job, bundle: opts.bundle });
      } catch (e) {
        if (e instanceof WorkerJobError && e.kind === 'input') throw new InputError('plan', job.id, 'a plan the worker accepts', e.message);
        if (e instanceof WorkerJobError && e.kind === 'cancelled') throw new InterruptedError();
        throw e;
      }
      for (const r of res.repetitions as RepetitionResult[]) {
        out.push(r);
        opts.onRepetition?.(r);
      }
      opts.onProgress?.(out.length, reps.length);
    }
  } finally {
    if (!opts.worker) await worker.shutdown();
  }
  return { results: out.sort((a, b) => a.rep - b.rep), device: worker.hello.device, deviceName: worker.hello.deviceName };
}

/**
 * `simulateStylized` on a torch worker: the same run directory (run.json, results.jsonl with
 * one `rep-N` row per repetition, summary.json|csv), resumable, so `lossyscale simulate`'s
 * analysis and figures read it unchanged. Rows carry `engine` (device, rng) for provenance.
 */
export async function simulateStylizedTorch(config: StylizedConfig, opts: RidgeMcOptions & { outDir?: string; reps?: number; quiet?: boolean } = {}): Promise<{ plan: SimulationPlan; summary: RunSummary; runDir: string; computed: number; seconds: number; device: string }> {
  const t0 = performance.now();
  const plan = planFromConfig(config, { reps: opts.reps });
  const runDir = opts.outDir ?? config.out;
  mkdirSync(runDir, { recursive: true });
  const identity = planIdentity(plan);
  checkPlanIdentity(runDir, identity, 'out', 'an empty directory or one holding a run of the same config (only reps may differ)');
  const store = openStore<RepetitionRow & { engine?: unknown }>(monteCarloPaths(runDir).results);
  const todo = Array.from({ length: plan.reps }, (_, r) => r).filter((r) => !store.has(`rep-${r}`));
  const worker = opts.worker ?? (await launchWorker(opts));
  const engine = { kind: 'torch', device: worker.hello.device, deviceName: worker.hello.deviceName, torch: worker.hello.torch, cuda: worker.hello.cuda, rng: 'torch' };
  writeMonteCarloRecord(runDir, { ...provenance({ config, seed: config.seed }), reps: plan.reps, planIdentity: identity, engine });
  const bar = makeProgress('simulate (torch)', todo.length, { quiet: opts.quiet });
  let ticked = 0;
  try {
    await runRidgeMcTorch(plan, todo, { ...opts, worker, onRepetition: (r) => store.append({ key: `rep-${r.rep}`, ...r, engine }), onProgress: (d) => {
        bar.tick(d - ticked, `on ${engine.deviceName}`);
        ticked = d;
      } });
  } finally {
    if (!opts.worker) await worker.shutdown();
  }
  bar.done();
  const results = store
    .rows()
    .filter((r) => r.rep < plan.reps)
    .map(({ key: _k, engine: _e, ...r }) => r as RepetitionResult);
  const summary = writeMonteCarloSummary(runDir, config, plan, results, engine);
  return { plan, summary, runDir, computed: todo.length, seconds: (performance.now() - t0) / 1000, device: engine.device };
}
