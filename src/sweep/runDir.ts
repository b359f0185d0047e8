import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readJsonFile } from '../io/rowSchemas.js';
import { join } from 'node:path';
import { provenance, type Provenance } from '../provenance.js';

/**
 * The sweep run directory (layout in docs/architecture.md): run.json (provenance:
 * config, seed, code and codec versions, timings), results.jsonl (append-only store, one row
 * per finished training job), summary.csv|json, law.json (the fitted law, as `fit --json`
 * prints it), tables/*.md|csv, figures/.
 */
export function runPaths(runDir: string) {
  return {
    dir: runDir,
    run: join(runDir, 'run.json'),
    results: join(runDir, 'results.jsonl'),
    summaryCsv: join(runDir, 'summary.csv'),
    summaryJson: join(runDir, 'summary.json'),
    law: join(runDir, 'law.json'),
    sizes: join(runDir, 'sizes.json'),
    tables: join(runDir, 'tables'),
    figures: join(runDir, 'figures'),
  };
}

export interface RunSession {
  start: string;
  end?: string;
  /** Seconds per phase in this session. */
  phases: Record<string, number>;
  /** CPU seconds per phase (all threads of the process). */
  cpuPhases?: Record<string, number>;
  jobsRun: number;
  status: 'running' | 'finished' | 'interrupted' | 'failed';
  /** Dense linear algebra backend of this session's in-process trainer (src/linalg/backend.ts). */
  linalgBackend?: string;
  /** The code and command of this session (a resumed run may continue on another commit). */
  code?: { version: string; gitCommit: string | null; gitDirty: boolean | null; command: string };
}

export interface RunRecord {
  provenance: Provenance;
  config: unknown;
  seed: number;
  codecVersion: string;
  trainer: string;
  sessions: RunSession[];
  /** Bundles ingested into this run (`lossyscale sweep ingest`): file, rows recorded, devices, time. */
  ingested?: { from: string; rows: number; devices: string[]; time: string }[];
  /** Files and class folders of the dataset left out (unreadable, empty), with why. */
  skipped?: { path: string; reason: string }[];
  /** The pre-registered storage-test prediction (prediction.json): its sha256 and time. */
  prediction?: { file: string; sha256: string; time: string; preRegistered: boolean };
}

export function readRun(runDir: string): RunRecord | undefined {
  const p = runPaths(runDir).run;
  return existsSync(p) ? (readJsonFile(p, '--run') as RunRecord) : undefined;
}

export function writeRun(runDir: string, rec: RunRecord): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(runPaths(runDir).run, JSON.stringify(rec, null, 2) + '\n');
}

/** A fresh run record for this process (provenance of the code that runs now). */
export function newRunRecord(config: { seed: number; trainer: string }, codecVersion: string): RunRecord {
  return { provenance: provenance({ config, seed: config.seed }), config, seed: config.seed, codecVersion, trainer: config.trainer, sessions: [] };
}
