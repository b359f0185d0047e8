import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InputError } from '../errors.js';
import { createRng } from '../util/rng.js';
import {
  EXPONENT_BOUNDS,
  LAW_FORMS,
  PARAM_NAMES,
  evalModel,
  formSpec,
  internalBounds,
  predictRaw,
  storageExponent,
  toInternal,
  toNatural,
  type LawForm,
  type LawObservation,
  type LawParams,
  type ParamName,
} from './lawForms.js';
import { levenbergMarquardt, type LmProblem, type LmResult } from './levenbergMarquardt.js';
import { nonNegativeLeastSquares } from './linearInit.js';

/**
 * Fitting the storage scaling law Err(n, L) = E* + A n^-alpha + B L^-beta and its variants
 * (THEORY.md sections 1, 5, 6) with honest uncertainty:
 *
 * - estimators: 'lsq' = least squares on the error (what the paper did); 'huber-log' = Huber
 *   loss on log-error, delta = 1e-3 (Hoffmann et al. 2022; Besiroglu et al. 2024's replication);
 * - many starts: every point of a grid over (alpha, beta) gets the best non-negative linear
 *   coefficients, then a bounded Levenberg-Marquardt run; all starts are reported;
 * - standard errors from the curvature (least squares: s^2 (J'J)^-1; Huber: the M-estimator
 *   sandwich), optional bootstrap (resampling seeds when every row has one, else points);
 * - warnings when a parameter is not identified (huge SE, exponent or E* on a bound, flat
 *   direction of the curvature, too few distinct n or L, starts disagreeing at the optimum).
 */
export type Estimator = 'lsq' | 'huber-log';
export const ESTIMATORS: readonly Estimator[] = ['lsq', 'huber-log'];

export interface FitOptions {
  form?: LawForm;
  estimator?: Estimator;
  /** Bootstrap replicates (0 = Wald intervals from the curvature). */
  bootstrap?: number;
  /** Seed of the bootstrap streams. */
  seed?: number;
  /** Huber threshold on the log-error scale (default 1e-3). */
  huberDelta?: number;
  /** Exponent values of the multi-start grid (used for alpha and for beta). */
  startGrid?: number[];
  /** Confidence level of the intervals (default 0.95). */
  confidence?: number;
}

export type ParamRecord<T> = Record<ParamName, T>;

export interface StartSummary {
  alpha0: number;
  beta0: number;
  objective: number;
  converged: boolean;
  alpha: number;
  beta: number;
  /** Internal coordinates on a bound at the end of this start. */
  atBound: string[];
  params: LawParams;
}

export interface FitDiagnostics {
  objective: number;
  converged: boolean;
  reason: LmResult['reason'];
  iterations: number;
  multiStart: {
    starts: number;
    convergedStarts: number;
    /** Starts whose objective is within 1e-6 (relative) of the best. */
    reachedBest: number;
    /** Starts that converged to a worse stationary point (distinct local minima or saddles). */
    worseLocalMinima: number;
    worstConvergedObjectiveRatio: number;
    /** Range of the exponents over the starts that reached the best objective. */
    spreadAtBest: { alpha: [number, number]; beta: [number, number] };
    /** Distinct end points of the starts (grouped by objective, best first, at most 8). */
    optima: { objectiveRatio: number; starts: number; params: LawParams; atBound: string[]; degenerate: boolean }[];
    /** Worse end points with a coordinate on a bound (a term switched off or an exponent at its limit). */
    degenerateStarts: number;
  };
  curvature: {
    /** Condition number of the column-scaled curvature matrix. */
    conditionNumber: number | null;
    /** Direction (internal coordinates) of the smallest curvature eigenvalue. */
    flattestDirection: Record<string, number>;
  };
  bootstrap: null | {
    replicates: number;
    failed: number;
    resampled: 'seeds' | 'points';
    clusters: number;
    stdErr: ParamRecord<number>;
  };
  dataRange: { n: [number, number]; L: [number, number]; distinctN: number; distinctL: number; rows: number };
  huberDelta: number | null;
  /** R^2 and RMSE of log-error (the scale the huber-log estimator works on). */
  r2Log: number | null;
  rmseLog: number | null;
  atBound: string[];
}

