import { describe, expect, it } from 'vitest';
import { createRng, mixSeed } from '../src/util/rng.js';

describe('rng', () => {
  it('is reproducible per (seed, stream) and differs across streams', () => {
    const a = createRng(7, 1, 2);
    const b = createRng(7, 1, 2);
    const c = createRng(7, 1, 3);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });

  it('uniform and normal moments match within 5 standard errors (n = 200000)', () => {
    const rng = createRng(123);
    const n = 200_000;
    let su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      su2 += u * u;
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
      sn4 += z ** 4;
    }
    // Standard errors: mean of U(0,1) sd sqrt(1/12); E[U^2]=1/3 with sd sqrt(4/45);
    // mean of N(0,1) sd 1; E[Z^2]=1 with sd sqrt(2); E[Z^4]=3 with sd sqrt(96).
    const se = (sd: number) => (5 * sd) / Math.sqrt(n);
    expect(Math.abs(su / n - 0.5)).toBeLessThan(se(Math.sqrt(1 / 12)));
    expect(Math.abs(su2 / n - 1 / 3)).toBeLessThan(se(Math.sqrt(4 / 45)));
    expect(Math.abs(sn / n)).toBeLessThan(se(1));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(se(Math.sqrt(2)));
    expect(Math.abs(sn4 / n - 3)).toBeLessThan(se(Math.sqrt(96)));
  });

  it('rejects invalid stream ids', () => {
    expect(() => createRng(-1)).toThrow(/non-negative integer/);
    expect(() => createRng(1.5)).toThrow(/non-negative integer/);
  });
});
