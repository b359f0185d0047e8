import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../src/errors.js';
import { bitsPerSample, compressionError } from '../src/model/params.js';
import { exponents, storageExponent } from '../src/theory/exponents.js';
import { brentMinimize } from '../src/theory/optimalLambda.js';
import { compressionSlopes, localSlope, nSlopes } from '../src/theory/slopes.js';

/** Theorem-1 exponents and regimes (THEORY.md section 4), checked against the deterministic risk. */

describe('exponents', () => {
  it('reproduces the THEORY.md section 4 reference values for (2.01, 2, 0.99)', () => {
    const e = exponents({ p: 2.01, q: 2, r: 0.99 });
    // THEORY.md quotes 5 (kappa, beta) and 4 (alpha) significant digits: half a unit in the last place.
    expect(Math.abs(e.kappa - 1.0072)).toBeLessThan(5e-5);
    expect(Math.abs(e.beta - 1.02168)).toBeLessThan(5e-5); // THEORY.md: 1.02168 (exact 1.021695)
    expect(Math.abs(e.alphaTheorem - 0.3389)).toBeLessThan(5e-5);
    expect(Math.abs(e.alphaOptimal - 0.5054)).toBeLessThan(5e-5);
    expect(e.regime).toBe('bias-limited');
    expect(e.s).toBe(e.beta);
  });

  it('classifies regimes: saturated (beta > 2 kappa), boundary (beta = 2 kappa), bias-limited', () => {
    const sat = exponents({ p: 4, q: 2, r: 0.1 });
    expect(sat.regime).toBe('saturated');
    expect(sat.s).toBeCloseTo(4, 12);
    expect(sat.alphaTheorem).toBeCloseTo(0.8, 12);
    expect(sat.alphaOptimal).toBeCloseTo(0.8, 12);
    expect(exponents({ p: 4, q: 2, r: 0.25 }).regime).toBe('boundary'); // r = 1/p
    expect(exponents({ p: 8, q: 4, r: 1 / 8 }).regime).toBe('boundary');
    expect(exponents({ p: 5, q: 4, r: 1.5 }).regime).toBe('bias-limited');
  });

  it('satisfies its definitions for random (p, q, r)', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 4, 8, 16), fc.double({ min: 1e-3, max: 100, noNaN: true }), fc.double({ min: 1e-6, max: 0.999, noNaN: true }), (q, e, u) => {
        const p = q * (1 + e);
        const r = p * u;
        const x = exponents({ p, q, r });
        expect(Math.abs(q ** x.kappa - p) / p).toBeLessThan(1e-12);
        expect(Math.abs(q ** x.beta * r - p) / p).toBeLessThan(1e-12);
        expect(x.s).toBe(Math.min(x.beta, 2 * x.kappa));
        expect(x.alphaTheorem).toBeLessThanOrEqual(x.alphaOptimal + 1e-15); // the schedule never beats tuning
        expect(x.nuTheorem).toBeLessThan(Math.min(x.alphaTheorem, x.beta));
      }),
      { numRuns: 200, seed: 31 },
    );
  });

  it('nu is the storage exponent of the law: direct minimisation over n at S = nL (independent route)', () => {
    // Err(S) = min_n A n^-alpha + B (S/n)^-beta, minimised numerically in ln n; slope in ln S.
    for (const [alpha, beta] of [[0.3389, 1.0217], [0.8, 5.3], [0.5, 0.5]]) {
      const err = (S: number) => brentMinimize((t) => 2 * Math.exp(-alpha * t) + 3 * (S / Math.exp(t)) ** -beta, 0, Math.log(S), 1e-12).value;
      const slope = localSlope(1e20, err(1e20), 1e30, err(1e30));
      expect(Math.abs(slope - storageExponent(alpha, beta))).toBeLessThan(1e-8);
    }
  });

  it('rejects invalid parameters', () => {
    expect(() => exponents({ p: 2, q: 2, r: 1 })).toThrow(InputError);
    expect(() => exponents({ p: 3, q: 2, r: 3 })).toThrow(InputError);
    expect(() => exponents({ p: 3, q: 1, r: 1 })).toThrow(InputError);
  });
});

describe('slopes of the deterministic risk approach the exponents', () => {
  it('K_m ~ L^-beta: K_m L^beta -> 1/((1 - r/p)(q - 1)^beta) and the local slope -> beta', () => {
    for (const P of [{ p: 2.01, q: 2, r: 0.99, tau: 1 }, { p: 5, q: 4, r: 1.5, tau: 1 }, { p: 4, q: 2, r: 0.1, tau: 1 }]) {
      const { beta } = exponents(P);
      const limit = 1 / ((1 - P.r / P.p) * (P.q - 1) ** beta);
      let prevGap = Infinity;
      for (const m of [5, 10, 20, 40]) {
        const gap = Math.abs((compressionError(P, m) * bitsPerSample(P.q, m) ** beta) / limit - 1);
        expect(gap).toBeLessThan(prevGap);
        prevGap = gap;
      }
      expect(prevGap).toBeLessThan(1e-10); // relative gap ~ beta q^-m
      const [slope] = compressionSlopes(P, [40]);
      expect(Math.abs(slope.slope - beta)).toBeLessThan(1e-9);
    }
  });

  it('(2.01, 2, 0.99), m = 60: slopes between 1e6 and 1e8 are 0.3404 and 0.5055 and converge to alphaTheorem, alphaOptimal', () => {
    const P = { p: 2.01, q: 2, r: 0.99, tau: 1 };
    const e = exponents(P);
    const s = nSlopes(P, [1e2, 1e4, 1e6, 1e8, 1e10], { m: 60 });
    // THEORY.md section 4 values (4 digits): this pins R_det at m = 60 across four decades.
    expect(Math.abs(s.theorem[2].slope - 0.3404)).toBeLessThan(5e-5);
    expect(Math.abs(s.optimal[2].slope - 0.5055)).toBeLessThan(5e-5);
    // Convergence: the gap to the exponent shrinks interval after interval; 3e-4 by 1e8..1e10.
    for (const rows of [[s.theorem, e.alphaTheorem], [s.optimal, e.alphaOptimal]] as const) {
      const gaps = rows[0].map((r) => Math.abs(r.slope - rows[1]));
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeLessThan(gaps[i - 1]);
      expect(gaps[gaps.length - 1]).toBeLessThan(3e-4);
    }
  });

  it('saturated (4, 2, 0.1): slopes climb towards 2 kappa/(2 kappa + 1) = 0.8', () => {
    const P = { p: 4, q: 2, r: 0.1, tau: 1 };
    const s = nSlopes(P, [1e2, 1e5, 1e8, 1e11], { m: 60 });
    for (const rows of [s.theorem, s.optimal]) {
      for (let i = 1; i < rows.length; i++) expect(rows[i].slope).toBeGreaterThan(rows[i - 1].slope);
      expect(Math.abs(rows[rows.length - 1].slope - 0.8)).toBeLessThan(0.01);
    }
  });
});
