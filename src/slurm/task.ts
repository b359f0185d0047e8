import { parseStylizedConfig } from '../config/fig6Config.js';
import { InputError, ResourceError } from '../errors.js';
import { planFromConfig } from '../simulate/plan.js';
import { runRepetitions, type RepetitionRow } from '../simulate/simulateStylized.js';
import { openStore, type StoreRow } from '../store/appendOnlyStore.js';
import { fitRunLaw } from '../sweep/analyze.js';
import { parseSweepConfig } from '../sweep/config.js';
import { openSweepContext } from '../sweep/context.js';
import { materializeJob } from '../sweep/materialize.js';
import { planGridJobs, planStrategyJobs, readLaw, type PlannedJob } from '../sweep/plan.js';
import { registeredTargets } from '../sweep/preRegistration.js';
import { readResults, resultRow, type ResultRow } from '../sweep/results.js';
import { readRun } from '../sweep/runDir.js';
import { createTrainer } from '../trainers/registry.js';
import type { InterruptFlag } from '../util/interrupt.js';
import { readSlurmRun, readUnits, slurmPaths, unitsOfTask, writeUnits, type PhaseName, type SlurmRunRecord, type WorkUnit } from './layout.js';
import { mergePhases } from './merge.js';
import { sameUnits, sweepUnits } from './units.js';

/**
 * What one array task does on its node with the lossyscale engine (docs/cluster.md): run the
 * units `index mod shards == task` of a phase that its shard store does not hold yet, and
 * append one row per finished unit (written in one call, so a kill or scancel loses at most
 * the unit in progress). Monte Carlo units are repetitions (the simulate engine); sweep units
 * are nested chains of training jobs (the sweep's own planning, materialization and trainer).
 */
export interface SweepUnitRow extends StoreRow {
  /** The unit's training jobs, as the run's results.jsonl records them. */
  rows: ResultRow[];
}

export interface TaskSummary {
  phase: PhaseName;
  task: number;
  units: number;
  ran: number;
  alreadyDone: number;
}

type Log = (line: string) => void;

function loadRun(runDir: string): SlurmRunRecord {
  const rec = readSlurmRun(runDir);
  if (!rec) throw new InputError('RUN', runDir, 'a run directory written by lossyscale slurm submit (RUN/slurm/slurm.json)');
  return rec;
}

/** A field of a stored work unit that its run kind requires (sweep: jobs; Monte Carlo: rep); a clear error when the units file lacks it. */
function unitField<K extends 'jobs' | 'rep'>(unit: WorkUnit, field: K): NonNullable<WorkUnit[K]> {
  const v = unit[field];
  if (v === undefined || v === null) throw new ResourceError(`work unit ${unit.key} has no ${field} (a units file of another run kind?)`);
  return v;
}

/** Run the unfinished units of one array task (THEORY.md sections 5-6). */
export async function runTask(runDir: string, phase: PhaseName, task: number, opts: { log?: Log; interrupt?: InterruptFlag; workers?: number } = {}): Promise<TaskSummary> {
  const log = opts.log ?? (() => undefined);
  const rec = loadRun(runDir);
  if (!Number.isInteger(task) || task < 0 || task >= rec.shards) throw new InputError('--task', task, `0..${rec.shards - 1} (the run has ${rec.shards} shards)`);
  const unitsFile = readUnits(runDir, phase);
  if (!unitsFile) throw new InputError('--phase', phase, `a planned phase of this run (no ${slurmPaths(runDir).units(phase)} yet)`);
  const mine = unitsOfTask(unitsFile.units, task, rec.shards);
  const store = openStore<StoreRow>(slurmPaths(runDir).shard(phase, task));
  const todo = mine.filter(({ unit }) => !store.has(unit.key));
  log(`slurm task ${phase}/${task}: ${mine.length} units, ${mine.length - todo.length} already in ${store.path}, ${todo.length} to run`);
  const summary: TaskSummary = { phase, task, units: mine.length, ran: 0, alreadyDone: mine.length - todo.length };
  if (!todo.length) return summary;
  if (rec.kind === 'monte-carlo') {
    const plan = planFromConfig(parseStylizedConfig(rec.config));
    await runRepetitions(plan, todo.map(({ unit }) => unitField(unit, 'rep')), {
      workers: opts.workers ?? 1,
      quiet: true,
      interrupt: opts.interrupt,
      onResult: (r) => {
        store.append({ key: `rep-${r.rep}`, ...r } satisfies RepetitionRow);
        summary.ran++;
        log(`  rep ${r.rep} done (${r.seconds.toFixed(2)} s)`);
      },
    });
    return summary;
  }
  const config = parseSweepConfig(rec.config);
  const ctx = await openSweepContext(config);
  const trainer = await createTrainer({ trainer: config.trainer, ...(config.trainerOptions ?? {}) });
  try {
    const jobs = phase === 'grid' ? await planGridJobs(ctx) : await planStrategyJobs(ctx, requireLaw(runDir), log);
    const planned = sweepUnits(jobs, rec.engine);
    if (!sameUnits(planned, unitsFile.units)) throw new ResourceError(`the ${phase} plan on this node differs from the submitted one (${planned.length} vs ${unitsFile.units.length} units): same config, code and codec cache are required`);
    const byKey = new Map(jobs.map((j) => [j.key, j]));
    for (const { unit } of todo) {
      opts.interrupt?.check();
      const rows: ResultRow[] = [];
      for (const key of unitField(unit, 'jobs')) {
        const job = byKey.get(key);
        if (!job) throw new ResourceError(`unit ${unit.key} of the ${phase} plan names job ${key}, which this node's plan lacks`);
        const metrics = await trainer.train(await materializeJob(job, ctx));
        rows.push(resultRow(job, metrics));
      }
      store.append({ key: unit.key, rows } satisfies SweepUnitRow);
      summary.ran++;
      log(`  unit ${unit.key}: ${rows.length} jobs, errors ${rows.map((r) => (100 * r.error).toFixed(2) + '%').join(' ')}`);
    }
    return summary;
  } finally {
    await trainer.close?.();
    await ctx.close();
  }
}

