import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { applyQ, applyQt, fusedSweep, solveShiftedTridiagonal, symmetricBlock, syrkUpper, tridiagonalize } from '../src/simulate/kernels.js';
import { createSimdArena } from '../src/simulate/simdKernels.js';
import { assembleWat } from '../src/simulate/wasm/assemble.js';
import { createRng } from '../src/util/rng.js';

/**
 * The WebAssembly SIMD kernels (src/simulate/wasm/kernels.wat) against the JavaScript kernels
 * and naive sums. They add in a different order (even and odd samples or columns in two lanes),
 * so they agree to rounding, not bit for bit. Tolerances are the standard dot-product bound:
 * a sum of k products computed in any order is within k * eps * sum |terms| of the exact sum
 * (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5); we allow 2k eps sum|terms|
 * for the difference of two such computations.
 */
const EPS = 2 ** -52;
const wasmDir = new URL('../src/simulate/wasm/', import.meta.url);

function fill(a: Float64Array, seed: number): Float64Array {
  const rng = createRng(seed);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * 2 ** (-(i % 17) / 4);
  return a;
}

describe('WebAssembly SIMD kernels', () => {
  it('the committed kernels.wasm is exactly what kernels.wat assembles to (npm run build:wasm)', async () => {
    const text = readFileSync(new URL('kernels.wat', wasmDir), 'utf8');
    const built = await assembleWat(text, 'kernels.wat');
    const committed = readFileSync(new URL('kernels.wasm', wasmDir));
    expect(Buffer.compare(Buffer.from(built), committed)).toBe(0);
  });

  it('syrkUpper equals the naive sums over random shapes, odd and even sample counts, accumulating (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 161 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 1e6 }), (tiles, rows, ldxExtra, ldgExtra, seed) => {
        const dim = 4 * tiles;
        const ldx = rows + ldxExtra;
        const ldg = dim + ldgExtra;
        const arena = createSimdArena(dim * ldx + dim * ldg);
        const xt = fill(arena.f64(dim * ldx), seed);
        const g = arena.f64(dim * ldg);
        const start = fill(new Float64Array(dim * ldg), seed + 1);
        g.set(start);
        arena.syrkUpper(g, ldg, xt, ldx, dim, rows);
        const gJs = start.slice();
        syrkUpper(gJs, ldg, xt.slice(), ldx, dim, rows);
        for (let i = 0; i < dim; i++) {
          for (let j = i; j < dim; j++) {
            let s = start[i * ldg + j], abs = Math.abs(s);
            for (let k = 0; k < rows; k++) {
              const t = xt[i * ldx + k] * xt[j * ldx + k];
              s += t;
              abs += Math.abs(t);
            }
            const tol = 2 * (rows + 1) * EPS * abs;
            expect(Math.abs(g[i * ldg + j] - s)).toBeLessThanOrEqual(tol);
            expect(Math.abs(g[i * ldg + j] - gJs[i * ldg + j])).toBeLessThanOrEqual(tol);
          }
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('the fused tridiagonalisation pass equals the JavaScript pass (fast-check over dim and step)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 70 }), fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 1, noNaN: true }), (dim, seed, kFrac) => {
        const k = Math.min(dim - 3, Math.floor(kFrac * (dim - 2)));
        const arena = createSimdArena(dim * dim + 4 * dim);
        const a = fill(arena.f64(dim * dim), seed);
        const vecs = [1, 2, 3, 4].map((s) => fill(arena.f64(dim), seed + s));
        const [v, p, vp, wp] = vecs;
        const aJs = a.slice(), pJs = p.slice();
        arena.fusedSweep(a, dim, k, v, p, vp, wp);
        fusedSweep(aJs, dim, k, v.slice(), pJs, vp.slice(), wp.slice());
        // a: the same three operations per entry, in the same order: identical.
        expect(Array.from(a)).toEqual(Array.from(aJs));
        // p: sums of up to dim products, added in another order.
        for (let i = k + 1; i < dim; i++) {
          let abs = Math.abs(pJs[i]);
          for (let j = k + 1; j < dim; j++) abs += Math.abs(aJs[Math.max(i, j) * dim + Math.min(i, j)] * v[j]);
          expect(Math.abs(p[i] - pJs[i])).toBeLessThanOrEqual(2 * dim * EPS * abs + 1e-300);
        }
      }),
      { numRuns: 80, seed: 11 },
    );
  });

  it('tridiagonalize with the WebAssembly pass: same spectrum as ml-matrix, and the ridge solve equals a direct solve', () => {
    for (const dim of [3, 4, 17, 64, 129]) {
      const rows = 2 * dim + 3;
      const dp = Math.ceil(dim / 4) * 4;
      const arena = createSimdArena(dp * rows + dp * dp + dim * dim + 4 * dim);
      const xt = fill(arena.f64(dp * rows), dim);
      for (let j = dim; j < dp; j++) xt.fill(0, j * rows, (j + 1) * rows);
      const g = arena.f64(dp * dp);
      arena.syrkUpper(g, dp, xt, rows, dp, rows);
      const a = arena.f64(dim * dim);
      symmetricBlock(g, dp, dim, a);
      const A = new Matrix(Array.from({ length: dim }, (_, i) => Array.from(a.subarray(i * dim, (i + 1) * dim))));
      const work = { v: arena.f64(dim), p: arena.f64(dim), v2: arena.f64(dim), p2: arena.f64(dim) };
      const tri = tridiagonalize(a, dim, work, arena.fusedSweep);
      const d = new EigenvalueDecomposition(A, { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
      const T = Matrix.zeros(dim, dim);
      for (let i = 0; i < dim; i++) {
        T.set(i, i, tri.diag[i]);
        if (i + 1 < dim) T.set(i, i + 1, tri.off[i]).set(i + 1, i, tri.off[i]);
      }
      const dt = new EigenvalueDecomposition(T, { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
      // Householder reduction is backward stable: eigenvalues move by O(dim eps ||A||).
      d.forEach((x, i) => expect(Math.abs(x - dt[i])).toBeLessThan(10 * dim * EPS * d[dim - 1]));
      const b = Float64Array.from({ length: dim }, (_, i) => Math.sin(1 + i));
      const u = b.slice();
      applyQt(tri, u);
      const z = new Float64Array(dim), piv = new Float64Array(dim);
      for (const lambda of [1e-2, 1, 100]) {
        solveShiftedTridiagonal(tri.diag, tri.off, lambda, u, z, piv);
        applyQ(tri, z);
        const direct = solve(A.clone().add(Matrix.eye(dim).mul(lambda)), Matrix.columnVector(Array.from(b))).to1DArray();
        const cond = (d[dim - 1] + lambda) / (Math.max(d[0], 0) + lambda);
        const scale = Math.max(...direct.map(Math.abs));
        direct.forEach((x, i) => expect(Math.abs(z[i] - x)).toBeLessThan(1e-13 * cond * scale + 1e-14));
      }
    }
  });

  it('refuses arrays from outside the arena, overfull arenas and impossible sizes', () => {
    const arena = createSimdArena(64);
    const g = arena.f64(16);
    expect(() => arena.syrkUpper(g, 4, new Float64Array(16), 4, 4, 4)).toThrow(/not a view of this arena/);
    expect(() => arena.syrkUpper(g, 4, arena.f64(16), 4, 6, 4)).toThrow(/multiple of 4/);
    expect(() => arena.f64(1000)).toThrow(/arena full/);
    expect(() => createSimdArena(2 ** 30)).toThrow(/at most 4 GiB/);
  });
});
