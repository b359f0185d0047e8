import { EXPONENT_BOUNDS, formSpec, internalBounds, predictRaw, type LawForm, type LawObservation, type LawParams } from './lawForms.js';
import type { LmResult } from './levenbergMarquardt.js';
import { fmt3 as fmt } from './format.js';
import type { Estimator, FitDiagnostics, ParamRecord, StartSummary } from './fitTypes.js';

/**
 * Identification diagnostics of a law fit (THEORY.md section 6): data coverage, the
 * multi-start report (competing optima, flat directions), terms that barely change the
 * prediction, parameters on their bounds, standard errors that swamp the estimate, and the
 * goodness of fit on the error and log-error scales. Each check returns its warnings.
 */

/** Distinct n and L values against what the form needs. */
export function coverageWarnings(rows: LawObservation[], form: LawForm): { distinctN: number; distinctL: number; warnings: string[] } {
  const warnings: string[] = [];
  const distinctN = new Set(rows.map((r) => r.n)).size;
  const distinctL = new Set(rows.map((r) => r.L)).size;
  const needN = form === 'excess' ? 2 : 3;
  const needL = form === 'multiplicative' ? 2 : form === 'excess' ? 2 : 3;
  if (distinctN < needN) warnings.push(`only ${distinctN} distinct n value(s): A and alpha are not identified (need >= ${needN} for the ${form} form)`);
  if (distinctL < needL) warnings.push(`only ${distinctL} distinct L value(s): ${form === 'multiplicative' ? 'beta is' : 'B and beta are'} not identified (need >= ${needL} for the ${form} form)`);
  return { distinctN, distinctL, warnings };
}

/** The multi-start report: starts at the best objective, worse interior optima, degenerate end points, exponent spread at the best. */
export function multiStartReport(
  rows: LawObservation[],
  form: LawForm,
  estimator: Estimator,
  best: LmResult,
  starts: StartSummary[],
  params: LawParams,
): { multiStart: FitDiagnostics['multiStart']; warnings: string[] } {
  const warnings: string[] = [];
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
  return {
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
    warnings,
  };
}

/** A term that contributes next to nothing over the data is not identified (its coefficient and exponent trade off freely), whatever the curvature says. */
export function termWarnings(rows: LawObservation[], form: LawForm, params: LawParams): string[] {
  const warnings: string[] = [];
  const nMin = Math.min(...rows.map((r) => r.n));
  const lMin = Math.min(...rows.map((r) => r.L));
  const ySpread = Math.max(...rows.map((r) => r.error)) - Math.min(...rows.map((r) => r.error));
  if (form !== 'multiplicative' && ySpread > 0) {
    const termN = params.A * nMin ** -params.alpha - params.A * Math.max(...rows.map((r) => r.n)) ** -params.alpha;
    const termL = params.B * lMin ** -params.beta - params.B * Math.max(...rows.map((r) => r.L)) ** -params.beta;
    if (termN < 1e-3 * ySpread) warnings.push(`the A n^-alpha term changes the prediction by only ${fmt(termN)} over the data (error range ${fmt(ySpread)}): the data show no dependence on n, A and alpha are not identified`);
    if (termL < 1e-3 * ySpread) warnings.push(`the B L^-beta term changes the prediction by only ${fmt(termL)} over the data (error range ${fmt(ySpread)}): the data show no dependence on L, B and beta are not identified`);
  }
  return warnings;
}

/** Internal coordinates of theta on their bounds, with what each means. */
export function boundWarnings(form: LawForm, theta: Float64Array): { atBound: string[]; warnings: string[] } {
  const spec = formSpec(form);
  const { lower, upper } = internalBounds(form);
  const atBound: string[] = [];
  const warnings: string[] = [];
  spec.names.forEach((name, j) => {
    if (theta[j] <= lower[j] || theta[j] >= upper[j]) atBound.push(name);
  });
  for (const name of atBound) {
    if (name === 'Estar') warnings.push(`Estar is at its lower bound 0: the data show no error floor (consider --form excess, or more data at large n and L)`);
    else if (name === 'alpha' || name === 'beta') warnings.push(`${name} is at the bound ${fmt(theta[spec.names.indexOf(name)])} of [${EXPONENT_BOUNDS.join(', ')}]: ${name} is not identified`);
    else warnings.push(`${name} is at its bound: the corresponding coefficient is not identified`);
  }
  return { atBound, warnings };
}

/** Parameters without a standard error, standard errors above the estimate, and a nearly flat curvature direction. */
export function curvatureWarnings(
  form: LawForm,
  params: LawParams,
  stdErr: ParamRecord<number | null>,
  atBound: string[],
  conditionNumber: number | null,
  flattestDirection: Record<string, number>,
): string[] {
  const warnings: string[] = [];
  for (const nat of formSpec(form).natural) {
    const se = stdErr[nat];
    if (se === null) warnings.push(`${nat} is not identified: the curvature is singular in its direction (no standard error)`);
    else if (se > Math.abs(params[nat]) && !(nat === 'Estar' && atBound.includes('Estar'))) {
      warnings.push(`${nat} is poorly identified: standard error ${fmt(se)} exceeds the estimate ${fmt(params[nat])}`);
    }
  }
  if (conditionNumber !== null && conditionNumber > 1e10) {
    const loads = Object.entries(flattestDirection).filter(([, v]) => Math.abs(v) > 0.3).map(([k2]) => k2);
    warnings.push(`nearly flat direction (curvature condition number ${conditionNumber.toExponential(1)}) mostly along ${loads.join(', ')}`);
  }
  return warnings;
}

export interface GoodnessOfFit {
  /** observed - predicted, in input row order. */
  residuals: number[];
  r2: number;
  rmse: number;
  /** R^2 and RMSE of log-error; null unless every error is positive. */
  r2Log: number | null;
  rmseLog: number | null;
}

/** R^2 and RMSE on the error scale and on the log-error scale. */
export function goodnessOfFit(rows: LawObservation[], form: LawForm, params: LawParams): GoodnessOfFit {
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
  return { residuals, r2: sst > 0 ? 1 - ssr / sst : ssr === 0 ? 1 : 0, rmse: Math.sqrt(ssr / m), r2Log, rmseLog };
}
