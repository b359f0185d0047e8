import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { prefixClassCounts, stratifiedOrder, subsetSizeForFraction } from '../src/sweep/stratify.js';
import { largestPrefixWithin } from '../src/sweep/budget.js';
import { distanceForTargetBytes } from '../src/sweep/distanceSearch.js';
import { interpolateSize, randomizedRange, spacedDistances } from '../src/sweep/randomized.js';
import { quantizeDistance } from '../src/sweep/plan.js';
import { isReachableDistance } from '../src/codec/jxlDistance.js';
import { parseSweepConfig } from '../src/sweep/config.js';
import { readFileSync } from 'node:fs';

describe('stratified nested subsets', () => {
  it('fractions of a balanced pool hold exactly f * N_c images of every class, nested across fractions', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => i % 10); // 100 per class
    const order = stratifiedOrder(labels, 10, 3);
    expect(new Set(order).size).toBe(1000); // a permutation
    let prev = new Set<number>();
    for (const f of [0.2, 0.4, 0.6, 0.8, 1.0]) {
      const n = subsetSizeForFraction(f, 1000);
      const counts = prefixClassCounts(order, labels, n, 10);
      expect(counts).toEqual(new Array(10).fill(f * 100));
      const cur = new Set(Array.from(order.subarray(0, n)));
      for (const i of prev) expect(cur.has(i)).toBe(true);
      prev = cur;
    }
  });

  it('every prefix of an unbalanced pool is within one image of the proportional count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 8 }), fc.nat(1000), (sizes, seed) => {
        const labels: number[] = [];
        sizes.forEach((s, c) => { for (let k = 0; k < s; k++) labels.push(c); });
        const N = labels.length;
        const order = stratifiedOrder(labels, sizes.length, seed);
        const counts = new Array(sizes.length).fill(0);
        for (let n = 1; n <= N; n++) {
          counts[labels[order[n - 1]]]++;
          sizes.forEach((s, c) => {
            // Tijdeman: |k_c - n p_c| <= 1 - 1/(2C-2) < 1 for every prefix.
            expect(Math.abs(counts[c] - (n * s) / N)).toBeLessThanOrEqual(sizes.length > 1 ? 1 - 1 / (2 * sizes.length - 2) + 1e-9 : 1e-9);
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is seeded: same seed same order, different seed different order', () => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 4);
    expect(Array.from(stratifiedOrder(labels, 4, 1))).toEqual(Array.from(stratifiedOrder(labels, 4, 1)));
    expect(Array.from(stratifiedOrder(labels, 4, 1))).not.toEqual(Array.from(stratifiedOrder(labels, 4, 2)));
    expect(() => stratifiedOrder([0, 5], 3, 1)).toThrow(/labels\[1\]: 5/);
    expect(() => subsetSizeForFraction(0, 10)).toThrow(/fraction/);
  });
});

describe('budgets', () => {
  it('the largest fitting prefix never exceeds S and the next image would (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }), fc.double({ min: 0, max: 2e6, noNaN: true }), (sizes, S) => {
        const r = largestPrefixWithin(sizes, S);
        const total = sizes.slice(0, r.n).reduce((a, b) => a + b, 0);
        expect(r.totalBytes).toBe(total);
        expect(total).toBeLessThanOrEqual(S);
        if (r.n < sizes.length) expect(total + sizes[r.n]).toBeGreaterThan(S);
      }),
      { numRuns: 300 },
    );
    expect(() => largestPrefixWithin([1, 2], -1)).toThrow(/storageBytes/);
    expect(() => largestPrefixWithin([1, NaN], 10)).toThrow(/sizes\[1\]/);
  });
});

