import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { ResultRow } from './results.js';
import type { Prediction } from './prediction.js';
import { storageTestRows, verdictSentence, type StorageTestRow, type StrategyErrors } from './storageTest.js';
import { studentTQuantile } from '../stats/distributions.js';
import { ResourceError } from '../errors.js';
import { formatCsv } from '../io/csv.js';
import { mdTable } from '../fit/tables.js';

/**
 * Tables of the paired storage test (THEORY.md section 6): tables/storage-test.csv|md (one
 * row per budget and comparison), tables/prediction-check.csv|md (the pre-registered
 * Err*(S) interval against the measured scaling-optimal mean) and one verdict per budget.
 */
export interface PredictionCheck {
  budget: number;
  budgetFraction: number | null;
  predicted: number;
  intervalLow: number | null;
  intervalHigh: number | null;
  measuredMean: number;
  measuredCiLow: number;
  measuredCiHigh: number;
  seeds: number;
  /** Null where no interval was predicted (law not identified). */
  covered: boolean | null;
}

export interface StorageTestSummary {
  preRegistered: boolean;
  predictionSha256: string | null;
  rows: StorageTestRow[];
  verdicts: { budget: number; budgetFraction: number | null; sentence: string }[];
  predictionCheck: PredictionCheck[];
  notes: string[];
}

/** Strategy errors per (budget, strategy), keyed by seed. */
export function strategyErrors(rows: ResultRow[], budgetFractions: Map<number, number | null>): StrategyErrors[] {
  const groups = new Map<string, StrategyErrors>();
  for (const r of rows) {
    if (r.phase !== 'strategy') continue;
    const k = `${r.info.budgetIndex}|${r.info.strategy}`;
    let g = groups.get(k);
    if (!g) {
      const { strategy, budgetIndex, budgetBytes } = r.info;
      if (strategy === undefined || budgetIndex === undefined || budgetBytes === undefined) throw new ResourceError(`result row ${r.key}: a strategy row without its strategy, budgetIndex or budgetBytes`);
      g = { strategy, budgetIndex, budgetBytes, budgetFraction: budgetFractions.get(budgetIndex) ?? null, bySeed: new Map() };
      groups.set(k, g);
    }
    g.bySeed.set(r.seed, r.error);
  }
  return [...groups.values()];
}

const p2 = (x: number): string => (100 * x).toFixed(2);
const pv = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

