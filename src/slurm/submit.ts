import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { codecVersionFor, DEFAULT_BACKEND } from '../codec/codecBackend.js';
import { parseStylizedConfig } from '../config/fig6Config.js';
import { InputError, ResourceError } from '../errors.js';
import { withoutBom } from '../io/streams.js';
import { provenance, repoRoot } from '../provenance.js';
import { planFromConfig } from '../simulate/plan.js';
import { parseSweepConfig } from '../sweep/config.js';
import { openSweepContext } from '../sweep/context.js';
import { planGridJobs } from '../sweep/plan.js';
import { newRunRecord, readRun, writeRun } from '../sweep/runDir.js';
import {
  phasesOf,
  readSlurmRun,
  readUnits,
  slurmPaths,
  SLURM_RUN_FORMAT,
  SLURM_RUN_VERSION,
  writeSlurmRun,
  writeUnits,
  type EngineName,
  type PhaseName,
  type RunKind,
  type SlurmRunRecord,
  type Submission,
  type WorkUnit,
} from './layout.js';
import { onPath, partitions, requireSlurm, sbatch, scancel } from './scheduler.js';
import { arraySpec, sbatchScript, shellQuote } from './script.js';
import { NEVER_RUNS, runStatus } from './status.js';
import { runFitStep } from './task.js';
import { monteCarloUnits, sweepUnits } from './units.js';

/**
 * `lossyscale slurm submit` (docs/cluster.md): plan the work units of a config, write the
 * job-array scripts (and, for the worker engine, self-contained bundles), and submit with
 * sbatch only what is missing: the first submission runs every task; a later one re-runs the
 * tasks whose shard stores lack units (a failed, timed-out or cancelled task), never a
 * finished unit. A sweep's strategies depend on the grid's law fit: a fit job with
 * --dependency=afterok on the grid array, then the strategies array afterok on the fit
 * (or, with twoStep, the fit runs in the submitting process at the next submit).
 */
export interface SubmitOptions {
  configPath: string;
  runDir: string;
  shards?: number;
  partition?: string;
  gres?: string;
  time?: string;
  cpusPerTask?: number;
  engine?: EngineName;
  dryRun?: boolean;
  twoStep?: boolean;
  log?: (line: string) => void;
  /** Worker engine: write the bundle of a phase into `out` and return its units (one per job); strategies read the run's law. */
  writeBundle?: (phase: PhaseName, out: string, run: { runDir: string; config: unknown; configPath: string }) => Promise<WorkUnit[]>;
}

export interface PlannedSubmission {
  step: Submission['step'];
  script: string;
  scriptText: string;
  args: string[];
  tasks: number[];
  /** Index into the same submit's list whose job id this one depends on. */
  after?: number;
}

export interface SubmitResult {
  runDir: string;
  kind: RunKind;
  engine: EngineName;
  shards: number;
  units: Record<string, number>;
  submitted: (PlannedSubmission & { jobId?: string })[];
  /** True when every planned unit is already in a shard store. */
  complete: boolean;
}

function readRawConfig(path: string): Record<string, unknown> {
  // The record keeps the config's path for re-submits and the tasks' scripts: stdin has none.
  if (path === '-') throw new InputError('--config', path, 'a config file (a cluster run records its path; stdin has none)');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('--config', path, 'a readable sweep or stylized-model config (JSON)', (e as NodeJS.ErrnoException).code);
  }
  try {
    const v = JSON.parse(withoutBom(text)) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new InputError('--config', path, 'a JSON config object', (e as Error).message);
  }
}

/** Parse a config of either kind (a stylized-model config has a "simulation" block). */
export function parseRunConfig(raw: Record<string, unknown>): { kind: RunKind; config: unknown; name: string } {
  if ('simulation' in raw) {
    const c = parseStylizedConfig(raw);
    return { kind: 'monte-carlo', config: c, name: c.name };
  }
  const c = parseSweepConfig(raw);
  return { kind: 'sweep', config: c, name: c.name };
}

