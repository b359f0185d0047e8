import { openStore, type StoreRow } from '../store/appendOnlyStore.js';
import type { TrainMetrics } from '../trainers/trainer.js';
import type { JobInfo, PlannedJob } from './plan.js';
import { runPaths } from './runDir.js';
import { validateResultRow } from '../io/rowSchemas.js';

/** One finished training job in a run's results.jsonl (THEORY.md section 6). */
export interface ResultRow extends StoreRow {
  phase: PlannedJob['phase'];
  seed: number;
  info: JobInfo;
  error: number;
  accuracy: number;
  perClassAccuracy: number[];
  /** Accuracy and error per evaluation set ("test", "test@d=4", ...). */
  evaluations: Record<string, { accuracy: number; error: number; count: number }>;
  trainSeconds: number;
  details?: Record<string, unknown>;
  time: string;
}

/** The results row of one finished job (THEORY.md section 6), as recordResult stores it. */
export function resultRow(planned: PlannedJob, metrics: TrainMetrics): ResultRow {
  return {
    key: planned.key,
    phase: planned.phase,
    seed: planned.seed,
    info: planned.info,
    error: metrics.error,
    accuracy: metrics.accuracy,
    perClassAccuracy: metrics.perClassAccuracy,
    evaluations: Object.fromEntries(Object.entries(metrics.evaluations).map(([k, v]) => [k, { accuracy: v.accuracy, error: v.error, count: v.count }])),
    trainSeconds: metrics.trainSeconds,
    details: metrics.details,
    time: new Date().toISOString(),
  };
}

/** recordResult (sweep run layout in docs/architecture.md): append one finished job to the run's store; a key already there is an error. */
export function recordResult(runDir: string, planned: PlannedJob, metrics: TrainMetrics): ResultRow {
  const store = openStore<ResultRow>(runPaths(runDir).results);
  const row = resultRow(planned, metrics);
  store.append(row);
  return row;
}

/** All finished rows of a run (a torn last line from a kill is dropped), each validated (a bad row is an error naming file, line and field). */
export function readResults(runDir: string): ResultRow[] {
  const store = openStore<ResultRow>(runPaths(runDir).results);
  const rows = store.rows();
  for (const row of rows) validateResultRow(row, store.path, store.lineOf(row.key) ?? 0);
  return rows;
}
