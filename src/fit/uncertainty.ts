import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { normalCdf, normalQuantile } from '../stats/distributions.js';
import { silvermanBandwidth } from '../stats/sample.js';
import { formSpec, PARAM_NAMES, type LawForm, type LawParams } from './lawForms.js';
import { makeProblem, type Prepared } from './estimate.js';
import type { Estimator, ParamRecord } from './fitTypes.js';

/**
 * Curvature-based uncertainty of the law fit (THEORY.md section 6): standard errors from
 * s^2 (J'J)^-1 for least squares and from the M-estimator sandwich for Huber, a pseudo-inverse
 * that leaves directions the data do not determine without a standard error, and Wald
 * intervals (log-scale for the coefficients A and B, truncated at 0 for E*).
 */
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

/** Covariance of the internal coordinates at theta, its condition number, flattest direction and singular coordinates. */
export function curvatureCovariance(form: LawForm, data: Prepared, theta: Float64Array, estimator: Estimator, huberDelta: number) {
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
    // Known standard errors (weighted rows): the residuals are already in units of sigma.
    if (estimator === 'lsq') s2 = data.knownSigma ? 1 : ssr / dof;
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

export interface CurvatureUncertainty {
  /** Standard errors of the natural parameters; null where the curvature is singular. */
  stdErr: ParamRecord<number | null>;
  /** Standard errors of the internal coordinates (log A, log B for the coefficients). */
  seInternal: (number | null)[];
  /** Wald intervals at the requested confidence; null where not identified. */
  intervals: ParamRecord<[number, number] | null>;
  conditionNumber: number | null;
  /** Direction of the smallest curvature eigenvalue, internal coordinates rounded to 4 decimals. */
  flattestDirection: Record<string, number>;
}

/** Curvature standard errors and Wald intervals of a fit at theta (THEORY.md section 6). */
export function curvatureUncertainty(form: LawForm, data: Prepared, theta: Float64Array, params: LawParams, estimator: Estimator, huberDelta: number, confidence: number): CurvatureUncertainty {
  const spec = formSpec(form);
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
  return { stdErr, seInternal, intervals, conditionNumber: curv.cond, flattestDirection: flattest };
}
