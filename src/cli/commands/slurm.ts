import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseStylizedConfig } from '../../config/fig6Config.js';
import { InputError } from '../../errors.js';
import { analyzeRun as analyzeStylizedRun } from '../../simulate/analyzeRun.js';
import { analyzeRun } from '../../sweep/analyze.js';
import { writeRunFigures } from '../../figures/fashionMnist.js';
import { writeFig6Figures } from '../../figures/fig6.js';
import { parseSweepConfig } from '../../sweep/config.js';
import { collectRun } from '../../slurm/collect.js';
import { readSlurmRun, slurmPaths, type PhaseName, type SlurmRunRecord, type WorkUnit } from '../../slurm/layout.js';
import { isSlurmTime } from '../../slurm/script.js';
import { runStatus } from '../../slurm/status.js';
import { submitRun } from '../../slurm/submit.js';
import { runFitStep, runTask } from '../../slurm/task.js';
import { watchInterrupt } from '../../util/interrupt.js';
import { intFlag, maybeHelp, parseFlags, refuseStdioDirs, str } from '../args.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { writeJsonLines } from './_output.js';

export const summary = COMMAND_SUMMARIES.slurm;

const usage = `
usage: lossyscale slurm submit --config FILE [--run DIR] [--shards N] [--partition P] [--gres gpu:1]
                               [--time HH:MM:SS] [--cpus-per-task K] [--engine lossyscale|worker]
                               [--two-step] [--dry-run] [--json]
       lossyscale slurm status RUN [--json]
       lossyscale slurm collect RUN [--partial] [--no-figures] [--json]

Runs the work units of a config as Slurm job arrays (docs/cluster.md): a Monte Carlo config
(sims/fig6.json) as one array over its repetitions; a sweep config as a grid array, a fit step
(--dependency=afterok on the grid: merges the grid, fits the law, plans the strategies) and a
strategies array (afterok on the fit). Task i of an array reads SLURM_ARRAY_TASK_ID, runs the
units with index mod N == i and appends each finished unit to its own shard store
RUN/slurm/shards/<phase>/task-i.jsonl.

submit    plans the units, writes RUN/slurm/ (record, units, scripts, bundles) and calls sbatch;
          the job ids go to RUN/slurm/slurm.json. Run it again on the same RUN to re-submit:
          only tasks whose stores lack units run again (failed, timed-out, cancelled), and
          finished units are never redone.
  --config FILE       a sweep config (sims/fashion-mnist-cpu.json) or a stylized-model config (sims/fig6.json)
  --run DIR           run directory (default runs/<config name>-slurm)
  --shards N          array tasks, 1..number of units (default min(units, 8)); fixed by the first submit
  --partition P       a partition sinfo lists
  --gres G            generic resources per task, e.g. gpu:1
  --time T            time limit per task, HH:MM:SS (or D-HH:MM:SS, or minutes)
  --cpus-per-task K   CPUs per task (Monte Carlo tasks use them as worker threads; default 1)
  --engine E          lossyscale: each task runs lossyscale on its node (Node and the codec cache needed);
                      worker: each task runs the Python worker on a self-contained bundle (Python,
                      torch and numpy needed, no Node, no codec). Default: worker for "trainer": "torch".
  --two-step          sweep: submit the grid only; the next submit fits the law here and submits the strategies
  --dry-run           print the scripts and sbatch commands; write and submit nothing

status    per-task state (squeue, sacct where accounting exists) and units done, running, failed.
          --json: one line per array task {kind: "task", phase, task, units, done, state, jobId},
          one per step {kind: "step", step, state, jobId}, then {kind: "summary", counts, unplanned,
          active, source, queryError}.
collect   merges the shard stores into RUN/results.jsonl (plan order; no lost, no duplicated rows),
          then the usual analysis (law fit, strategies, tables, figures; lossyscale report --run RUN).
  --partial           collect while tasks still run or units are missing

examples:
  lossyscale slurm submit --config sims/fig6.json --run runs/fig6-slurm --shards 10 --time 02:00:00
  lossyscale slurm submit --config sims/gpu/fashion-mnist-cnn.json --partition gpu --gres gpu:1 --dry-run
  lossyscale slurm status runs/fig6-slurm
  lossyscale slurm collect runs/fig6-slurm
`;

type Log = (line: string) => void;

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  const rest = argv.slice(1);
  if (sub === 'submit') return submit(rest);
  if (sub === 'status') return status(rest);
  if (sub === 'collect') return collect(rest);
  if (sub === 'task') return task(rest);
  const { values } = parseFlags(argv, {}, true);
  if (maybeHelp(values, usage)) return 0;
  throw new InputError('subcommand', sub, 'submit, status or collect (lossyscale slurm --help)');
}

/** Worker engine: a phase's bundle through the sweep's bundle writer (units: one per job, in the bundle's order). */
async function writeBundle(phase: PhaseName, out: string, run: { runDir: string; config: unknown; configPath: string }): Promise<WorkUnit[]> {
  const { writeSweepBundle } = await import('../../trainers/torch/sweepBundle.js');
  const log = (l: string): boolean => process.stderr.write(`${l}\n`);
  await writeSweepBundle(parseSweepConfig(run.config), out, { runDir: phase === 'grid' ? undefined : run.runDir, configPath: run.configPath, log });
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { jobs: { id: string }[] };
  return manifest.jobs.map((j) => ({ key: j.id, jobs: [j.id] }));
}

