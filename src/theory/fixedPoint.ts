import { ConvergenceError, InputError } from '../errors.js';
import { bitsPerSample, compressionError, validateLevels, validateModel, type ModelParams } from '../model/params.js';
import { finite } from '../util/validate.js';

/**
 * The effective regularisation lambda_* of Lemma 1 (THEORY.md section 3): the unique positive
 * root of
 *
 *     F(x) = sum_{l<m} q^l p^-l / (p^-l + x) + lambda / x - n
 *          = sum_{l<m} q^l a_l + lambda / x - n,      a_l = 1 / (1 + x p^l),  u_l = 1 - a_l.
 *
 * Why a hand-written solver: the root spans hundreds of orders of magnitude (1e-300..1e300
 * over valid inputs), the risk is evaluated millions of times in sweeps and benchmarks, and
 * no chosen dependency offers a bracketed, allocation-free, safeguarded Newton iteration in
 * log space. Everything is written in terms of t_l = x p^l, a_l and u_l so that no q^l p^-l
 * product can overflow, and every difference that could cancel (n - D) is replaced by a sum
 * of positive terms (n - D = lambda/x + sum q^l a_l u_l at the root).
 *
 * Solver: Newton on f(y) = F(e^y) in y = ln x (steps dy = f / (S3 + lambda/x), where
 * S3 = sum q^l a_l u_l = -x F'(x) - lambda/x > 0), safeguarded by a bracket [ylo, yhi]
 * computed from analytic bounds (never a fixed bracket) and bisection in log space when a
 * Newton step leaves it. Near the root small steps are applied in x (x <- x (1 + dy), the
 * plain Newton step on F, which is convex in x) so the result keeps full double precision even
 * when |ln x| is several hundred (where y itself only carries ~1e-13 absolute precision).
 */

/** Precomputed per-level terms of the model truncated at m levels (THEORY.md sections 2-3). */
export interface LevelTerms {
  /** The model the terms were computed for (named in convergence errors). */
  params: ModelParams;
  m: number;
  /** L(m) = sum_{l<m} q^l. */
  L: number;
  /** K_m = sum_{l>=m} (r/p)^l. */
  K: number;
  tau2: number;
  /** q^l, l < m. */
  qPow: Float64Array;
  /** p^l, l < m (may be Infinity for huge p; then the log-domain path is used). */
  pPow: Float64Array;
  /** (r/p)^l, l < m. */
  rpPow: Float64Array;
  lnP: number;
  /** P = sum_{l<m} (q/p)^l (< 1/(1 - q/p)): the bound S1(x) < P / x. */
  P: number;
  /** True when every p^l <= 1e150, so t_l = x p^l is computed directly for 1e-150 <= x <= 1e150. */
  fast: boolean;
}

/** Largest L(m) accepted: q^m stays far from overflow so every level sum is finite. */
const MAX_BITS = 1e300;

/**
 * Largest n accepted: the optimal-lambda scan runs ln lambda up to ln(1e8 n), which must stay
 * finite (n = 1e305 made it an endless loop).
 */
export const MAX_SAMPLES = 1e300;

/** Precompute the level terms for (params, m) (THEORY.md section 3). Inputs are assumed valid. */
export function levelTerms(params: ModelParams, m: number): LevelTerms {
  const { p, q, r, tau } = params;
  const qPow = new Float64Array(m);
  const pPow = new Float64Array(m);
  const rpPow = new Float64Array(m);
  let P = 0;
  for (let l = 0; l < m; l++) {
    qPow[l] = q ** l;
    pPow[l] = p ** l;
    rpPow[l] = (r / p) ** l;
    P += (q / p) ** l;
  }
  return {
    params,
    m,
    L: bitsPerSample(q, m),
    K: compressionError(params, m),
    tau2: tau * tau,
    qPow,
    pPow,
    rpPow,
    lnP: Math.log(p),
    P,
    fast: pPow[m - 1] <= 1e150,
  };
}

