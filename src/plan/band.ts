import { InputError } from '../errors.js';
import { predictRaw, type LawForm, type LawParams } from '../fit/lawForms.js';

/**
 * Uncertainty of a law's predicted error at one allocation (n, L) from bootstrap replicates
 * of the fit (THEORY.md section 6): the band is the percentile interval of the replicates'
 * predictions (uncertainty of the law), and the prediction interval adds the fit's own
 * residuals (percentiles of prediction_b + residual_j over every replicate b and residual
 * j): where one new measured test error is expected to fall. Pure, shared by `lossyscale
 * plan` and the report's planner.
 */
export interface ErrorBand {
  /** Percentile interval of the replicates' predictions. */
  band: [number, number];
  /** Band widened by the fit residuals (null when no residuals are given). */
  predictionInterval: [number, number] | null;
  confidence: number;
  replicates: number;
}

/** Linear-interpolation quantile (Hyndman-Fan type 7) of a sorted array. */
export function sortedQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function errorBand(form: LawForm, replicates: readonly LawParams[], n: number, L: number, opts: { residuals?: readonly number[]; confidence?: number } = {}): ErrorBand {
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new InputError('confidence', confidence, '0 < confidence < 1');
  const preds = replicates.map((p) => predictRaw(form, p, n, L)).filter((v) => Number.isFinite(v));
  if (preds.length < 2) throw new InputError('replicates', preds.length, 'at least 2 bootstrap replicates with finite predictions');
  const lo = (1 - confidence) / 2;
  const hi = 1 - lo;
  const sorted = Float64Array.from(preds).sort();
  const band: [number, number] = [sortedQuantile(sorted, lo), sortedQuantile(sorted, hi)];
  const res = (opts.residuals ?? []).filter((r) => Number.isFinite(r));
  let predictionInterval: [number, number] | null = null;
  if (res.length > 0) {
    const all = new Float64Array(preds.length * res.length);
    let k = 0;
    for (const p of preds) for (const r of res) all[k++] = p + r;
    all.sort();
    predictionInterval = [sortedQuantile(all, lo), sortedQuantile(all, hi)];
  }
  return { band, predictionInterval, confidence, replicates: preds.length };
}
