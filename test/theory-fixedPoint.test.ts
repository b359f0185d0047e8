import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logUniform, modelArb as modelArbitrary } from './modelArbitraries.js';
import { InputError } from '../src/errors.js';
import { bitsPerSample, type ModelParams } from '../src/model/params.js';
import { effectiveRegularization, fixedPointFunction, levelTerms, newFixedPointState, solveFixedPoint } from '../src/theory/fixedPoint.js';

/**
 * Fixed point of Lemma 1 (THEORY.md section 3). Every check uses a route independent of the
 * solver: direct summation of F in the THEORY.md form, a plain bisection written here, or an
 * analytic limit.
 */

/** Random valid model: q in {2,3,4,8}, p = q (1 + e) with e log-uniform in [1e-3, 1e2], r = p u. */
const modelArb = modelArbitrary();


/** Direct residual of F with sum_l q^l/(1 + x p^l) (THEORY.md form), scaled by n. */
function relResidual(P: ModelParams, n: number, m: number, lambda: number, x: number): number {
  return Math.abs(fixedPointFunction(P, n, m, lambda, x)) / n;
}

/** Independent solver: bisection on ln x over [1e-320, 1e305] on the direct F, 200 halvings. */
function bisectionRoot(P: ModelParams, n: number, m: number, lambda: number): number {
  let lo = Math.log(1e-320);
  let hi = Math.log(1e305);
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (fixedPointFunction(P, n, m, lambda, Math.exp(mid)) > 0) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}

