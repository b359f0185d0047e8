/**
 * Box-constrained Levenberg-Marquardt for small problems (k <= ~6 parameters, up to a few
 * thousand residuals), with an optional Huber loss by iteratively reweighted least squares.
 * Used by fitLaw (THEORY.md section 1: fitting the law).
 *
 * Written here rather than taken from ml-levenberg-marquardt because the law fit needs
 * (a) analytic Jacobians (that package differentiates numerically), (b) bounds with an
 * active set (exponents and E* >= 0 hit their bounds on real data and must be reported),
 * (c) the Huber objective, and (d) an honest convergence report per start; each start is
 * thousands of times per bootstrap, so it avoids allocation in the inner loop.
 *
 * Huber by IRLS: the Huber loss rho(r) is a concave function of r^2, so the weighted
 * quadratic with weights w = rho'(r)/r at the current residuals majorises it; every LM step
 * is accepted only when the true (Huber) objective decreases.
 */
export interface LmProblem {
  /** Number of residuals. */
  m: number;
  /** Number of parameters. */
  k: number;
  /** Fill r (length m) and J (row-major m x k, dr_i/dtheta_j) at theta; return false if not finite. */
  evaluate(theta: Float64Array, r: Float64Array, J: Float64Array): boolean;
  lower: number[];
  upper: number[];
}

export interface LmOptions {
  maxIter?: number;
  /** Huber threshold delta on the residual scale; undefined = plain least squares. */
  huberDelta?: number;
  /** Relative objective change below which an accepted step counts as converged. */
  ftol?: number;
  /** Relative step size below which an accepted step counts as converged. */
  xtol?: number;
  /** Predicted Gauss-Newton decrease (relative to the objective) below which the start counts as converged. */
  gtol?: number;
  /** An objective at or below this counts as an exact fit (converged); default 0. */
  objectiveFloor?: number;
}

export interface LmResult {
  theta: Float64Array;
  /** Objective: sum r^2 / 2 (least squares) or sum rho_delta(r) (Huber). */
  objective: number;
  iterations: number;
  converged: boolean;
  reason: 'ftol' | 'xtol' | 'gtol' | 'maxIter' | 'stalled' | 'nonFinite';
  /** Indices of parameters on a bound at the end. */
  atBound: number[];
}

/** Huber loss rho_delta(r) (quadratic inside delta, linear outside). */
export function huberLoss(r: number, delta: number): number {
  const a = Math.abs(r);
  return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}

/** IRLS weight rho'(r)/r of the Huber loss. */
export function huberWeight(r: number, delta: number): number {
  const a = Math.abs(r);
  return a <= delta ? 1 : delta / a;
}

function objectiveOf(r: Float64Array, delta: number | undefined): number {
  let s = 0;
  if (delta === undefined) {
    for (let i = 0; i < r.length; i++) s += 0.5 * r[i] * r[i];
  } else {
    for (let i = 0; i < r.length; i++) s += huberLoss(r[i], delta);
  }
  return s;
}

/**
 * Solve the k x k symmetric system H x = b in place by Gaussian elimination with partial
 * pivoting (H is tiny; returns false if singular).
 */
export function solveSmall(H: Float64Array, b: Float64Array, k: number, x: Float64Array): boolean {
  const a = Float64Array.from(H);
  const y = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let i = c + 1; i < k; i++) if (Math.abs(a[i * k + c]) > Math.abs(a[piv * k + c])) piv = i;
    if (!(Math.abs(a[piv * k + c]) > 1e-300)) return false;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        const t = a[c * k + j];
        a[c * k + j] = a[piv * k + j];
        a[piv * k + j] = t;
      }
      const t = y[c];
      y[c] = y[piv];
      y[piv] = t;
    }
    for (let i = c + 1; i < k; i++) {
      const f = a[i * k + c] / a[c * k + c];
      if (f === 0) continue;
      for (let j = c; j < k; j++) a[i * k + j] -= f * a[c * k + j];
      y[i] -= f * y[c];
    }
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < k; j++) s -= a[i * k + j] * x[j];
    x[i] = s / a[i * k + i];
    if (!Number.isFinite(x[i])) return false;
  }
  return true;
}

