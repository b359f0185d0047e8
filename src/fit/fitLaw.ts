import { InputError } from '../errors.js';
import { EXPONENT_BOUNDS, LAW_FORMS, formSpec, storageExponent, toInternal, toNatural, type LawForm, type LawObservation, type LawParams } from './lawForms.js';
import { bootstrapFit, summarizeBootstrap } from './bootstrap.js';
import { boundWarnings, coverageWarnings, curvatureWarnings, goodnessOfFit, multiStartReport, termWarnings } from './diagnostics.js';
import { DEFAULT_GRID, DEFAULT_HUBER_DELTA, prepare, runStarts, validateObservations } from './estimate.js';
import { ESTIMATORS, type FitDiagnostics, type FitOptions, type LawFit } from './fitTypes.js';
import { curvatureUncertainty } from './uncertainty.js';
import { formatPValue, goodnessOfFit as lawTest, largestResidualsLine } from './goodnessOfFit.js';
import { profileIntervals, type ProfileResult } from './profileIntervals.js';
import { fmt3 as fmt } from './format.js';

/**
 * Fitting the storage scaling law Err(n, L) = E* + A n^-alpha + B L^-beta and its variants
 * (THEORY.md sections 1, 5, 6) with honest uncertainty:
 *
 * - estimators: 'lsq' = least squares on the error (what the paper did); 'huber-log' = Huber
 *   loss on log-error, delta = 1e-3 (Hoffmann et al. 2022; Besiroglu et al. 2024's replication);
 * - many starts (estimate.ts): every point of a grid over (alpha, beta) gets the best
 *   non-negative linear coefficients, then a bounded Levenberg-Marquardt run; all starts are reported;
 * - standard errors from the curvature (uncertainty.ts; least squares: s^2 (J'J)^-1; Huber:
 *   the M-estimator sandwich), optional bootstrap (bootstrap.ts; resampling seeds when every
 *   row has one, else points);
 * - warnings when a parameter is not identified (diagnostics.ts: huge SE, exponent or E* on a
 *   bound, flat direction of the curvature, too few distinct n or L, starts disagreeing at the optimum).
 */

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

  const coverage = coverageWarnings(rows, form);
  const multi = multiStartReport(rows, form, estimator, best, starts, params);
  const terms = termWarnings(rows, form, params);
  const bounds = boundWarnings(form, theta);
  const curv = curvatureUncertainty(form, data, theta, params, estimator, huberDelta, confidence);
  const warnings = [
    ...coverage.warnings,
    ...multi.warnings,
    ...terms,
    ...bounds.warnings,
    ...curvatureWarnings(form, params, curv.stdErr, bounds.atBound, curv.conditionNumber, curv.flattestDirection),
  ];

  let intervals = curv.intervals;
  let bootDiag: FitDiagnostics['bootstrap'] = null;
  let intervalMethod: LawFit['intervalMethod'] = 'wald';
  if (bootstrap > 0) {
    const boot = summarizeBootstrap(bootstrapFit(rows, form, estimator, huberDelta, theta, bootstrap, seed), rows, form, curv.stdErr, bootstrap, confidence);
    intervalMethod = 'bootstrap-percentile';
    intervals = boot.intervals;
    bootDiag = boot.diagnostics;
    warnings.push(...boot.warnings);
  }

  const gof = goodnessOfFit(rows, form, params);
  // Test of the law at the data's precision, and profile intervals (least squares).
  const { gof: test, reason: testNote } = lawTest(rows, gof.residuals, spec.k);
  if (test && test.verdict === 'rejected') {
    warnings.push(`the ${form} law is rejected at the data's precision (chi^2/dof ${fmt(test.chi2PerDof)} on ${test.dof} dof, p ${formatPValue(test.pValue)}): the parameters describe the best-fitting curve, and their standard errors and intervals are not the precision of a law that holds; ${largestResidualsLine(test)}`);
  }
  let profile: ProfileResult | null = null;
  if (estimator === 'lsq' && opts.profile !== false) {
    profile = profileIntervals(form, rows, theta, confidence);
    if (profile.lowerObjectiveFound) warnings.push('the profile search found a lower objective than the reported optimum: the multi-start grid missed the global minimum; treat the estimates as approximate');
    if (profile.open.length) warnings.push(`profile intervals open at a bound (${profile.open.join(', ')}): the data do not bound these parameters on that side`);
  }
  const cleanFlat: Record<string, number> = {};
  for (const [k2, v] of Object.entries(curv.flattestDirection)) cleanFlat[k2] = Number.isFinite(v) ? v : 0;

  return {
    form,
    estimator,
    params,
    stdErr: curv.stdErr,
    intervals,
    intervalMethod,
    confidence,
    r2: gof.r2,
    rmse: gof.rmse,
    residuals: gof.residuals,
    nu: form === 'multiplicative' ? null : storageExponent(params.alpha, params.beta),
    weighted: data.knownSigma,
    goodnessOfFit: test,
    goodnessOfFitNote: testNote,
    profileIntervals: profile ? profile.intervals : null,
    profile: profile ? { open: profile.open, method: profile.method, confidence: profile.confidence, threshold: profile.threshold, lowerObjectiveFound: profile.lowerObjectiveFound } : null,
    warnings,
    diagnostics: {
      objective: best.objective,
      converged: best.converged,
      reason: best.reason,
      iterations: best.iterations,
      multiStart: multi.multiStart,
      curvature: { conditionNumber: curv.conditionNumber, flattestDirection: cleanFlat },
      bootstrap: bootDiag,
      dataRange: {
        n: [Math.min(...rows.map((r) => r.n)), Math.max(...rows.map((r) => r.n))],
        L: [Math.min(...rows.map((r) => r.L)), Math.max(...rows.map((r) => r.L))],
        distinctN: coverage.distinctN,
        distinctL: coverage.distinctL,
        rows: rows.length,
      },
      huberDelta: estimator === 'huber-log' ? huberDelta : null,
      r2Log: gof.r2Log,
      rmseLog: gof.rmseLog,
      atBound: bounds.atBound,
    },
  };
}

/** Internal coordinates of a law (exported for tests and for warm starts). */
export function lawInternal(form: LawForm, params: LawParams): number[] {
  return toInternal(form, params);
}

export { DEFAULT_HUBER_DELTA, validateObservations } from './estimate.js';
export { ESTIMATORS, type Estimator, type FitDiagnostics, type FitOptions, type LawFit, type ParamRecord, type StartSummary } from './fitTypes.js';
export { predictError, type LawForm, type LawObservation, type LawParams, type LawLike } from './lawForms.js';
