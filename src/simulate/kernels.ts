/**
 * Dense Float64Array kernels of the Monte Carlo engine (THEORY.md section 5).
 *
 * Written by hand, in plain loops over Float64Arrays, because the engine's cost is all in
 * two kernels that ml-matrix runs far too slowly for the paper's scale (its Matrix objects
 * are arrays of row arrays, its products allocate, and it has no symmetric rank-k update or
 * symmetric tridiagonalisation): per repetition about 2.6e10 flops of Gram accumulation and
 * 2e9 flops of factorisation. ml-matrix stays the independent route in the tests.
 *
 * Layout conventions: matrices are row-major with an explicit leading dimension; a block of
 * samples is stored feature-major (`xt[j * ldx + i]` = feature j of sample i) so the
 * cross-product over samples is a contiguous dot product.
 */

/**
 * Symmetric rank-k update of the upper triangle: G[i][j] += sum_k xt[i][k] xt[j][k] for
 * i <= j < dimPadded, over k < rows (THEORY.md section 5: nested prefixes share the Gram).
 *
 * `dimPadded` must be a multiple of 4 (pad the feature rows with zeros): the kernel works on
 * 4 x 4 register tiles, 16 multiply-adds per 8 loads. Tiles on the diagonal also write a few
 * strictly-lower entries; only the upper triangle is meaningful (see symmetricBlock).
 */
export function syrkUpper(g: Float64Array, ldg: number, xt: Float64Array, ldx: number, dimPadded: number, rows: number): void {
  if (dimPadded % 4 !== 0) throw new RangeError(`syrkUpper: dimPadded ${dimPadded} is not a multiple of 4`);
  for (let ib = 0; ib < dimPadded; ib += 4) {
    const a0o = ib * ldx, a1o = a0o + ldx, a2o = a1o + ldx, a3o = a2o + ldx;
    for (let jb = ib; jb < dimPadded; jb += 4) {
      const b0o = jb * ldx, b1o = b0o + ldx, b2o = b1o + ldx, b3o = b2o + ldx;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < rows; k++) {
        const a0 = xt[a0o + k], a1 = xt[a1o + k], a2 = xt[a2o + k], a3 = xt[a3o + k];
        const b0 = xt[b0o + k], b1 = xt[b1o + k], b2 = xt[b2o + k], b3 = xt[b3o + k];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      let o = ib * ldg + jb;
      g[o] += c00; g[o + 1] += c01; g[o + 2] += c02; g[o + 3] += c03; o += ldg;
      g[o] += c10; g[o + 1] += c11; g[o + 2] += c12; g[o + 3] += c13; o += ldg;
      g[o] += c20; g[o + 1] += c21; g[o + 2] += c22; g[o + 3] += c23; o += ldg;
      g[o] += c30; g[o + 1] += c31; g[o + 2] += c32; g[o + 3] += c33;
    }
  }
}

/** Cross-product with the response: c[j] += sum_k xt[j][k] y[k] for j < dim (THEORY.md section 5). */
export function gemvXty(c: Float64Array, xt: Float64Array, ldx: number, dim: number, y: Float64Array, rows: number): void {
  for (let j = 0; j < dim; j++) {
    const o = j * ldx;
    let s0 = 0, s1 = 0;
    let k = 0;
    for (; k + 1 < rows; k += 2) {
      s0 += xt[o + k] * y[k];
      s1 += xt[o + k + 1] * y[k + 1];
    }
    if (k < rows) s0 += xt[o + k] * y[k];
    c[j] += s0 + s1;
  }
}

/**
 * Copy the leading dim x dim block of the upper triangle of g (leading dimension ldg) into a
 * full symmetric dim x dim matrix `out` (row-major, leading dimension dim): the Gram of the
 * first m levels is the leading L(m) x L(m) block of the m_max Gram (nested levels share).
 */
export function symmetricBlock(g: Float64Array, ldg: number, dim: number, out: Float64Array): void {
  for (let i = 0; i < dim; i++) {
    const gi = i * ldg;
    const oi = i * dim;
    for (let j = i; j < dim; j++) {
      const v = g[gi + j];
      out[oi + j] = v;
      out[j * dim + i] = v;
    }
  }
}

/**
 * A symmetric matrix reduced to tridiagonal form A = Q T Q^T by Householder reflections
 * (Golub & Van Loan, Matrix Computations, algorithm 8.3.1): T has diagonal `diag` and
 * off-diagonal `off` (off[k] couples k and k+1); Q = H_0 H_1 ... H_{dim-3}, with
 * H_k = I - beta_k v_k v_k^T, v_k supported on indices k+1..dim-1 with v_k[k+1] = 1.
 * One reduction serves every ridge penalty: (A + lambda I)^{-1} b = Q (T + lambda I)^{-1} Q^T b,
 * an O(dim) tridiagonal solve plus O(dim^2) reflections per lambda.
 */
