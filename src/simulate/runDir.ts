import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StylizedConfig } from '../config/fig6Config.js';
import { InputError, ResourceError } from '../errors.js';
import type { LawFit } from '../fit/fitTypes.js';
import { provenance, type Provenance } from '../provenance.js';
import { aggregate, summaryCsv, type RunSummary } from './aggregate.js';
import type { SimulationPlan } from './plan.js';
import { readJsonFile } from '../io/rowSchemas.js';
import type { RepetitionResult } from './repetition.js';

/**
 * The Monte Carlo run directory (THEORY.md section 5; layout in docs/architecture.md):
 * run.json (provenance, reps, planIdentity, optional engine), results.jsonl (one `rep-N` row per
 * repetition), summary.json|csv (mean and standard error per (n, m)), law.json (the fitted law)
 * and tables/. Every writer of this layout (the JavaScript engine, the torch engine, bundle
 * ingestion) goes through these functions.
 */
export function monteCarloPaths(runDir: string) {
  return {
    dir: runDir,
    run: join(runDir, 'run.json'),
    results: join(runDir, 'results.jsonl'),
    summaryJson: join(runDir, 'summary.json'),
    summaryCsv: join(runDir, 'summary.csv'),
    law: join(runDir, 'law.json'),
    tables: join(runDir, 'tables'),
    figures: join(runDir, 'figures'),
  };
}

/** What identifies a plan apart from its repetition count (a run may be resumed with more reps). */
export function planIdentity(plan: SimulationPlan): string {
  return JSON.stringify({ ...plan, reps: undefined });
}

/** The run.json of a run directory, or undefined when there is none. */
export function readMonteCarloRecord(runDir: string): (Record<string, unknown> & { planIdentity?: string; randomStreamVersion?: number; resumes?: unknown[] }) | undefined {
  const p = monteCarloPaths(runDir).run;
  if (!existsSync(p)) return undefined;
  return readJsonFile(p, '--out') as Record<string, unknown>;
}

/** Refuse a directory that holds a run of another plan; `param` names the flag that chose the directory. */
export function checkPlanIdentity(runDir: string, identity: string, param: string, valid: string): void {
  const prev = readMonteCarloRecord(runDir);
  if (prev && prev.planIdentity !== identity) throw new InputError(param, runDir, valid, 'it holds results of a different plan');
}

/** Write run.json (compact, one space indent: the committed format). */
export function writeMonteCarloRecord(runDir: string, record: Record<string, unknown>): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(monteCarloPaths(runDir).run, JSON.stringify(record, null, 1) + '\n');
}

/** Aggregate the repetitions and write summary.json (provenance, optional engine, then the summary) and summary.csv. */
export function writeMonteCarloSummary(runDir: string, config: StylizedConfig, plan: SimulationPlan, results: RepetitionResult[], engine?: unknown): RunSummary {
  const summary = aggregate(plan, results);
  const p = monteCarloPaths(runDir);
  const prov = provenance({ config, seed: config.seed });
  writeFileSync(p.summaryJson, JSON.stringify(engine === undefined ? { provenance: prov, ...summary } : { provenance: prov, engine, ...summary }, null, 1) + '\n');
  writeFileSync(p.summaryCsv, summaryCsv(summary));
  return summary;
}

export interface MonteCarloRun {
  /** run.json as written by the engine (provenance plus reps, planIdentity, engine). */
  record: Provenance & { config: StylizedConfig };
  summary: RunSummary;
  law?: LawFit;
  /** The files read (summary.json, run.json, law.json when present). */
  sources: string[];
}

/** Read a finished run: run.json, summary.json and (when fitted) law.json. */
export function readMonteCarloRun(runDir: string): MonteCarloRun {
  const p = monteCarloPaths(runDir);
  if (!existsSync(p.summaryJson) || !existsSync(p.run)) throw new ResourceError(`no finished simulation in ${runDir} (run: lossyscale simulate --config sims/fig6.json)`);
  const record = JSON.parse(readFileSync(p.run, 'utf8')) as Provenance & { config: StylizedConfig };
  const summary = parseSummaryJson(readFileSync(p.summaryJson, 'utf8'));
  const law = existsSync(p.law) ? (JSON.parse(readFileSync(p.law, 'utf8')) as LawFit) : undefined;
  return { record, summary, law, sources: [p.summaryJson, p.run, ...(law ? [p.law] : [])] };
}

/** Read summary.json alone (the analysis input). */
export function readMonteCarloSummary(runDir: string): RunSummary {
  const p = monteCarloPaths(runDir).summaryJson;
  if (!existsSync(p)) throw new ResourceError(`no summary.json in ${runDir} (run: lossyscale simulate --config sims/fig6.json)`);
  return parseSummaryJson(readFileSync(p, 'utf8'));
}

/** summary.json back into a RunSummary: an undefined standard error (one repetition) is written null and read as NaN. */
function parseSummaryJson(text: string): RunSummary {
  return JSON.parse(text, (key, value: unknown) => (value === null && /^(stdErr|scoreStdErr|oracleStdErr)$/.test(key) ? NaN : value)) as RunSummary;
}
