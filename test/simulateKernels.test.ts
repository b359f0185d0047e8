import { describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { applyQ, applyQt, gemvXty, quadFormUpper, solveShiftedTridiagonal, symmetricBlock, syrkUpper, tridiagonalize } from '../src/simulate/kernels.js';
import { createRng } from '../src/util/rng.js';

/** Random feature block (feature-major) with decaying scales like the stylized model. */
function block(dim: number, rows: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const xt = new Float64Array(dim * rows);
  for (let j = 0; j < dim; j++) for (let i = 0; i < rows; i++) xt[j * rows + i] = rng.normal() * 2 ** (-Math.log2(j + 1) / 2);
  return xt;
}

describe('dense kernels', () => {
  it('syrkUpper and gemvXty equal the naive sums (relative 1e-12)', () => {
    const dim = 12, rows = 37;
    const xt = block(dim, rows, 1);
    const y = Float64Array.from({ length: rows }, (_, i) => Math.cos(i));
    const g = new Float64Array(dim * dim);
    syrkUpper(g, dim, xt, rows, dim, rows);
    syrkUpper(g, dim, xt, rows, dim, rows); // accumulates
    const c = new Float64Array(dim);
    gemvXty(c, xt, rows, dim, y, rows);
    for (let i = 0; i < dim; i++) {
      let sy = 0;
      for (let k = 0; k < rows; k++) sy += xt[i * rows + k] * y[k];
      expect(c[i]).toBeCloseTo(sy, 12);
      for (let j = i; j < dim; j++) {
        let s = 0;
        for (let k = 0; k < rows; k++) s += xt[i * rows + k] * xt[j * rows + k];
        expect(Math.abs(g[i * dim + j] - 2 * s)).toBeLessThan(1e-12 * (1 + Math.abs(s)));
      }
    }
    expect(() => syrkUpper(g, dim, xt, rows, 10, rows)).toThrow(/multiple of 4/);
  });

  it('tridiagonal route == eigen route == direct solve (ml-matrix) for every lambda of a grid', () => {
    for (const [dim, rows] of [[3, 50], [7, 20], [31, 200], [64, 40]] as const) {
      const dp = Math.ceil(dim / 4) * 4;
      const xt = new Float64Array(dp * rows);
      xt.set(block(dim, rows, dim));
      const g = new Float64Array(dp * dp);
      syrkUpper(g, dp, xt, rows, dp, rows);
      const a = new Float64Array(dim * dim);
      symmetricBlock(g, dp, dim, a);
      const A = new Matrix(Array.from({ length: dim }, (_, i) => Array.from(a.subarray(i * dim, (i + 1) * dim))));
      const b = Float64Array.from({ length: dim }, (_, i) => Math.sin(1 + i));
      const eig = new EigenvalueDecomposition(A, { assumeSymmetric: true });
      const V = eig.eigenvectorMatrix;
      const d = eig.realEigenvalues;
      const Vtb = V.transpose().mmul(Matrix.columnVector(Array.from(b)));
      const tri = tridiagonalize(a.slice(), dim);
      const u = b.slice();
      applyQt(tri, u);
      const z = new Float64Array(dim), piv = new Float64Array(dim);
      for (const lambda of [1e-3, 0.1, 3, 100, 1e4]) {
        solveShiftedTridiagonal(tri.diag, tri.off, lambda, u, z, piv);
        applyQ(tri, z);
        const direct = solve(A.clone().add(Matrix.eye(dim).mul(lambda)), Matrix.columnVector(Array.from(b))).to1DArray();
        const eigen = V.mmul(Matrix.columnVector(d.map((di, i) => Vtb.get(i, 0) / (di + lambda)))).to1DArray();
        const scale = Math.max(...direct.map(Math.abs));
        // Tolerance: condition number (max d + lambda)/(min d + lambda) times a few ulps.
        const cond = (Math.max(...d) + lambda) / (Math.max(Math.min(...d), 0) + lambda);
        const tol = 1e-13 * cond * scale + 1e-14;
        for (let i = 0; i < dim; i++) {
          expect(Math.abs(z[i] - direct[i])).toBeLessThan(tol);
          expect(Math.abs(eigen[i] - direct[i])).toBeLessThan(tol);
        }
      }
    }
  });

  it('tridiagonalisation preserves the spectrum and Q is orthogonal', () => {
    const dim = 20, rows = 60;
    const xt = block(dim, rows, 5);
    const g = new Float64Array(dim * dim);
    syrkUpper(g, dim, xt, rows, dim, rows);
    const a = new Float64Array(dim * dim);
    symmetricBlock(g, dim, dim, a);
    const tri = tridiagonalize(a.slice(), dim);
    const T = Matrix.zeros(dim, dim);
    for (let i = 0; i < dim; i++) {
      T.set(i, i, tri.diag[i]);
      if (i + 1 < dim) {
        T.set(i, i + 1, tri.off[i]);
        T.set(i + 1, i, tri.off[i]);
      }
    }
    const A = new Matrix(Array.from({ length: dim }, (_, i) => Array.from(a.subarray(i * dim, (i + 1) * dim))));
    const ea = new EigenvalueDecomposition(A, { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
    const et = new EigenvalueDecomposition(T, { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
    ea.forEach((v, i) => expect(Math.abs(v - et[i])).toBeLessThan(1e-12 * ea[dim - 1]));
    const u = Float64Array.from({ length: dim }, (_, i) => i - 3);
    const norm = Math.hypot(...u);
    applyQt(tri, u);
    expect(Math.hypot(...u)).toBeCloseTo(norm, 12);
    applyQ(tri, u);
    u.forEach((v, i) => expect(v).toBeCloseTo(i - 3, 12));
  });

  it('quadFormUpper reads only the upper triangle', () => {
    const a = Float64Array.from([2, 1, 0.5, 99, 3, -1, 99, 99, 4]);
    const w = Float64Array.from([1, -2, 0.5]);
    // full symmetric: [[2,1,.5],[1,3,-1],[.5,-1,4]]
    const expected = 2 * 1 + 3 * 4 + 4 * 0.25 + 2 * (1 * 1 * -2 + 0.5 * 1 * 0.5 + -1 * -2 * 0.5);
    expect(quadFormUpper(a, 3, w, 3)).toBeCloseTo(expected, 14);
  });

  it('tridiagonal solve refuses a non-positive-definite shift', () => {
    const diag = Float64Array.from([1, -5]);
    const off = Float64Array.from([0]);
    expect(() => solveShiftedTridiagonal(diag, off, 0, diag, new Float64Array(2), new Float64Array(2))).toThrow(/positive/);
  });
});
