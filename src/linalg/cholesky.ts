/**
 * Dense Cholesky factorisation and solves on flat row-major Float64Arrays (THEORY.md section 2
 * estimator; used by the ridge trainer for its d x d normal equations and by the law fit for
 * its tiny linear starts). ml-matrix is the independent reference in the tests.
 */

/**
 * In-place Cholesky factorisation of the symmetric positive definite matrix a (d x d,
 * row-major; the lower triangle is read and overwritten by L with a = L L^T). Returns false
 * when a pivot is not positive (matrix not numerically positive definite).
 */
export function choleskyInPlace(a: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let sum = a[rj + j];
    for (let k = 0; k < j; k++) sum -= a[rj + k] * a[rj + k];
    if (!(sum > 0)) return false;
    const ljj = Math.sqrt(sum);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < d; i++) {
      const ri = i * d;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
  }
  return true;
}

/** Solve L L^T W = R for W (d x C) given the Cholesky factor in the lower triangle of l. */
export function choleskySolve(l: Float64Array, d: number, r: Float64Array, C: number): Float64Array {
  const w = r.slice();
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    for (let c = 0; c < C; c++) {
      let s = w[i * C + c];
      for (let k = 0; k < i; k++) s -= l[ri + k] * w[k * C + c];
      w[i * C + c] = s / l[ri + i];
    }
  }
  for (let i = d - 1; i >= 0; i--) {
    for (let c = 0; c < C; c++) {
      let s = w[i * C + c];
      for (let k = i + 1; k < d; k++) s -= l[k * d + i] * w[k * C + c];
      w[i * C + c] = s / l[i * d + i];
    }
  }
  return w;
}

/**
 * Solve a tiny symmetric positive definite system G x = b (q x q, row-major) by Cholesky with a
 * relative pivot tolerance of 1e-14; null when not numerically positive definite or when the
 * solution is not finite (used by the law fit's linear starts).
 */
export function solveSpdSmall(G: Float64Array, b: Float64Array, q: number): number[] | null {
  const Lc = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let s = G[i * q + j];
      for (let k = 0; k < j; k++) s -= Lc[i * q + k] * Lc[j * q + k];
      if (i === j) {
        if (!(s > 1e-14 * Math.max(G[i * q + i], 1e-300))) return null;
        Lc[i * q + i] = Math.sqrt(s);
      } else Lc[i * q + j] = s / Lc[j * q + j];
    }
  }
  const z = new Array(q).fill(0);
  for (let i = 0; i < q; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= Lc[i * q + k] * z[k];
    z[i] = s / Lc[i * q + i];
  }
  const x = new Array(q).fill(0);
  for (let i = q - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < q; k++) s -= Lc[k * q + i] * x[k];
    x[i] = s / Lc[i * q + i];
  }
  return x.every(Number.isFinite) ? x : null;
}
