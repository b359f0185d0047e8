import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { LawFit } from '../fit/fitLaw.js';
import { evalModel, formSpec, toInternal, type LawObservation } from '../fit/lawForms.js';
import { covarianceAt, lawLsqProblem } from '../fit/profileIntervals.js';
import { studentTQuantile } from '../stats/distributions.js';
import type { BudgetTarget } from './plan.js';
import type { RunRecord } from './runDir.js';

/**
 * The pre-registered prediction of a sweep's storage test (THEORY.md section 6): after the
 * law is fitted on the grid and before any strategy model is trained, prediction.json
 * fixes, per budget, n*, L*, d* and the law's Err*(S) with a 95% prediction interval for
 * the mean error over the paired seeds. Its sha256 and time go into run.json; a resumed run
 * uses the recorded targets and refuses a prediction.json it did not write.
 *
 * Interval: Err*(S) +- t sqrt(g' Sigma g + s^2), with Sigma = s_r^2 (J'J)^-1 the law's
 * curvature covariance on the grid rows (g the gradient of the law at (n*, L*)) and s^2 the
 * spread of the grid's cell means around the law (sum of squared cell-mean residuals over
 * cells - k; per-row residuals when cells are not replicated). s^2 includes any lack of
 * fit, which does not average away over seeds; t on the same degrees of freedom.
 */
export const PREDICTION_FILE = 'prediction.json';

export interface BudgetPrediction extends BudgetTarget {
  /** Null where the grid does not identify the law (singular curvature): no interval is claimed. */
  predictionInterval: [number, number] | null;
  /** sqrt(g' Sigma g): the law's own uncertainty at (n*, L*) (null where not identified). */
  lawStdErr: number | null;
  /** sqrt(s^2): the spread of grid cell means around the law. */
  cellStdDev: number;
}

export interface Prediction {
  kind: 'lossyscale-storage-prediction';
  version: 1;
  run: { name: string; configSha256: string; runStarted: string };
  createdAt: string;
  /** False when strategy jobs had already been trained when this was written (not a pre-registration). */
  preRegistered: boolean;
  strategyJobsBefore: number;
  pairedSeeds: number;
  confidence: number;
  gridRows: number;
  gridRowsSha256: string;
  law: { form: string; params: LawFit['params']; goodnessOfFit: null | { verdict: string; chi2PerDof: number; dof: number; pValue: number }; note: string | null };
  method: string;
  budgets: BudgetPrediction[];
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function configSha256(config: unknown): string {
  return sha256Text(JSON.stringify(config));
}

/** The prediction interval of Err*(S) at each target (THEORY.md section 6). */
export function predictTargets(law: LawFit, obs: LawObservation[], targets: BudgetTarget[], confidence = 0.95): BudgetPrediction[] {
  const spec = formSpec(law.form);
  const theta = toInternal(law.form, law.params);
  const m = obs.length;
  const ssr = law.residuals.reduce((a, r) => a + r * r, 0);
  const s2r = ssr / Math.max(m - spec.k, 1);
  const cov = covarianceAt(lawLsqProblem(law.form, obs), theta, s2r);
  const g = law.goodnessOfFit;
  let s2: number;
  let dof: number;
  if (g && g.method === 'lack-of-fit-seeds') {
    s2 = g.standardized.reduce((a, x) => a + x.residual * x.residual, 0) / g.dof;
    dof = g.dof;
  } else {
    s2 = s2r;
    dof = Math.max(m - spec.k, 1);
  }
  const t = studentTQuantile(0.5 + confidence / 2, dof);
  const grad = new Float64Array(spec.k);
  // fitLaw's own identification check (singular curvature or a term with no effect): no interval then.
  const identified = spec.natural.every((k) => law.stdErr[k] !== null) && !law.warnings.some((w) => /not identified/.test(w));
  return targets.map((tg) => {
    const f = evalModel(law.form, theta, Math.log(tg.n), Math.log(tg.L), grad);
    let v = 0;
    if (cov) for (let a = 0; a < spec.k; a++) for (let b = 0; b < spec.k; b++) v += grad[a] * cov[a][b] * grad[b];
    else v = Infinity;
    const half = t * Math.sqrt(v + s2);
    const ok = Number.isFinite(half) && identified;
    // Centre on the allocation's own Err* (bit-identical to what the strategy jobs record; f is
    // the same value up to rounding, computed in internal coordinates for the gradient).
    const e = Number.isFinite(tg.error) ? tg.error : f;
    return { ...tg, error: e, predictionInterval: ok ? ([e - half, e + half] as [number, number]) : null, lawStdErr: ok ? Math.sqrt(v) : null, cellStdDev: Math.sqrt(s2) };
  });
}

/** Write prediction.json; returns its sha256 and time for run.json. */
export function writePrediction(runDir: string, pred: Prediction): { file: string; sha256: string; time: string } {
  const text = JSON.stringify(pred, null, 2) + '\n';
  writeFileSync(join(runDir, PREDICTION_FILE), text);
  return { file: PREDICTION_FILE, sha256: sha256Text(text), time: pred.createdAt };
}

/**
 * The run's prediction.json, checked against run.json: undefined when there is none yet;
 * InputError when it is not the file this run wrote (hash or config differ, or run.json
 * records no prediction).
 */
export function readVerifiedPrediction(runDir: string, rec: RunRecord): Prediction | undefined {
  const path = join(runDir, PREDICTION_FILE);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const sha = sha256Text(text);
  const recorded = rec.prediction;
  if (!recorded) throw new InputError(path, `sha256 ${sha.slice(0, 12)}`, 'the prediction this run pre-registered (run.json records none)', 'it comes from another run; remove it or use a new run directory');
  if (recorded.sha256 !== sha) throw new InputError(path, `sha256 ${sha.slice(0, 12)}`, `the prediction this run pre-registered (sha256 ${recorded.sha256.slice(0, 12)} in run.json)`, 'it was replaced or comes from another run');
  let pred: Prediction;
  try {
    pred = JSON.parse(text) as Prediction;
  } catch {
    throw new InputError(path, 'unparseable JSON', 'the prediction this run wrote');
  }
  const want = configSha256(rec.config);
  if (pred.run?.configSha256 !== want) throw new InputError(`${path} run.configSha256`, pred.run?.configSha256, `${want.slice(0, 12)}... (this run's config)`, 'it comes from another run');
  return pred;
}