/** Minimise the (Huber or least-squares) objective of a residual function within box bounds. */
export function levenbergMarquardt(problem: LmProblem, theta0: ArrayLike<number>, opts: LmOptions = {}): LmResult {
  const { m, k, lower, upper } = problem;
  const maxIter = opts.maxIter ?? 300;
  const ftol = opts.ftol ?? 1e-12;
  const xtol = opts.xtol ?? 1e-10;
  const gtol = opts.gtol ?? 1e-10;
  const delta = opts.huberDelta;
  const floor = opts.objectiveFloor ?? 0;

  const theta = new Float64Array(k);
  for (let j = 0; j < k; j++) theta[j] = Math.min(upper[j], Math.max(lower[j], theta0[j]));
  const r = new Float64Array(m);
  const J = new Float64Array(m * k);
  const rTry = new Float64Array(m);
  const JTry = new Float64Array(m * k);
  const trial = new Float64Array(k);
  const H = new Float64Array(k * k);
  const g = new Float64Array(k);
  const step = new Float64Array(k);
  const Hs = new Float64Array(k * k);
  const gs = new Float64Array(k);
  const xs = new Float64Array(k);
  const free: number[] = [];

  if (!problem.evaluate(theta, r, J)) {
    return { theta, objective: Infinity, iterations: 0, converged: false, reason: 'nonFinite', atBound: [] };
  }
  let obj = objectiveOf(r, delta);
  let mu = 1e-3;
  let iter = 0;
  let reason: LmResult['reason'] = 'maxIter';
  let converged = false;

  while (iter < maxIter) {
    iter++;
    // Normal equations with IRLS weights (w = 1 for least squares).
    H.fill(0);
    g.fill(0);
    for (let i = 0; i < m; i++) {
      const w = delta === undefined ? 1 : huberWeight(r[i], delta);
      const ri = r[i] * w;
      const row = i * k;
      for (let a = 0; a < k; a++) {
        const ja = J[row + a];
        if (ja === 0) continue;
        g[a] += ja * ri;
        const wja = w * ja;
        for (let b = a; b < k; b++) H[a * k + b] += wja * J[row + b];
      }
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) H[a * k + b] = H[b * k + a];

    // Active set: parameters on a bound whose descent direction points outward are frozen.
    free.length = 0;
    let gnorm = 0;
    for (let j = 0; j < k; j++) {
      const outLow = theta[j] <= lower[j] && g[j] > 0;
      const outHigh = theta[j] >= upper[j] && g[j] < 0;
      if (!outLow && !outHigh) {
        free.push(j);
        // Scale-free stationarity measure: the diagonal Gauss-Newton predicted decrease.
        const hjj = H[j * k + j];
        gnorm += hjj > 0 ? (g[j] * g[j]) / hjj : g[j] !== 0 ? Infinity : 0;
      }
    }
    if (free.length === 0 || gnorm <= gtol * Math.max(obj, 1e-300) || obj <= floor) {
      converged = true;
      reason = 'gtol';
      break;
    }

    // Damped step on the free parameters; raise mu until the objective decreases.
    let accepted = false;
    while (!accepted) {
      const f = free.length;
      for (let a = 0; a < f; a++) {
        gs[a] = -g[free[a]];
        for (let b = 0; b < f; b++) Hs[a * f + b] = H[free[a] * k + free[b]];
        Hs[a * f + a] += mu * Math.max(H[free[a] * k + free[a]], 1e-12);
      }
      const ok = solveSmall(Hs, gs, f, xs);
      if (ok) {
        step.fill(0);
        for (let a = 0; a < f; a++) step[free[a]] = xs[a];
        for (let j = 0; j < k; j++) trial[j] = Math.min(upper[j], Math.max(lower[j], theta[j] + step[j]));
        if (problem.evaluate(trial, rTry, JTry)) {
          const objTry = objectiveOf(rTry, delta);
          if (objTry < obj) {
            let stepNorm = 0;
            let thetaNorm = 0;
            for (let j = 0; j < k; j++) {
              stepNorm = Math.max(stepNorm, Math.abs(trial[j] - theta[j]));
              thetaNorm = Math.max(thetaNorm, Math.abs(theta[j]));
            }
            const relDrop = (obj - objTry) / Math.max(obj, 1e-300);
            theta.set(trial);
            r.set(rTry);
            J.set(JTry);
            obj = objTry;
            mu = Math.max(mu / 3, 1e-15);
            accepted = true;
            if (relDrop <= ftol) {
              converged = true;
              reason = 'ftol';
            } else if (stepNorm <= xtol * (thetaNorm + xtol)) {
              converged = true;
              reason = 'xtol';
            }
            break;
          }
        }
      }
      mu *= 4;
      if (mu > 1e16) break;
    }
    if (converged) break;
    if (!accepted) {
      // No descent step exists at any damping: a (numerical) stationary point.
      reason = 'stalled';
      converged = gnorm <= 1e-8 * Math.max(obj, 1e-300);
      break;
    }
  }
  const atBound: number[] = [];
  for (let j = 0; j < k; j++) if (theta[j] <= lower[j] || theta[j] >= upper[j]) atBound.push(j);
  return { theta, objective: obj, iterations: iter, converged, reason, atBound };
}
