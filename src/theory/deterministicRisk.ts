import type { ModelParams } from '../model/params.js';
import { levelTerms, newFixedPointState, requireConverged, solveFixedPoint, validateRiskInput, type FixedPointState, type LevelTerms } from './fixedPoint.js';

/**
 * The deterministic risk of ridge regression on the truncated features (Lemma 1, THEORY.md
 * section 3):
 *
 *     D = sum_{l<m} q^l a_l^2,                      a_l = 1/(1 + lambda_* p^l), u_l = 1 - a_l
 *     V = D / (n - D),   n - D = lambda/lambda_* + sum_l q^l a_l u_l   (no cancellation)
 *     B = n/(n - D) * sum_l (r/p)^l u_l^2  (= n lambda_*^2/(n - D) sum r^l p^-l/(p^-l + lambda_*)^2)
 *     R = tau^2 + K_m + B + (tau^2 + K_m) V
 *
 * Ridgeless n > L: lambda_* = 0, B = 0, V = L / (n - L).
 */
export interface RiskParts {
  n: number;
  m: number;
  /** Bits per sample L(m). */
  L: number;
  lambda: number;
  /** Effective regularisation lambda_* (0 for ridgeless n > L). */
  lambdaStar: number;
  /** Bias term B. */
  bias: number;
  /** Variance term (tau^2 + K_m) V. */
  variance: number;
  /** Compression error K_m. */
  compression: number;
  /** R_det = tau^2 + K_m + B + (tau^2 + K_m) V. */
  risk: number;
  /** Excess risk R_det - tau^2 = K_m + B + (tau^2 + K_m) V, summed from its parts (no cancellation). */
  excess: number;
  /** Variance factor V = D / (n - D). */
  varianceFactor: number;
  /** Degrees of freedom D = sum q^l p^-2l / (p^-l + lambda_*)^2. */
  dof: number;
}

/** Fill `out` (B, V, risk...) from a solved fixed point (THEORY.md section 3); no validation, no allocation beyond `out`. */
export function riskFromState(k: LevelTerms, n: number, lambda: number, st: FixedPointState, out: RiskParts): RiskParts {
  const noise = k.tau2 + k.K;
  let V: number;
  let B: number;
  if (st.x === 0) {
    V = k.L / (n - k.L);
    B = 0;
  } else {
    const nMinusD = st.lx + st.S3;
    V = st.D / nMinusD;
    B = (1 + V) * st.SB;
  }
  const variance = noise * V;
  out.n = n;
  out.m = k.m;
  out.L = k.L;
  out.lambda = lambda;
  out.lambdaStar = st.x;
  out.bias = B;
  out.variance = variance;
  out.compression = k.K;
  out.risk = noise + B + variance;
  out.excess = k.K + B + variance;
  out.varianceFactor = V;
  out.dof = st.D;
  return out;
}

export function emptyRiskParts(): RiskParts {
  return { n: NaN, m: NaN, L: NaN, lambda: NaN, lambdaStar: NaN, bias: NaN, variance: NaN, compression: NaN, risk: NaN, excess: NaN, varianceFactor: NaN, dof: NaN };
}

/**
 * R_det for precomputed level terms (THEORY.md section 3), for loops over n and lambda at a
 * fixed (params, m). Inputs are assumed valid (see validateRiskInput).
 */
export function riskFromTerms(k: LevelTerms, n: number, lambda: number, st: FixedPointState = newFixedPointState(), guessY = NaN): RiskParts {
  requireConverged(solveFixedPoint(k, n, lambda, st, guessY), k, n, lambda);
  return riskFromState(k, n, lambda, st, emptyRiskParts());
}

/** Deterministic risk of Lemma 1 and its parts (THEORY.md section 3); validates every input. */
export function deterministicRisk(params: ModelParams, point: { n: number; m: number; lambda: number }): RiskParts {
  const v = validateRiskInput(params, point.n, point.m, point.lambda);
  return riskFromTerms(levelTerms(v.params, v.m), v.n, v.lambda);
}
