import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logUniform, modelArb as modelArbitrary } from './modelArbitraries.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bitsPerSample, compressionError, signalEnergy, type ModelParams } from '../src/model/params.js';
import { deterministicRisk } from '../src/theory/deterministicRisk.js';

/**
 * Deterministic risk of Lemma 1 (THEORY.md section 3) against independent routes: 60-digit
 * mpmath values (theory/mpmathReference.py, a separate implementation that uses the THEORY.md
 * formulas verbatim and bisection), analytic limits, and identities.
 */

const FIG6: ModelParams = { p: 2.01, q: 2, r: 0.99, tau: 1 };

const modelArb = modelArbitrary();

interface Reference {
  p: number; q: number; r: number; tau: number; n: number; m: number; lambda: number;
  lambdaStar: string; bias: string; variance: string; compression: string; risk: string; dof: string;
}

describe('deterministicRisk (Lemma 1)', () => {
  it('matches 60-digit mpmath reference values to 1e-13 relative (incl. lambda = 1e-200, 1e250, n = L)', () => {
    // Tolerance: the TS core is accurate to a few ulps (measured <= 1e-15); the reference uses
    // the exact decimals 2.01, 0.99 where TS uses their doubles (1e-16 relative input change).
    const refs = JSON.parse(readFileSync(join(__dirname, '..', 'theory', 'mpmathReference.json'), 'utf8')) as Reference[];
    expect(refs.length).toBeGreaterThanOrEqual(8);
    for (const ref of refs) {
      const got = deterministicRisk({ p: ref.p, q: ref.q, r: ref.r, tau: ref.tau }, { n: ref.n, m: ref.m, lambda: ref.lambda });
      for (const key of ['lambdaStar', 'bias', 'variance', 'compression', 'risk', 'dof'] as const) {
        const want = Number(ref[key]);
        const have = got[key];
        const err = want === 0 ? Math.abs(have) : Math.abs(have - want) / Math.abs(want);
        expect(err, `${key} at n=${ref.n} m=${ref.m} lambda=${ref.lambda}`).toBeLessThan(1e-13);
      }
    }
  });

  it('risk >= tau^2 + K_m, B >= 0, V >= 0, D <= min(n, L), parts add up (random wide inputs)', () => {
    fc.assert(
      fc.property(modelArb, logUniform(0, 9), fc.integer({ min: 1, max: 40 }), fc.oneof(fc.constant(0), logUniform(-250, 250)), (P, n, m, lambda) => {
        if (lambda === 0 && n === bitsPerSample(P.q, m)) return;
        const r = deterministicRisk(P, { n, m, lambda });
        const floor = P.tau ** 2 + compressionError(P, m);
        expect(r.risk).toBeGreaterThanOrEqual(floor * (1 - 1e-15));
        expect(r.bias).toBeGreaterThanOrEqual(0);
        expect(r.varianceFactor).toBeGreaterThanOrEqual(0);
        expect(r.dof).toBeLessThanOrEqual(Math.min(n, r.L) * (1 + 1e-14));
        expect(Math.abs(r.risk - (floor + r.bias + r.variance)) / r.risk).toBeLessThan(1e-14);
        expect(r.compression).toBe(compressionError(P, m));
        expect(Number.isFinite(r.risk)).toBe(true);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('lambda -> infinity gives the zero estimator: tau^2 + sum_l (r/p)^l', () => {
    // At lambda = 1e250 the estimator is 1e-245 from zero: the limit holds to rounding.
    fc.assert(
      fc.property(modelArb, logUniform(0, 6), fc.integer({ min: 1, max: 40 }), (P, n, m) => {
        const r = deterministicRisk(P, { n, m, lambda: 1e250 });
        const limit = P.tau ** 2 + signalEnergy(P);
        expect(Math.abs(r.risk - limit) / limit).toBeLessThan(1e-13);
      }),
      { numRuns: 100, seed: 12 },
    );
  });

  it('ridgeless n > L: B = 0, V = L/(n - L), and lambda -> 0+ converges to it', () => {
    fc.assert(
      fc.property(modelArb, fc.integer({ min: 1, max: 12 }), logUniform(0.01, 4), (P, m, factor) => {
        const L = bitsPerSample(P.q, m);
        const n = Math.ceil(L * (1 + factor));
        const r0 = deterministicRisk(P, { n, m, lambda: 0 });
        expect(r0.bias).toBe(0);
        expect(r0.lambdaStar).toBe(0);
        expect(Math.abs(r0.varianceFactor - L / (n - L)) / (L / (n - L))).toBeLessThan(1e-15);
        // R(lambda) - R(0) = O(lambda / smallest variance): at lambda = 1e-12 p^-(m-1) the change
        // is below 1e-8 of the risk scale tau^2 + sum (r/p)^l (relative to R(0) itself fails
        // for tau = 0, where R(0) = K_m (1 + V) can be 1e-24).
        const lam = 1e-12 * P.p ** -(m - 1);
        const rs = deterministicRisk(P, { n, m, lambda: lam });
        expect(Math.abs(rs.risk - r0.risk) / (P.tau ** 2 + signalEnergy(P))).toBeLessThan(1e-8);
      }),
      { numRuns: 100, seed: 13 },
    );
  });

  it('ridgeless n < L is finite and is the lambda -> 0+ limit', () => {
    fc.assert(
      fc.property(modelArb, fc.integer({ min: 2, max: 30 }), fc.double({ min: 0.001, max: 0.95, noNaN: true }), (P, m, frac) => {
        const L = bitsPerSample(P.q, m);
        const n = Math.max(1, Math.floor(L * frac));
        if (n >= L) return;
        const r0 = deterministicRisk(P, { n, m, lambda: 0 });
        expect(Number.isFinite(r0.risk)).toBe(true);
        expect(r0.lambdaStar).toBeGreaterThan(0);
        const rs = deterministicRisk(P, { n, m, lambda: r0.lambdaStar * 1e-10 });
        expect(Math.abs(rs.risk - r0.risk) / (P.tau ** 2 + signalEnergy(P))).toBeLessThan(1e-7);
      }),
      { numRuns: 100, seed: 14 },
    );
  });

  it('large n and m give tau^2 (the excess vanishes)', () => {
    const r = deterministicRisk(FIG6, { n: 1e12, m: 60, lambda: 1e8 });
    expect(r.excess).toBeLessThan(1e-3);
    expect(r.risk - FIG6.tau ** 2).toBeCloseTo(r.excess, 12);
  });

  it('agrees with a plain second implementation (THEORY.md formulas verbatim, bisection) on the Figure-6 grid', () => {
    // Independent route: p^-l forms, n - D by subtraction, fixed bracket bisection (well
    // conditioned here since n - D >= 0.4 n on this grid). Tolerance 1e-11.
    const second = (n: number, m: number, lambda: number): number => {
      const { p, q, r, tau } = FIG6;
      const F = (x: number) => {
        let s = 0;
        for (let l = m - 1; l >= 0; l--) s += (q ** l * p ** -l) / (p ** -l + x); // reversed order
        return s + lambda / x - n;
      };
      let lo = -700;
      let hi = 700;
      for (let i = 0; i < 120; i++) {
        const mid = 0.5 * (lo + hi);
        if (F(Math.exp(mid)) > 0) lo = mid;
        else hi = mid;
      }
      const x = Math.exp(0.5 * (lo + hi));
      let D = 0;
      let S = 0;
      for (let l = m - 1; l >= 0; l--) {
        D += (q ** l * p ** (-2 * l)) / (p ** -l + x) ** 2;
        S += (r ** l * p ** -l) / (p ** -l + x) ** 2;
      }
      const K = (r / p) ** m / (1 - r / p);
      return tau ** 2 + K + ((n * x * x) / (n - D)) * S + (tau ** 2 + K) * (D / (n - D));
    };
    for (const m of [2, 5, 9]) {
      for (const n of [100, 1000, 1e5]) {
        for (const l0 of [0.01, 1, 100]) {
          const lambda = l0 * n ** 0.67;
          const got = deterministicRisk(FIG6, { n, m, lambda }).risk;
          expect(Math.abs(got - second(n, m, lambda)) / got).toBeLessThan(1e-11);
        }
      }
    }
  });
});
