import type { ModelParams } from '../model/params.js';
import { levelTerms, newFixedPointState } from './fixedPoint.js';
import { riskFromTerms } from './deterministicRisk.js';
import { exponents, theorem1LambdaExponent } from './exponents.js';
import { optimalRiskFromTerms } from './optimalLambda.js';

/**
 * Local log-log slopes of the deterministic risk (THEORY.md section 4): the numerical check that
 * R_det - tau^2 decays like n^-alphaTheorem under the Theorem-1 schedule and like
 * n^-alphaOptimal with lambda re-optimised (m large so L >> n), and that K_m ~ L^-beta.
 */

/** -d ln y / d ln x between two points. */
export function localSlope(x1: number, y1: number, x2: number, y2: number): number {
  return -Math.log(y2 / y1) / Math.log(x2 / x1);
}

/** Levels that make L ~ 1e18 (>> any n used): m = round(18 / log10 q), at most 60 (60 for q = 2). */
export function largeLevels(q: number): number {
  return Math.min(60, Math.round(18 / Math.log10(q)));
}

/** Excess R_det - tau^2 at n under lambda = lambda0 n^((kappa+1)/(2kappa+1)) (THEORY.md section 4). */
export function theoremExcess(params: ModelParams, n: number, m: number, lambda0 = 1): number {
  const e = theorem1LambdaExponent(exponents(params).kappa);
  return riskFromTerms(levelTerms(params, m), n, lambda0 * n ** e, newFixedPointState()).excess;
}

/** Excess R_det - tau^2 at n with lambda re-optimised (THEORY.md section 4). */
export function optimalExcess(params: ModelParams, n: number, m: number): number {
  return optimalRiskFromTerms(levelTerms(params, m), n).excess;
}

export interface SlopeRow {
  /** Interval [from, to] of n (or of L for the beta row). */
  from: number;
  to: number;
  slope: number;
}

/** Slopes of the Theorem-1 and optimal excess between consecutive n of `ns` (m = largeLevels(q) unless given). */
export function nSlopes(params: ModelParams, ns: number[], opts: { m?: number; lambda0?: number } = {}): { theorem: SlopeRow[]; optimal: SlopeRow[] } {
  const m = opts.m ?? largeLevels(params.q);
  const t = ns.map((n) => theoremExcess(params, n, m, opts.lambda0 ?? 1));
  const o = ns.map((n) => optimalExcess(params, n, m));
  const rows = (y: number[]): SlopeRow[] => ns.slice(1).map((n, i) => ({ from: ns[i], to: n, slope: localSlope(ns[i], y[i], n, y[i + 1]) }));
  return { theorem: rows(t), optimal: rows(o) };
}

/** Slopes of K_m against L(m) between levels m and m + 1 for each m in ms (-> beta). */
export function compressionSlopes(params: ModelParams, ms: number[]): SlopeRow[] {
  return ms.map((m) => {
    const a = levelTerms(params, m);
    const b = levelTerms(params, m + 1);
    return { from: a.L, to: b.L, slope: localSlope(a.L, a.K, b.L, b.K) };
  });
}
