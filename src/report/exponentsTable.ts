import { exponents, type Exponents } from '../theory/exponents.js';
import type { LawSummary } from './discover.js';

/**
 * The Theorem-1 exponents (THEORY.md section 4) beside the exponents fitted to a run
 * (law.json, THEORY.md sections 1 and 5), as rows of a comparison table.
 */

export interface FittedExponent {
  value: number;
  /** Interval from law.json (bootstrap or asymptotic, as the fit reports it), if any. */
  interval: [number, number] | null;
  stdErr: number | null;
}

export interface ExponentRow {
  key: 'kappa' | 'beta' | 's' | 'alpha' | 'nu';
  /** Symbol as shown (HTML entity-free unicode). */
  symbol: string;
  /** What the exponent means (trusted HTML: sub/sup only). */
  meaning: string;
  theorem: number | null;
  optimal: number | null;
  fitted: FittedExponent | null;
}

export interface ExponentComparison {
  model: { p: number; q: number; r: number };
  theory: Exponents;
  rows: ExponentRow[];
}

/** Storage exponent nu = alpha beta / (alpha + beta) (THEORY.md section 1). */
export function storageExponent(alpha: number, beta: number): number {
  return (alpha * beta) / (alpha + beta);
}

/**
 * Fitted exponents of a law, with nu derived. The nu interval is the box bound
 * [nu(alpha_lo, beta_lo), nu(alpha_hi, beta_hi)]: nu is increasing in both arguments, so it
 * contains nu whenever alpha and beta lie in their intervals (conservative, no covariance needed).
 */
export function fittedExponents(law: LawSummary): Record<'alpha' | 'beta' | 'nu', FittedExponent> {
  const { alpha, beta } = law.params;
  const ia = law.intervals.alpha ?? null;
  const ib = law.intervals.beta ?? null;
  const nuInterval: [number, number] | null =
    ia && ib && ia[0] + ib[0] > 0 ? [storageExponent(ia[0], ib[0]), storageExponent(ia[1], ib[1])] : null;
  return {
    alpha: { value: alpha, interval: ia, stdErr: law.stdErr.alpha ?? null },
    beta: { value: beta, interval: ib, stdErr: law.stdErr.beta ?? null },
    nu: { value: storageExponent(alpha, beta), interval: nuInterval, stdErr: null },
  };
}

/** Theorem-1 exponents for a model beside the exponents of a fitted law (THEORY.md section 4). */
export function exponentComparison(model: { p: number; q: number; r: number }, law: LawSummary | null): ExponentComparison {
  const t = exponents({ p: model.p, q: model.q, r: model.r });
  const f = law ? fittedExponents(law) : null;
  const rows: ExponentRow[] = [
    { key: 'kappa', symbol: 'κ', meaning: 'feature variances decay like index<sup>−κ</sup>; κ = ln p / ln q', theorem: t.kappa, optimal: t.kappa, fitted: null },
    { key: 'beta', symbol: 'β', meaning: 'compression: K<sub>m</sub> ∝ L<sup>−β</sup>; β = ln(p/r) / ln q', theorem: t.beta, optimal: t.beta, fitted: f?.beta ?? null },
    { key: 's', symbol: 's', meaning: 's = min(β, 2κ): ridge saturates at 2κ', theorem: t.s, optimal: t.s, fitted: null },
    { key: 'alpha', symbol: 'α', meaning: 'samples: excess statistical error ∝ n<sup>−α</sup>; α = s/(2κ+1) or s/(s+1)', theorem: t.alphaTheorem, optimal: t.alphaOptimal, fitted: f?.alpha ?? null },
    { key: 'nu', symbol: 'ν', meaning: 'storage: Err*(S) − E* ∝ S<sup>−ν</sup>; ν = αβ/(α+β)', theorem: t.nuTheorem, optimal: t.nuOptimal, fitted: f?.nu ?? null },
  ];
  return { model: { p: model.p, q: model.q, r: model.r }, theory: t, rows };
}