export interface LawFit {
  form: LawForm;
  estimator: Estimator;
  params: LawParams;
  /** Curvature-based standard errors; null where the curvature is singular (not identified). */
  stdErr: ParamRecord<number | null>;
  /** Confidence intervals (bootstrap percentile if bootstrap > 0, else Wald); null where not identified. */
  intervals: ParamRecord<[number, number] | null>;
  intervalMethod: 'bootstrap-percentile' | 'wald';
  confidence: number;
  r2: number;
  rmse: number;
  /** observed - predicted, in input row order. */
  residuals: number[];
  /** Storage exponent nu = alpha beta / (alpha + beta) (additive and excess forms; null for multiplicative). */
  nu: number | null;
  warnings: string[];
  diagnostics: FitDiagnostics;
}

const DEFAULT_GRID = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5];
const QUICK_GRID = [0.1, 0.4, 1.2];
export const DEFAULT_HUBER_DELTA = 1e-3;
const MIN_SEED_CLUSTERS = 5;

interface Prepared {
  lnN: Float64Array;
  lnL: Float64Array;
  y: Float64Array;
  logY: Float64Array | null;
}

/** Validate observation rows; throws InputError naming rows[i].field. */
export function validateObservations(rows: LawObservation[], estimator: Estimator = 'lsq'): void {
  if (!Array.isArray(rows)) throw new InputError('rows', rows, 'an array of { n, L, error }');
  rows.forEach((row, i) => {
    if (!row || typeof row !== 'object') throw new InputError(`rows[${i}]`, row, 'an object { n, L, error }');
    for (const key of ['n', 'L'] as const) {
      const v = row[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new InputError(`rows[${i}].${key}`, v, `a finite number > 0`);
    }
    if (typeof row.error !== 'number' || !Number.isFinite(row.error)) throw new InputError(`rows[${i}].error`, row.error, 'a finite number');
    if (estimator === 'huber-log' && !(row.error > 0)) throw new InputError(`rows[${i}].error`, row.error, 'error > 0 (the huber-log estimator fits log-error)');
    if (row.seed !== undefined && (typeof row.seed !== 'number' || !Number.isFinite(row.seed))) throw new InputError(`rows[${i}].seed`, row.seed, 'a finite number');
  });
}

function prepare(rows: LawObservation[], estimator: Estimator): Prepared {
  const m = rows.length;
  const lnN = new Float64Array(m);
  const lnL = new Float64Array(m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    lnN[i] = Math.log(rows[i].n);
    lnL[i] = Math.log(rows[i].L);
    y[i] = rows[i].error;
  }
  return { lnN, lnL, y, logY: estimator === 'huber-log' ? y.map(Math.log) : null };
}

function makeProblem(form: LawForm, data: Prepared): LmProblem {
  const { k } = formSpec(form);
  const { lower, upper } = internalBounds(form);
  const m = data.y.length;
  const grad = new Float64Array(k);
  const logY = data.logY;
  return {
    m,
    k,
    lower,
    upper,
    evaluate(theta, r, J) {
      for (let i = 0; i < m; i++) {
        const f = evalModel(form, theta, data.lnN[i], data.lnL[i], grad);
        if (logY) {
          if (!(f > 0)) return false;
          r[i] = Math.log(f) - logY[i];
          for (let j = 0; j < k; j++) J[i * k + j] = grad[j] / f;
        } else {
          r[i] = f - data.y[i];
          for (let j = 0; j < k; j++) J[i * k + j] = grad[j];
        }
        if (!Number.isFinite(r[i])) return false;
      }
      return true;
    },
  };
}

/** Starting point for fixed exponents: best non-negative (E*, A, B) by weighted linear least squares. */
function linearStart(form: LawForm, data: Prepared, alpha0: number, beta0: number): number[] {
  const m = data.y.length;
  const colN = new Float64Array(m);
  const colL = new Float64Array(m);
  const ones = new Float64Array(m).fill(1);
  const w = new Float64Array(m);
  let ymax = 0;
  for (let i = 0; i < m; i++) {
    colN[i] = Math.exp(-alpha0 * data.lnN[i]);
    colL[i] = Math.exp(-beta0 * data.lnL[i]);
    // Relative least squares for the log-scale estimator, plain otherwise.
    w[i] = data.logY ? 1 / (data.y[i] * data.y[i]) : 1;
    ymax = Math.max(ymax, Math.abs(data.y[i]));
  }
  const tiny = Math.max(ymax, 1e-12) * 1e-8;
  const pos = (x: number): number => Math.log(Math.max(x, tiny));
  if (form === 'additive') {
    const { coef } = nonNegativeLeastSquares([ones, colN, colL], data.y, w);
    return [coef[0], pos(coef[1]), alpha0, pos(coef[2]), beta0];
  }
  if (form === 'excess') {
    const { coef } = nonNegativeLeastSquares([colN, colL], data.y, w);
    return [pos(coef[0]), alpha0, pos(coef[1]), beta0];
  }
  const prod = colN.map((v, i) => v * colL[i]);
  const { coef } = nonNegativeLeastSquares([ones, prod], data.y, w);
  return [coef[0], pos(coef[1]), alpha0, beta0];
}

function exponentsOf(form: LawForm, theta: ArrayLike<number>): { alpha: number; beta: number } {
  const p = toNatural(form, theta);
  return { alpha: p.alpha, beta: p.beta };
}

interface MultiStartResult {
  best: LmResult;
  starts: StartSummary[];
}

function lmOptions(estimator: Estimator, data: Prepared, huberDelta: number): Parameters<typeof levenbergMarquardt>[2] {
  let scale = 0;
  for (let i = 0; i < data.y.length; i++) scale += (data.logY ? data.logY[i] : data.y[i]) ** 2;
  return {
    huberDelta: estimator === 'huber-log' ? huberDelta : undefined,
    objectiveFloor: 1e-26 * Math.max(scale, 1e-300),
  };
}

function runStarts(form: LawForm, data: Prepared, estimator: Estimator, huberDelta: number, grid: number[], extraStarts: number[][] = []): MultiStartResult {
  const problem = makeProblem(form, data);
  const opts = lmOptions(estimator, data, huberDelta);
  const starts: StartSummary[] = [];
  let best: LmResult | null = null;
  const consider = (theta0: number[], alpha0: number, beta0: number): void => {
    const res = levenbergMarquardt(problem, theta0, opts);
    const e = exponentsOf(form, res.theta);
    const names = formSpec(form).names;
    starts.push({ alpha0, beta0, objective: res.objective, converged: res.converged, alpha: e.alpha, beta: e.beta, atBound: res.atBound.map((j) => names[j]), params: toNatural(form, res.theta) });
    if (!Number.isFinite(res.objective)) return;
    if (!best || res.objective < best.objective || (res.objective === best.objective && res.converged && !best.converged)) best = res;
  };
  for (const t of extraStarts) {
    const e = exponentsOf(form, t);
    consider(t, e.alpha, e.beta);
  }
  for (const a0 of grid) for (const b0 of grid) consider(linearStart(form, data, a0, b0), a0, b0);
  if (!best) throw new InputError('rows', `${data.y.length} rows`, 'data on which the law can be evaluated', 'every start of the fit failed (non-finite model values)');
  return { best, starts };
}

/** Inverse of a small symmetric PSD matrix by eigen-decomposition of its column-scaled form. */
function scaledInverse(H: number[][]): { inv: number[][] | null; cond: number | null; flat: number[]; singular: boolean[] } {
  const k = H.length;
  const d = H.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
  const singular = new Array(k).fill(false);
  if (d.some((x) => !(x > 0) || !Number.isFinite(x))) {
    d.forEach((x, i) => (singular[i] = !(x > 0) || !Number.isFinite(x)));
    return { inv: null, cond: null, flat: new Array(k).fill(0), singular };
  }
  const Hs = new Matrix(H.map((row, i) => row.map((v, j) => v / (d[i] * d[j]))));
  const eig = new EigenvalueDecomposition(Hs, { assumeSymmetric: true });
  const vals = eig.realEigenvalues;
  const vecs = eig.eigenvectorMatrix;
  let iMin = 0;
  let iMax = 0;
  for (let i = 1; i < k; i++) {
    if (vals[i] < vals[iMin]) iMin = i;
    if (vals[i] > vals[iMax]) iMax = i;
  }
  const flat = Array.from({ length: k }, (_, j) => vecs.get(j, iMin));
  const cond = vals[iMin] > 0 ? vals[iMax] / vals[iMin] : null;
  // Eigenvalues below 1e-12 of the largest: directions the data do not determine. Parameters
  // loading on them (|v| > 0.05) get no standard error; the rest use the pseudo-inverse.
  const tol = 1e-12 * vals[iMax];
  const inv: number[][] = Array.from({ length: k }, () => new Array(k).fill(0));
  for (let e = 0; e < k; e++) {
    if (vals[e] <= tol) {
      for (let j = 0; j < k; j++) if (Math.abs(vecs.get(j, e)) > 0.05) singular[j] = true;
      continue;
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) inv[i][j] += (vecs.get(i, e) * vecs.get(j, e)) / vals[e];
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) inv[i][j] /= d[i] * d[j];
  return { inv, cond, flat, singular };
}

function curvatureCovariance(form: LawForm, data: Prepared, theta: Float64Array, estimator: Estimator, huberDelta: number) {
  const problem = makeProblem(form, data);
  const { m, k } = problem;
  const r = new Float64Array(m);
  const J = new Float64Array(m * k);
  problem.evaluate(theta, r, J);
  // Curvature J'J of the residuals; for least squares cov = s^2 (J'J)^-1 with s^2 = SSR/(m-k).
  // For the Huber M-estimator (Huber 1981, sec. 7.6): cov = [sum psi^2/(m-k)] / [mean psi']^2 (J'J)^-1.
  // With delta far below the residual scale (delta = 1e-3 on log-error) almost no residual
  // falls inside delta, so mean psi' is estimated from a kernel-smoothed residual density:
  // E psi' = P(|r| <= delta) ~ mean_i [Phi((delta - r_i)/h) - Phi((-delta - r_i)/h)]; as
  // delta -> 0 this gives the least-absolute-deviation variance 1/(4 f(0)^2) (J'J)^-1.
  const jtj: number[][] = Array.from({ length: k }, () => new Array(k).fill(0));
  let ssr = 0;
  let psi2 = 0;
  for (let i = 0; i < m; i++) {
    ssr += r[i] * r[i];
    psi2 += Math.min(Math.abs(r[i]), huberDelta) ** 2;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) jtj[a][b] += J[i * k + a] * J[i * k + b];
  }
  const dof = Math.max(m - k, 1);
  const { inv, cond, flat, singular } = scaledInverse(jtj);
  let cov: number[][] | null = null;
  if (inv) {
    let s2: number;
    if (estimator === 'lsq') s2 = ssr / dof;
    else {
      const h = silvermanBandwidth(Array.from(r));
      let dpsi = 0;
      for (let i = 0; i < m; i++) {
        dpsi += h > 0 ? normalCdf((huberDelta - r[i]) / h) - normalCdf((-huberDelta - r[i]) / h) : Math.abs(r[i]) <= huberDelta ? 1 : 0;
      }
      dpsi /= m;
      s2 = dpsi > 0 ? psi2 / dof / (dpsi * dpsi) : Infinity;
    }
    cov = Number.isFinite(s2) ? inv.map((row) => row.map((v) => v * s2)) : null;
  }
  return { cov, cond, flat, singular };
}