function requireLaw(runDir: string) {
  const law = readLaw(runDir);
  if (!law) throw new ResourceError(`${runDir} has no law.json: the strategies phase runs after the fit step`);
  return law;
}

/** Planned strategy jobs of a run whose grid is merged: the law fit, then the sweep's strategy planning. */
export async function planStrategies(runDir: string, rec: SlurmRunRecord, log: Log): Promise<{ jobs: PlannedJob[]; lawFitted: boolean }> {
  const config = parseSweepConfig(rec.config);
  const rows = readResults(runDir);
  const law = fitRunLaw(runDir, config, rows);
  if (!law || !config.strategies) {
    if (config.strategies) log('fit: the grid does not identify the law (need >= 6 lossy grid points with 2 sizes and 2 distances); no strategies');
    return { jobs: [], lawFitted: Boolean(law) };
  }
  log(`fit: E*=${law.params.Estar.toPrecision(4)} A=${law.params.A.toPrecision(4)} alpha=${law.params.alpha.toPrecision(4)} B=${law.params.B.toPrecision(4)} beta=${law.params.beta.toPrecision(4)} (R^2 ${law.r2.toPrecision(3)})`);
  const ctx = await openSweepContext(config);
  try {
    // The same pre-registration as a single-machine sweep: prediction.json (its hash in
    // run.json) is written from the grid's law before any strategy task is submitted.
    const run = readRun(runDir);
    if (!run) throw new ResourceError(`${runDir} has no run.json: re-submit the run (lossyscale slurm submit --run ${runDir})`);
    const registered = await registeredTargets(ctx, runDir, run, config, law, rows, log);
    return { jobs: await planStrategyJobs(ctx, law, log, registered), lawFitted: true };
  } finally {
    await ctx.close();
  }
}

/**
 * The fit step between a sweep's two arrays: merge the grid shards into results.jsonl, fit the
 * law, plan the strategies at equal budgets and write their units (THEORY.md sections 6-7).
 */
export async function runFitStep(runDir: string, opts: { log?: Log; writeBundle?: (jobs: PlannedJob[]) => Promise<WorkUnit[]> } = {}): Promise<{ units: number }> {
  const log = opts.log ?? (() => undefined);
  const rec = loadRun(runDir);
  if (rec.kind !== 'sweep') throw new InputError('--step', 'fit', 'a sweep run (a Monte Carlo run has no fit step)');
  const merged = mergePhases(runDir, rec, ['grid'], { partial: false });
  log(`fit: ${merged.rows} grid rows merged into ${runDir}/results.jsonl`);
  const { jobs } = await planStrategies(runDir, rec, log);
  const units = opts.writeBundle ? await opts.writeBundle(jobs) : sweepUnits(jobs, rec.engine);
  const previous = readUnits(runDir, 'strategies');
  if (previous && !sameUnits(previous.units, units)) throw new ResourceError(`the strategies planned now differ from ${slurmPaths(runDir).units('strategies')}; the grid results changed since the strategies were planned`);
  writeUnits(runDir, 'strategies', units);
  log(`fit: ${jobs.length} strategy jobs in ${units.length} units`);
  return { units: units.length };
}
