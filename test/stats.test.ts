import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chiSquareCdf, chiSquareQuantile, chiSquareSurvival, normalCdf, normalQuantile, studentTCdf, studentTQuantile } from '../src/stats/distributions.js';
import { mean, quantileSorted, sampleSd, silvermanBandwidth } from '../src/stats/sample.js';

/** src/stats against independent routes: tabulated values, closed forms, inverse pairs. */
describe('stats/distributions', () => {
  it('matches tabulated quantiles (published tables, 9 decimals)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 9);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829304, 9);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138852, 9);
    expect(chiSquareQuantile(0.95, 3)).toBeCloseTo(7.814727903, 9);
  });

  it('agrees with closed forms: t with 1 dof is Cauchy, chi-square with 2 dof is exponential(1/2)', () => {
    // @stdlib's t cdf loses absolute accuracy just off 0 (measured: 1.6e-9 at x = 1e-8, 1e-11 at
    // x = 3e-11, exact to the last bit for |x| >= 0.1), so the bound is 1e-8 absolute: far below
    // anything a p-value or an interval of this project can resolve.
    fc.assert(fc.property(fc.double({ min: -50, max: 50, noNaN: true }), (x) => Math.abs(studentTCdf(x, 1) - (0.5 + Math.atan(x) / Math.PI)) < 1e-8), { seed: 20261201, numRuns: 500 });
    fc.assert(fc.property(fc.double({ min: 0.1, max: 50, noNaN: true }), (x) => Math.abs(studentTCdf(x, 1) - (0.5 + Math.atan(x) / Math.PI)) < 1e-14), { seed: 20261201, numRuns: 500 });
    fc.assert(fc.property(fc.double({ min: 0, max: 60, noNaN: true }), (x) => {
      const surv = Math.exp(-x / 2);
      return Math.abs(chiSquareCdf(x, 2) + Math.expm1(-x / 2)) <= 1e-13 * Math.max(-Math.expm1(-x / 2), 1e-300) && Math.abs(chiSquareSurvival(x, 2) - surv) <= 1e-12 * surv;
    }), { seed: 20261201, numRuns: 500 });
  });

  it('keeps the far chi-square tail that 1 - cdf loses (relative 1e-12 at 1e-40)', () => {
    const x = 2 * 40 * Math.LN10; // exp(-x/2) = 1e-40 for dof 2
    expect(1 - chiSquareCdf(x, 2)).toBe(0);
    expect(Math.abs(chiSquareSurvival(x, 2) / 1e-40 - 1)).toBeLessThan(1e-12);
    expect(chiSquareSurvival(0, 4)).toBe(1);
  });

  it('quantile functions invert their CDFs (relative 1e-10)', () => {
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }), fc.integer({ min: 1, max: 60 }), (p, dof) => {
      return Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-10 * Math.max(p, 1e-3)
        && Math.abs(studentTCdf(studentTQuantile(p, dof), dof) - p) < 1e-9
        && Math.abs(chiSquareCdf(chiSquareQuantile(p, dof), dof) - p) < 1e-9;
    }));
  });
});

describe('stats/sample', () => {
  it('mean, sd and type-7 quantiles on a small sample worked by hand', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(sampleSd([1, 2, 3, 6])).toBeCloseTo(Math.sqrt(14 / 3), 14);
    expect(sampleSd([5])).toBe(0);
    expect(quantileSorted([1, 2, 3, 6], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 6], 0.25)).toBe(1.75);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("Silverman's bandwidth is 0.9 sd m^-1/5 when the IQR is wider than 1.34 sd", () => {
    const xs = [-1, 1, -1, 1, -1, 1, -1, 1];
    expect(silvermanBandwidth(xs)).toBeCloseTo(0.9 * sampleSd(xs) * 8 ** -0.2, 14);
  });
});
