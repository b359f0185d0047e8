import type { OpenBlas } from '../linalg/openblas.js';
import type { StylizedSampler } from '../model/sample.js';
import { solveShiftedTridiagonal } from './kernels.js';
import type { CellSystem, RepetitionKernels, RepetitionShape } from './repetitionKernels.js';

/**
 * The repetition kernels on native BLAS/LAPACK (THEORY.md section 5; src/linalg/openblas.ts),
 * the dense work in level-3 calls:
 * - Gram updates G += X_b^T X_b and c += X_b^T y_b per sample block: dsyrk and dgemv on the
 *   feature-major block (a column-major rows x L matrix, written in place by the sampler),
 *   lower triangle, column-major, leading dimension Lmax;
 * - per (n, m): dsytrd on the leading L x L block, G = Q T Q^T; u = Q^T c (dormtr); one
 *   tridiagonal solve per lambda into the columns of Z (L x |lambda|); W = Q Z in ONE dormtr
 *   for all lambdas (blocked reflectors, level 3). dsytrd plus the tridiagonal solves beat an
 *   eigendecomposition (dsyevd, dsyevr): they skip the eigenvector accumulation
 *   (bench/results/simulate.json, kernels.native);
 * - the dual route (n < L, when cheaper): K = X X^T by dsyrk over the kept first rows,
 *   the same reduction of K, and W = X^T A by one dgemm;
 * - the quadratic forms of the validation errors of all lambdas from G_v W (one dsymm);
 * - sampled test errors of the selected fits: per level m, R = y - X_m W_m by one dgemm per
 *   test block over the |n| selected vectors.
 */
export function blasRepetitionKernels(shape: RepetitionShape, blas: OpenBlas): RepetitionKernels {
  const { Lmax, blockRows: B, lambdas: nLambda, dualRows } = shape;
  const dimMax = Math.max(Lmax, dualRows);
  const grams: Float64Array[] = [];
  const a = new Float64Array(dimMax * dimMax);
  const d = new Float64Array(dimMax);
  const e = new Float64Array(dimMax);
  const tau = new Float64Array(dimMax);
  const u = new Float64Array(dimMax);
  const piv = new Float64Array(dimMax);
  const z = new Float64Array(dimMax * nLambda);
  const W = new Float64Array(Lmax * nLambda);
  const P = new Float64Array(Lmax * nLambda);
  let cell: CellSystem | undefined;
  let dim = 0;

  const check = (info: number, routine: string, sys: CellSystem): void => {
    if (info !== 0) throw new Error(`LAPACK ${routine} failed with info ${info} at n = ${sys.n}, L = ${sys.L}`);
  };

  return {
    ldg: Lmax,
    grams(count) {
      while (grams.length < count) grams.push(new Float64Array(Lmax * Lmax));
      for (const g of grams) g.fill(0);
      return grams.slice(0, count);
    },
    // The sampler's own block buffer: its kernel writes the samples in place.
    block: (sampler: StylizedSampler) => sampler.blockBuffer(B),
    rankUpdate(g, c, xt, yb, rows) {
      blas.dsyrk('L', 'T', Lmax, rows, 1, xt, B, 1, g, Lmax);
      blas.dgemv('T', rows, Lmax, 1, xt, B, yb, 1, c);
    },
    factorise(sys) {
      const { n, L } = sys;
      // dim: order of the reduced matrix (L primal, n dual).
      dim = sys.dual ? n : L;
      const am = a.subarray(0, dim * dim);
      if (sys.dual) {
        // K = X X^T over the first n rows and L features (kept.x read as column-major Lmax x n).
        const kept = sys.kept as { x: Float64Array; y: Float64Array };
        blas.dsyrk('L', 'T', n, L, 1, kept.x, Lmax, 0, am, n);
        u.set(kept.y.subarray(0, n));
      } else {
        // Leading L x L block of the lower triangle.
        for (let j = 0; j < L; j++) am.set(sys.g.subarray(j * Lmax + j, j * Lmax + L), j * L + j);
        u.set(sys.c.subarray(0, L));
      }
      check(blas.dsytrd('L', dim, am, dim, d, e, tau), 'dsytrd', sys);
      check(blas.dormtr('L', 'T', dim, 1, am, dim, tau, u.subarray(0, dim), dim), 'dormtr', sys);
      cell = sys;
    },
    solve(lambdas) {
      const sys = cell as CellSystem;
      const count = lambdas.length;
      const am = a.subarray(0, dim * dim);
      const ut = u.subarray(0, dim);
      const diag = d.subarray(0, dim);
      for (let k = 0; k < count; k++) solveShiftedTridiagonal(diag, e, lambdas[k], ut, z.subarray(k * dim, (k + 1) * dim), piv);
      const zm = z.subarray(0, dim * count);
      check(blas.dormtr('L', 'N', dim, count, am, dim, tau, zm, dim), 'dormtr', sys);
      if (!sys.dual) return zm; // dim = L
      const wm = W.subarray(0, sys.L * count);
      blas.dgemm('N', 'N', sys.L, count, sys.n, 1, (sys.kept as { x: Float64Array }).x, Lmax, zm, sys.n, 0, wm, sys.L);
      return wm;
    },
    quadForms(g, Wm, L, count, out) {
      const pm = P.subarray(0, L * count);
      blas.dsymm('L', L, count, 1, g, Lmax, Wm, L, 0, pm, L);
      for (let k = 0; k < count; k++) {
        const o = k * L;
        let s = 0;
        for (let j = 0; j < L; j++) s += Wm[o + j] * pm[o + j];
        out[k] = s;
      }
    },
    testBlock(selected, levels) {
      const nN = selected.length / levels;
      const R = new Float64Array(B * nN);
      // Per level: its selected vectors side by side (L x |n|, column-major).
      const perLevel = Array.from({ length: levels }, (_, mi) => {
        const L = selected[mi].length;
        const wm = new Float64Array(L * nN);
        for (let ni = 0; ni < nN; ni++) wm.set(selected[ni * levels + mi], ni * L);
        return { L, wm };
      });
      return (xt, yb, rows, sse) => {
        for (let mi = 0; mi < levels; mi++) {
          const { L, wm } = perLevel[mi];
          for (let c = 0; c < nN; c++) R.set(yb.subarray(0, rows), c * rows);
          blas.dgemm('N', 'N', rows, nN, L, -1, xt, B, wm, L, 1, R, rows);
          for (let c = 0; c < nN; c++) {
            let s = 0;
            for (let i = c * rows; i < (c + 1) * rows; i++) s += R[i] * R[i];
            sse[c * levels + mi] += s;
          }
        }
      };
    },
  };
}