/** The worker engine's bundle writer (bad input when this build has none). */
function bundleWriter(opts: SubmitOptions): NonNullable<SubmitOptions['writeBundle']> {
  if (!opts.writeBundle) throw new InputError('--engine', 'worker', 'lossyscale (no bundle writer in this build)');
  return opts.writeBundle;
}

/** Units of the first phase of a run (the sweep's grid plan encodes the pool: the codec cache is then warm for the tasks). */
async function planFirstPhase(kind: RunKind, config: unknown, engine: EngineName, runDir: string, opts: SubmitOptions): Promise<{ phase: PhaseName; units: WorkUnit[]; codecVersion?: string }> {
  if (kind === 'monte-carlo') return { phase: 'reps', units: monteCarloUnits(planFromConfig(parseStylizedConfig(config))) };
  const c = parseSweepConfig(config);
  const codecVersion = codecVersionFor(c.codec.backend ?? DEFAULT_BACKEND);
  if (engine === 'worker' && !opts.dryRun) {
    return { phase: 'grid', units: await bundleWriter(opts)('grid', slurmPaths(runDir).bundle('grid'), { runDir, config, configPath: resolve(opts.configPath) }), codecVersion };
  }
  const ctx = await openSweepContext(c);
  try {
    return { phase: 'grid', units: sweepUnits(await planGridJobs(ctx), engine), codecVersion };
  } finally {
    await ctx.close();
  }
}

function taskCommand(rec: SlurmRunRecord, runDir: string, step: PhaseName | 'fit'): string {
  const cli = [rec.node, rec.cli].map(shellQuote).join(' ');
  const run = shellQuote(runDir);
  if (step === 'fit') return `exec ${cli} slurm task ${run} --step fit`;
  if (rec.engine === 'worker') {
    const p = slurmPaths(runDir);
    // The bundle carries the images and the worker package: the node needs Python with torch and numpy only.
    return [
      `cd ${shellQuote(p.bundle(step))}`,
      `exec "\${LOSSYSCALE_PYTHON:-python3}" -m lossyscale_worker run-bundle . --shard "$TASK/${rec.shards}" --results ${shellQuote(join(p.shardDir(step), 'task-'))}"$TASK".jsonl --device "\${LOSSYSCALE_DEVICE:-auto}"`,
    ].join('\n');
  }
  return `exec ${cli} slurm task ${run} --phase ${step} --task "$TASK" --workers "\${SLURM_CPUS_PER_TASK:-1}"`;
}

function scriptFor(rec: SlurmRunRecord, runDir: string, step: PhaseName | 'fit', name: string): string {
  const p = slurmPaths(runDir);
  return sbatchScript({
    jobName: `ls-${name}-${step}`.slice(0, 60),
    array: step === 'fit' ? null : `0-${rec.shards - 1}`,
    output: join(p.logs, step === 'fit' ? 'fit-%j.out' : `${step}-%A_%a.out`),
    partition: rec.sbatch.partition,
    gres: step === 'fit' ? undefined : rec.sbatch.gres,
    time: rec.sbatch.time,
    cpusPerTask: step === 'fit' ? 1 : rec.sbatch.cpusPerTask,
    workDir: rec.workDir,
    comment: [`${rec.kind} ${name}, config ${rec.configPath}`, `run ${runDir}, ${rec.shards} shards, engine ${rec.engine}`, step === 'fit' ? 'fit step: merge the grid shards, fit the law, plan the strategies' : `phase ${step}: task i runs the units with index mod ${rec.shards} == i`],
    command: taskCommand(rec, runDir, step),
  });
}

/** Incomplete tasks of a planned phase (units of the task missing from its shard store). */
function incompleteTasks(runDir: string, rec: SlurmRunRecord, phase: PhaseName): number[] {
  const s = runStatus(runDir, rec, { query: false });
  return s.tasks.filter((t) => t.phase === phase && t.done < t.units).map((t) => t.task);
}

