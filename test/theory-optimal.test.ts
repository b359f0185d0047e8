import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logUniform, modelArb as modelArbitrary } from './modelArbitraries.js';
import { InputError } from '../src/errors.js';
import { bitsPerSample, type ModelParams } from '../src/model/params.js';
import { deterministicRisk } from '../src/theory/deterministicRisk.js';
import { exponents } from '../src/theory/exponents.js';
import { brentMinimize, gridOptimalRisk, optimalRisk, theorem1Lambda } from '../src/theory/optimalLambda.js';

/** Optimal lambda (THEORY.md sections 3-5): continuous minimisation and the Theorem-1 grid. */

const FIG6: ModelParams = { p: 2.01, q: 2, r: 0.99, tau: 1 };
const SATURATED: ModelParams = { p: 4, q: 2, r: 0.1, tau: 0.5 }; // beta = 5.32 > 2 kappa = 4
const Q4: ModelParams = { p: 5, q: 4, r: 1.5, tau: 1 };
const paperGrid = Array.from({ length: 20 }, (_, i) => 10 ** (-2 + (4 * i) / 19));

const modelArb = modelArbitrary({ qs: [2, 3, 4], log10Excess: [-2, 1], rOverP: [1e-3, 0.99], tau: [0.05, 3] });

describe('optimalRisk (continuous in ln lambda)', () => {
  it('is below R_det at any other lambda, including ridgeless (random inputs)', () => {
    fc.assert(
      fc.property(modelArb, fc.double({ min: 0, max: 5, noNaN: true }), fc.integer({ min: 1, max: 16 }), fc.double({ min: -12, max: 12, noNaN: true }), (P, log10n, m, log10lambda) => {
        const n = 10 ** log10n;
        const opt = optimalRisk(P, n, m);
        // 1e-12 relative: Brent stops at 1e-9 in ln lambda where the risk is flat to ~1e-18.
        expect(opt.risk).toBeLessThanOrEqual(deterministicRisk(P, { n, m, lambda: 10 ** log10lambda }).risk * (1 + 1e-12));
        if (n !== bitsPerSample(P.q, m)) expect(opt.risk).toBeLessThanOrEqual(deterministicRisk(P, { n, m, lambda: 0 }).risk * (1 + 1e-12));
      }),
      { numRuns: 60, seed: 21 },
    );
  });

  it('agrees with a dense brute-force scan of ln lambda (step 0.02) to 1e-4 relative', () => {
    // Independent route: exhaustive scan; its own error is curvature x 0.01^2 ~ 1e-4 at most.
    for (const [P, n, m] of [[FIG6, 100, 9], [FIG6, 7503, 7], [SATURATED, 1000, 6], [Q4, 300, 5]] as const) {
      let brute = Infinity;
      for (let t = -30; t <= 30; t += 0.02) brute = Math.min(brute, deterministicRisk(P, { n, m, lambda: Math.exp(t) }).risk);
      const opt = optimalRisk(P, n, m).risk;
      expect(opt).toBeLessThanOrEqual(brute * (1 + 1e-14));
      expect((brute - opt) / opt).toBeLessThan(1e-4);
    }
  });

  it('is non-increasing in n when lambda is re-optimised', () => {
    // 1e-10 relative slack: the minimiser resolves the minimum value to ~1e-15; anything
    // larger than rounding would be a real increase.
    for (const P of [FIG6, SATURATED, Q4]) {
      for (const m of [2, 5, 12]) {
        let prev = Infinity;
        for (let i = 0; i <= 24; i++) {
          const r = optimalRisk(P, 10 ** (i / 4), m).risk;
          expect(r).toBeLessThanOrEqual(prev * (1 + 1e-10));
          prev = r;
        }
      }
    }
  });

  it('is non-increasing in m while the added level pays for itself (L^(1+beta) <= n)', () => {
    // With one isotropic penalty, adding a level whose signal (r/p)^m ~ L^-beta is below its
    // estimation cost ~ L/n raises even the optimally tuned risk. Measured first increases sit
    // at L^(1+beta)/n between 10 and 7000 over these and other sets, so below 1 the risk must
    // decrease with m.
    for (const P of [FIG6, SATURATED, Q4]) {
      const beta = exponents(P).beta;
      for (const n of [3, 100, 5000, 1e6]) {
        let prev = Infinity;
        for (let m = 1; bitsPerSample(P.q, m) ** (1 + beta) <= n; m++) {
          const r = optimalRisk(P, n, m).risk;
          expect(r).toBeLessThanOrEqual(prev * (1 + 1e-10));
          prev = r;
        }
      }
    }
  });

  it('is NOT monotone in m in general: Figure-6 model, n = 100, m = 9 is worse than m = 4 (checked by brute force)', () => {
    const brute = (m: number): number => {
      let b = Infinity;
      for (let t = -30; t <= 20; t += 0.02) b = Math.min(b, deterministicRisk(FIG6, { n: 100, m, lambda: Math.exp(t) }).risk);
      return b;
    };
    const r4 = optimalRisk(FIG6, 100, 4).risk;
    const r9 = optimalRisk(FIG6, 100, 9).risk;
    expect(r9).toBeGreaterThan(r4 * 1.02);
    expect(brute(9)).toBeGreaterThan(brute(4) * 1.02);
  });

  it('validates its inputs', () => {
    expect(() => optimalRisk(FIG6, 0, 3)).toThrow(InputError);
    expect(() => optimalRisk(FIG6, 10, 0)).toThrow(InputError);
  });
});