/** Validate (params, n, m, lambda) for Lemma 1 (THEORY.md section 3); throws InputError naming the bad parameter. */
export function validateRiskInput(params: ModelParams, n: unknown, m: unknown, lambda: unknown): { params: ModelParams; n: number; m: number; lambda: number } {
  const model = validateModel(params);
  const mm = validateLevels(m);
  const maxM = Math.floor(Math.log(MAX_BITS) / Math.log(model.q));
  if (mm > maxM) throw new InputError('m', m, `1 <= m <= ${maxM} for q = ${model.q} (L(m) = (q^m - 1)/(q - 1) must stay below 1e300)`);
  const nn = finite('n', n);
  if (!(nn >= 1 && nn <= MAX_SAMPLES)) throw new InputError('n', n, '1 <= n <= 1e300 (number of training samples)');
  const lam = finite('lambda', lambda);
  if (!(lam >= 0)) throw new InputError('lambda', lambda, 'lambda >= 0');
  if (lam === 0 && nn === bitsPerSample(model.q, mm)) {
    throw new InputError('lambda', lambda, `lambda > 0 when n = L(m) = ${nn}`, 'the ridgeless risk is infinite at the interpolation threshold n = L');
  }
  return { params: model, n: nn, m: mm, lambda: lam };
}

/**
 * Mutable result of one solve; reused across calls so hot loops allocate nothing.
 * After `solveFixedPoint`, x = lambda_*, y = ln x (or -Infinity when x = 0, ridgeless n > L),
 * lx = lambda / x, and the level sums at x: S1 = sum q^l a_l, S3 = sum q^l a_l u_l,
 * D = sum q^l a_l^2, SB = sum (r/p)^l u_l^2.
 */
export interface FixedPointState {
  x: number;
  y: number;
  lx: number;
  S1: number;
  S3: number;
  /** U = sum q^l u_l = L - S1 (summed directly: accurate when S1 is close to L). */
  U: number;
  D: number;
  SB: number;
  iterations: number;
  /** Whether the last solve met its tolerance (a root, a step below 3e-9, rounding-level stagnation or a bracket collapsed to rounding). */
  converged: boolean;
  /** Final bracket of y = ln lambda_* (equal ends when the root is exact, [-Infinity, -Infinity] for ridgeless n > L). */
  bracketLo: number;
  bracketHi: number;
}

export function newFixedPointState(): FixedPointState {
  return { x: NaN, y: NaN, lx: NaN, S1: NaN, S3: NaN, U: NaN, D: NaN, SB: NaN, iterations: 0, converged: false, bracketLo: NaN, bracketHi: NaN };
}

/** Iteration cap of solveFixedPoint (safeguarded Newton converges in under 60 on every tested input). */
export const FIXED_POINT_MAX_ITERATIONS = 300;

/** Throw a ConvergenceError naming (n, m, lambda) and the model when the last solve in st did not converge. */
export function requireConverged(st: FixedPointState, k: LevelTerms, n: number, lambda: number): FixedPointState {
  if (!st.converged) {
    throw new ConvergenceError('the Lemma-1 fixed point (solveFixedPoint)', { p: k.params.p, q: k.params.q, r: k.params.r, tau: k.params.tau, n, m: k.m, lambda }, st.iterations, [st.bracketLo, st.bracketHi]);
  }
  return st;
}

/** Smallest positive normal double: below it x carries too few digits and y = ln x is used. */
const MIN_NORMAL = 2.2250738585072014e-308;

/** Scratch for levelAU: [a_l, u_l]. Module-level to keep the general path allocation-free. */
const AU = new Float64Array(2);

/**
 * a_l = 1/(1 + t) and u_l = t/(1 + t) with t = x p^l, for any x (general path): directly when
 * x is a normal double and t finite, else from z = ln t = y + l ln p (accurate to ~|z| eps).
 */
function levelAU(k: LevelTerms, l: number, x: number, y: number): void {
  const pl = k.pPow[l];
  if (x >= MIN_NORMAL && pl < Infinity) {
    const t = x * pl;
    if (t <= 1e300) {
      const a = 1 / (1 + t);
      AU[0] = a;
      AU[1] = t * a;
      return;
    }
    AU[0] = 1 / t; // 1/(1+t) to relative 1e-300
    AU[1] = 1;
    return;
  }
  const z = y + l * k.lnP;
  if (z > 0) {
    const e = Math.exp(-z);
    AU[0] = e / (1 + e);
    AU[1] = 1 / (1 + e);
  } else {
    const e = Math.exp(z);
    AU[0] = 1 / (1 + e);
    AU[1] = e / (1 + e);
  }
}

