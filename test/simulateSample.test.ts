import { describe, expect, it } from 'vitest';
import { createSampler, sampleRows } from '../src/model/sample.js';
import { compressionError, levelCoefficient, levelVariance, type ModelParams } from '../src/model/params.js';
import { populationRisk, tailEnergy } from '../src/model/populationRisk.js';

const params: ModelParams = { p: 2.01, q: 2, r: 0.99, tau: 1 };

/** Per-level moments of the sampler against THEORY.md section 2 (5 standard errors, n = 40000). */
describe('stylized sampler moments', () => {
  for (const features of ['uniform', 'gaussian'] as const) {
    it(`${features}: coordinate mean 0, variance p^-l, fourth moment, Cov(x, y) = theta_l p^-l, Var y`, () => {
      const n = 40_000;
      const { x, y } = sampleRows(params, { keptLevels: 4, levelsGenerated: 7, features }, n, 11, 0);
      const kurt = features === 'uniform' ? 9 / 5 : 3; // E x^4 / sigma^4
      let j = 0;
      for (let l = 0; l < 4; l++) {
        const v = levelVariance(params.p, l);
        for (let k = 0; k < 2 ** l; k++, j++) {
          let s1 = 0, s2 = 0, s4 = 0, sxy = 0;
          for (let i = 0; i < n; i++) {
            const t = x[i][j];
            s1 += t;
            s2 += t * t;
            s4 += t ** 4;
            sxy += t * y[i];
          }
          // Standard errors from the model's own moments: Var(x) = v, Var(x^2) = (kurt - 1) v^2.
          expect(Math.abs(s1 / n)).toBeLessThan(5 * Math.sqrt(v / n));
          expect(Math.abs(s2 / n - v)).toBeLessThan(5 * Math.sqrt(((kurt - 1) * v * v) / n));
          expect(Math.abs(s4 / n - kurt * v * v)).toBeLessThan(0.1 * kurt * v * v); // 4th moment: 10% (its own s.e. is ~3% here)
          const cov = levelCoefficient(params.r, params.q, l) * v;
          // Var(x y) <= E x^2 E y^2 * kurt-ish bound; use a generous 5 s.e. with Var(xy) ~ v * Var(y) * 3.
          expect(Math.abs(sxy / n - cov)).toBeLessThan(5 * Math.sqrt((3 * v * 2.2) / n));
        }
      }
      const vy = params.tau ** 2 + (1 - (params.r / params.p) ** 7) / (1 - params.r / params.p);
      let sy2 = 0;
      for (let i = 0; i < n; i++) sy2 += y[i] * y[i];
      expect(Math.abs(sy2 / n - vy)).toBeLessThan(5 * Math.sqrt((2 * vy * vy) / n));
    });
  }

  it('levelSums tail has the same response variance as the faithful coordinates', () => {
    const n = 40_000;
    for (const tail of ['coordinates', 'levelSums'] as const) {
      const { y } = sampleRows(params, { keptLevels: 2, levelsGenerated: 9, tail }, n, 5, 1);
      let s = 0;
      for (const v of y) s += v * v;
      const vy = params.tau ** 2 + (1 - (params.r / params.p) ** 9) / (1 - params.r / params.p);
      expect(Math.abs(s / n - vy)).toBeLessThan(5 * Math.sqrt((2 * vy * vy) / n));
    }
  });

  it('is deterministic per stream, and blocks concatenate to one big draw', () => {
    const opts = { keptLevels: 3, levelsGenerated: 5 };
    const big = createSampler(params, opts, 9, 2, 0);
    const xt = new Float64Array(7 * 10);
    const y = new Float64Array(10);
    big.fill(10, xt, 10, y);
    const parts = createSampler(params, opts, 9, 2, 0);
    const xa = new Float64Array(7 * 4), ya = new Float64Array(4), xb = new Float64Array(7 * 6), yb = new Float64Array(6);
    parts.fill(4, xa, 4, ya);
    parts.fill(6, xb, 6, yb);
    expect([...ya, ...yb]).toEqual([...y]);
    for (let j = 0; j < 7; j++) expect([...xa.subarray(j * 4, j * 4 + 4), ...xb.subarray(j * 6, j * 6 + 6)]).toEqual([...xt.subarray(j * 10, j * 10 + 10)]);
    const other = sampleRows(params, opts, 10, 9, 2, 1).y;
    expect([...other]).not.toEqual([...y]);
  });

  it('rejects bad options with the parameter name', () => {
    expect(() => createSampler(params, { keptLevels: 3, levelsGenerated: 2 }, 1)).toThrow(/levelsGenerated/);
    expect(() => createSampler(params, { keptLevels: 0, levelsGenerated: 2 }, 1)).toThrow(/keptLevels/);
  });
});

describe('population risk', () => {
  it('tail energy: infinite tail is K_m, truncated sums the generated levels', () => {
    expect(tailEnergy(params, 5)).toBeCloseTo(compressionError(params, 5), 14);
    const rho = params.r / params.p;
    expect(tailEnergy(params, 5, { tailLevels: 8 })).toBeCloseTo(rho ** 5 + rho ** 6 + rho ** 7, 15);
    expect(tailEnergy(params, 5, { tailLevels: 5 })).toBe(0);
    // zero estimator: R(0) = tau^2 + total signal energy
    expect(populationRisk(params, 3, new Float64Array(7))).toBeCloseTo(1 + 1 / (1 - rho), 12);
  });

  it('exact R(w) matches the mean squared error on 200000 fresh samples of the generating model (5 s.e.)', () => {
    const w = Float64Array.from({ length: 7 }, (_, j) => 0.3 + 0.1 * Math.sin(j));
    const exact = populationRisk(params, 3, w, { tailLevels: 6 });
    const n = 200_000;
    const { x, y } = sampleRows(params, { keptLevels: 3, levelsGenerated: 6 }, n, 21, 0);
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      let f = 0;
      for (let j = 0; j < 7; j++) f += w[j] * x[i][j];
      const e = (y[i] - f) ** 2;
      s += e;
      s2 += e * e;
    }
    const mean = s / n;
    const se = Math.sqrt((s2 / n - mean * mean) / n);
    expect(Math.abs(mean - exact)).toBeLessThan(5 * se);
  });
});
