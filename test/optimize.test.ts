import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { predictRaw, type Law, type LawParams } from '../src/fit/lawForms.js';
import { closedFormOptimum, lawOptimumConstants, optimalAllocation } from '../src/optimize/optimalAllocation.js';
import { compareAtStorage } from '../src/optimize/compareAtStorage.js';
import { allocationTable } from '../src/optimize/tables.js';

const LAW: Law = { form: 'additive', params: { Estar: 0.1, A: 5, alpha: 0.5, B: 30, beta: 0.8 } };

/** Random additive laws spanning realistic magnitudes (log-uniform coefficients). */
const lawArb = fc
  .record({
    Estar: fc.double({ min: 0, max: 1, noNaN: true }),
    lnA: fc.double({ min: Math.log(1e-3), max: Math.log(1e3), noNaN: true }),
    alpha: fc.double({ min: 0.05, max: 3, noNaN: true }),
    lnB: fc.double({ min: Math.log(1e-3), max: Math.log(1e3), noNaN: true }),
    beta: fc.double({ min: 0.05, max: 3, noNaN: true }),
  })
  .map((x): Law => ({ form: 'additive', params: { Estar: x.Estar, A: Math.exp(x.lnA), alpha: x.alpha, B: Math.exp(x.lnB), beta: x.beta } }));
const storageArb = fc.double({ min: Math.log(1e2), max: Math.log(1e12), noNaN: true }).map(Math.exp);