/** S1, S3 and U = sum q^l u_l at x (or y = ln x in the log-domain path); written into st. */
function newtonSums(k: LevelTerms, x: number, y: number, st: FixedPointState): void {
  const m = k.m;
  const qPow = k.qPow;
  let s1 = 0;
  let s3 = 0;
  let su = 0;
  if (k.fast && x >= 1e-150 && x <= 1e150) {
    const pPow = k.pPow;
    for (let l = 0; l < m; l++) {
      const t = x * pPow[l];
      const a = 1 / (1 + t);
      const qa = qPow[l] * a;
      const qu = qa * t;
      s1 += qa;
      su += qu;
      s3 += qu * a;
    }
  } else {
    for (let l = 0; l < m; l++) {
      levelAU(k, l, x, y);
      const q = qPow[l];
      const qa = q * AU[0];
      s1 += qa;
      su += q * AU[1];
      s3 += qa * AU[1];
    }
  }
  st.S1 = s1;
  st.S3 = s3;
  st.U = su;
}

/** S3, D and SB at the solved x (see FixedPointState). */
function finalSums(k: LevelTerms, x: number, y: number, st: FixedPointState): void {
  const m = k.m;
  const qPow = k.qPow;
  const rpPow = k.rpPow;
  let s1 = 0;
  let s3 = 0;
  let d = 0;
  let sb = 0;
  if (k.fast && x >= 1e-150 && x <= 1e150) {
    const pPow = k.pPow;
    for (let l = 0; l < m; l++) {
      const t = x * pPow[l];
      const a = 1 / (1 + t);
      const u = t * a;
      const qa = qPow[l] * a;
      s1 += qa;
      s3 += qa * u;
      d += qa * a;
      sb += rpPow[l] * u * u;
    }
  } else {
    for (let l = 0; l < m; l++) {
      levelAU(k, l, x, y);
      const a = AU[0];
      const u = AU[1];
      const qa = qPow[l] * a;
      s1 += qa;
      s3 += qa * u;
      d += qa * a;
      sb += rpPow[l] * u * u;
    }
  }
  st.S1 = s1;
  st.S3 = s3;
  st.D = d;
  st.SB = sb;
}

/** lambda / x, computed in logs when x under- or overflows. */
function lambdaOverX(lambda: number, lnLambda: number, x: number, y: number): number {
  if (lambda === 0) return 0;
  if (x >= MIN_NORMAL && x < Infinity) {
    const v = lambda / x;
    if (v < Infinity) return v;
  }
  return Math.exp(lnLambda - y);
}

/**
 * Solve F(lambda_*) = 0 for valid inputs (THEORY.md section 3) and fill st with lambda_* and
 * the level sums there. `guessY` (ln of a previous lambda_*, e.g. the neighbour on a lambda
 * grid) speeds up sweeps; NaN means none. Ridgeless n > L gives x = 0 exactly. The caller
 * must have excluded lambda = 0 with n = L (validateRiskInput).
 */