async function submit(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string' }, run: { type: 'string' }, shards: { type: 'string' }, partition: { type: 'string' }, gres: { type: 'string' }, time: { type: 'string' },
    'cpus-per-task': { type: 'string' }, engine: { type: 'string' }, 'two-step': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
  });
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['run']);
  const configPath = str(values, 'config');
  if (!configPath) throw new InputError('--config', undefined, 'a sweep config or a stylized-model config file');
  const shards = intFlag(values, 'shards', 1);
  const time = str(values, 'time');
  if (time !== undefined && !isSlurmTime(time)) throw new InputError('--time', time, 'HH:MM:SS or D-HH:MM:SS (minutes and seconds 00..59), or minutes');
  const gres = str(values, 'gres');
  if (gres !== undefined && !/^[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*(,[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*)*$/.test(gres)) throw new InputError('--gres', gres, 'Slurm generic resources, e.g. gpu:1 or gpu:a100:2');
  const engine = str(values, 'engine');
  if (engine !== undefined && engine !== 'lossyscale' && engine !== 'worker') throw new InputError('--engine', engine, 'lossyscale or worker');
  let runDir = str(values, 'run');
  if (!runDir) {
    const raw = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as { name?: unknown }) : {};
    runDir = join('runs', `${typeof raw.name === 'string' ? raw.name : 'run'}-slurm`);
  }
  const dryRun = values['dry-run'] === true;
  const log: Log = values.quiet || values.json ? () => undefined : (l) => process.stderr.write(`${l}\n`);
  const r = await submitRun({
    configPath, runDir, shards, partition: str(values, 'partition'), gres, time, cpusPerTask: intFlag(values, 'cpus-per-task', 1, 1024),
    engine, dryRun, twoStep: values['two-step'] === true, log, writeBundle,
  });
  if (values.json) {
    console.log(JSON.stringify({ runDir: r.runDir, kind: r.kind, engine: r.engine, shards: r.shards, units: r.units, complete: r.complete, dryRun, submitted: r.submitted.map((s) => ({ step: s.step, jobId: s.jobId ?? null, tasks: s.tasks, args: s.args, script: s.script })) }));
    return 0;
  }
  if (dryRun) {
    for (const s of r.submitted) {
      console.log(`# sbatch ${s.args.join(' ')} ${s.script}`);
      console.log(s.scriptText);
    }
    console.log(`# dry run: ${r.kind} with ${Object.entries(r.units).map(([k, v]) => `${v} ${k} units`).join(', ')} over ${r.shards} shards; nothing written or submitted`);
    return 0;
  }
  if (r.complete) {
    console.log(`slurm: every unit of ${r.runDir} is finished; nothing to submit (lossyscale slurm collect ${r.runDir})`);
    return 0;
  }
  for (const s of r.submitted) {
    const dependency = s.args.find((a) => a.startsWith('--dependency'));
    console.log(`submitted ${s.step}: job ${s.jobId}${s.tasks.length ? ` (array tasks ${s.args[0].replace('--array=', '')})` : ''}${dependency ? `, ${dependency.slice(2)}` : ''}`);
  }
  console.log(`run ${r.runDir}: ${r.kind}, ${Object.entries(r.units).map(([k, v]) => `${v} ${k} units`).join(', ')}, ${r.shards} shards, engine ${r.engine}; watch with: lossyscale slurm status ${r.runDir}`);
  return 0;
}

/** The RUN positional, resolved, with its Slurm run record (bad input when it is not a submitted run). */
function runArg(positionals: string[]): { runDir: string; rec: SlurmRunRecord } {
  if (positionals.length !== 1) throw new InputError('RUN', positionals.join(' ') || undefined, 'one run directory written by lossyscale slurm submit');
  const runDir = resolve(positionals[0]);
  const rec = readSlurmRun(runDir);
  if (!rec) throw new InputError('RUN', positionals[0], 'a run directory written by lossyscale slurm submit (RUN/slurm/slurm.json)');
  return { runDir, rec };
}