describe('gridOptimalRisk and theorem1Lambda (Figure-6 protocol)', () => {
  it('theorem1Lambda = lambda0 n^((kappa+1)/(2kappa+1))', () => {
    const k = exponents(FIG6).kappa;
    expect(theorem1Lambda(FIG6, 1e4, 0.5)).toBeCloseTo(0.5 * 1e4 ** ((k + 1) / (2 * k + 1)), 10);
    expect(() => theorem1Lambda(FIG6, 0.5, 1)).toThrow(InputError);
    expect(() => theorem1Lambda(FIG6, 10, -1)).toThrow(InputError);
  });

  it('is the minimum of R_det over the lambda0 grid, and >= the continuous optimum', () => {
    for (const P of [FIG6, SATURATED, Q4]) {
      for (const [n, m] of [[100, 2], [3000, 5], [1e5, 9]] as const) {
        const g = gridOptimalRisk(P, n, m, paperGrid);
        const each = paperGrid.map((l0) => deterministicRisk(P, { n, m, lambda: theorem1Lambda(P, n, l0) }).risk);
        const min = Math.min(...each);
        expect(g.risk).toBe(min);
        expect(g.lambda0).toBe(paperGrid[each.indexOf(min)]);
        expect(g.risk).toBeGreaterThanOrEqual(optimalRisk(P, n, m).risk * (1 - 1e-12));
      }
    }
  });

  it('rejects an empty or non-positive grid', () => {
    expect(() => gridOptimalRisk(FIG6, 100, 3, [])).toThrow(InputError);
    expect(() => gridOptimalRisk(FIG6, 100, 3, [1, -2])).toThrow(/lambda0Grid\[1\]/);
  });
});

describe('brentMinimize', () => {
  it('finds known minima to the requested tolerance', () => {
    const r = brentMinimize((t) => (t - 1.3) ** 2 + 0.5, -5, 5, 1e-10);
    expect(Math.abs(r.t - 1.3)).toBeLessThan(1e-8);
    const c = brentMinimize((t) => Math.cosh(t - 0.7) - t / 10, -3, 4, 1e-12);
    expect(Math.abs(Math.sinh(c.t - 0.7) - 0.1)).toBeLessThan(1e-8); // derivative zero
  });
});
