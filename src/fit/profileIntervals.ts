import { chiSquareQuantile, studentTQuantile } from '../stats/distributions.js';
import { evalModel, formSpec, internalBounds, PARAM_NAMES, type LawForm, type LawObservation, type ParamName } from './lawForms.js';
import { levenbergMarquardt, type LmProblem } from './levenbergMarquardt.js';
import { choleskyInPlace, choleskySolve } from '../linalg/cholesky.js';

/**
 * Profile-likelihood intervals of the law's parameters (THEORY.md section 1; Bates & Watts,
 * Nonlinear Regression Analysis, sec. 6.1). For each internal coordinate theta_j the other
 * coordinates are re-optimised at fixed theta_j, and the interval is where the profiled
 * objective stays within the threshold:
 *
 * - rows with stdErr (known noise): chi^2(theta_j) - chi^2_min <= chi2_1 quantile(conf);
 * - otherwise (noise estimated from the residuals): SSR(theta_j) <= SSR_min (1 + t^2/(m-k)),
 *   t the Student-t quantile (1 + conf)/2 on m - k degrees of freedom (the F(1, m-k) form).
 *
 * Unlike curvature (Wald) intervals these follow the curved valleys of power-law fits
 * (alpha trading against A and E*). An end that reaches a parameter bound before the
 * threshold is reported as open: the data do not bound the parameter on that side.
 */
export interface ProfileResult {
  intervals: Record<ParamName, [number, number] | null>;
  /** Ends that hit a bound before the threshold, e.g. "alpha:upper". */
  open: string[];
  method: 'profile-chi2' | 'profile-F';
  confidence: number;
  /** Threshold on the profiled objective (chi^2 or SSR) above its minimum. */
  threshold: number;
  /** The profile found a lower objective than the fit's optimum (the fit was not the global minimum). */
  lowerObjectiveFound: boolean;
}

/** Weighted least-squares problem of a law form over rows (residual (f - y) / stdErr, or f - y). */
export function lawLsqProblem(form: LawForm, rows: LawObservation[]): LmProblem {
  const { k } = formSpec(form);
  const { lower, upper } = internalBounds(form);
  const m = rows.length;
  const lnN = rows.map((r) => Math.log(r.n));
  const lnL = rows.map((r) => Math.log(r.L));
  const w = rows.map((r) => (r.stdErr !== undefined ? 1 / r.stdErr : 1));
  const grad = new Float64Array(k);
  return {
    m,
    k,
    lower,
    upper,
    evaluate(theta, r, J) {
      for (let i = 0; i < m; i++) {
        const f = evalModel(form, theta, lnN[i], lnL[i], grad);
        r[i] = (f - rows[i].error) * w[i];
        if (!Number.isFinite(r[i])) return false;
        for (let j = 0; j < k; j++) J[i * k + j] = grad[j] * w[i];
      }
      return true;
    },
  };
}

/** The problem with coordinate j held at `value` (k - 1 free coordinates). */
export function fixCoordinate(p: LmProblem, j: number, value: number): LmProblem {
  const k = p.k - 1;
  const full = new Float64Array(p.k);
  const Jfull = new Float64Array(p.m * p.k);
  return {
    m: p.m,
    k,
    lower: p.lower.filter((_, i) => i !== j),
    upper: p.upper.filter((_, i) => i !== j),
    evaluate(theta, r, J) {
      for (let i = 0, t = 0; i < p.k; i++) full[i] = i === j ? value : theta[t++];
      if (!p.evaluate(full, r, Jfull)) return false;
      for (let row = 0; row < p.m; row++) for (let i = 0, t = 0; i < p.k; i++) if (i !== j) J[row * k + t++] = Jfull[row * p.k + i];
      return true;
    },
  };
}

function objectiveAt(p: LmProblem, theta: ArrayLike<number>): number {
  const r = new Float64Array(p.m);
  const J = new Float64Array(p.m * p.k);
  if (!p.evaluate(Float64Array.from(theta), r, J)) return Infinity;
  let s = 0;
  for (let i = 0; i < p.m; i++) s += r[i] * r[i];
  return 0.5 * s;
}

/** The Gauss-Newton curvature J'J (k x k, row-major) of the problem at theta; null where the model cannot be evaluated. */
function curvatureAt(p: LmProblem, theta: ArrayLike<number>): Float64Array | null {
  const r = new Float64Array(p.m);
  const J = new Float64Array(p.m * p.k);
  if (!p.evaluate(Float64Array.from(theta), r, J)) return null;
  const k = p.k;
  const H = new Float64Array(k * k);
  for (let i = 0; i < p.m; i++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) H[a * k + b] += J[i * k + a] * J[i * k + b];
  return H;
}

/** (J'J)^-1 by Cholesky (k x k, row-major); null where J'J is not numerically positive definite. */
function inverseCurvature(H: Float64Array, k: number): Float64Array | null {
  const l = H.slice();
  if (!choleskyInPlace(l, k)) return null;
  const identity = new Float64Array(k * k);
  for (let i = 0; i < k; i++) identity[i * k + i] = 1;
  const inv = choleskySolve(l, k, identity, k);
  return inv.every(Number.isFinite) ? inv : null;
}