async function status(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, true);
  if (maybeHelp(values, usage)) return 0;
  const { runDir, rec } = runArg(positionals);
  const s = runStatus(runDir, rec);
  if (values.json) {
    writeJsonLines([
      ...s.tasks.map((t) => ({ kind: 'task', phase: t.phase, task: t.task, units: t.units, done: t.done, state: t.state, jobId: t.jobId ?? null })),
      ...s.steps.map((st) => ({ kind: 'step', step: st.step, state: st.state, jobId: st.jobId })),
      { kind: 'summary', counts: s.counts, unplanned: s.unplanned, active: s.active, source: s.source, queryError: s.queryError ?? null },
    ]);
    return 0;
  }
  console.log('phase       task  job       state          units  done');
  const taskLine = (t: (typeof s.tasks)[number]): string => `${t.phase.padEnd(11)} ${String(t.task).padStart(4)}  ${(t.jobId ?? '-').padEnd(9)} ${t.state.padEnd(14)} ${String(t.units).padStart(5)} ${String(t.done).padStart(5)}`;
  for (const t of s.tasks.filter((x) => x.phase !== 'strategies')) console.log(taskLine(t));
  for (const st of s.steps) console.log(`${st.step.padEnd(11)}    -  ${st.jobId.padEnd(9)} ${st.state}`);
  for (const t of s.tasks.filter((x) => x.phase === 'strategies')) console.log(taskLine(t));
  for (const p of s.unplanned) console.log(`${p.padEnd(11)}    -  planned by the fit step once the grid is complete`);
  const c = s.counts;
  if (s.queryError) console.log(`Slurm could not be asked (${s.queryError}): states shown as unknown, units from the stores`);
  console.log(`units: ${c.done} done, ${c.running} running, ${c.pending} pending, ${c.failed} failed or cancelled${c.notSubmitted ? `, ${c.notSubmitted} not submitted` : ''} (of ${c.units}); states from ${s.source}`);
  if (c.failed && !s.active) console.log(`re-submit to re-run the missing units: lossyscale slurm submit --config ${rec.configPath} --run ${runDir}`);
  return 0;
}

async function collect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { partial: { type: 'boolean' }, 'no-figures': { type: 'boolean' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } }, true);
  if (maybeHelp(values, usage)) return 0;
  const { runDir, rec } = runArg(positionals);
  const log: Log = values.quiet || values.json ? () => undefined : (l) => process.stderr.write(`${l}\n`);
  const c = collectRun(runDir, rec, { partial: values.partial === true });
  const figures = values['no-figures'] ? false : undefined;
  let analysis = '';
  if (rec.kind === 'sweep') {
    const a = analyzeRun(runDir);
    const drawn = figures === false ? [] : await writeRunFigures(runDir);
    log(`analysis: ${drawn.length} figures`);
    analysis = a.law ? `law R^2 ${a.law.r2.toPrecision(3)}, ${drawn.length} figures` : 'no law (too few grid points)';
  } else {
    try {
      const config = parseStylizedConfig(rec.config);
      const a = analyzeStylizedRun(runDir, { config });
      const drawn = figures === false ? [] : await writeFig6Figures(runDir, join(runDir, 'figures'), { config });
      analysis = `law alpha ${a.law.params.alpha.toPrecision(4)}, beta ${a.law.params.beta.toPrecision(4)}, ${drawn.length} figures`;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      analysis = `analysis skipped (${e.message})`; // too few cells or repetitions for the law fit yet
    }
  }
  const m = c.merge;
  if (values.json) {
    console.log(JSON.stringify({ runDir, rows: m.rows, units: m.units, missing: m.missing.length, duplicates: m.duplicates.length, stores: m.stores, analysis }));
    return 0;
  }
  console.log(`collect: ${m.rows} rows into ${join(runDir, 'results.jsonl')} from ${m.stores} shard stores (${Object.entries(m.units).map(([k, v]) => `${k} ${v.done}/${v.planned} units`).join(', ')}; ${m.duplicates.length} duplicates dropped${m.missing.length ? `, ${m.missing.length} units missing (partial)` : ''}); ${analysis}`);
  return 0;
}

/** Internal: what one array task runs on its node (the sbatch scripts call it). */
async function task(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { phase: { type: 'string' }, task: { type: 'string' }, step: { type: 'string' }, workers: { type: 'string' } }, true);
  if (maybeHelp(values, 'usage: lossyscale slurm task RUN --phase grid|strategies|reps --task I [--workers K]   (run by the sbatch scripts)\n       lossyscale slurm task RUN --step fit')) return 0;
  const { runDir, rec } = runArg(positionals);
  const log: Log = (l) => process.stderr.write(`${l}\n`);
  if (str(values, 'step') !== undefined) {
    if (str(values, 'step') !== 'fit') throw new InputError('--step', str(values, 'step'), 'fit');
    await runFitStep(runDir, { log, writeBundle: rec.engine === 'worker' ? () => writeBundle('strategies', slurmPaths(runDir).bundle('strategies'), { runDir, config: rec.config, configPath: rec.configPath }) : undefined });
    return 0;
  }
  const phase = str(values, 'phase');
  if (phase !== 'grid' && phase !== 'strategies' && phase !== 'reps') throw new InputError('--phase', phase, 'grid, strategies or reps');
  const t = intFlag(values, 'task', 0);
  if (t === undefined) throw new InputError('--task', undefined, 'the array task id (SLURM_ARRAY_TASK_ID)');
  const flag = watchInterrupt();
  try {
    const s = await runTask(runDir, phase, t, { log, interrupt: flag, workers: intFlag(values, 'workers', 1, 1024) });
    const cpu = process.cpuUsage();
    log(`slurm task ${phase}/${t}: ${s.ran} units run now, ${s.alreadyDone} already done, ${s.units} in all; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
    return 0;
  } finally {
    flag.dispose();
  }
}
