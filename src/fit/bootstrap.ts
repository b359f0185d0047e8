import { createRng } from '../util/rng.js';
import { mean, quantileSorted } from '../stats/sample.js';
import { EXPONENT_BOUNDS, formSpec, PARAM_NAMES, toNatural, type LawForm, type LawObservation, type LawParams } from './lawForms.js';
import { fmt3 } from './format.js';
import { prepare, QUICK_GRID, tryRunStarts } from './estimate.js';
import type { Estimator, FitDiagnostics, ParamRecord } from './fitTypes.js';

/**
 * Bootstrap uncertainty of the law fit (THEORY.md section 6): resample whole seeds (every row
 * of a drawn seed) when every row has a seed and there are at least five of them, else
 * individual rows; percentile intervals and bootstrap standard errors of every parameter.
 * A replicate whose refit fails (too few rows, no start with a finite objective) is counted;
 * any exception is a programming error and propagates.
 */
export const MIN_SEED_CLUSTERS = 5;

export interface BootstrapSamples {
  samples: LawParams[];
  /** Replicates whose refit failed (counted, not thrown). */
  failed: number;
  resampled: 'seeds' | 'points';
  clusters: number;
}

/** Bootstrap refits, each from the full-data optimum and the 3x3 quick grid (seeded streams, one per replicate). */
export function bootstrapFit(rows: LawObservation[], form: LawForm, estimator: Estimator, huberDelta: number, theta: Float64Array, replicates: number, seed: number): BootstrapSamples {
  const bySeed = rows.every((r) => r.seed !== undefined);
  const clusters: LawObservation[][] = [];
  if (bySeed) {
    const groups = new Map<number | undefined, LawObservation[]>();
    for (const r of rows) {
      const g = groups.get(r.seed);
      if (g) g.push(r);
      else groups.set(r.seed, [r]);
    }
    clusters.push(...groups.values());
  } else {
    for (const r of rows) clusters.push([r]);
  }
  // Resampling fewer than 5 seeds gives too few distinct replicates; fall back to points.
  const useClusters = bySeed && clusters.length >= MIN_SEED_CLUSTERS;
  const units = useClusters ? clusters : rows.map((r) => [r]);
  const k = formSpec(form).k;
  const samples: LawParams[] = [];
  let failed = 0;
  for (let b = 0; b < replicates; b++) {
    const rng = createRng(seed, 0x600d, b);
    const sample: LawObservation[] = [];
    for (let i = 0; i < units.length; i++) sample.push(...units[rng.below(units.length)]);
    if (sample.length <= k) {
      failed++;
      continue;
    }
    const data = prepare(sample, estimator);
    const refit = tryRunStarts(form, data, estimator, huberDelta, QUICK_GRID, [Array.from(theta)]);
    if (!refit || !Number.isFinite(refit.best.objective)) {
      failed++;
      continue;
    }
    samples.push(toNatural(form, refit.best.theta));
  }
  return { samples, failed, resampled: useClusters ? 'seeds' : 'points', clusters: units.length };
}

export interface BootstrapSummary {
  diagnostics: NonNullable<FitDiagnostics['bootstrap']>;
  /** Percentile intervals; null for a parameter without any successful replicate. */
  intervals: ParamRecord<[number, number] | null>;
  warnings: string[];
}

/** Bootstrap standard errors, percentile intervals and warnings, beside the curvature standard errors (THEORY.md section 6). */
export function summarizeBootstrap(
  boot: BootstrapSamples,
  rows: LawObservation[],
  form: LawForm,
  curvatureStdErr: ParamRecord<number | null>,
  replicates: number,
  confidence: number,
): BootstrapSummary {
  const spec = formSpec(form);
  const warnings: string[] = [];
  const intervals = {} as ParamRecord<[number, number] | null>;
  const bootSe = {} as ParamRecord<number>;
  for (const name of PARAM_NAMES) {
    const xs = boot.samples.map((p) => p[name]).sort((a, b) => a - b);
    const avg = xs.length ? mean(xs) : 0;
    bootSe[name] = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - avg) ** 2, 0) / (xs.length - 1)) : 0;
    intervals[name] = xs.length ? [quantileSorted(xs, (1 - confidence) / 2), quantileSorted(xs, (1 + confidence) / 2)] : null;
  }
  // The curvature SE assumes independent residuals around a correct law; a much wider
  // bootstrap says the rows are correlated (e.g. nested n within a seed) or the law is
  // misspecified, and the bootstrap intervals are the ones to use.
  const ratios: { name: string; ratio: number }[] = [];
  for (const nat of spec.natural) {
    const se = curvatureStdErr[nat];
    if (se !== null && se > 0 && bootSe[nat] > 2 * se) ratios.push({ name: nat, ratio: bootSe[nat] / se });
  }
  if (ratios.length) {
    const worst = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    warnings.push(`bootstrap spread exceeds the curvature standard error by up to ${fmt3(worst.ratio)}x (${ratios.map((r) => r.name).join(', ')}): residuals are correlated or the law is misspecified; use the bootstrap intervals`);
  }
  if (boot.failed > 0.1 * replicates) warnings.push(`${boot.failed} of ${replicates} bootstrap refits failed; the intervals use the rest`);
  if (boot.resampled === 'points' && rows.some((r) => r.seed !== undefined)) {
    warnings.push(rows.every((r) => r.seed !== undefined)
      ? `only ${new Set(rows.map((r) => r.seed)).size} distinct seeds (< ${MIN_SEED_CLUSTERS}): the bootstrap resampled points, not seeds`
      : 'some rows lack a seed: the bootstrap resampled points, not seeds');
  }
  for (const e of ['alpha', 'beta'] as const) {
    const iv = intervals[e];
    if (iv && (iv[0] <= EXPONENT_BOUNDS[0] * 1.0001 || iv[1] >= EXPONENT_BOUNDS[1] * 0.9999)) {
      warnings.push(`the bootstrap interval of ${e} reaches the exponent bound: ${e} is weakly identified`);
    }
  }
  return {
    diagnostics: { replicates, failed: boot.failed, resampled: boot.resampled, clusters: boot.clusters, stdErr: bootSe },
    intervals,
    warnings,
  };
}