describe('optimalAllocation: closed form (THEORY.md section 1)', () => {
  it('n* L* = S, the marginal condition, Err* = E* + C_E S^-nu, over random laws and budgets', () => {
    fc.assert(
      fc.property(lawArb, storageArb, (law, S) => {
        // The pure closed form (a.unconstrained); below one sample the allocation clamps to n = 1.
        const alloc = optimalAllocation(law, S);
        const a = alloc.unconstrained!;
        const p = law.params;
        // Relative 1e-12: a handful of floating-point operations on numbers of order 1e12.
        expect(Math.abs(a.n * a.L - S)).toBeLessThanOrEqual(1e-12 * S);
        // Marginal condition d/du along n L = S: alpha A n^-alpha = beta B L^-beta.
        const left = p.alpha * p.A * a.n ** -p.alpha;
        const right = p.beta * p.B * a.L ** -p.beta;
        expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-9 * Math.max(left, right));
        const { nu, CE } = lawOptimumConstants(law);
        expect(nu).toBeCloseTo((p.alpha * p.beta) / (p.alpha + p.beta), 14);
        expect(Math.abs(a.error - (p.Estar + CE * S ** -nu))).toBeLessThanOrEqual(1e-10 * a.error);
        if (a.n >= 1) {
          expect(alloc.activeConstraints).toEqual([]);
          expect(alloc.n).toBe(a.n);
        } else {
          expect(alloc.n).toBe(1);
          expect(alloc.activeConstraints).toEqual(['minSamples']);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('Err* is below every feasible alternative on a grid (budget line and inside the budget)', () => {
    fc.assert(
      fc.property(lawArb, storageArb, (law, S) => {
        const a = optimalAllocation(law, S);
        for (let i = 0; i <= 200; i++) {
          const n = Math.exp((Math.log(S) * i) / 200); // n from 1 to S
          for (const frac of [1, 0.5]) {
            const alt = predictRaw('additive', law.params, n, (frac * S) / n);
            expect(a.error).toBeLessThanOrEqual(alt * (1 + 1e-12));
          }
        }
      }),
      { numRuns: 100, seed: 12 },
    );
  });

  it('agrees with a numerical minimisation along the budget line (independent route)', () => {
    // Dense scan of u = ln n then ternary refinement. The error is flat at the optimum, so the
    // numerical argmin is only determined to about sqrt(machine eps / curvature): compare n
    // to 1e-5 (log scale; curvature alpha beta >= 0.0025 here) and the error to 1e-12 (relative), closed form never worse.
    fc.assert(
      fc.property(lawArb, storageArb, (law, S) => {
        // Minimise the varying part (E* = 0): a constant E* would swamp it in floating point.
        const f = (u: number): number => predictRaw('excess', law.params, Math.exp(u), S / Math.exp(u));
        const U = Math.log(S);
        let best = 0;
        for (let i = 0; i <= 1000; i++) if (f((U * i) / 1000) < f(best)) best = (U * i) / 1000;
        let lo = Math.max(0, best - U / 1000);
        let hi = Math.min(U, best + U / 1000);
        for (let k = 0; k < 200; k++) {
          const m1 = lo + (hi - lo) / 3;
          const m2 = hi - (hi - lo) / 3;
          if (f(m1) < f(m2)) hi = m2;
          else lo = m1;
        }
        const closed = closedFormOptimum({ form: 'excess', params: law.params }, S);
        const nNum = Math.exp((lo + hi) / 2);
        if (closed.n >= 1.001 && closed.n <= S / 1.001) {
          expect(Math.abs(Math.log(nNum / closed.n))).toBeLessThan(1e-5);
          expect(closed.error).toBeLessThanOrEqual(f((lo + hi) / 2) * (1 + 1e-12));
          expect(f((lo + hi) / 2)).toBeLessThanOrEqual(closed.error * (1 + 1e-12));
        }
      }),
      { numRuns: 100, seed: 13 },
    );
  });

  it('reproduces the shape of the paper Table 2: n*, L* grow as power laws of S with exponents summing to 1', () => {
    const S = [4.848e7, 9.696e7, 2.9088e8, 4.848e8, 7.272e8];
    const rows = S.map((s) => optimalAllocation(LAW, s));
    const { gamma } = lawOptimumConstants(LAW);
    for (let i = 1; i < rows.length; i++) {
      const gL = Math.log(rows[i].L / rows[i - 1].L) / Math.log(S[i] / S[i - 1]);
      const gN = Math.log(rows[i].n / rows[i - 1].n) / Math.log(S[i] / S[i - 1]);
      expect(gL).toBeCloseTo(gamma, 10);
      expect(gL + gN).toBeCloseTo(1, 10);
    }
  });
});

describe('optimalAllocation: constraints (THEORY.md section 6)', () => {
  const S = 1e8; // unconstrained optimum here: n ~ 14706, L ~ 6800
  it('nAvailable binds: n = nAvailable, L takes the rest of the budget, flagged', () => {
    const a = optimalAllocation(LAW, S, { nAvailable: 10000 });
    expect(a.n).toBe(10000);
    expect(a.L).toBeCloseTo(S / 10000, 9);
    expect(a.activeConstraints).toContain('nAvailable');
    expect(a.error).toBeGreaterThan(a.unconstrained!.error);
  });
  it('maxBytes binds: L = maxBytes, n = S / maxBytes', () => {
    const a = optimalAllocation(LAW, S, { maxBytes: 2000 });
    expect(a.L).toBe(2000);
    expect(a.n).toBe(50000);
    expect(a.activeConstraints).toEqual(['maxBytes']);
  });
  it('minBytes binds: L = minBytes', () => {
    const a = optimalAllocation(LAW, S, { minBytes: 20000 });
    expect(a.L).toBe(20000);
    expect(a.n).toBe(5000);
    expect(a.activeConstraints).toEqual(['minBytes']);
  });
  it('nAvailable and maxBytes both bind: budget not fully used, said in a note', () => {
    const a = optimalAllocation(LAW, S, { nAvailable: 5000, maxBytes: 2000 });
    expect(a.n).toBe(5000);
    expect(a.L).toBe(2000);
    expect(a.storageUsed).toBe(1e7);
    expect(a.activeConstraints).toEqual(['nAvailable', 'maxBytes']);
    expect(a.notes.join(' ')).toMatch(/budget not fully used/);
  });
  it('integer n: an integer neighbour of the continuous optimum, never above S', () => {
    const a = optimalAllocation(LAW, 12345.678, { integerN: true });
    expect(Number.isInteger(a.n)).toBe(true);
    expect(a.n * a.L).toBeLessThanOrEqual(12345.678 * (1 + 1e-15));
    expect(Math.abs(a.n - a.unconstrained!.n)).toBeLessThan(1);
    for (const m of [a.n - 1, a.n + 1]) expect(a.error).toBeLessThanOrEqual(predictRaw('additive', LAW.params, m, 12345.678 / m));
  });
  it('infeasible budgets and bad constraints are InputErrors naming the parameter', () => {
    expect(() => optimalAllocation(LAW, 100, { minBytes: 1000 })).toThrow(/storage/);
    expect(() => optimalAllocation(LAW, -1)).toThrow(InputError);
    expect(() => optimalAllocation(LAW, S, { minBytes: 10, maxBytes: 5 })).toThrow(/maxBytes/);
    expect(() => optimalAllocation(LAW, S, { nAvailable: 0 })).toThrow(/nAvailable/);
    expect(() => optimalAllocation(LAW, Number.NaN)).toThrow(/storage/);
  });

  it('property: random constraints give a feasible allocation no worse than any feasible integer alternative', () => {
    fc.assert(
      fc.property(
        lawArb,
        storageArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (law, S, fa, fmin, fmax) => {
          const nAvailable = Math.max(1, Math.floor(Math.exp(fa * Math.log(S))));
          const minBytes = Math.exp(fmin * Math.log(S)) / 10;
          const maxBytes = minBytes * Math.exp(fmax * 8);
          if (minBytes > S) return;
          const a = optimalAllocation(law, S, { nAvailable, minBytes, maxBytes, integerN: true });
          expect(Number.isInteger(a.n)).toBe(true);
          expect(a.n).toBeGreaterThanOrEqual(1);
          expect(a.n).toBeLessThanOrEqual(nAvailable);
          expect(a.L).toBeGreaterThanOrEqual(minBytes * (1 - 1e-12));
          expect(a.L).toBeLessThanOrEqual(maxBytes * (1 + 1e-12));
          expect(a.n * a.L).toBeLessThanOrEqual(S * (1 + 1e-12));
          // Alternatives: integer n on a log grid, each with the largest feasible L.
          for (let i = 0; i <= 60; i++) {
            const n = Math.min(nAvailable, Math.max(1, Math.round(Math.exp((Math.log(nAvailable) * i) / 60))));
            const L = Math.min(maxBytes, S / n);
            if (L < minBytes) continue;
            expect(a.error).toBeLessThanOrEqual(predictRaw('additive', law.params, n, L) * (1 + 1e-12));
          }
          // A binding maxBytes holds up to the rounding of n: L = S/n >= maxBytes (n - 1)/n.
          if (a.activeConstraints.includes('maxBytes')) expect(a.L).toBeGreaterThanOrEqual(maxBytes * (1 - 1 / Math.max(a.n, 2)) * (1 - 1e-12));
          if (a.activeConstraints.includes('nAvailable')) expect(a.n).toBe(nAvailable);
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });
});

describe('optimalAllocation: forms without a closed form', () => {
  const mult: Law = { form: 'multiplicative', params: { Estar: 0.05, A: 20, alpha: 0.4, B: 0, beta: 0.6 } };
  it('multiplicative with beta > alpha: fewest samples at the largest size, flagged', () => {
    const a = optimalAllocation(mult, 1e6, { maxBytes: 5000 });
    expect(a.L).toBe(5000);
    expect(a.n).toBe(200);
    expect(a.activeConstraints).toContain('maxBytes');
    expect(a.unconstrained).toBeNull();
  });
  it('multiplicative with alpha > beta needs a cap on n or a floor on L', () => {
    const m2: Law = { form: 'multiplicative', params: { ...mult.params, alpha: 0.9 } };
    expect(() => optimalAllocation(m2, 1e6)).toThrow(/available|min-bytes/);
    const a = optimalAllocation(m2, 1e6, { nAvailable: 3000 });
    expect(a.n).toBe(3000);
    expect(a.activeConstraints).toContain('nAvailable');
  });
  it('excess form uses the same closed form with E* = 0', () => {
    const ex: Law = { form: 'excess', params: { ...LAW.params, Estar: 0.7 } }; // Estar ignored by the excess form
    const a = optimalAllocation(ex, 1e6);
    const b = optimalAllocation({ form: 'additive', params: { ...LAW.params, Estar: 0 } }, 1e6);
    expect(a.n).toBeCloseTo(b.n, 9);
    expect(a.error).toBeCloseTo(b.error, 12);
  });
});

describe('compareAtStorage (THEORY.md section 6)', () => {
  it('original format and fixed levels: largest subset that fits, never better than the optimum', () => {
    fc.assert(
      fc.property(lawArb, storageArb, fc.double({ min: 1, max: 1e4, noNaN: true }), (law, S, orig) => {
        const c = compareAtStorage(law, S, {
          originalBytes: orig,
          fixedLevels: [
            { name: 'half', bytesPerImage: orig / 2 },
            { name: 'tenth', bytesPerImage: orig / 10 },
          ],
        });
        const original = c.rows.find((r) => r.strategy === 'original')!;
        expect(original.n).toBe(Math.floor(S / orig + 1e-9));
        expect(original.storageUsed).toBeLessThanOrEqual(S * (1 + 1e-12));
        for (const r of c.rows) {
          if (r.error !== null) expect(c.optimum.error).toBeLessThanOrEqual(r.error * (1 + 1e-12));
          expect(r.storageUsed).toBeLessThanOrEqual(S * (1 + 1e-12));
        }
        expect(c.optimum.L).toBeLessThanOrEqual(orig * (1 + 1e-12));
      }),
      { numRuns: 200, seed: 15 },
    );
  });

  it('nAvailable caps every strategy; a budget below one image gives n = 0 and no error', () => {
    const c = compareAtStorage(LAW, 1e6, { originalBytes: 3000, nAvailable: 100, fixedLevels: [{ name: 'big', bytesPerImage: 2e6 }] });
    expect(c.rows.find((r) => r.strategy === 'original')!.n).toBe(100);
    expect(c.rows.find((r) => r.strategy === 'original')!.activeConstraints).toEqual(['nAvailable']);
    const big = c.rows.find((r) => r.name === 'big')!;
    expect(big.n).toBe(0);
    expect(big.error).toBeNull();
    expect(() => compareAtStorage(LAW, 1e6, { originalBytes: -3 })).toThrow(/originalBytes/);
  });

  it('flags extrapolation beyond the fitted data range when the law carries one', () => {
    const lawWithRange = { ...LAW, diagnostics: { dataRange: { n: [100, 30000] as [number, number], L: [10, 1000] as [number, number] } } };
    const c = compareAtStorage(lawWithRange, 1e8);
    expect(c.rows[0].L).toBeGreaterThan(1000);
    expect(c.rows[0].extrapolated).toBe(true);
    expect(compareAtStorage(lawWithRange, 1e5).rows[0].extrapolated).toBe(false);
  });

  it('Table-2 layout in Markdown and CSV', () => {
    const entries = [4.848e7, 9.696e7].map((S) => ({ comparison: compareAtStorage(LAW, S, { originalBytes: 42804 }) }));
    const md = allocationTable(entries, 'md');
    expect(md.split('\n')[0]).toBe('| S (bytes) | n* | L* (bytes) | Err* | active constraints | Err original format (n) |');
    expect(md).toContain('| 48,480,000 |');
    const csv = allocationTable(entries, 'csv').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0].split(',').slice(0, 3)).toEqual(['storage', 'n', 'L']);
  });
});

describe('law validation in the optimiser', () => {
  it('rejects malformed laws with the field name', () => {
    expect(() => optimalAllocation({ form: 'additive', params: { ...LAW.params, beta: Number.NaN } as LawParams }, 1e6)).toThrow(/law\.params\.beta/);
    expect(() => optimalAllocation({ form: 'additive', params: { ...LAW.params, A: -1 } }, 1e6, {})).toThrow(/law\.params\.A/);
    // A = 0: no benefit from samples, so one sample with the whole budget (flagged).
    const a = optimalAllocation({ form: 'additive', params: { ...LAW.params, A: 0 } }, 1e6);
    expect(a.n).toBeCloseTo(1, 6);
    expect(a.activeConstraints).toEqual(['minSamples']);
  });
});