export interface Tridiagonal {
  dim: number;
  diag: Float64Array;
  off: Float64Array;
  /** Householder vectors, row k holds v_k in entries k+1..dim-1 (row-major dim x dim). */
  vectors: Float64Array;
  beta: Float64Array;
}

/** Work vectors of tridiagonalize, each of length >= dim (all four, for the WebAssembly sweep). */
export interface TridiagWork {
  v: Float64Array;
  p: Float64Array;
  v2?: Float64Array;
  p2?: Float64Array;
}

/**
 * One fused pass of tridiagonalize (step k, with the previous step's update pending): for rows
 * i = k+1..dim-1 of the lower triangle, a_ij -= vPrev_i wPrev_j + wPrev_i vPrev_j (j <= i), then
 * p_i += sum_{j<=i} a_ij v_j and p_j += a_ij v_i (j < i). `fusedSweep` is the JavaScript one;
 * src/simulate/simdKernels.ts has the same pass in WebAssembly SIMD.
 */
export type FusedSweep = (a: Float64Array, dim: number, k: number, v: Float64Array, p: Float64Array, vPrev: Float64Array, wPrev: Float64Array) => void;

export const fusedSweep: FusedSweep = (a, dim, k, v, p, vPrev, wPrev) => {
  for (let i = k + 1; i < dim; i++) {
    const ri = i * dim;
    const vi = v[i];
    const ui = vPrev[i];
    const wi = wPrev[i];
    let t = 0;
    for (let j = k + 1; j < i; j++) {
      const aij = a[ri + j] - (ui * wPrev[j] + wi * vPrev[j]);
      a[ri + j] = aij;
      t += aij * v[j];
      p[j] += aij * vi;
    }
    const aii = a[ri + i] - (ui * wPrev[i] + wi * vPrev[i]);
    a[ri + i] = aii;
    p[i] += t + aii * vi;
  }
};

/**
 * Householder tridiagonalisation of the symmetric dim x dim matrix `a` (row-major; only the
 * lower triangle is read and updated, the rest is destroyed), Golub & Van Loan algorithm
 * 8.3.1: (4/3) dim^3 flops (THEORY.md section 5). Lower triangle only, every inner loop
 * contiguous: the product p = A22 v walks each lower-triangle row once and scatters its
 * transpose contribution (p_j += a_ij v_i). The rank-2 update of step k,
 * A22 -= v w^T + w v^T, is fused with the product of step k+1: column k+1 is updated first
 * (it defines v_{k+1}), then one pass over the rows updates each entry and immediately
 * accumulates it into p_{k+1}, so the matrix streams through the cache once per step instead
 * of twice. Every entry and every p_j sees exactly the same operations in the same order as
 * in the unfused algorithm (rows ascending, columns ascending), so the result is bit-identical
 * to it.
 */
export function tridiagonalize(a: Float64Array, dim: number, work?: TridiagWork, sweep: FusedSweep = fusedSweep): Tridiagonal {
  const diag = new Float64Array(dim);
  const off = new Float64Array(Math.max(dim - 1, 0));
  const vectors = new Float64Array(dim * dim);
  const beta = new Float64Array(dim);
  // Pending rank-2 update (v_prev, w_prev) of the previous step, and the current step's v, p.
  let vPrev: Float64Array = work?.v ?? new Float64Array(dim);
  let wPrev: Float64Array = work?.p ?? new Float64Array(dim);
  let v: Float64Array = work?.v2 ?? new Float64Array(dim);
  let p: Float64Array = work?.p2 ?? new Float64Array(dim);
  let pending = false;
  for (let k = 0; k + 2 < dim; k++) {
    if (pending) {
      // Column k (rows k..dim-1) of the previous step's update: it defines this step's reflector.
      for (let i = k; i < dim; i++) a[i * dim + k] -= vPrev[i] * wPrev[k] + wPrev[i] * vPrev[k];
    }
    // x = a[k+1..dim-1][k]; v with v[k+1] = 1 so that H x = mu e_1 (GvL algorithm 5.1.1).
    let sigma = 0;
    for (let i = k + 2; i < dim; i++) {
      const x = a[i * dim + k];
      sigma += x * x;
    }
    const x0 = a[(k + 1) * dim + k];
    diag[k] = a[k * dim + k];
    if (sigma === 0) {
      off[k] = x0;
      beta[k] = 0;
      if (pending) {
        // Finish the previous update on rows/columns k+1.. (no product this step).
        for (let i = k + 1; i < dim; i++) {
          const ri = i * dim;
          const vi = vPrev[i];
          const wi = wPrev[i];
          for (let j = k + 1; j <= i; j++) a[ri + j] -= vi * wPrev[j] + wi * vPrev[j];
        }
      }
      pending = false;
      continue;
    }
    const mu = Math.sqrt(x0 * x0 + sigma);
    const v0 = x0 <= 0 ? x0 - mu : -sigma / (x0 + mu);
    const b = (2 * v0 * v0) / (sigma + v0 * v0);
    off[k] = mu;
    v[k + 1] = 1;
    for (let i = k + 2; i < dim; i++) v[i] = a[i * dim + k] / v0;
    beta[k] = b;
    const vrow = k * dim;
    for (let i = k + 1; i < dim; i++) {
      vectors[vrow + i] = v[i];
      p[i] = 0;
    }
    // p = A22 v from the lower triangle (after the pending update, applied in the same pass):
    // row i gives p_i += sum_{j<=i} a_ij v_j and p_j += a_ij v_i (j < i).
    if (pending) {
      sweep(a, dim, k, v, p, vPrev, wPrev);
    } else {
      for (let i = k + 1; i < dim; i++) {
        const ri = i * dim;
        const vi = v[i];
        let t = 0;
        for (let j = k + 1; j < i; j++) {
          const aij = a[ri + j];
          t += aij * v[j];
          p[j] += aij * vi;
        }
        p[i] += t + a[ri + i] * vi;
      }
    }
    let pv = 0;
    for (let i = k + 1; i < dim; i++) {
      p[i] *= b;
      pv += p[i] * v[i];
    }
    // w = p - (b/2)(p.v) v ; lower(A22) -= v w^T + w v^T is left pending (w stored in p).
    const half = 0.5 * b * pv;
    for (let i = k + 1; i < dim; i++) p[i] -= half * v[i];
    let tmp = vPrev;
    vPrev = v;
    v = tmp;
    tmp = wPrev;
    wPrev = p;
    p = tmp;
    pending = true;
  }
  if (pending) {
    // The last update touches only the trailing 2 x 2 block (rows/columns dim-2, dim-1).
    for (let i = dim - 2; i < dim; i++) {
      const ri = i * dim;
      for (let j = dim - 2; j <= i; j++) a[ri + j] -= vPrev[i] * wPrev[j] + wPrev[i] * vPrev[j];
    }
  }
  if (dim >= 2) {
    diag[dim - 2] = a[(dim - 2) * dim + dim - 2];
    off[dim - 2] = a[(dim - 1) * dim + dim - 2];
  }
  if (dim >= 1) diag[dim - 1] = a[(dim - 1) * dim + dim - 1];
  return { dim, diag, off, vectors, beta };
}