/** Covariance s2 (J'J)^-1 of the internal coordinates at theta; null where J'J is singular. */
export function covarianceAt(p: LmProblem, theta: ArrayLike<number>, s2: number): number[][] | null {
  const H = curvatureAt(p, theta);
  const inv = H && inverseCurvature(H, p.k);
  if (!inv) return null;
  return Array.from({ length: p.k }, (_, i) => Array.from(inv.subarray(i * p.k, (i + 1) * p.k), (v) => v * s2));
}

/** Curvature standard error of each coordinate ((J'J)^-1 scaled by s2); from the diagonal of J'J where it is singular, NaN where that is not positive. */
function curvatureSe(p: LmProblem, theta: Float64Array, s2: number): number[] {
  const k = p.k;
  const H = curvatureAt(p, theta);
  if (!H) return new Array<number>(k).fill(NaN);
  const inv = inverseCurvature(H, k);
  if (!inv) return Array.from({ length: k }, (_, i) => (H[i * k + i] > 0 ? Math.sqrt(s2 / H[i * k + i]) : NaN));
  return Array.from({ length: k }, (_, i) => Math.sqrt(Math.max(inv[i * k + i], 0) * s2));
}

/**
 * Profile intervals around a least-squares optimum `theta` (internal coordinates) of `form`
 * over `rows` (THEORY.md section 1).
 */
export function profileIntervals(form: LawForm, rows: LawObservation[], theta: ArrayLike<number>, confidence = 0.95): ProfileResult {
  const spec = formSpec(form);
  const p = lawLsqProblem(form, rows);
  const known = rows.length > 0 && rows.every((r) => r.stdErr !== undefined);
  const dof = Math.max(rows.length - spec.k, 1);
  let objMin = objectiveAt(p, theta);
  const threshold = known ? chiSquareQuantile(confidence, 1) : 2 * objMin * (studentTQuantile(0.5 + confidence / 2, dof) ** 2 / dof);
  // Objective units: 0.5 * sum r^2, so the allowed rise is threshold / 2.
  const rise = threshold / 2;
  const theta0 = Float64Array.from(theta);
  const se = curvatureSe(p, theta0, known ? 1 : (2 * objMin) / dof);
  let lowerFound = false;
  const intervals = {} as Record<ParamName, [number, number] | null>;
  for (const name of PARAM_NAMES) intervals[name] = null;
  const open: string[] = [];

  spec.names.forEach((iname, j) => {
    const rest = (t: ArrayLike<number>): number[] => Array.from(t).filter((_, i) => i !== j);
    // Profiled objective at theta_j = v, warm-started from the previous conditional optimum.
    let warm = rest(theta0);
    const profiled = (v: number): number => {
      const q = fixCoordinate(p, j, v);
      let best = Infinity;
      let bestTheta = warm;
      for (const start of [warm, rest(theta0)]) {
        const res = levenbergMarquardt(q, start, { objectiveFloor: 1e-30 });
        if (res.objective < best) {
          best = res.objective;
          bestTheta = Array.from(res.theta);
        }
      }
      warm = bestTheta;
      return best;
    };
    const ends: number[] = [];
    for (const dir of [-1, 1] as const) {
      warm = rest(theta0);
      const bound = dir < 0 ? p.lower[j] : p.upper[j];
      const scale = Number.isFinite(se[j]) && se[j] > 0 ? se[j] : 0.1 * Math.max(Math.abs(theta0[j]), 0.1);
      let inside = theta0[j];
      let step = scale;
      let outside: number | null = null;
      for (let it = 0; it < 60; it++) {
        let v = inside + dir * step;
        if (dir < 0 ? v <= bound : v >= bound) v = bound;
        const f = profiled(v);
        if (f < objMin - 1e-9 * Math.max(objMin, 1e-300)) {
          lowerFound = true;
          objMin = f;
        }
        if (f - objMin > rise) {
          outside = v;
          break;
        }
        inside = v;
        if (v === bound) break;
        step *= 2;
      }
      if (outside === null) {
        open.push(`${spec.natural[j]}:${dir < 0 ? 'lower' : 'upper'}`);
        ends.push(inside);
        continue;
      }
      let a = inside;
      let b = outside;
      for (let it = 0; it < 40 && Math.abs(b - a) > 1e-7 * (1 + Math.abs(a)); it++) {
        const mid = 0.5 * (a + b);
        if (profiled(mid) - objMin > rise) b = mid;
        else a = mid;
      }
      ends.push(0.5 * (a + b));
    }
    const toNat = (x: number): number => (iname === 'logA' || iname === 'logB' ? Math.exp(x) : x);
    intervals[spec.natural[j]] = [toNat(ends[0]), toNat(ends[1])];
  });
  return { intervals, open, method: known ? 'profile-chi2' : 'profile-F', confidence, threshold, lowerObjectiveFound: lowerFound };
}
