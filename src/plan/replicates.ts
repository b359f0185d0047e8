import { InputError } from '../errors.js';
import { fitLaw, type LawFit, type LawObservation } from '../fit/fitLaw.js';
import type { LawParams } from '../fit/lawForms.js';
import { EXPONENT_BOUNDS } from '../fit/lawForms.js';
import { createRng } from '../util/rng.js';

/**
 * Bootstrap replicates of a law fit (THEORY.md section 6), kept as parameter sets so that a
 * prediction band can be computed at any allocation later (the planner's band, plan.json):
 * resample whole seeds when the rows carry at least 5 distinct seeds, else rows, and refit
 * each resample with `fitLaw` itself (same form and estimator), started from the full-data
 * exponents. Refits that fail or do not converge are counted, not used.
 */
export interface LawReplicates {
  form: LawFit['form'];
  estimator: LawFit['estimator'];
  params: LawParams[];
  requested: number;
  failed: number;
  resampled: 'seeds' | 'points';
  seed: number;
}

export function lawReplicates(rows: LawObservation[], fit: Pick<LawFit, 'form' | 'estimator' | 'params'>, opts: { replicates?: number; seed?: number; onProgress?: (done: number, total: number) => void } = {}): LawReplicates {
  const B = opts.replicates ?? 200;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(B) || B < 2 || B > 100000) throw new InputError('replicates', B, 'an integer 2..100000');
  const seeds = new Set(rows.map((r) => r.seed));
  const bySeed = rows.every((r) => r.seed !== undefined) && seeds.size >= 5;
  const units: LawObservation[][] = bySeed ? [...seeds].map((s) => rows.filter((r) => r.seed === s)) : rows.map((r) => [r]);
  const clip = (x: number): number => Math.min(EXPONENT_BOUNDS[1], Math.max(EXPONENT_BOUNDS[0], x));
  const startGrid = [...new Set([clip(fit.params.alpha), clip(fit.params.beta), 0.5])];
  const params: LawParams[] = [];
  let failed = 0;
  for (let b = 0; b < B; b++) {
    const rng = createRng(seed, 0x9a11, b);
    const sample: LawObservation[] = [];
    for (let i = 0; i < units.length; i++) sample.push(...units[rng.below(units.length)]);
    try {
      const r = fitLaw(sample, { form: fit.form, estimator: fit.estimator, startGrid });
      if (r.diagnostics.converged && Object.values(r.params).every((v) => Number.isFinite(v))) params.push(r.params);
      else failed++;
    } catch {
      failed++;
    }
    opts.onProgress?.(b + 1, B);
  }
  return { form: fit.form, estimator: fit.estimator, params, requested: B, failed, resampled: bySeed ? 'seeds' : 'points', seed };
}
