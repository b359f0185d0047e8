import { InputError } from '../errors.js';
import { bitsPerSample, levelCoefficient, levelSize, levelVariance, validateLevels, type ModelParams } from './params.js';

/**
 * Exact population risk of a fitted weight vector (THEORY.md section 2):
 *
 *   R(w) = tau^2 + K + sum_{l<m} p^-l ||w_l - theta_l||^2
 *
 * on a fresh, uncompressed sample, where K is the energy of the levels the learner does not
 * see. Which K depends on the generating model, and must match it:
 * - `tailLevels: undefined` (default): the infinite model of THEORY.md,
 *   K = K_m = sum_{l>=m} (r/p)^l = (r/p)^m / (1 - r/p);
 * - `tailLevels: M`: a generator that stops at level M - 1 (the simulation generates levels
 *   < m_max + extraLevels), K = sum_{m<=l<M} (r/p)^l = K_m - K_M.
 * The deterministic risk of THEORY.md section 3 uses the infinite K_m; its truncated-tail
 * counterpart is the same formula with K_m replaced by the truncated K (the tail enters only as
 * label noise of variance K), see src/simulate/deterministicMatch.ts.
 */
export interface RiskOptions {
  /** Number of levels present in the generating model (finite tail); undefined = infinite. */
  tailLevels?: number;
}

/** Tail energy K seen as label noise when m levels are kept (THEORY.md section 2), infinite or truncated at tailLevels. */
export function tailEnergy(params: Pick<ModelParams, 'p' | 'r'>, m: number, opts: RiskOptions = {}): number {
  const rho = params.r / params.p;
  const km = rho ** m / (1 - rho);
  if (opts.tailLevels === undefined) return km;
  if (!Number.isInteger(opts.tailLevels) || opts.tailLevels < m) throw new InputError('tailLevels', opts.tailLevels, `an integer >= m = ${m}`);
  // sum_{l=m}^{M-1} rho^l, summed directly (no cancellation between K_m and K_M).
  let s = 0;
  for (let l = opts.tailLevels - 1; l >= m; l--) s += rho ** l;
  return s;
}

/** Statistical part of the excess risk: sum_{l<m} p^-l ||w_l - theta_l||^2 (THEORY.md section 2), O(L). */
export function estimationError(params: ModelParams, m: number, w: ArrayLike<number>): number {
  const L = bitsPerSample(params.q, m);
  if (w.length < L) throw new InputError('w.length', w.length, `>= L(m) = ${L}`);
  let total = 0;
  let j = 0;
  for (let l = 0; l < m; l++) {
    const theta = levelCoefficient(params.r, params.q, l);
    const cnt = levelSize(params.q, l);
    let s = 0;
    for (let k = 0; k < cnt; k++, j++) {
      const d = w[j] - theta;
      s += d * d;
    }
    total += levelVariance(params.p, l) * s;
  }
  return total;
}

/** Exact excess risk R(w) - tau^2 = K + sum_{l<m} p^-l ||w_l - theta_l||^2 (THEORY.md section 2), without cancellation. */
export function populationExcessRisk(params: ModelParams, m: number, w: ArrayLike<number>, opts: RiskOptions = {}): number {
  validateLevels(m);
  return tailEnergy(params, m, opts) + estimationError(params, m, w);
}

/** Exact population risk R(w) = tau^2 + K + sum_{l<m} p^-l ||w_l - theta_l||^2 (THEORY.md section 2). */
export function populationRisk(params: ModelParams, m: number, w: ArrayLike<number>, opts: RiskOptions = {}): number {
  return params.tau ** 2 + populationExcessRisk(params, m, w, opts);
}