/** Silverman's rule-of-thumb bandwidth 0.9 min(sd, IQR/1.34) m^-1/5. */
function silvermanBandwidth(xs: number[]): number {
  const m = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / m;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(m - 1, 1));
  const sorted = xs.slice().sort((a, b) => a - b);
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
  return 0.9 * spread * m ** -0.2;
}

/** Standard normal CDF via erfc (Numerical Recipes erfcc, relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

function quantileSorted(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x);
}

/** Fit the storage scaling law to measured (n, L, error[, seed]) rows (THEORY.md sections 1 and 6). */
export function fitLaw(rows: LawObservation[], opts: FitOptions = {}): LawFit {
  const form = opts.form ?? 'additive';
  if (!(LAW_FORMS as readonly string[]).includes(form)) throw new InputError('form', form, `one of ${LAW_FORMS.join(', ')}`);
  const estimator = opts.estimator ?? 'lsq';
  if (!(ESTIMATORS as readonly string[]).includes(estimator)) throw new InputError('estimator', estimator, `one of ${ESTIMATORS.join(', ')}`);
  const bootstrap = opts.bootstrap ?? 0;
  if (!Number.isInteger(bootstrap) || bootstrap < 0 || bootstrap > 100000) throw new InputError('bootstrap', bootstrap, 'an integer in [0, 100000]');
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new InputError('seed', seed, 'an integer >= 0');
  const huberDelta = opts.huberDelta ?? DEFAULT_HUBER_DELTA;
  if (!(huberDelta > 0) || !Number.isFinite(huberDelta)) throw new InputError('huberDelta', huberDelta, 'a finite number > 0');
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new InputError('confidence', confidence, '0 < confidence < 1');
  const grid = opts.startGrid ?? DEFAULT_GRID;
  if (!Array.isArray(grid) || grid.length === 0 || grid.some((g) => !(g >= EXPONENT_BOUNDS[0] && g <= EXPONENT_BOUNDS[1]))) {
    throw new InputError('startGrid', grid, `a non-empty list of exponents in [${EXPONENT_BOUNDS.join(', ')}]`);
  }
  validateObservations(rows, estimator);
  const spec = formSpec(form);
  if (rows.length <= spec.k) throw new InputError('rows', rows.length, `at least ${spec.k + 1} rows for the ${form} form (${spec.k} parameters)`);

  const data = prepare(rows, estimator);
  const { best, starts } = runStarts(form, data, estimator, huberDelta, grid);
  const theta = best.theta;
  const params = toNatural(form, theta);
  const warnings: string[] = [];

  // Data coverage.
  const distinctN = new Set(rows.map((r) => r.n)).size;
  const distinctL = new Set(rows.map((r) => r.L)).size;
  const needN = form === 'excess' ? 2 : 3;
  const needL = form === 'multiplicative' ? 2 : form === 'excess' ? 2 : 3;
  if (distinctN < needN) warnings.push(`only ${distinctN} distinct n value(s): A and alpha are not identified (need >= ${needN} for the ${form} form)`);
  if (distinctL < needL) warnings.push(`only ${distinctL} distinct L value(s): ${form === 'multiplicative' ? 'beta is' : 'B and beta are'} not identified (need >= ${needL} for the ${form} form)`);

  // Multi-start report.
  const bestObj = best.objective;
  // Same optimum: within 1e-6 of the best (relative), or below 1e-14 of the objective's scale
  // (noise-free data: every start reaches ~0 up to rounding).
  let objScale = 0;
  for (const r of rows) objScale += 0.5 * (estimator === 'huber-log' ? Math.log(r.error) ** 2 : r.error ** 2);
  const tolBest = Math.max(1e-6 * bestObj, 1e-14 * objScale, 1e-300);
  const atBest = starts.filter((s) => s.objective <= bestObj + tolBest);
  const convergedStarts = starts.filter((s) => s.converged);
  const worseAll = convergedStarts.filter((s) => s.objective > bestObj + tolBest);
  // Worse end points on a bound are degenerate solutions (e.g. alpha -> 8 with A -> huge
  // switches the n-term off), not competing interior optima: counted, not warned about.
  const nMin = Math.min(...rows.map((r) => r.n));
  const lMin = Math.min(...rows.map((r) => r.L));
  const yMax = Math.max(...rows.map((r) => Math.abs(r.error)), 1e-300);
  const isDegenerate = (st: StartSummary): boolean => {
    if (st.atBound.some((b) => b !== 'Estar')) return true;
    const nearBound = (x: number): boolean => x >= 0.99 * EXPONENT_BOUNDS[1] || x <= 1.01 * EXPONENT_BOUNDS[0];
    if (nearBound(st.alpha) || nearBound(st.beta)) return true;
    const p = st.params;
    const termA = form === 'multiplicative' ? p.A * nMin ** -p.alpha * lMin ** -p.beta : p.A * nMin ** -p.alpha;
    const termB = form === 'multiplicative' ? termA : p.B * lMin ** -p.beta;
    return termA < 1e-6 * yMax || termB < 1e-6 * yMax;
  };
  const worse = worseAll.filter((st) => !isDegenerate(st));
  const degenerate = worseAll.length - worse.length;
  const optima: FitDiagnostics['multiStart']['optima'] = [];
  for (const st of [...starts].filter((x) => Number.isFinite(x.objective)).sort((a, b) => a.objective - b.objective)) {
    const last = optima[optima.length - 1];
    const ratio = st.objective <= bestObj + tolBest ? 1 : st.objective / Math.max(bestObj, 1e-300);
    if (last && (ratio === last.objectiveRatio || Math.abs(ratio - last.objectiveRatio) <= 1e-6 * Math.max(ratio, 1))) last.starts++;
    else if (optima.length < 8) optima.push({ objectiveRatio: ratio, starts: 1, params: st.params, atBound: st.atBound, degenerate: ratio > 1 && isDegenerate(st) });
  }
  const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
  const spreadAtBest = { alpha: range(atBest.map((s) => s.alpha)), beta: range(atBest.map((s) => s.beta)) };
  const worstRatio = convergedStarts.length ? Math.max(...convergedStarts.map((s) => s.objective)) / Math.max(bestObj, 1e-300) : NaN;
  if (!best.converged) warnings.push(`the best start did not converge (${best.reason} after ${best.iterations} iterations); treat the estimates as approximate`);
  if (worse.length > 0) {
    const worst = Math.max(...worse.map((s) => s.objective)) / Math.max(bestObj, 1e-300);
    warnings.push(`${worse.length} of ${starts.length} starts converged to worse interior local optima (objective up to ${fmt(worst)}x the best); the reported fit is the best of all starts`);
  }
  for (const e of ['alpha', 'beta'] as const) {
    const [lo, hi] = spreadAtBest[e];
    if (hi - lo > 1e-3 * Math.max(1, Math.abs(params[e]))) {
      warnings.push(`flat direction: starts reaching the same objective disagree on ${e} (${fmt(lo)} to ${fmt(hi)}); ${e} is not identified by these data`);
    }
  }

  // A term that contributes next to nothing over the data is not identified (its coefficient
  // and exponent trade off freely), whatever the curvature says.
  const ySpread = Math.max(...rows.map((r) => r.error)) - Math.min(...rows.map((r) => r.error));
  if (form !== 'multiplicative' && ySpread > 0) {
    const termN = params.A * nMin ** -params.alpha - params.A * Math.max(...rows.map((r) => r.n)) ** -params.alpha;
    const termL = params.B * lMin ** -params.beta - params.B * Math.max(...rows.map((r) => r.L)) ** -params.beta;
    if (termN < 1e-3 * ySpread) warnings.push(`the A n^-alpha term changes the prediction by only ${fmt(termN)} over the data (error range ${fmt(ySpread)}): the data show no dependence on n, A and alpha are not identified`);
    if (termL < 1e-3 * ySpread) warnings.push(`the B L^-beta term changes the prediction by only ${fmt(termL)} over the data (error range ${fmt(ySpread)}): the data show no dependence on L, B and beta are not identified`);
  }

  // Bounds.
  const { lower, upper } = internalBounds(form);
  const atBound: string[] = [];
  spec.names.forEach((name, j) => {
    if (theta[j] <= lower[j] || theta[j] >= upper[j]) atBound.push(name);
  });
  for (const name of atBound) {
    if (name === 'Estar') warnings.push(`Estar is at its lower bound 0: the data show no error floor (consider --form excess, or more data at large n and L)`);
    else if (name === 'alpha' || name === 'beta') warnings.push(`${name} is at the bound ${fmt(theta[spec.names.indexOf(name)])} of [${EXPONENT_BOUNDS.join(', ')}]: ${name} is not identified`);
    else warnings.push(`${name} is at its bound: the corresponding coefficient is not identified`);
  }

  // Curvature standard errors.
  const curv = curvatureCovariance(form, data, theta, estimator, huberDelta);
  const stdErr = {} as ParamRecord<number | null>;
  const seInternal: (number | null)[] = spec.names.map((_, j) => {
    if (!curv.cov || curv.singular[j]) return null;
    const v = curv.cov[j][j];
    return v >= 0 && Number.isFinite(v) ? Math.sqrt(v) : null;
  });
  for (const name of PARAM_NAMES) stdErr[name] = 0;
  spec.names.forEach((iname, j) => {
    const nat = spec.natural[j];
    const se = seInternal[j];
    stdErr[nat] = se === null ? null : iname === 'logA' ? params.A * se : iname === 'logB' ? params.B * se : se;
  });
  const flattest: Record<string, number> = {};
  spec.names.forEach((name, j) => (flattest[name] = Number(curv.flat[j].toFixed(4))));
  for (const nat of spec.natural) {
    const se = stdErr[nat];
    if (se === null) warnings.push(`${nat} is not identified: the curvature is singular in its direction (no standard error)`);
    else if (se > Math.abs(params[nat]) && !(nat === 'Estar' && atBound.includes('Estar'))) {
      warnings.push(`${nat} is poorly identified: standard error ${fmt(se)} exceeds the estimate ${fmt(params[nat])}`);
    }
  }
  if (curv.cond !== null && curv.cond > 1e10) {
    const loads = Object.entries(flattest).filter(([, v]) => Math.abs(v) > 0.3).map(([k2]) => k2);
    warnings.push(`nearly flat direction (curvature condition number ${curv.cond.toExponential(1)}) mostly along ${loads.join(', ')}`);
  }

  // Intervals.
  const z = normalQuantile(0.5 + confidence / 2);
  const intervals = {} as ParamRecord<[number, number] | null>;
  for (const name of PARAM_NAMES) intervals[name] = [params[name], params[name]];
  spec.names.forEach((iname, j) => {
    const nat = spec.natural[j];
    const se = seInternal[j];
    if (se === null) intervals[nat] = null;
    else if (iname === 'logA' || iname === 'logB') intervals[nat] = [params[nat] * Math.exp(-z * se), params[nat] * Math.exp(z * se)];
    else if (iname === 'Estar') intervals[nat] = [Math.max(0, params[nat] - z * se), params[nat] + z * se];
    else intervals[nat] = [params[nat] - z * se, params[nat] + z * se];
  });

  let bootDiag: FitDiagnostics['bootstrap'] = null;
  let intervalMethod: LawFit['intervalMethod'] = 'wald';
  if (bootstrap > 0) {
    const boot = bootstrapFit(rows, form, estimator, huberDelta, theta, bootstrap, seed);
    intervalMethod = 'bootstrap-percentile';
    const bootSe = {} as ParamRecord<number>;
    for (const name of PARAM_NAMES) {
      const xs = boot.samples.map((p) => p[name]).sort((a, b) => a - b);
      const mean = xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
      bootSe[name] = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
      intervals[name] = xs.length ? [quantileSorted(xs, (1 - confidence) / 2), quantileSorted(xs, (1 + confidence) / 2)] : null;
    }
    bootDiag = { replicates: bootstrap, failed: boot.failed, resampled: boot.resampled, clusters: boot.clusters, stdErr: bootSe };
    // The curvature SE assumes independent residuals around a correct law; a much wider
    // bootstrap says the rows are correlated (e.g. nested n within a seed) or the law is
    // misspecified, and the bootstrap intervals are the ones to use.
    const wide = spec.natural.filter((nat) => {
      const se = stdErr[nat];
      return se !== null && se > 0 && bootSe[nat] > 2 * se;
    });
    if (wide.length) {
      const worst = wide.reduce((a, b) => (bootSe[b] / (stdErr[b] as number) > bootSe[a] / (stdErr[a] as number) ? b : a));
      warnings.push(`bootstrap spread exceeds the curvature standard error by up to ${fmt(bootSe[worst] / (stdErr[worst] as number))}x (${wide.join(', ')}): residuals are correlated or the law is misspecified; use the bootstrap intervals`);
    }
    if (boot.failed > 0.1 * bootstrap) warnings.push(`${boot.failed} of ${bootstrap} bootstrap refits failed; the intervals use the rest`);
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
  }

  // Goodness of fit on the error scale (and on the log scale).
  const m = rows.length;
  const residuals = rows.map((r) => r.error - predictRaw(form, params, r.n, r.L));
  const ybar = rows.reduce((s, r) => s + r.error, 0) / m;
  const ssr = residuals.reduce((s, x) => s + x * x, 0);
  const sst = rows.reduce((s, r) => s + (r.error - ybar) ** 2, 0);
  let r2Log: number | null = null;
  let rmseLog: number | null = null;
  if (rows.every((r) => r.error > 0)) {
    const ly = rows.map((r) => Math.log(r.error));
    const lbar = ly.reduce((s, x) => s + x, 0) / m;
    const lres = rows.map((r, i) => ly[i] - Math.log(Math.max(predictRaw(form, params, r.n, r.L), 1e-300)));
    const lssr = lres.reduce((s, x) => s + x * x, 0);
    const lsst = ly.reduce((s, x) => s + (x - lbar) ** 2, 0);
    r2Log = lsst > 0 ? 1 - lssr / lsst : null;
    rmseLog = Math.sqrt(lssr / m);
  }

  const cleanFlat: Record<string, number> = {};
  for (const [k2, v] of Object.entries(flattest)) cleanFlat[k2] = Number.isFinite(v) ? v : 0;

  return {
    form,
    estimator,
    params,
    stdErr,
    intervals,
    intervalMethod,
    confidence,
    r2: sst > 0 ? 1 - ssr / sst : ssr === 0 ? 1 : 0,
    rmse: Math.sqrt(ssr / m),
    residuals,
    nu: form === 'multiplicative' ? null : storageExponent(params.alpha, params.beta),
    warnings,
    diagnostics: {
      objective: bestObj,
      converged: best.converged,
      reason: best.reason,
      iterations: best.iterations,
      multiStart: {
        starts: starts.length,
        convergedStarts: convergedStarts.length,
        reachedBest: atBest.length,
        worseLocalMinima: worse.length,
        worstConvergedObjectiveRatio: Number.isFinite(worstRatio) ? worstRatio : 1,
        spreadAtBest,
        optima,
        degenerateStarts: degenerate,
      },
      curvature: { conditionNumber: curv.cond, flattestDirection: cleanFlat },
      bootstrap: bootDiag,
      dataRange: {
        n: [Math.min(...rows.map((r) => r.n)), Math.max(...rows.map((r) => r.n))],
        L: [Math.min(...rows.map((r) => r.L)), Math.max(...rows.map((r) => r.L))],
        distinctN,
        distinctL,
        rows: m,
      },
      huberDelta: estimator === 'huber-log' ? huberDelta : null,
      r2Log,
      rmseLog,
      atBound,
    },
  };
}

