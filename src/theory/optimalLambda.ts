import { InputError } from '../errors.js';
import type { ModelParams } from '../model/params.js';
import { finite } from '../util/validate.js';
import { ConvergenceError } from '../errors.js';
import { levelTerms, MAX_SAMPLES, newFixedPointState, requireConverged, solveFixedPoint, validateRiskInput, type FixedPointState, type LevelTerms } from './fixedPoint.js';
import { emptyRiskParts, riskFromState, type RiskParts } from './deterministicRisk.js';
import { exponents, theorem1LambdaExponent } from './exponents.js';

/** The Theorem-1 schedule lambda = lambda0 n^((kappa+1)/(2 kappa+1)) (THEORY.md section 4). */
export function theorem1Lambda(params: ModelParams, n: number, lambda0: number): number {
  const { kappa } = exponents(params);
  const nn = finite('n', n);
  if (!(nn >= 1)) throw new InputError('n', n, 'n >= 1 (number of training samples)');
  const l0 = finite('lambda0', lambda0);
  if (!(l0 >= 0)) throw new InputError('lambda0', lambda0, 'lambda0 >= 0');
  return l0 * nn ** theorem1LambdaExponent(kappa);
}

/** How lambda follows n on a lambda0 grid (THEORY.md section 5): Theorem-1 schedule or lambda = lambda0. */
export type LambdaSchedule = 'theorem1' | 'constant';

/** Penalty grid for each n (THEORY.md section 5): lambda0 n^((kappa+1)/(2kappa+1)) under 'theorem1', lambda0 under 'constant'. */
export function lambdaGrid(params: Pick<ModelParams, 'p' | 'q' | 'r'>, schedule: LambdaSchedule, lambda0: number[], n: number[]): number[][] {
  const e = theorem1LambdaExponent(exponents(params).kappa);
  return n.map((ni) => lambda0.map((l0) => scheduledLambda(schedule, e, ni, l0)));
}

/** lambda for a schedule (THEORY.md sections 4-5); `scheduleExponent` = (kappa+1)/(2kappa+1) for 'theorem1'. */
export function scheduledLambda(schedule: LambdaSchedule, scheduleExponent: number, n: number, lambda0: number): number {
  return schedule === 'theorem1' ? lambda0 * n ** scheduleExponent : lambda0;
}

/**
 * Brent's derivative-free minimiser on [a, b] (golden section + parabolic steps; Brent 1973,
 * ch. 5), for the 1-D minimisation over ln lambda (THEORY.md section 5). Returns the abscissa
 * and value of the minimum found; absolute tolerance `tol` on the abscissa. Like SciPy's
 * minimize_scalar it reports whether the tolerance was met (`converged`), the iterations used
 * and the final bracket; the caller decides what a failure means.
 */
export interface BrentResult {
  t: number;
  value: number;
  evaluations: number;
  iterations: number;
  /** The bracket shrank below the tolerance (false: maxIter reached first). */
  converged: boolean;
  /** Final bracket [a, b] around t. */
  bracket: [number, number];
}

export function brentMinimize(f: (t: number) => number, a: number, b: number, tol = 1e-10, maxIter = 200): BrentResult {
  const golden = 0.3819660112501051; // (3 - sqrt 5)/2
  let x = a + golden * (b - a);
  let w = x;
  let v = x;
  let fx = f(x);
  let fw = fx;
  let fv = fx;
  let d = 0;
  let e = 0;
  let evals = 1;
  let it = 0;
  let converged = false;
  for (; it < maxIter; it++) {
    const xm = 0.5 * (a + b);
    const tol1 = 1e-15 * Math.abs(x) + tol / 3;
    const tol2 = 2 * tol1;
    if (Math.abs(x - xm) <= tol2 - 0.5 * (b - a)) {
      converged = true;
      break;
    }
    let useGolden = true;
    if (Math.abs(e) > tol1) {
      // Parabola through (v, fv), (w, fw), (x, fx).
      let r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      else q = -q;
      r = e;
      e = d;
      if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (a - x) && p < q * (b - x)) {
        d = p / q;
        const u = x + d;
        if (u - a < tol2 || b - u < tol2) d = xm >= x ? tol1 : -tol1;
        useGolden = false;
      }
    }
    if (useGolden) {
      e = (x >= xm ? a : b) - x;
      d = golden * e;
    }
    const u = Math.abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1);
    const fu = f(u);
    evals++;
    if (fu <= fx) {
      if (u >= x) a = x;
      else b = x;
      v = w; fv = fw;
      w = x; fw = fx;
      x = u; fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        v = w; fv = fw;
        w = u; fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u; fv = fu;
      }
    }
  }
  return { t: x, value: fx, evaluations: evals, iterations: it, converged, bracket: [a, b] };
}

/**
 * R_det minimised over lambda >= 0 for terms k (THEORY.md sections 3-5): a scan of ln lambda
 * (2 points per e-fold, warm-started fixed points) over a range wide enough that both ends
 * are flat (lambda_* from 1e-15 times the smallest feature variance to 1e8 times the largest),
 * Brent refinement around the best scan point, and the ridgeless end point lambda = 0 when
 * n != L. Multi-modal risk curves are handled by the scan; the refinement is local.
 */