export async function submitRun(opts: SubmitOptions): Promise<SubmitResult> {
  const log = opts.log ?? (() => undefined);
  const runDir = resolve(opts.runDir);
  const raw = readRawConfig(opts.configPath);
  const { kind, config, name } = parseRunConfig(raw);
  if (!opts.dryRun) requireSlurm('sbatch');
  if (opts.partition !== undefined && (!opts.dryRun || onPath('sinfo'))) {
    const known = partitions();
    if (!known.includes(opts.partition)) throw new InputError('--partition', opts.partition, `a partition sinfo knows: ${known.join(', ') || 'none'}`);
  }
  const prev = readSlurmRun(runDir);
  if (prev && !isDeepStrictEqual(prev.config, config)) throw new InputError('--run', runDir, `a new directory, or one holding a cluster run of ${opts.configPath}`, 'its slurm/slurm.json records a different config');
  const engine: EngineName = opts.engine ?? prev?.engine ?? (kind === 'sweep' && (config as { trainer?: string }).trainer === 'torch' ? 'worker' : 'lossyscale');
  if (kind === 'monte-carlo' && engine === 'worker') throw new InputError('--engine', 'worker', 'lossyscale for a Monte Carlo config (its repetitions run on the simulate engine)');
  if (prev && prev.engine !== engine) throw new InputError('--engine', engine, `${prev.engine} (the engine this run was submitted with)`);
  if (prev && opts.shards !== undefined && opts.shards !== prev.shards) throw new InputError('--shards', opts.shards, `${prev.shards} (fixed when the run was first submitted: units map to tasks by index mod shards)`);
  if (!prev && kind === 'sweep') {
    const run = readRun(runDir);
    if (run && !isDeepStrictEqual(run.config, config)) throw new InputError('--run', runDir, `a new directory, or one holding a run of ${opts.configPath}`, 'its run.json records a different config');
  }
  if (!prev && kind === 'monte-carlo' && existsSync(join(runDir, 'run.json'))) {
    const planIdentity = JSON.stringify({ ...planFromConfig(parseStylizedConfig(config)), reps: undefined });
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { planIdentity?: string };
    if (run.planIdentity !== planIdentity) throw new InputError('--run', runDir, `a new directory, or one holding a run of ${opts.configPath}`, 'its run.json records a different plan');
  }

  // 1. The first phase's units (planned once; re-submits use the recorded plan, which each task re-checks).
  const firstPhase = phasesOf(kind, config)[0];
  let units = prev ? readUnits(runDir, firstPhase)?.units : undefined;
  let codecVersion: string | undefined;
  if (!units) {
    const planned = await planFirstPhase(kind, config, engine, runDir, opts);
    units = planned.units;
    codecVersion = planned.codecVersion;
  }
  const maxShards = units.length;
  const shards = prev?.shards ?? opts.shards ?? Math.min(maxShards, 8);
  if (!Number.isInteger(shards) || shards < 1 || shards > maxShards) throw new InputError('--shards', shards, `1..${maxShards} (the number of ${firstPhase} units)`);
  if (!prev) log(`plan: ${kind} ${name}: ${units.length} ${firstPhase} units over ${shards} shards`);

  const rec: SlurmRunRecord = prev ?? {
    format: SLURM_RUN_FORMAT,
    version: SLURM_RUN_VERSION,
    kind,
    engine,
    config,
    configPath: resolve(opts.configPath),
    workDir: process.cwd(),
    shards,
    node: process.execPath,
    cli: join(repoRoot, 'bin', 'lossyscale.js'),
    sbatch: { cpusPerTask: opts.cpusPerTask ?? 1 },
    submissions: [],
    provenance: provenance({ config, seed: (config as { seed?: number }).seed }),
  };
  // Scheduling flags may change between submissions (a longer --time for the retry, another partition).
  rec.sbatch = {
    partition: opts.partition ?? rec.sbatch.partition,
    gres: opts.gres ?? rec.sbatch.gres,
    time: opts.time ?? rec.sbatch.time,
    cpusPerTask: opts.cpusPerTask ?? rec.sbatch.cpusPerTask,
  };
  const result: SubmitResult = { runDir, kind, engine, shards, units: { [firstPhase]: units.length }, submitted: [], complete: false };

  if (!opts.dryRun) {
    if (prev) {
      const s = runStatus(runDir, prev);
      if (s.queryError) throw new ResourceError(`cannot tell whether the tasks of ${runDir} still run: ${s.queryError}; try again`);
      if (s.active > 0) throw new InputError('--run', runDir, 'a run with no task pending or running', `${s.active} of its tasks are still queued or running (lossyscale slurm status ${runDir}); wait for them or scancel them`);
      const stale = [...new Set([...s.tasks.flatMap((t) => (t.state === NEVER_RUNS && t.jobId !== undefined ? [t.jobId] : [])), ...s.steps.filter((t) => t.state === NEVER_RUNS).map((t) => t.jobId)])];
      if (stale.length) {
        log(`cancelling jobs whose dependencies failed: ${stale.join(', ')}`);
        scancel(stale);
      }
    }
    mkdirSync(slurmPaths(runDir).logs, { recursive: true });
    for (const phase of phasesOf(kind, config)) mkdirSync(slurmPaths(runDir).shardDir(phase), { recursive: true }); // the worker creates no directories
    if (!readUnits(runDir, firstPhase)) writeUnits(runDir, firstPhase, units);
    if (kind === 'sweep' && !readRun(runDir)) writeRun(runDir, newRunRecord(config as { seed: number; trainer: string }, codecVersion ?? 'unknown'));
    writeSlurmRun(runDir, rec);
  }

  // 2. What to submit: the incomplete tasks of the first unfinished phase (and, for a sweep, what follows).
  const plan: PlannedSubmission[] = [];
  const add = (step: Submission['step'], tasks: number[], after?: number): number => {
    const script = slurmPaths(runDir).script(step);
    plan.push({ step, script, scriptText: scriptFor(rec, runDir, step, name), args: step === 'fit' ? [] : [`--array=${arraySpec(tasks)}`], tasks, after });
    return plan.length - 1;
  };
  const all = Array.from({ length: shards }, (_, i) => i);
  const hasStrategies = phasesOf(kind, config).includes('strategies');
  const firstMissing = opts.dryRun && !prev ? all : incompleteTasks(runDir, rec, firstPhase);
  if (kind === 'monte-carlo') {
    if (firstMissing.length) add('reps', firstMissing);
  } else if (firstMissing.length) {
    const g = add('grid', firstMissing);
    if (!opts.twoStep && hasStrategies) add('strategies', all, add('fit', [], g));
  } else if (hasStrategies) {
    let strategies = readUnits(runDir, 'strategies');
    if (!strategies && opts.twoStep && !opts.dryRun) {
      log('two-step: the grid is complete; fitting the law and planning the strategies here');
      await runFitStep(runDir, { log, writeBundle: engine === 'worker' ? () => bundleWriter(opts)('strategies', slurmPaths(runDir).bundle('strategies'), { runDir, config, configPath: rec.configPath }) : undefined });
      strategies = readUnits(runDir, 'strategies');
    }
    if (!strategies) add('strategies', all, add('fit', []));
    else {
      result.units.strategies = strategies.units.length;
      const missing = incompleteTasks(runDir, rec, 'strategies');
      if (missing.length) add('strategies', missing);
    }
  }
  result.complete = plan.length === 0;

  // 3. Scripts and sbatch.
  const ids: string[] = [];
  for (const p of plan) {
    const dep = p.after !== undefined ? ids[p.after] ?? `<job id of the ${plan[p.after].step} step>` : undefined;
    if (dep) p.args.push(`--dependency=afterok:${dep}`, '--kill-on-invalid-dep=yes');
    if (opts.dryRun) {
      result.submitted.push(p);
      ids.push(`<job id of the ${p.step} step>`);
      continue;
    }
    mkdirSync(join(p.script, '..'), { recursive: true });
    writeFileSync(p.script, p.scriptText, { mode: 0o755 });
    const jobId = sbatch(p.script, p.args);
    ids.push(jobId);
    rec.submissions.push({ step: p.step, jobId, tasks: p.tasks, dependency: dep, time: new Date().toISOString() });
    writeSlurmRun(runDir, rec);
    result.submitted.push({ ...p, jobId });
  }
  return result;
}
