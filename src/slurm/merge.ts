import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { StoreRow } from '../store/appendOnlyStore.js';
import type { PlannedJob } from '../sweep/plan.js';
import { resultRow, type ResultRow } from '../sweep/results.js';
import { runPaths } from '../sweep/runDir.js';
import { metricsFromResult } from '../trainers/torch/index.js';
import type { ClassifyResult, Hello } from '../trainers/torch/protocol.js';
import { readShardRows, readUnits, slurmPaths, taskOfUnit, type PhaseName, type SlurmRunRecord } from './layout.js';

/**
 * Merge the shard stores of a cluster run into the run's results.jsonl (docs/cluster.md):
 * every planned unit is looked up in the stores of all tasks of its phase, rows are written in
 * plan order (so the file is the one a single machine writes, up to timestamps), a unit found
 * in two stores is counted as a duplicate and written once, and units found nowhere are
 * reported as missing. results.jsonl is derived data: it is rewritten atomically from the
 * append-only shard stores, which are never modified.
 */
export interface MissingUnit {
  phase: PhaseName;
  key: string;
  task: number;
}

export interface MergeResult {
  /** Rows written to results.jsonl. */
  rows: number;
  /** Units found, per phase. */
  units: Record<string, { planned: number; done: number }>;
  missing: MissingUnit[];
  /** Unit keys present in more than one shard store (written once). */
  duplicates: string[];
  /** Shard store files read. */
  stores: number;
}

/** A worker results row (run-bundle): one classify job. */
interface WorkerRow extends StoreRow {
  kind: 'classify';
  meta: PlannedJob;
  result: ClassifyResult;
  worker?: Hello;
  finishedAt?: string;
}

function shardStores(runDir: string, phase: PhaseName): { task: number; rows: Map<string, StoreRow> }[] {
  const dir = slurmPaths(runDir).shardDir(phase);
  if (!existsSync(dir)) return [];
  const out: { task: number; rows: Map<string, StoreRow> }[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^task-(\d+)\.jsonl$/.exec(f);
    if (!m) continue;
    const rows = readShardRows(join(dir, f));
    out.push({ task: Number(m[1]), rows: new Map(rows.map((r) => [r.key, r])) });
  }
  return out.sort((a, b) => a.task - b.task);
}

/** The results.jsonl rows one unit row stands for. */
function expand(rec: SlurmRunRecord, row: StoreRow): StoreRow[] {
  if (rec.kind === 'monte-carlo') return [row];
  if (rec.engine === 'lossyscale') return (row as StoreRow & { rows: ResultRow[] }).rows;
  const w = row as WorkerRow;
  const metrics = metricsFromResult(w.result, w.worker);
  return [{ ...resultRow(w.meta, metrics), time: w.finishedAt ?? new Date().toISOString() }];
}

/** Merge the given phases into results.jsonl; refuses (exit 2) when units are missing, unless partial. */
export function mergePhases(runDir: string, rec: SlurmRunRecord, phases: PhaseName[], opts: { partial: boolean }): MergeResult {
  const out: StoreRow[] = [];
  const result: MergeResult = { rows: 0, units: {}, missing: [], duplicates: [], stores: 0 };
  for (const phase of phases) {
    const units = readUnits(runDir, phase);
    if (!units) continue;
    const stores = shardStores(runDir, phase);
    result.stores += stores.length;
    let done = 0;
    units.units.forEach((unit, index) => {
      const found = stores.flatMap((s) => {
        const rows = s.rows.get(unit.key);
        return rows ? [rows] : [];
      });
      if (!found.length) {
        result.missing.push({ phase, key: unit.key, task: taskOfUnit(index, rec.shards) });
        return;
      }
      if (found.length > 1) result.duplicates.push(unit.key);
      done++;
      out.push(...expand(rec, found[0]));
    });
    result.units[phase] = { planned: units.units.length, done };
  }
  if (result.missing.length && !opts.partial) {
    const tasks = [...new Set(result.missing.map((m) => `${m.phase}/${m.task}`))];
    throw new InputError('RUN', runDir, 'a run whose planned units are all finished (or --partial)', `${result.missing.length} units missing, of tasks ${tasks.join(', ')}: re-submit the run (lossyscale slurm submit --run ${runDir}) to re-run them`);
  }
  const keys = new Set<string>();
  const lines: string[] = [];
  for (const row of out) {
    if (keys.has(row.key)) continue;
    keys.add(row.key);
    lines.push(JSON.stringify(row));
  }
  const target = runPaths(runDir).results;
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, lines.length ? lines.join('\n') + '\n' : '');
  renameSync(tmp, target);
  result.rows = lines.length;
  return result;
}