/**
 * Bootstrap refits: resample whole seeds (every row of a drawn seed) when every row has a
 * seed, else individual rows; each refit starts from the full-data optimum and a 3x3 grid.
 */
function bootstrapFit(rows: LawObservation[], form: LawForm, estimator: Estimator, huberDelta: number, theta: Float64Array, replicates: number, seed: number) {
  const bySeed = rows.every((r) => r.seed !== undefined);
  const clusters: LawObservation[][] = [];
  if (bySeed) {
    const groups = new Map<number, LawObservation[]>();
    for (const r of rows) {
      const g = groups.get(r.seed as number);
      if (g) g.push(r);
      else groups.set(r.seed as number, [r]);
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
    try {
      const data = prepare(sample, estimator);
      const { best } = runStarts(form, data, estimator, huberDelta, QUICK_GRID, [Array.from(theta)]);
      if (!Number.isFinite(best.objective)) {
        failed++;
        continue;
      }
      samples.push(toNatural(form, best.theta));
    } catch {
      failed++;
    }
  }
  return { samples, failed, resampled: (useClusters ? 'seeds' : 'points') as 'seeds' | 'points', clusters: units.length };
}

/** Internal coordinates of a law (exported for tests and for warm starts). */
export function lawInternal(form: LawForm, params: LawParams): number[] {
  return toInternal(form, params);
}

export { predictError, type LawForm, type LawObservation, type LawParams, type LawLike } from './lawForms.js';