/** Compute and write the storage test of a run (tables under `tablesDir`). */
export function writeStorageTest(tablesDir: string, rows: ResultRow[], prediction: Prediction | undefined, predictionSha: string | null, seed: number): StorageTestSummary | null {
  const fractions = new Map<number, number | null>((prediction?.budgets ?? []).map((b) => [b.budgetIndex, b.budgetFraction]));
  const groups = strategyErrors(rows, fractions);
  if (!groups.some((g) => g.strategy === 'scaling-optimal')) return null;
  const notes: string[] = [];
  const usable = groups.filter((g) => {
    if (g.bySeed.size >= 2) return true;
    notes.push(`budget ${g.budgetBytes} B, ${g.strategy}: ${g.bySeed.size} seed(s), left out of the paired test (needs >= 2)`);
    return false;
  });
  const testRows = storageTestRows(usable, seed);
  const header = ['budget', 'budgetFraction', 'strategy', 'baseline', 'seeds', 'meanDiff', 'sdDiff', 'ciLow', 'ciHigh', 'pValue', 'bootLow', 'bootHigh'];
  writeFileSync(join(tablesDir, 'storage-test.csv'), formatCsv(header, testRows.map((r) => [r.budget, r.budgetFraction, r.strategy, r.baseline, r.seeds, r.meanDiff, r.sdDiff, r.ciLow, r.ciHigh, r.pValue, r.bootLow, r.bootHigh])));
  const budgets = [...new Set(testRows.map((r) => r.budgetIndex))].sort((a, b) => a - b);
  const verdicts = budgets.map((b) => {
    const rs = testRows.filter((r) => r.budgetIndex === b);
    return { budget: rs[0].budget, budgetFraction: rs[0].budgetFraction, sentence: verdictSentence(rs) };
  });
  // Predicted vs measured Err*(S).
  const check: PredictionCheck[] = [];
  for (const b of prediction?.budgets ?? []) {
    const g = groups.find((x) => x.budgetIndex === b.budgetIndex && x.strategy === 'scaling-optimal');
    if (!g || g.bySeed.size < 2) continue;
    const errs = [...g.bySeed.values()];
    const k = errs.length;
    const mean = errs.reduce((a, x) => a + x, 0) / k;
    const sd = Math.sqrt(errs.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1));
    const h = studentTQuantile(0.975, k - 1) * sd / Math.sqrt(k);
    const iv = b.predictionInterval;
    check.push({ budget: b.budgetBytes, budgetFraction: b.budgetFraction, predicted: b.error, intervalLow: iv ? iv[0] : null, intervalHigh: iv ? iv[1] : null, measuredMean: mean, measuredCiLow: mean - h, measuredCiHigh: mean + h, seeds: k, covered: iv ? mean >= iv[0] && mean <= iv[1] : null });
  }
  const preRegistered = prediction?.preRegistered === true;
  if (!prediction) notes.push('no prediction.json: this run predates the pre-registered test (the strategies were planned from the law without a recorded prediction)');
  else if (!preRegistered) notes.push(`prediction.json was written after ${prediction.strategyJobsBefore} strategy jobs had been trained: not a pre-registration`);
  const frac = (f: number | null): string => (f === null ? 'n/a' : `${(100 * f).toPrecision(2)}%`);
  const text =
    `# Paired storage test\n\n` +
    `diff = baseline error - scaling-optimal error (percentage points; > 0: scaling-optimal wins), paired by seed (one seed = one subset ordering and one training seed for every strategy). ` +
    `95% Student-t interval and seed-bootstrap percentile interval; two-sided paired t p-value. The best fixed level is the fixed distance with the lowest mean error at that budget, chosen after measuring (a choice that favours the baseline). ` +
    `${preRegistered ? `The prediction (n*, L*, d*, Err*) was pre-registered in prediction.json (sha256 ${predictionSha?.slice(0, 12)}) before any strategy model was trained.` : 'Not pre-registered (see notes).'}\n\n` +
    mdTable(['budget (B)', 'share of lossless pool', 'baseline', 'seeds', 'mean diff', 'sd diff', '95% t CI', '95% bootstrap CI', 'p'], testRows.map((r) => [Math.round(r.budget).toLocaleString('en-US'), frac(r.budgetFraction), r.baseline, r.seeds, p2(r.meanDiff), p2(r.sdDiff), `[${p2(r.ciLow)}, ${p2(r.ciHigh)}]`, `[${p2(r.bootLow)}, ${p2(r.bootHigh)}]`, pv(r.pValue)])) +
    `\n## Verdicts\n\n${verdicts.map((v) => `- ${v.sentence}`).join('\n')}\n` +
    (check.length ? `\n## Predicted vs measured Err*(S) (scaling-optimal)\n\n` + mdTable(['budget (B)', 'share', 'predicted Err*', '95% prediction interval', 'measured mean', '95% CI of the mean', 'seeds', 'covered'], check.map((c) => [Math.round(c.budget).toLocaleString('en-US'), frac(c.budgetFraction), `${p2(c.predicted)}%`, c.intervalLow === null || c.intervalHigh === null ? 'none (law not identified)' : `[${p2(c.intervalLow)}, ${p2(c.intervalHigh)}]`, `${p2(c.measuredMean)}%`, `[${p2(c.measuredCiLow)}, ${p2(c.measuredCiHigh)}]`, c.seeds, c.covered === null ? 'n/a' : c.covered ? 'yes' : 'no'])) + `\nCovered: ${check.filter((c) => c.covered === true).length} of ${check.filter((c) => c.covered !== null).length} budgets with an interval.\n` : '') +
    (notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : '');
  writeFileSync(join(tablesDir, 'storage-test.md'), text);
  if (check.length) {
    writeFileSync(join(tablesDir, 'prediction-check.csv'), formatCsv(['budget', 'budgetFraction', 'predicted', 'intervalLow', 'intervalHigh', 'measuredMean', 'measuredCiLow', 'measuredCiHigh', 'seeds', 'covered'], check.map((c) => [c.budget, c.budgetFraction, c.predicted, c.intervalLow, c.intervalHigh, c.measuredMean, c.measuredCiLow, c.measuredCiHigh, c.seeds, c.covered === null ? null : c.covered ? 'true' : 'false'])));
  }
  return { preRegistered, predictionSha256: predictionSha, rows: testRows, verdicts, predictionCheck: check, notes };
}