describe('effectiveRegularization (THEORY.md section 3)', () => {
  it('satisfies the fixed-point equation to 1e-12 relative over wide random inputs, lambda in 1e-290..1e290', () => {
    // Tolerance: F is a sum of <= 60 positive terms equal to n at the root; double rounding
    // gives ~60 eps = 1.3e-14 relative; 1e-12 leaves two orders of margin. lambda and n ranges
    // keep lambda_* >= lambda/n a normal double so the direct F is itself exact to rounding.
    fc.assert(
      fc.property(modelArb, logUniform(0, 9), fc.integer({ min: 1, max: 60 }), logUniform(-290, 290), (P, n, m, lambda) => {
        if (m * Math.log10(P.p) > 290) m = Math.max(1, Math.floor(290 / Math.log10(P.p)));
        const x = effectiveRegularization(P, n, m, lambda);
        expect(x).toBeGreaterThan(0);
        expect(relResidual(P, n, m, lambda, x)).toBeLessThan(1e-12);
      }),
      { numRuns: 400, seed: 1 },
    );
  });

  it('agrees with an independent bisection to 1e-9 relative (moderate sizes)', () => {
    // Bisection resolves ln x to ~1e-13 absolute; the 1e-9 allowance covers the conditioning
    // 1/(n - D) of near-interpolation points (n within a few percent of L).
    fc.assert(
      fc.property(modelArb, logUniform(0, 6), fc.integer({ min: 1, max: 20 }), logUniform(-8, 8), (P, n, m, lambda) => {
        const x = effectiveRegularization(P, n, m, lambda);
        const xb = bisectionRoot(P, n, m, lambda);
        expect(Math.abs(x - xb) / xb).toBeLessThan(1e-9);
      }),
      { numRuns: 150, seed: 2 },
    );
  });

  it('F is strictly decreasing in x (random pairs, direct summation)', () => {
    fc.assert(
      fc.property(modelArb, logUniform(0, 6), fc.integer({ min: 1, max: 30 }), logUniform(-6, 6), logUniform(-12, 6), logUniform(-6, 2), (P, n, m, lambda, x1, gap) => {
        const x2 = x1 * (1 + gap);
        expect(fixedPointFunction(P, n, m, lambda, x2)).toBeLessThan(fixedPointFunction(P, n, m, lambda, x1));
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('never returns NaN or hangs at the extremes (lambda from 5e-324 to 1e308, n up to 1e15)', () => {
    const P = { p: 2.01, q: 2, r: 0.99, tau: 1 };
    const lambdas = [0, 5e-324, 1e-310, 1e-300, 1e-150, 1e-20, 1, 1e20, 1e150, 1e300, 1e308];
    for (const m of [1, 2, 9, 30, 60]) {
      for (const n of [1, 2.5, 100, 1e6, 1e15]) {
        for (const lambda of lambdas) {
          if (lambda === 0 && n === bitsPerSample(2, m)) continue;
          const x = effectiveRegularization(P, n, m, lambda);
          expect(Number.isFinite(x) && x >= 0).toBe(true);
        }
      }
    }
  });

  it('large lambda: lambda_* -> (lambda + sum_l (q/p)^l... )/n, i.e. lambda_* n / lambda -> 1', () => {
    // For lambda >> 1: S1 ~ P/x, so x = (lambda + P)/n to relative O(1/x).
    const P = { p: 3, q: 2, r: 1, tau: 1 };
    for (const lambda of [1e100, 1e200, 1e300]) {
      const x = effectiveRegularization(P, 1000, 10, lambda);
      expect(Math.abs((x * 1000) / lambda - 1)).toBeLessThan(1e-14);
    }
  });

  it('ridgeless n > L gives exactly 0; ridgeless n < L is the limit of lambda -> 0+', () => {
    const P = { p: 2.01, q: 2, r: 0.99, tau: 1 };
    expect(effectiveRegularization(P, 1000, 9, 0)).toBe(0); // L = 511
    // n > L, lambda -> 0+: lambda_* ~ lambda/(n - L) -> 0.
    const tiny = effectiveRegularization(P, 1000, 9, 1e-200);
    expect(Math.abs((tiny * (1000 - 511)) / 1e-200 - 1)).toBeLessThan(1e-12);
    // n < L: positive root of sum q^l/(1 + x p^l) = n, continuous at lambda = 0.
    const x0 = effectiveRegularization(P, 100, 9, 0);
    expect(x0).toBeGreaterThan(0);
    expect(relResidual(P, 100, 9, 0, x0)).toBeLessThan(1e-14);
    const xs = effectiveRegularization(P, 100, 9, 1e-12);
    expect(Math.abs(xs - x0) / x0).toBeLessThan(1e-9);
    expect(xs).toBeGreaterThan(x0); // lambda_* increases with lambda
  });

  it('near the interpolation threshold n = L keeps full precision (no S1 ~ n cancellation)', () => {
    // Reference: 60-digit mpmath value (theory/mpmathReference.py) at n = L = 511, lambda = 1e-12.
    const x = effectiveRegularization({ p: 2.01, q: 2, r: 0.99, tau: 1 }, 511, 9, 1e-12);
    expect(Math.abs(x / 3.3188466749230543109e-9 - 1)).toBeLessThan(1e-13);
  });

  it('warm start (guess) does not change the root', () => {
    const P = { p: 2.01, q: 2, r: 0.99, tau: 1 };
    const k = levelTerms(P, 9);
    const st = newFixedPointState();
    const cold = solveFixedPoint(k, 300, 5, st).x;
    for (const g of [-700, -50, -3, 0, 3, 50, 700, NaN]) {
      expect(Math.abs(solveFixedPoint(k, 300, 5, st, g).x / cold - 1)).toBeLessThan(1e-14);
    }
  });

  it('rejects invalid input with an InputError naming the parameter', () => {
    const P = { p: 2.01, q: 2, r: 0.99, tau: 1 };
    const bad: [() => unknown, string][] = [
      [() => effectiveRegularization(P, 0.5, 3, 1), 'n'],
      [() => effectiveRegularization(P, NaN, 3, 1), 'n'],
      [() => effectiveRegularization(P, 10, 0, 1), 'm'],
      [() => effectiveRegularization(P, 10, 2.5, 1), 'm'],
      [() => effectiveRegularization(P, 10, 2000, 1), 'm'],
      [() => effectiveRegularization(P, 10, 3, -1), 'lambda'],
      [() => effectiveRegularization(P, 10, 3, Infinity), 'lambda'],
      [() => effectiveRegularization(P, 7, 3, 0), 'lambda'], // n = L = 7, ridgeless: infinite risk
      [() => effectiveRegularization({ ...P, p: 2 }, 10, 3, 1), 'p'],
      [() => effectiveRegularization({ ...P, r: 2.01 }, 10, 3, 1), 'r'],
      [() => effectiveRegularization({ ...P, q: 2.5, p: 3 }, 10, 3, 1), 'q'],
    ];
    for (const [f, param] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).param).toBe(param);
    }
  });
});
