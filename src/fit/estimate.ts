import { InputError } from '../errors.js';
import { evalModel, formSpec, internalBounds, toNatural, type LawForm, type LawObservation } from './lawForms.js';
import { levenbergMarquardt, type LmProblem, type LmResult } from './levenbergMarquardt.js';
import { nonNegativeLeastSquares } from './linearInit.js';
import type { Estimator, StartSummary } from './fitTypes.js';
import { gofMode } from './goodnessOfFit.js';

/**
 * The point estimate of the law fit (THEORY.md sections 1 and 6): the residual problem on the
 * error scale (least squares) or log-error scale (Huber), and the multi-start search: every
 * point of a grid over (alpha, beta) gets the best non-negative linear coefficients, then a
 * bounded Levenberg-Marquardt run; the best end point wins and every start is reported.
 */
export const DEFAULT_GRID = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5];
/** The 3 x 3 start grid of each bootstrap refit (beside a warm start at the full-data optimum). */
export const QUICK_GRID = [0.1, 0.4, 1.2];
export const DEFAULT_HUBER_DELTA = 1e-3;

export interface Prepared {
  lnN: Float64Array;
  lnL: Float64Array;
  y: Float64Array;
  logY: Float64Array | null;
  /** 1 / stdErr per row (all 1 without stdErr). */
  w: Float64Array;
  /** Every row carries a known stdErr: the residuals are in units of sigma. */
  knownSigma: boolean;
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
  const mode = gofMode(rows);
  if (mode.mode === 'stdErr' && estimator !== 'lsq') throw new InputError('estimator', estimator, 'lsq when the rows carry stdErr (the weighted fit is least squares)');
}

/** Logarithms of n and L (and of the error for the log-scale estimator), once per fit. */
export function prepare(rows: LawObservation[], estimator: Estimator): Prepared {
  const m = rows.length;
  const lnN = new Float64Array(m);
  const lnL = new Float64Array(m);
  const y = new Float64Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    lnN[i] = Math.log(rows[i].n);
    lnL[i] = Math.log(rows[i].L);
    y[i] = rows[i].error;
    const stdErr = rows[i].stdErr;
    w[i] = stdErr !== undefined ? 1 / stdErr : 1;
  }
  return { lnN, lnL, y, logY: estimator === 'huber-log' ? y.map(Math.log) : null, w, knownSigma: m > 0 && rows.every((r) => r.stdErr !== undefined) };
}

export function makeProblem(form: LawForm, data: Prepared): LmProblem {
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
          // Weighted by 1 / stdErr when the rows carry one (else w = 1).
          r[i] = (f - data.y[i]) * data.w[i];
          for (let j = 0; j < k; j++) J[i * k + j] = grad[j] * data.w[i];
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
    w[i] = data.logY ? 1 / (data.y[i] * data.y[i]) : data.w[i] * data.w[i];
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

export interface MultiStartResult {
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

/** Run every start (warm starts first, then the grid) and keep the best end point; null when no start gives a finite objective. */
export function tryRunStarts(form: LawForm, data: Prepared, estimator: Estimator, huberDelta: number, grid: number[], extraStarts: number[][] = []): MultiStartResult | null {
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
  return best ? { best, starts } : null;
}

/** runStarts, failing with an error naming the rows when no start gives a finite objective. */
export function runStarts(form: LawForm, data: Prepared, estimator: Estimator, huberDelta: number, grid: number[], extraStarts: number[][] = []): MultiStartResult {
  const res = tryRunStarts(form, data, estimator, huberDelta, grid, extraStarts);
  if (!res) throw new InputError('rows', `${data.y.length} rows`, 'data on which the law can be evaluated', 'every start of the fit failed (non-finite model values)');
  return res;
}

