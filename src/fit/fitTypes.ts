import type { GoodnessOfFit as GoodnessOfFitTest } from './goodnessOfFit.js';
import type { ProfileResult } from './profileIntervals.js';
import type { LmResult } from './levenbergMarquardt.js';
import type { LawForm, LawParams, ParamName } from './lawForms.js';

/**
 * The result and option types of the law fit (THEORY.md sections 1, 5, 6): what `fitLaw`
 * returns, what `lossyscale fit --json` prints, and what law.json files hold.
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
  /** Profile-likelihood intervals (least squares only; default true). */
  profile?: boolean;
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
  /** Weighted by the rows' stdErr (known noise); the curvature errors then use s^2 = 1. */
  weighted: boolean;
  /** Test of the law at the data's precision (stdErr column or >= 3 seeds per cell); null with goodnessOfFitNote otherwise. */
  goodnessOfFit: GoodnessOfFitTest | null;
  goodnessOfFitNote: string | null;
  /** Profile-likelihood intervals at `confidence` (null: not computed, e.g. for huber-log). */
  profileIntervals: ProfileResult['intervals'] | null;
  profile: Omit<ProfileResult, 'intervals'> | null;
  warnings: string[];
  diagnostics: FitDiagnostics;
}

