import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStylizedConfig, type StylizedConfig } from '../config/fig6Config.js';
import { InputError, ResourceError } from '../errors.js';
import { RANDOM_STREAM_VERSION } from '../model/sample.js';
import { provenance } from '../provenance.js';
import { aggregate, summaryCsv, type RunSummary } from '../simulate/aggregate.js';
import { planFromConfig } from '../simulate/plan.js';
import type { RepetitionResult } from '../simulate/repetition.js';
import { openStore, type StoreRow } from '../store/appendOnlyStore.js';
import { parseSweepConfig } from '../sweep/config.js';
import { readRun, runPaths, writeRun } from '../sweep/runDir.js';
import { phasesOf, readUnits, type SlurmRunRecord } from './layout.js';
import { mergePhases, type MergeResult } from './merge.js';
import { runStatus, type RunStatus } from './status.js';

/**
 * `lossyscale slurm collect` without the analysis (docs/cluster.md): refuse while tasks still
 * run (unless partial), merge the shard stores into results.jsonl, and for a Monte Carlo run
 * write run.json and the summary exactly as `simulate` does, so the usual analysis applies.
 */
export interface CollectResult {
  merge: MergeResult;
  status: RunStatus;
  /** Monte Carlo: the aggregate of the merged repetitions. */
  summary?: RunSummary;
  config: unknown;
}

export function collectRun(runDir: string, rec: SlurmRunRecord, opts: { partial?: boolean } = {}): CollectResult {
  const partial = opts.partial === true;
  const status = runStatus(runDir, rec);
  if (status.queryError && !partial) throw new ResourceError(`cannot tell whether the tasks of ${runDir} still run: ${status.queryError} (try again, or collect --partial)`);
  if (status.active > 0 && !partial) {
    throw new InputError('RUN', runDir, 'a run whose tasks have all finished (or --partial to collect what is there)', `${status.active} tasks or steps still pending or running (lossyscale slurm status ${runDir})`);
  }
  if (!partial && rec.kind === 'sweep' && parseSweepConfig(rec.config).strategies && !readUnits(runDir, 'strategies')) {
    throw new InputError('RUN', runDir, 'a sweep whose strategies are planned and finished (or --partial)', 'its fit step has not run yet: re-submit the run (lossyscale slurm submit --run RUN) after the grid is complete');
  }
  const merge = mergePhases(runDir, rec, phasesOf(rec.kind, rec.config), { partial });
  if (rec.kind === 'sweep') {
    const run = readRun(runDir);
    if (run) {
      const now = new Date().toISOString();
      run.sessions.push({ start: now, end: now, phases: {}, jobsRun: merge.rows, status: merge.missing.length ? 'interrupted' : 'finished' });
      writeRun(runDir, run);
    }
    return { merge, status, config: rec.config };
  }
  const config: StylizedConfig = parseStylizedConfig(rec.config);
  const plan = planFromConfig(config);
  const rows = openStore<StoreRow & RepetitionResult>(runPaths(runDir).results).rows();
  const results = rows.map(({ key: _k, ...r }) => r as RepetitionResult).sort((a, b) => a.rep - b.rep);
  const jobs = [...new Set(rec.submissions.map((s) => s.jobId))];
  writeFileSync(
    join(runDir, 'run.json'),
    JSON.stringify({ ...provenance({ config, seed: config.seed }), reps: plan.reps, randomStreamVersion: RANDOM_STREAM_VERSION, planIdentity: JSON.stringify({ ...plan, reps: undefined }), engine: { kind: 'slurm', shards: rec.shards, jobs } }, null, 1) + '\n',
  );
  const summary = aggregate(plan, results);
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ provenance: provenance({ config, seed: config.seed }), ...summary }, null, 1) + '\n');
  writeFileSync(join(runDir, 'summary.csv'), summaryCsv(summary));
  return { merge, status, summary, config };
}
