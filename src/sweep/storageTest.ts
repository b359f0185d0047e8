import { InputError } from '../errors.js';
import { studentTCdf, studentTQuantile } from '../stats/distributions.js';
import { createRng } from '../util/rng.js';

/**
 * The paired storage test (THEORY.md section 6): at each budget, every strategy is trained
 * on the same seeds (one seed = one subset ordering and one training seed across
 * strategies), so the per-seed difference baseline error - strategy error removes the
 * seed-to-seed variation the strategies share. Positive differences mean the strategy wins.
 *
 * Per comparison: mean and sd of the differences, the Student-t 95% interval, a seed
 * bootstrap percentile interval, and the two-sided paired t p-value.
 */
export interface PairedComparison {
  seeds: number;
  meanDiff: number;
  sdDiff: number;
  ciLow: number;
  ciHigh: number;
  bootLow: number;
  bootHigh: number;
  pValue: number;
  /** Per-seed differences, in seed order. */
  diffs: number[];
  pairedSeeds: number[];
}

export const BOOTSTRAP_REPLICATES = 10000;

/** Paired comparison of two error lists keyed by seed (only seeds present in both count). */
export function pairedComparison(baseline: Map<number, number>, strategy: Map<number, number>, opts: { confidence?: number; seed?: number; replicates?: number; label?: string } = {}): PairedComparison {
  const confidence = opts.confidence ?? 0.95;
  const seeds = [...baseline.keys()].filter((s) => strategy.has(s)).sort((a, b) => a - b);
  const k = seeds.length;
  if (k < 2) throw new InputError(opts.label ? `${opts.label} paired seeds` : 'paired seeds', k, 'at least 2 seeds trained with both strategies (a paired interval needs >= 2)');
  const diffs = seeds.map((s) => (baseline.get(s) as number) - (strategy.get(s) as number));
  const mean = diffs.reduce((a, b) => a + b, 0) / k;
  const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (k - 1));
  const se = sd / Math.sqrt(k);
  const t = studentTQuantile(0.5 + confidence / 2, k - 1);
  let pValue: number;
  if (se > 0) pValue = Math.min(1, 2 * studentTCdf(-Math.abs(mean / se), k - 1));
  else pValue = mean === 0 ? 1 : 0;
  // Seed bootstrap: resample the k paired differences with replacement.
  const reps = opts.replicates ?? BOOTSTRAP_REPLICATES;
  const rng = createRng(opts.seed ?? 0, 0x5eed);
  const means = new Float64Array(reps);
  for (let b = 0; b < reps; b++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += diffs[rng.below(k)];
    means[b] = s / k;
  }
  means.sort();
  const q = (p: number): number => {
    const pos = (reps - 1) * p;
    const lo = Math.floor(pos);
    return means[lo] + (means[Math.min(lo + 1, reps - 1)] - means[lo]) * (pos - lo);
  };
  return { seeds: k, meanDiff: mean, sdDiff: sd, ciLow: mean - t * se, ciHigh: mean + t * se, bootLow: q((1 - confidence) / 2), bootHigh: q((1 + confidence) / 2), pValue, diffs, pairedSeeds: seeds };
}

/** Per-seed errors of one strategy at one budget. */
export interface StrategyErrors {
  strategy: string;
  budgetIndex: number;
  budgetBytes: number;
  budgetFraction: number | null;
  bySeed: Map<number, number>;
}

export interface StorageTestRow extends PairedComparison {
  budget: number;
  budgetIndex: number;
  budgetFraction: number | null;
  /** The strategy whose win the row measures (scaling-optimal). */
  strategy: string;
  /** The strategy it is compared against. */
  baseline: string;
  /** original | best-fixed | randomized */
  comparison: 'original' | 'best-fixed' | 'randomized';
}

/**
 * The three comparisons per budget: scaling-optimal against the original format, against
 * the best fixed level (the fixed distance with the lowest mean error at that budget,
 * chosen after measuring -- a selection that favours the baseline), and against randomized.
 */
export function storageTestRows(groups: StrategyErrors[], seed = 0): StorageTestRow[] {
  const out: StorageTestRow[] = [];
  const budgets = [...new Set(groups.map((g) => g.budgetIndex))].sort((a, b) => a - b);
  for (const b of budgets) {
    const at = groups.filter((g) => g.budgetIndex === b);
    const opt = at.find((g) => g.strategy === 'scaling-optimal');
    if (!opt) continue;
    const meanOf = (g: StrategyErrors): number => [...g.bySeed.values()].reduce((a, x) => a + x, 0) / g.bySeed.size;
    const fixed = at.filter((g) => g.strategy.startsWith('fixed-d=')).sort((x, y) => meanOf(x) - meanOf(y));
    const targets: [StorageTestRow['comparison'], StrategyErrors | undefined][] = [
      ['original', at.find((g) => g.strategy === 'original')],
      ['best-fixed', fixed[0]],
      ['randomized', at.find((g) => g.strategy === 'randomized')],
    ];
    for (const [comparison, base] of targets) {
      if (!base) continue;
      const pc = pairedComparison(base.bySeed, opt.bySeed, { seed: seed + 17 * b, label: `budget ${opt.budgetBytes} B, scaling-optimal vs ${base.strategy}:` });
      out.push({ ...pc, budget: opt.budgetBytes, budgetIndex: b, budgetFraction: opt.budgetFraction, strategy: 'scaling-optimal', baseline: base.strategy, comparison });
    }
  }
  return out;
}

const pts = (x: number): string => {
  const t = (100 * x).toFixed(2);
  return t === '-0.00' ? '0.00' : t;
};
const pFmt = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

/** A verdict sentence per budget generated from its rows (differences in percentage points of test error). */
export function verdictSentence(rows: StorageTestRow[]): string {
  if (!rows.length) return '';
  const r0 = rows[0];
  const where = r0.budgetFraction !== null ? `${(100 * r0.budgetFraction).toPrecision(2)}% of the lossless pool (${Math.round(r0.budget).toLocaleString('en-US')} B)` : `${Math.round(r0.budget).toLocaleString('en-US')} B`;
  const parts = rows.map((r) => {
    const what = r.comparison === 'original' ? 'the original format' : r.comparison === 'best-fixed' ? `the best fixed level, ${r.baseline.replace('fixed-', '')}, chosen after measuring` : 'randomized compression';
    const ci = `${pts(r.meanDiff)} points, 95% CI ${pts(r.ciLow)} to ${pts(r.ciHigh)}, p = ${pFmt(r.pValue)}`;
    if (r.ciLow > 0) return `beats ${what} (${ci})`;
    if (r.ciHigh < 0) return `loses to ${what} (${ci})`;
    return `is not distinguishable from ${what} (${ci})`;
  });
  const last = parts.length > 1 ? `${parts.slice(0, -1).join('; ')}; and ${parts[parts.length - 1]}` : parts[0];
  return `At ${where}, with ${r0.seeds} paired seeds, scaling-optimal ${last}.`;
}
