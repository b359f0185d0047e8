import { solveSpdSmall } from '../linalg/cholesky.js';

/**
 * Starting values for the law fit (THEORY.md section 1): with the exponents held fixed the
 * law is linear in (E*, A, B), so each multi-start grid point gets the non-negative weighted
 * least-squares coefficients. With at most three columns, non-negativity is handled exactly
 * by trying every subset of columns (at most 7) and keeping the best feasible one.
 */
export function nonNegativeLeastSquares(columns: Float64Array[], y: ArrayLike<number>, w: ArrayLike<number>): { coef: number[]; ssr: number } {
  const p = columns.length;
  const m = y.length;
  let best: { coef: number[]; ssr: number } = { coef: new Array(p).fill(0), ssr: weightedSsr(columns, new Array(p).fill(0), y, w) };
  for (let mask = 1; mask < 1 << p; mask++) {
    const idx: number[] = [];
    for (let j = 0; j < p; j++) if (mask & (1 << j)) idx.push(j);
    const q = idx.length;
    const G = new Float64Array(q * q);
    const b = new Float64Array(q);
    for (let i = 0; i < m; i++) {
      for (let a = 0; a < q; a++) {
        const xa = columns[idx[a]][i] * w[i];
        b[a] += xa * y[i];
        for (let c = 0; c < q; c++) G[a * q + c] += xa * columns[idx[c]][i];
      }
    }
    const sol = solveSpdSmall(G, b, q);
    if (!sol || sol.some((v) => !(v >= 0))) continue;
    const coef = new Array(p).fill(0);
    idx.forEach((j, a) => (coef[j] = sol[a]));
    const ssr = weightedSsr(columns, coef, y, w);
    if (ssr < best.ssr) best = { coef, ssr };
  }
  return best;
}

function weightedSsr(columns: Float64Array[], coef: number[], y: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    let f = 0;
    for (let j = 0; j < columns.length; j++) f += coef[j] * columns[j][i];
    s += w[i] * (y[i] - f) ** 2;
  }
  return s;
}
