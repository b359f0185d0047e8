import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';
import { readJsonFile } from '../io/rowSchemas.js';
import type { LawObservation } from './lawForms.js';

/**
 * Per-repetition observations of a Figure-6 Monte Carlo run (THEORY.md section 5) for the law
 * fit: one row per (repetition, n, m) with L = L(m), error = the excess error at the selected
 * lambda in the infinite-model convention (the summary's tailCorrection added), seed = the
 * repetition. Fitting these rows instead of the cell means lets the bootstrap resample whole
 * repetitions (50 of them), which keeps the prefix correlation of the n-grid inside a unit.
 */
interface SummaryCellLite {
  n: number;
  m: number;
  L: number;
  tailCorrection: number;
}

/** Per-repetition (n, L, excess, seed = repetition) rows of a finished Figure-6 run (THEORY.md section 5). */
export function readFig6Observations(runDir: string): LawObservation[] {
  const summaryPath = join(runDir, 'summary.json');
  const resultsPath = join(runDir, 'results.jsonl');
  const runPath = join(runDir, 'run.json');
  if (!existsSync(summaryPath) || !existsSync(resultsPath)) {
    throw new ResourceError(`no finished Figure-6 run in ${runDir} (needs summary.json and results.jsonl; run: lossyscale simulate --config sims/fig6.json)`);
  }
  const summary = readJsonFile(summaryPath) as { scoring?: string; cells?: unknown };
  if (!summary || !Array.isArray(summary.cells)) throw new ResourceError(`${summaryPath}: expected a Figure-6 summary { cells: [...] } (is ${runDir} a Monte Carlo run of lossyscale simulate?)`);
  const tau = existsSync(runPath) ? ((readJsonFile(runPath) as { config?: { model?: { tau?: number } } } | null)?.config?.model?.tau ?? 1) : 1;
  const cellInfo = new Map<string, SummaryCellLite>();
  for (const c of summary.cells as SummaryCellLite[]) cellInfo.set(`${c?.n}|${c?.m}`, c);
  const rows: LawObservation[] = [];
  const lines = readFileSync(resultsPath, 'utf8').split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    let rec: { rep?: number; cells?: { n: number; m: number; excess: number[]; test?: number[]; sel: number }[] };
    try {
      rec = JSON.parse(line);
    } catch {
      throw new ResourceError(`${resultsPath} line ${i + 1}: not JSON`);
    }
    if (typeof rec.rep !== 'number' || !Array.isArray(rec.cells)) throw new ResourceError(`${resultsPath} line ${i + 1}: expected { rep, cells: [...] }`);
    for (const c of rec.cells) {
      const info = cellInfo.get(`${c?.n}|${c?.m}`);
      if (!info) throw new ResourceError(`${resultsPath} line ${i + 1}: cell n=${c?.n}, m=${c?.m} is not in summary.json`);
      const error = summary.scoring === 'sampled' && Array.isArray(c.test) ? c.test[c.sel] - tau * tau : Array.isArray(c.excess) ? c.excess[c.sel] + info.tailCorrection : NaN;
      if (!Number.isFinite(error) || !Number.isFinite(info.L)) throw new ResourceError(`${resultsPath} line ${i + 1}: cell n=${c.n}, m=${c.m} has no finite excess at its selected lambda (sel ${String(c.sel)})`);
      rows.push({ n: c.n, L: info.L, error, seed: rec.rep });
    }
  });
  return rows;
}
