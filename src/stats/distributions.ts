import normalCdfImpl from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileImpl from '@stdlib/stats-base-dists-normal-quantile';
import tCdfImpl from '@stdlib/stats-base-dists-t-cdf';
import tQuantileImpl from '@stdlib/stats-base-dists-t-quantile';
import chiSquareCdfImpl from '@stdlib/stats-base-dists-chisquare-cdf';
import chiSquareQuantileImpl from '@stdlib/stats-base-dists-chisquare-quantile';
import gammainc from '@stdlib/math-base-special-gammainc';
import fCdfImpl from '@stdlib/stats-base-dists-f-cdf';

/**
 * Distribution functions used by the fit's intervals and tests (THEORY.md section 6), wrapping
 * the maintained per-function @stdlib packages (full double precision) instead of hand-written
 * approximations.
 */

/** Standard normal CDF Phi(x). */
export function normalCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/** Standard normal quantile Phi^-1(p), 0 < p < 1. */
export function normalQuantile(p: number): number {
  return normalQuantileImpl(p, 0, 1);
}

/** Student-t CDF with `dof` degrees of freedom. */
export function studentTCdf(x: number, dof: number): number {
  return tCdfImpl(x, dof);
}

/** Student-t quantile with `dof` degrees of freedom. */
export function studentTQuantile(p: number, dof: number): number {
  return tQuantileImpl(p, dof);
}

/** Chi-square CDF with `dof` degrees of freedom. */
export function chiSquareCdf(x: number, dof: number): number {
  return chiSquareCdfImpl(x, dof);
}

/** Chi-square survival function P(X > x), computed as the upper regularized incomplete gamma Q(dof/2, x/2) (no cancellation in the far tail). */
export function chiSquareSurvival(x: number, dof: number): number {
  if (Number.isNaN(x) || !(dof > 0)) return NaN;
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}

/** Chi-square quantile with `dof` degrees of freedom. */
export function chiSquareQuantile(p: number, dof: number): number {
  return chiSquareQuantileImpl(p, dof);
}

/** Survival function P(X > x) of the F distribution with (d1, d2) degrees of freedom (1 - CDF). */
export function fSurvival(x: number, d1: number, d2: number): number {
  return Math.max(0, 1 - fCdfImpl(x, d1, d2));
}