describe('distance search', () => {
  it('finds the least-compressed distance whose mean size is at most the target (monotone size curve)', async () => {
    const mean = (d: number): number => 200 + 300 / (1 + d); // falls with d
    for (const target of [230, 260, 300, 350]) {
      const r = await distanceForTargetBytes(target, mean, { lo: 0.5, hi: 25, relTolerance: 1e-4 });
      expect(r.status).toBe('hit');
      expect(r.meanBytes).toBeLessThanOrEqual(target);
      const exact = 300 / (target - 200) - 1; // mean(d) = target
      expect(r.distance).toBeGreaterThanOrEqual(exact - 1e-9);
      expect(r.distance).toBeLessThan(exact * (1 + 2e-4));
      expect(r.probes.length).toBeLessThanOrEqual(24);
    }
    expect((await distanceForTargetBytes(1000, mean, { lo: 0.5, hi: 25 })).status).toBe('below-range');
    expect((await distanceForTargetBytes(100, mean, { lo: 0.5, hi: 25 })).status).toBe('above-range');
  });

  it('stays on reachable encoder distances when given the snap', async () => {
    const r = await distanceForTargetBytes(300, (d) => 200 + 300 / (1 + d), { lo: 0.5, hi: 25, snap: (d) => quantizeDistance(d, 0.05) });
    expect(isReachableDistance(r.distance)).toBe(true);
    expect(r.meanBytes).toBeLessThanOrEqual(300);
  });
});

describe('randomized assignment (THEORY.md section 6 rules)', () => {
  const sizeAt = (d: number): number => (d === 0 ? 400 : 250 + 250 / (1 + d));
  const total = (n: number) => (a: number, b: number): number => Array.from(spacedDistances(n, a, b)).reduce((s, d) => s + sizeAt(d), 0);

  it('spaces distances uniformly from d_min to d_max', () => {
    expect(Array.from(spacedDistances(5, 0, 8))).toEqual([0, 2, 4, 6, 8]);
    expect(Array.from(spacedDistances(1, 3, 8))).toEqual([3]);
  });

  it('grows d_max first; once d_max hits the cap it grows d_min; fits the budget whenever it says so', async () => {
    const n = 100;
    const t = total(n);
    // Easy budget: d_max grows, d_min stays at 0.
    const a = await randomizedRange(t, 33000, { dMin0: 0, cap: 15, tolerance: 0.01 });
    expect(a.rule).toBe('grow-max');
    expect(a.dMin).toBe(0);
    expect(a.dMax).toBeLessThan(15);
    expect(a.totalBytes).toBeLessThanOrEqual(33000);
    expect(t(0, a.dMax - 0.02)).toBeGreaterThan(33000); // the smallest d_max that fits (to tolerance)
    // Tight budget: d_max at the cap, d_min grows.
    const tight = t(0, 15) * 0.97;
    const b = await randomizedRange(t, tight, { dMin0: 0, cap: 15, tolerance: 0.01 });
    expect(b.rule).toBe('grow-min');
    expect(b.dMax).toBe(15);
    expect(b.dMin).toBeGreaterThan(0);
    expect(b.totalBytes).toBeLessThanOrEqual(tight);
    // Impossible budget.
    const c = await randomizedRange(t, 100 * sizeAt(15) - 1, { dMin0: 0, cap: 15 });
    expect(c.fits).toBe(false);
    expect(c.rule).toBe('infeasible');
  });

  it('interpolates an image size in log space between grid distances', () => {
    expect(interpolateSize([0, 1, 4], [400, 500, 300], 0)).toBe(400);
    expect(interpolateSize([0, 1, 4], [400, 500, 300], 2.5)).toBeCloseTo(Math.sqrt(500 * 300), 9);
    expect(interpolateSize([0, 1, 4], [400, 500, 300], 9)).toBe(300);
  });
});

describe('sweep config', () => {
  it('accepts the committed configs and names bad fields', () => {
    for (const f of ['sims/fashion-mnist-cpu.json', 'sims/fashion-mnist-paper.json']) parseSweepConfig(JSON.parse(readFileSync(f, 'utf8')));
    const base = JSON.parse(readFileSync('sims/fashion-mnist-cpu.json', 'utf8'));
    expect(() => parseSweepConfig({ ...base, grid: { ...base.grid, distances: [0, 6.5] } })).toThrow(/config\.grid\.distances\[1\]: 6\.5/);
    expect(() => parseSweepConfig({ ...base, trainer: 'svm' })).toThrow(/config\.trainer/);
    expect(() => parseSweepConfig({ ...base, grid: { ...base.grid, fractions: [0.5, 0.2] } })).toThrow(/config\.grid\.fractions\[1\]/);
    expect(() => parseSweepConfig({ ...base, strategies: { ...base.strategies, storageBytes: [1e6] } })).toThrow(/exactly one of/);
    expect(() => parseSweepConfig({ ...base, extra: 1 })).toThrow(/config\.extra/);
  });
});