export function solveFixedPoint(k: LevelTerms, n: number, lambda: number, st: FixedPointState, guessY = NaN, maxIterations = FIXED_POINT_MAX_ITERATIONS): FixedPointState {
  const L = k.L;
  if (lambda === 0 && n > L) {
    // Least squares: no positive root; lambda_* = 0, a_l = 1, u_l = 0.
    st.x = 0;
    st.y = -Infinity;
    st.lx = 0;
    st.S1 = L;
    st.S3 = 0;
    st.U = 0;
    st.D = L;
    st.SB = 0;
    st.iterations = 0;
    st.converged = true;
    st.bracketLo = -Infinity;
    st.bracketHi = -Infinity;
    return st;
  }
  const lnN = Math.log(n);
  const lnLambda = lambda > 0 ? Math.log(lambda) : -Infinity;
  // Analytic bracket (THEORY.md section 3): f(x) >= lambda/x - n > 0 below lambda/n;
  // ridgeless n < L: f >= L/(1 + x p^(m-1)) - n > 0 below (L - n)/(n p^(m-1));
  // f < (P + lambda)/x - n <= 0 above (P + lambda)/n; for n > L also f < L + lambda/x - n <= 0 above lambda/(n - L).
  let ylo = lnLambda - lnN;
  if (n < L) ylo = Math.max(ylo, Math.log((L - n) / n) - (k.m - 1) * k.lnP);
  let yhi = Math.log(k.P + lambda) - lnN;
  if (n > L) yhi = Math.min(yhi, lnLambda - Math.log(n - L));
  if (!(yhi > ylo)) {
    // Bounds coincide to rounding: the root is pinned.
    yhi = Math.max(yhi, ylo);
  }
  let y = guessY > ylo && guessY < yhi ? guessY : 0.5 * (ylo + yhi);
  let x = Math.exp(y);
  let it = 0;
  let lastStep = Infinity;
  let converged = false;
  for (; it < maxIterations; it++) {
    newtonSums(k, x, y, st);
    const lx = lambdaOverX(lambda, lnLambda, x, y);
    // F = S1 + lambda/x - n, or (L - n) - U + lambda/x when S1 > L/2: the second form avoids
    // cancelling S1 ~ L against n near the interpolation threshold n ~ L (1e-16 instead of
    // 1e-16 L/(n - D) relative accuracy in lambda_*).
    const f = st.S1 <= 0.5 * L ? st.S1 + lx - n : L - n - st.U + lx;
    if (f === 0) {
      converged = true;
      break;
    }
    if (f > 0) ylo = y;
    else yhi = y;
    const dy = f / (st.S3 + lx);
    const ady = Math.abs(dy);
    const ynew = y + dy;
    if (!Number.isFinite(dy) || (!(ynew > ylo && ynew < yhi) && ady > 1e-12)) {
      // Newton left the bracket: bisect in log space.
      if (!(yhi - ylo > 4e-16 * Math.max(1, Math.abs(y)))) {
        converged = true; // the bracket has collapsed to rounding: the root is pinned
        break;
      }
      y = 0.5 * (ylo + yhi);
      x = Math.exp(y);
      lastStep = Infinity;
      continue;
    }
    if (ady < 0.05 && x >= MIN_NORMAL && x < 1e300) {
      x += x * dy; // Newton on F in x: full precision even when |ln x| is large
      y = Math.log(x);
    } else {
      y = ynew;
      x = Math.exp(y);
    }
    // Quadratic convergence: after a step of size < 3e-9 the error is ~1e-17 relative.
    // Stagnation at rounding level (a step not halving) also ends the iteration.
    if (ady < 3e-9 || (ady < 1e-12 && ady > 0.5 * lastStep)) {
      it++;
      converged = true;
      break;
    }
    lastStep = ady;
  }
  st.x = x;
  st.y = y;
  st.lx = lambdaOverX(lambda, lnLambda, x, y);
  st.iterations = it;
  st.converged = converged;
  st.bracketLo = ylo;
  st.bracketHi = yhi;
  finalSums(k, x, y, st);
  return st;
}

/**
 * lambda_* of Lemma 1 (THEORY.md section 3): the positive root of the fixed-point equation,
 * 0 for ridgeless (lambda = 0) with n > L. Validates n >= 1, m, lambda >= 0 and the model.
 */
export function effectiveRegularization(params: ModelParams, n: number, m: number, lambda: number): number {
  const v = validateRiskInput(params, n, m, lambda);
  const k = levelTerms(v.params, v.m);
  return requireConverged(solveFixedPoint(k, v.n, v.lambda, newFixedPointState()), k, v.n, v.lambda).x;
}

/** The fixed-point function F(x) of THEORY.md section 3, evaluated by direct summation (for checks and plots). */
export function fixedPointFunction(params: ModelParams, n: number, m: number, lambda: number, x: number): number {
  let s = 0;
  for (let l = 0; l < m; l++) s += params.q ** l / (1 + x * params.p ** l);
  return s + lambda / x - n;
}