/** u <- Q^T u = H_{dim-3} ... H_0 u (in place), for Q from tridiagonalize. */
export function applyQt(t: Tridiagonal, u: Float64Array): void {
  const { dim, vectors, beta } = t;
  for (let k = 0; k + 2 < dim; k++) reflect(vectors, k * dim, beta[k], k + 1, dim, u);
}

/** u <- Q u = H_0 ... H_{dim-3} u (in place), for Q from tridiagonalize. */
export function applyQ(t: Tridiagonal, u: Float64Array): void {
  const { dim, vectors, beta } = t;
  for (let k = dim - 3; k >= 0; k--) reflect(vectors, k * dim, beta[k], k + 1, dim, u);
}

function reflect(vectors: Float64Array, row: number, b: number, from: number, to: number, u: Float64Array): void {
  if (b === 0) return;
  let s = u[from];
  for (let i = from + 1; i < to; i++) s += vectors[row + i] * u[i];
  s *= b;
  u[from] -= s;
  for (let i = from + 1; i < to; i++) u[i] -= s * vectors[row + i];
}

/**
 * Solve (T + shift I) z = u for the symmetric tridiagonal T (diag, off) by LDL^T without
 * pivoting, stable because T + shift I is positive definite for a Gram matrix and shift > 0
 * (or shift = 0 with a non-singular Gram). `z` may alias `u`. Throws on a non-positive pivot.
 */
export function solveShiftedTridiagonal(diag: Float64Array, off: Float64Array, shift: number, u: Float64Array, z: Float64Array, work: Float64Array): void {
  const dim = diag.length;
  // work holds the pivots d_i; forward substitution into z.
  let dPrev = diag[0] + shift;
  if (!(dPrev > 0)) throw new RangeError(`tridiagonal solve: non-positive pivot ${dPrev} at 0 (matrix not positive definite)`);
  work[0] = dPrev;
  z[0] = u[0];
  for (let i = 1; i < dim; i++) {
    const l = off[i - 1] / dPrev;
    const d = diag[i] + shift - l * off[i - 1];
    if (!(d > 0)) throw new RangeError(`tridiagonal solve: non-positive pivot ${d} at ${i} (matrix not positive definite)`);
    work[i] = d;
    z[i] = u[i] - l * z[i - 1];
    dPrev = d;
  }
  z[dim - 1] /= work[dim - 1];
  for (let i = dim - 2; i >= 0; i--) z[i] = z[i] / work[i] - (off[i] / work[i]) * z[i + 1];
}

/** Quadratic form w^T A w for a symmetric matrix stored in the upper triangle of a (leading dimension lda). */
export function quadFormUpper(a: Float64Array, lda: number, w: Float64Array, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const ri = i * lda;
    const wi = w[i];
    let t = 0;
    for (let j = i + 1; j < dim; j++) t += a[ri + j] * w[j];
    s += wi * (a[ri + i] * wi + 2 * t);
  }
  return s;
}
