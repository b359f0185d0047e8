import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';
import type { StoreRow } from '../store/appendOnlyStore.js';
import type { Provenance } from '../provenance.js';

/**
 * The Slurm part of a run directory (docs/cluster.md). Next to the usual run layout
 * (run.json, results.jsonl, summary, law, tables, figures), RUN/slurm/ holds:
 *   slurm.json              the cluster run record: config, kind, engine, shard count, submissions
 *   units-<phase>.json      the planned work units of a phase, in plan order
 *   scripts/<phase>.sbatch  the job-array script of a phase (each task reads SLURM_ARRAY_TASK_ID)
 *   shards/<phase>/task-<i>.jsonl  the append-only store of array task i (one row per finished unit)
 *   bundle-<phase>/         a self-contained job bundle (worker engine: images, indices, worker package)
 *   logs/                   stdout and stderr of every task
 * results.jsonl of the run is derived from the shard stores by `slurm collect`.
 */
export const SLURM_RUN_FORMAT = 'lossyscale-slurm-run';
export const SLURM_RUN_VERSION = 1;

/** A sweep has a grid phase, then (after the law fit) a strategies phase; a Monte Carlo config has one phase of repetitions. */
export type PhaseName = 'grid' | 'strategies' | 'reps';
export type RunKind = 'sweep' | 'monte-carlo';
/** Who runs a shard: `lossyscale` itself on the node, or the Python worker on a bundle (no Node, no codec on the node). */
export type EngineName = 'lossyscale' | 'worker';

export interface Submission {
  /** The step: an array phase, or the law fit between grid and strategies. */
  step: PhaseName | 'fit';
  jobId: string;
  /** Array task ids submitted (empty for the fit step). */
  tasks: number[];
  dependency?: string;
  time: string;
}

export interface SlurmRunRecord {
  format: typeof SLURM_RUN_FORMAT;
  version: typeof SLURM_RUN_VERSION;
  kind: RunKind;
  engine: EngineName;
  /** The parsed config (the identity of the run: another config is refused). */
  config: unknown;
  configPath: string;
  /** Working directory of the tasks (relative paths of the config, such as the codec cache, resolve against it). */
  workDir: string;
  shards: number;
  /** The interpreter and CLI entry point the lossyscale engine runs on the nodes. */
  node: string;
  cli: string;
  sbatch: { partition?: string; gres?: string; time?: string; cpusPerTask: number };
  submissions: Submission[];
  provenance: Provenance;
}

/** One unit of work: the finest piece a task finishes and stores in one row. */
export interface WorkUnit {
  key: string;
  /** Sweep: the training jobs of the unit, in order (a nested chain shares one ridge Gram pass). Monte Carlo: the repetition. */
  jobs?: string[];
  rep?: number;
}

export interface UnitsFile {
  phase: PhaseName;
  units: WorkUnit[];
  time: string;
}

export function slurmPaths(runDir: string) {
  const dir = join(runDir, 'slurm');
  return {
    dir,
    record: join(dir, 'slurm.json'),
    units: (phase: PhaseName) => join(dir, `units-${phase}.json`),
    script: (step: PhaseName | 'fit') => join(dir, 'scripts', `${step}.sbatch`),
    shardDir: (phase: PhaseName) => join(dir, 'shards', phase),
    shard: (phase: PhaseName, task: number) => join(dir, 'shards', phase, `task-${task}.jsonl`),
    bundle: (phase: PhaseName) => join(dir, `bundle-${phase}`),
    logs: join(dir, 'logs'),
  };
}

/** The phases of a run, in order: a sweep without a strategies block has its grid only. */
export function phasesOf(kind: RunKind, config: unknown): PhaseName[] {
  if (kind === 'monte-carlo') return ['reps'];
  return (config as { strategies?: unknown }).strategies ? ['grid', 'strategies'] : ['grid'];
}

/** Array task that runs unit `index` of a phase (the worker's `--shard I/N` rule: index mod N). */
export function taskOfUnit(index: number, shards: number): number {
  return index % shards;
}

/** Units (with their plan-order index) of one array task. */
export function unitsOfTask<U>(units: readonly U[], task: number, shards: number): { index: number; unit: U }[] {
  const out: { index: number; unit: U }[] = [];
  for (let i = task; i < units.length; i += shards) out.push({ index: i, unit: units[i] });
  return out;
}

function readJsonFile<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new ResourceError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n');
  renameSync(tmp, path);
}

export function readSlurmRun(runDir: string): SlurmRunRecord | undefined {
  const p = slurmPaths(runDir).record;
  if (!existsSync(p)) return undefined;
  const r = readJsonFile<SlurmRunRecord>(p, 'Slurm run record');
  if (r?.format !== SLURM_RUN_FORMAT || r.version !== SLURM_RUN_VERSION) throw new ResourceError(`${p} is not a ${SLURM_RUN_FORMAT} v${SLURM_RUN_VERSION} record`);
  return r;
}

export function writeSlurmRun(runDir: string, rec: SlurmRunRecord): void {
  writeJsonAtomic(slurmPaths(runDir).record, rec);
}

export function readUnits(runDir: string, phase: PhaseName): UnitsFile | undefined {
  const p = slurmPaths(runDir).units(phase);
  return existsSync(p) ? readJsonFile<UnitsFile>(p, 'units file') : undefined;
}

export function writeUnits(runDir: string, phase: PhaseName, units: WorkUnit[]): UnitsFile {
  const f: UnitsFile = { phase, units, time: new Date().toISOString() };
  writeJsonAtomic(slurmPaths(runDir).units(phase), f);
  return f;
}

/**
 * The finished rows of a shard store, read only: a line counts once its newline is written, so
 * the line a running task is writing right now is not read, and the file is never truncated
 * (status and collect --partial read stores while their tasks append). Keys seen twice keep
 * their first row. A malformed line before the end is corruption.
 */
export function readShardRows(path: string): StoreRow[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n');
  const rows: StoreRow[] = [];
  const keys = new Set<string>();
  const lines = end < 0 ? [] : text.slice(0, end).split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: StoreRow | undefined;
    try {
      row = JSON.parse(line) as StoreRow;
    } catch {
      row = undefined;
    }
    if (!row || typeof row.key !== 'string') {
      if (i === lines.length - 1) return; // a torn line the next append-open of its task cuts off
      throw new ResourceError(`shard store ${path} is corrupt at line ${i + 1}`);
    }
    if (!keys.has(row.key)) {
      keys.add(row.key);
      rows.push(row);
    }
  });
  return rows;
}
