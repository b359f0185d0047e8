import { describe, expect, it } from 'vitest';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { choleskyInPlace, choleskySolve, solveSpdSmall } from '../src/linalg/cholesky.js';
import { createRng } from '../src/util/rng.js';

/** src/linalg/cholesky.ts against ml-matrix (an independent implementation). */
function spd(d: number, seed: number): Float64Array {
  const rng = createRng(seed, 1, 2);
  const x = Array.from({ length: 2 * d }, () => Array.from({ length: d }, () => rng.normal()));
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = i === j ? 0.5 : 0;
    for (const row of x) s += row[i] * row[j];
    a[i * d + j] = s;
  }
  return a;
}

describe('linalg/cholesky', () => {
  it('factor and multi-right-hand-side solve agree with ml-matrix to 1e-10 (relative)', () => {
    for (const d of [1, 3, 17]) {
      const a = spd(d, d);
      const C = 3;
      const r = Float64Array.from({ length: d * C }, (_, i) => Math.sin(i + 1));
      const ref = new CholeskyDecomposition(new Matrix(Array.from({ length: d }, (_, i) => Array.from(a.subarray(i * d, i * d + d))))).solve(new Matrix(Array.from({ length: d }, (_, i) => Array.from(r.subarray(i * C, i * C + C)))));
      const l = a.slice();
      expect(choleskyInPlace(l, d)).toBe(true);
      const w = choleskySolve(l, d, r, C);
      for (let i = 0; i < d; i++) for (let c = 0; c < C; c++) expect(Math.abs(w[i * C + c] - ref.get(i, c))).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.get(i, c))));
      const small = solveSpdSmall(a, r.filter((_, i) => i % C === 0), d);
      expect(small).not.toBeNull();
      for (let i = 0; i < d; i++) expect(Math.abs(small![i] - ref.get(i, 0))).toBeLessThan(1e-10 * Math.max(1, Math.abs(ref.get(i, 0))));
    }
  });

  it('reports matrices that are not positive definite', () => {
    expect(choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toBe(false);
    expect(solveSpdSmall(Float64Array.from([1, 1, 1, 1]), Float64Array.from([1, 2]), 2)).toBeNull();
  });
});
