import { InputError } from '../errors.js';
import { createRng, shuffled } from '../util/rng.js';
import { fitLaw, type Estimator, type LawFit } from './fitLaw.js';
import { LAW_FORMS, formSpec, predictRaw, type LawForm, type LawObservation } from './lawForms.js';

/**
 * Comparison of the law's forms (THEORY.md sections 1 and 5: additive, excess, multiplicative)
 * by information criteria and K-fold cross-validation.
 *
 * AIC = m ln(SSR/m) + 2k and BIC = m ln(SSR/m) + k ln m use the Gaussian likelihood of the
 * residuals on the estimator's scale (error for lsq, log-error for huber-log), so they compare
 * forms fitted by the same estimator. Cross-validation holds out whole (n, L) cells, so
 * repetitions of a cell never sit on both sides of a split, and reports the prediction RMSE on
 * the error scale and on the log-error scale.
 */
export interface FormComparisonRow {
  form: LawForm;
  k: number;
  ssr: number;
  aic: number;
  bic: number;
  deltaAic: number;
  deltaBic: number;
  cvRmse: number | null;
  cvRmseLog: number | null;
  r2: number;
  rmse: number;
  warnings: number;
  fit: LawFit;
}

export interface FormComparison {
  estimator: Estimator;
  folds: number;
  rows: FormComparisonRow[];
  bestByAic: LawForm;
  bestByBic: LawForm;
  bestByCv: LawForm | null;
}

function residualScaleSsr(fit: LawFit, rows: LawObservation[]): number {
  let s = 0;
  for (const r of rows) {
    const f = predictRaw(fit.form, fit.params, r.n, r.L);
    const d = fit.estimator === 'huber-log' ? Math.log(Math.max(f, 1e-300)) - Math.log(r.error) : f - r.error;
    s += d * d;
  }
  return s;
}

/** Group rows into K folds of whole (n, L) cells, shuffled with the seed. */
export function cellFolds(rows: LawObservation[], folds: number, seed: number): number[][] {
  const cells = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const key = `${r.n}|${r.L}`;
    const c = cells.get(key);
    if (c) c.push(i);
    else cells.set(key, [i]);
  });
  const order = shuffled([...cells.values()], createRng(seed, 0xcf));
  const out: number[][] = Array.from({ length: folds }, () => []);
  order.forEach((cell, j) => out[j % folds].push(...cell));
  return out.filter((f) => f.length > 0);
}

/** Fit every form and compare them by AIC, BIC and cell-grouped K-fold cross-validation. */
export function compareForms(rows: LawObservation[], opts: { estimator?: Estimator; forms?: LawForm[]; folds?: number; seed?: number } = {}): FormComparison {
  const estimator = opts.estimator ?? 'lsq';
  const forms = opts.forms ?? [...LAW_FORMS];
  const folds = opts.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2) throw new InputError('folds', folds, 'an integer >= 2');
  const seed = opts.seed ?? 0;
  const m = rows.length;
  const foldIdx = cellFolds(rows, folds, seed);
  const out: FormComparisonRow[] = [];
  for (const form of forms) {
    const fit = fitLaw(rows, { form, estimator });
    const k = formSpec(form).k;
    const ssr = Math.max(residualScaleSsr(fit, rows), 1e-300);
    const ll = m * Math.log(ssr / m);
    let cvSq = 0;
    let cvSqLog = 0;
    let cvCount = 0;
    let cvLogOk = true;
    for (const test of foldIdx) {
      const testSet = new Set(test);
      const train = rows.filter((_, i) => !testSet.has(i));
      if (train.length <= k) continue;
      let f: LawFit;
      try {
        f = fitLaw(train, { form, estimator, startGrid: [0.1, 0.3, 0.7, 1.5], profile: false });
      } catch {
        continue;
      }
      for (const i of test) {
        const pred = predictRaw(form, f.params, rows[i].n, rows[i].L);
        cvSq += (pred - rows[i].error) ** 2;
        if (pred > 0 && rows[i].error > 0) cvSqLog += (Math.log(pred) - Math.log(rows[i].error)) ** 2;
        else cvLogOk = false;
        cvCount++;
      }
    }
    out.push({
      form,
      k,
      ssr,
      aic: ll + 2 * k,
      bic: ll + k * Math.log(m),
      deltaAic: 0,
      deltaBic: 0,
      cvRmse: cvCount ? Math.sqrt(cvSq / cvCount) : null,
      cvRmseLog: cvCount && cvLogOk ? Math.sqrt(cvSqLog / cvCount) : null,
      r2: fit.r2,
      rmse: fit.rmse,
      warnings: fit.warnings.length,
      fit,
    });
  }
  const minAic = Math.min(...out.map((r) => r.aic));
  const minBic = Math.min(...out.map((r) => r.bic));
  for (const r of out) {
    r.deltaAic = r.aic - minAic;
    r.deltaBic = r.bic - minBic;
  }
  const withCv = out.filter((r) => r.cvRmse !== null);
  const cvKey = (r: FormComparisonRow): number => (estimator === 'huber-log' && r.cvRmseLog !== null ? r.cvRmseLog : (r.cvRmse as number));
  return {
    estimator,
    folds: foldIdx.length,
    rows: out,
    // non-null: the best form has deltaAic === 0 by definition.
    bestByAic: out.find((r) => r.deltaAic === 0)!.form,
    // non-null: the best form has deltaBic === 0 by definition.
    bestByBic: out.find((r) => r.deltaBic === 0)!.form,
    bestByCv: withCv.length ? withCv.reduce((a, b) => (cvKey(b) < cvKey(a) ? b : a)).form : null,
  };
}
