import { bitsPerSample } from '../model/params.js';
import { tailEnergy } from '../model/populationRisk.js';
import { levelsGenerated, type SimulationPlan } from './plan.js';
import type { RepetitionResult } from './repetition.js';
import { formatCsv } from '../io/csv.js';

/**
 * Aggregates of a Monte Carlo run (THEORY.md section 5): per (n, m) the mean and standard
 * error over repetitions of the excess error at the selected lambda, and the fixed-lambda
 * curves (mean excess at every lambda on the grid).
 *
 * Tail convention. The simulation's y holds levels < m_max + extraLevels only, so its exact
 * risk uses the truncated tail K_trunc = sum_{m<=l<M} (r/p)^l (`excessGenerated`). The theory
 * lines (THEORY.md section 3) are for the infinite model, K_m = sum_{l>=m} (r/p)^l. `score` is
 * reported in the infinite-model convention: excessGenerated + (K_m - K_trunc), i.e. the
 * exact risk of the same fitted w on an infinite-model sample. The only remaining mismatch is
 * that w was trained with label-noise variance tau^2 + K_trunc instead of tau^2 + K_m, which
 * moves the expected risk by (K_m - K_trunc) V <= 1e-4 V (V the variance factor), far below
 * the standard errors (the fixed-lambda tests compare with the exactly matched truncated
 * deterministic risk instead).
 */
export interface CurvePoint {
  lambda0: number;
  lambda: number;
  /** Mean exact excess (generating model's truncated tail) at this fixed lambda. */
  excess: number;
  stdErr: number;
}

export interface SummaryCell {
  n: number;
  m: number;
  L: number;
  reps: number;
  /** K_m - K_trunc: added to generated-model excesses to express them for the infinite model. */
  tailCorrection: number;
  /** Geometric mean of the selected lambda0. */
  lambda0Selected: number;
  /** Mean exact excess at the selected lambda, generating model (truncated tail). */
  excessGenerated: number;
  /** The configured score (exact or sampled test error, minus tau^2) at the selected lambda, infinite-model convention. */
  score: number;
  /** NaN (null in summary.json) for a single repetition. */
  scoreStdErr: number;
  /** Mean exact excess at the exact-risk-optimal lambda of the grid (oracle), infinite-model convention. */
  oracleScore: number;
  oracleStdErr: number;
  curve: CurvePoint[];
}

export interface RunSummary {
  reps: number;
  levelsGenerated: number;
  scoring: SimulationPlan['scoring'];
  lambdaSelection: SimulationPlan['lambdaSelection'];
  cells: SummaryCell[];
}

/**
 * Mean and standard error (sample sd / sqrt(count)). The standard error of a single value is
 * undefined: NaN, which outputs write as null / an empty cell / n/a (docs/reliability.md).
 */
export function meanStdErr(xs: number[]): { mean: number; stdErr: number } {
  const k = xs.length;
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / k;
  if (k < 2) return { mean, stdErr: NaN };
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, stdErr: Math.sqrt(ss / (k - 1) / k) };
}

/** Aggregate per-repetition results into per-(n, m) means and standard errors (THEORY.md section 5). */
export function aggregate(plan: SimulationPlan, results: RepetitionResult[]): RunSummary {
  const M = levelsGenerated(plan);
  const sorted = [...results].sort((a, b) => a.rep - b.rep);
  const cells: SummaryCell[] = [];
  const tau2 = plan.params.tau ** 2;
  plan.n.forEach((n, ni) => {
    plan.levels.forEach((m) => {
      const rows = sorted.map((r) => r.cells.find((c) => c.n === n && c.m === m)).filter((c) => c !== undefined);
      const corr = tailEnergy(plan.params, m) - tailEnergy(plan.params, m, { tailLevels: M });
      const sel = rows.map((c) => c.excess[c.sel]);
      const scoreVals = plan.scoring === 'sampled' ? rows.map((c) => (c.testSel ?? (c.test as number[])[c.sel]) - tau2 + corr) : sel.map((x) => x + corr);
      const score = meanStdErr(scoreVals);
      const oracle = meanStdErr(rows.map((c) => c.excess[c.oracle] + corr));
      const logL0 = rows.reduce((s, c) => s + Math.log(plan.lambda0[c.sel]), 0) / Math.max(rows.length, 1);
      const curve = plan.lambda0.map((lambda0, k) => {
        const ms = meanStdErr(rows.map((c) => c.excess[k]));
        return { lambda0, lambda: plan.lambdas[ni][k], excess: ms.mean, stdErr: ms.stdErr };
      });
      cells.push({
        n,
        m,
        L: bitsPerSample(plan.params.q, m),
        reps: rows.length,
        tailCorrection: corr,
        lambda0Selected: Math.exp(logL0),
        excessGenerated: meanStdErr(sel).mean,
        score: score.mean,
        scoreStdErr: score.stdErr,
        oracleScore: oracle.mean,
        oracleStdErr: oracle.stdErr,
        curve,
      });
    });
  });
  return { reps: sorted.length, levelsGenerated: M, scoring: plan.scoring, lambdaSelection: plan.lambdaSelection, cells };
}

/** The summary as CSV rows (one per (n, m); curves omitted). */
export function summaryCsv(summary: RunSummary): string {
  const head = ['n', 'm', 'L', 'reps', 'score', 'scoreStdErr', 'excessGenerated', 'tailCorrection', 'lambda0Selected', 'oracleScore', 'oracleStdErr'];
  const rows = summary.cells.map((c) =>
    [c.n, c.m, c.L, c.reps, c.score, c.scoreStdErr, c.excessGenerated, c.tailCorrection, c.lambda0Selected, c.oracleScore, c.oracleStdErr].map((v) => (Number.isInteger(v) ? String(v) : Number.isFinite(v) ? Number(v).toPrecision(7) : null)),
  );
  return formatCsv(head, rows);
}
