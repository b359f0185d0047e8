import type { StylizedSampler } from '../model/sample.js';
import { applyQ, applyQt, gemvXty, quadFormUpper, solveShiftedTridiagonal, symmetricBlock, tridiagonalize, type Tridiagonal } from './kernels.js';
import type { CellSystem, RepetitionKernels, RepetitionShape } from './repetitionKernels.js';
import { createSimdArena } from './simdKernels.js';

/**
 * The repetition kernels of the fallback backend (THEORY.md section 5): the Gram update in
 * WebAssembly SIMD (./simdKernels.ts, 4 x 4 register tiles over a feature dimension padded to
 * a multiple of 4), the Householder tridiagonalisation of ./kernels.ts with its fused pass in
 * WebAssembly, and per penalty an O(L) tridiagonal solve plus O(L^2) reflections
 * (w(lambda) = Q (T + lambda I)^{-1} Q^T c; dual route w = X^T Q (T + lambda I)^{-1} Q^T y with
 * the n x n kernel K = X X^T). The sample block, both Grams and the matrix being reduced live
 * in the arena's WebAssembly memory.
 */
export function wasmRepetitionKernels(shape: RepetitionShape): RepetitionKernels {
  const { Lmax, blockRows: B, lambdas: nLambda } = shape;
  const Lp = Math.ceil(Lmax / 4) * 4;
  const arena = createSimdArena(Lp * B + (shape.validation ? 2 : 1) * Lp * Lp + Lmax * Lmax + 4 * Lmax);
  const xt = arena.f64(Lp * B); // padding rows stay zero
  const grams: Float64Array[] = [];
  const a = arena.f64(Lmax * Lmax);
  const work = { v: arena.f64(Lmax), p: arena.f64(Lmax), v2: arena.f64(Lmax), p2: arena.f64(Lmax) };
  const u = new Float64Array(Lmax);
  const piv = new Float64Array(Lmax);
  const alpha = new Float64Array(Lmax);
  const W = new Float64Array(Lmax * nLambda);
  let tri: Tridiagonal | undefined;
  let cell: CellSystem | undefined;

  return {
    ldg: Lp,
    grams(count) {
      while (grams.length < count) grams.push(arena.f64(Lp * Lp));
      for (const g of grams) g.fill(0);
      return grams.slice(0, count);
    },
    block: (_sampler: StylizedSampler) => xt,
    rankUpdate(g, c, x, yb, rows) {
      arena.syrkUpper(g, Lp, x, B, Lp, rows);
      gemvXty(c, x, B, Lmax, yb, rows);
    },
    factorise(sys) {
      const { n, L } = sys;
      if (sys.dual) {
        // K = X X^T over the first n kept rows and L features (row-major n x n, both triangles).
        const km = a.subarray(0, n * n);
        const xs = (sys.kept as { x: Float64Array }).x;
        for (let i = 0; i < n; i++) {
          const oi = i * Lmax;
          for (let j = 0; j <= i; j++) {
            const oj = j * Lmax;
            let s0 = 0, s1 = 0;
            let f = 0;
            for (; f + 1 < L; f += 2) {
              s0 += xs[oi + f] * xs[oj + f];
              s1 += xs[oi + f + 1] * xs[oj + f + 1];
            }
            if (f < L) s0 += xs[oi + f] * xs[oj + f];
            const kij = s0 + s1;
            km[i * n + j] = kij;
            km[j * n + i] = kij;
          }
        }
        tri = tridiagonalize(km, n, work, arena.fusedSweep);
        u.set((sys.kept as { y: Float64Array }).y.subarray(0, n));
        applyQt(tri, u.subarray(0, n));
      } else {
        const am = a.subarray(0, L * L);
        symmetricBlock(sys.g, Lp, L, am);
        tri = tridiagonalize(am, L, work, arena.fusedSweep);
        u.set(sys.c.subarray(0, L));
        applyQt(tri, u.subarray(0, L));
      }
      cell = sys;
    },
    solve(lambdas) {
      const t = tri as Tridiagonal;
      const { n, L, dual } = cell as CellSystem;
      const wm = W.subarray(0, L * lambdas.length);
      if (dual) {
        const xs = ((cell as CellSystem).kept as { x: Float64Array }).x;
        const ut = u.subarray(0, n);
        const al = alpha.subarray(0, n);
        for (let k = 0; k < lambdas.length; k++) {
          solveShiftedTridiagonal(t.diag, t.off, lambdas[k], ut, al, piv);
          applyQ(t, al);
          const wl = wm.subarray(k * L, (k + 1) * L);
          wl.fill(0);
          for (let i = 0; i < n; i++) {
            const ai = al[i];
            const oi = i * Lmax;
            for (let f = 0; f < L; f++) wl[f] += ai * xs[oi + f];
          }
        }
      } else {
        const ut = u.subarray(0, L);
        for (let k = 0; k < lambdas.length; k++) {
          const wl = wm.subarray(k * L, (k + 1) * L);
          solveShiftedTridiagonal(t.diag, t.off, lambdas[k], ut, wl, piv);
          applyQ(t, wl);
        }
      }
      return wm;
    },
    quadForms(g, Wm, L, count, out) {
      for (let k = 0; k < count; k++) out[k] = quadFormUpper(g, Lp, Wm.subarray(k * L, (k + 1) * L), L);
    },
    testBlock(selected) {
      const r = new Float64Array(B);
      return (x, yb, rows, sse) => {
        for (let c = 0; c < selected.length; c++) {
          const w = selected[c];
          const L = w.length;
          for (let i = 0; i < rows; i++) r[i] = yb[i];
          // Four features per sweep over the block: a quarter of the loads and stores of r.
          let j = 0;
          for (; j + 3 < L; j += 4) {
            const w0 = w[j], w1 = w[j + 1], w2 = w[j + 2], w3 = w[j + 3];
            const o0 = j * B, o1 = o0 + B, o2 = o1 + B, o3 = o2 + B;
            for (let i = 0; i < rows; i++) r[i] -= w0 * x[o0 + i] + w1 * x[o1 + i] + w2 * x[o2 + i] + w3 * x[o3 + i];
          }
          for (; j < L; j++) {
            const wj = w[j];
            const o = j * B;
            for (let i = 0; i < rows; i++) r[i] -= wj * x[o + i];
          }
          let s = 0;
          for (let i = 0; i < rows; i++) s += r[i] * r[i];
          sse[c] += s;
        }
      };
    },
  };
}
