import { InputError } from '../errors.js';
import { validateModel } from '../model/params.js';

/**
 * Scaling exponents of the stylized model (Theorem 1, THEORY.md section 4):
 *   kappa = ln p / ln q          feature variance p^-l at index ~ q^l, i.e. index^-kappa
 *   beta  = ln(p/r) / ln q       compression error K_m ~ L^-beta
 *   s     = min(beta, 2 kappa)   ridge saturates at 2 kappa
 *   alphaTheorem = s / (2 kappa + 1)   (lambda = lambda0 n^((kappa+1)/(2 kappa+1)))
 *   alphaOptimal = s / (s + 1)         (lambda tuned for every (n, L))
 *   nu = alpha beta / (alpha + beta)   storage exponent (THEORY.md section 1)
 */
export type Regime = 'bias-limited' | 'saturated' | 'boundary';

export interface Exponents {
  kappa: number;
  beta: number;
  s: number;
  alphaTheorem: number;
  alphaOptimal: number;
  nuTheorem: number;
  nuOptimal: number;
  /**
   * 'bias-limited' when beta < 2 kappa (s = beta), 'saturated' when beta > 2 kappa
   * (s = 2 kappa: ridge cannot exploit more smoothness), 'boundary' when they agree within
   * BOUNDARY_TOLERANCE (a log factor appears and convergence is slowest).
   */
  regime: Regime;
}

/** Relative tolerance for calling beta = 2 kappa the boundary regime (a few ulps of the logs). */
export const BOUNDARY_TOLERANCE = 1e-12;

/** Storage exponent nu = alpha beta / (alpha + beta) (THEORY.md section 1). */
export function storageExponent(alpha: number, beta: number): number {
  return (alpha * beta) / (alpha + beta);
}

/** Theorem-1 exponents and regime for (p, q, r) (THEORY.md section 4); validates p > q >= 2, 0 < r < p. */
export function exponents(params: { p: number; q: number; r: number }): Exponents {
  const { p, q, r } = validateModel({ ...params, tau: 0 });
  const lnq = Math.log(q);
  const kappa = Math.log(p) / lnq;
  const beta = (Math.log(p) - Math.log(r)) / lnq;
  if (!(kappa > 0 && beta > 0)) throw new InputError('p', p, 'p > q and r < p'); // unreachable after validateModel
  const twoKappa = 2 * kappa;
  const gap = (beta - twoKappa) / twoKappa;
  const regime: Regime = Math.abs(gap) <= BOUNDARY_TOLERANCE ? 'boundary' : beta < twoKappa ? 'bias-limited' : 'saturated';
  const s = Math.min(beta, twoKappa);
  const alphaTheorem = s / (twoKappa + 1);
  const alphaOptimal = s / (s + 1);
  return {
    kappa,
    beta,
    s,
    alphaTheorem,
    alphaOptimal,
    nuTheorem: storageExponent(alphaTheorem, beta),
    nuOptimal: storageExponent(alphaOptimal, beta),
    regime,
  };
}

/** The Theorem-1 schedule exponent (kappa + 1)/(2 kappa + 1): lambda = lambda0 n^that (THEORY.md section 4). */
export function theorem1LambdaExponent(kappa: number): number {
  return (kappa + 1) / (2 * kappa + 1);
}