export function optimalRiskFromTerms(k: LevelTerms, n: number, st: FixedPointState = newFixedPointState()): RiskParts {
  // The scan's upper end ln(1e8 n) must be finite, or the scan never ends.
  if (!(n >= 1 && n <= MAX_SAMPLES)) throw new InputError('n', n, '1 <= n <= 1e300 (number of training samples)');
  const L = k.L;
  // Reference scale of lambda_* at the small-lambda end.
  let lnXRef = -(k.m - 1) * k.lnP;
  if (n < L) {
    solveFixedPoint(k, n, 0, st);
    requireConverged(st, k, n, 0);
    lnXRef = st.y;
  }
  const slack = Math.max(Math.min(n, Math.abs(n - L)), 1e-300);
  const tLo = lnXRef + Math.log(slack) - 35;
  const tHi = Math.log(1e8 * n);
  const step = 0.5;
  const count = Math.max(8, Math.ceil((tHi - tLo) / step));
  const h = (tHi - tLo) / count;
  let guess = NaN;
  const riskAt = (t: number): number => {
    const lambda = Math.exp(t);
    solveFixedPoint(k, n, lambda, st, guess);
    requireConverged(st, k, n, lambda);
    guess = st.y;
    return riskPart(k, n, lambda, st);
  };
  let bestI = 0;
  let best = Infinity;
  for (let i = 0; i <= count; i++) {
    const r = riskAt(tLo + i * h);
    if (r < best) {
      best = r;
      bestI = i;
    }
  }
  const a = tLo + Math.max(0, bestI - 1) * h;
  const b = tLo + Math.min(count, bestI + 1) * h;
  guess = NaN;
  const refined = brentMinimize(riskAt, a, b, 1e-9);
  if (!refined.converged) {
    const { p, q, r, tau } = k.params;
    throw new ConvergenceError('the lambda refinement (brentMinimize over ln lambda)', { p, q, r, tau, n, m: k.m }, refined.iterations, refined.bracket);
  }
  let lambda = Math.exp(refined.t);
  let value = refined.value;
  const scanT = tLo + bestI * h;
  if (best < value) {
    lambda = Math.exp(scanT);
    value = best;
  }
  if (n !== L) {
    solveFixedPoint(k, n, 0, st);
    requireConverged(st, k, n, 0);
    if (riskPart(k, n, 0, st) <= value) lambda = 0;
  }
  solveFixedPoint(k, n, lambda, st);
  requireConverged(st, k, n, lambda);
  return riskFromState(k, n, lambda, st, emptyRiskParts());
}

/** Risk only (no object allocation) from a solved state: same formulas as riskFromState. */
function riskPart(k: LevelTerms, n: number, _lambda: number, st: FixedPointState): number {
  const noise = k.tau2 + k.K;
  if (st.x === 0) return noise * (1 + k.L / (n - k.L));
  const V = st.D / (st.lx + st.S3);
  return noise * (1 + V) + (1 + V) * st.SB;
}

/** min over lambda >= 0 of R_det(n, m, lambda), continuous in ln lambda (THEORY.md sections 3-4); validates inputs. */
export function optimalRisk(params: ModelParams, n: number, m: number): RiskParts {
  const v = validateRiskInput(params, n, m, 1);
  return optimalRiskFromTerms(levelTerms(v.params, v.m), v.n);
}

/**
 * min of R_det over lambda = lambda0 n^((kappa+1)/(2kappa+1)) for lambda0 on a grid (the paper's
 * Figure-6 protocol, THEORY.md section 5), for precomputed terms; first minimum on ties.
 */
export function gridOptimalRiskFromTerms(
  k: LevelTerms,
  n: number,
  lambda0Grid: ArrayLike<number>,
  scheduleExponent: number,
  schedule: LambdaSchedule = 'theorem1',
  st: FixedPointState = newFixedPointState(),
): RiskParts & { lambda0: number } {
  let best = Infinity;
  let bestLambda0 = NaN;
  let guess = NaN;
  for (let i = 0; i < lambda0Grid.length; i++) {
    const lambda = scheduledLambda(schedule, scheduleExponent, n, lambda0Grid[i]);
    solveFixedPoint(k, n, lambda, st, guess);
    requireConverged(st, k, n, lambda);
    guess = st.y;
    const r = riskPart(k, n, lambda, st);
    if (r < best) {
      best = r;
      bestLambda0 = lambda0Grid[i];
    }
  }
  const lambda = scheduledLambda(schedule, scheduleExponent, n, bestLambda0);
  solveFixedPoint(k, n, lambda, st);
  requireConverged(st, k, n, lambda);
  return { ...riskFromState(k, n, lambda, st, emptyRiskParts()), lambda0: bestLambda0 };
}

/** R_det minimised over the Theorem-1 lambda0 grid (THEORY.md section 5); validates inputs. */
export function gridOptimalRisk(params: ModelParams, n: number, m: number, lambda0Grid: number[]): RiskParts & { lambda0: number } {
  if (!Array.isArray(lambda0Grid) || lambda0Grid.length === 0) throw new InputError('lambda0Grid', lambda0Grid, 'a non-empty list of lambda0 > 0');
  lambda0Grid.forEach((l0, i) => {
    const v = finite(`lambda0Grid[${i}]`, l0);
    if (!(v > 0)) throw new InputError(`lambda0Grid[${i}]`, l0, 'lambda0 > 0');
  });
  const v = validateRiskInput(params, n, m, 1);
  const { kappa } = exponents(v.params);
  return gridOptimalRiskFromTerms(levelTerms(v.params, v.m), v.n, lambda0Grid, theorem1LambdaExponent(kappa));
}

/** The ridge penalty lambda >= 0 minimising R_det(n, m, lambda) (THEORY.md sections 3-4); validates inputs. */
export function optimalLambda(params: ModelParams, n: number, m: number): number {
  return optimalRisk(params, n, m).lambda;
}
