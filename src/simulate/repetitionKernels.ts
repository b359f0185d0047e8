import type { StylizedSampler } from '../model/sample.js';

/**
 * The dense kernels one Monte Carlo repetition needs (THEORY.md section 5), from one linear
 * algebra backend: ./repetitionKernelsBlas.ts (OpenBLAS/LAPACK) or ./repetitionKernelsWasm.ts
 * (WebAssembly SIMD and JavaScript). The driver, ./repetition.ts, owns everything else (the
 * block loop over the samples, the nested prefixes and levels, the dual route's kept rows, the
 * moments, exact risk, validation and test bookkeeping), so the two backends differ only here.
 *
 * Storage conventions shared by both: a Gram is a square array of leading dimension `ldg`
 * holding one triangle, read as the UPPER triangle row-major, which is the same memory as the
 * LOWER triangle column-major (LAPACK's view); a sample block is feature-major, feature j of
 * sample i at xt[j * blockRows + i] (a column-major blockRows x L matrix); the dual route's kept
 * rows are row-major n x Lmax (column-major Lmax x n). Weight vectors of one cell come as one
 * column-major L x |lambda| array, column k = w(lambda_k).
 */
export interface RepetitionShape {
  /** Features of the largest level, L(m_max). */
  Lmax: number;
  /** Samples per block (the plan's blockRows). */
  blockRows: number;
  /** Penalties per cell. */
  lambdas: number;
  /** Rows kept for the dual route (0 if no cell takes it). */
  dualRows: number;
  /** Whether a validation Gram is accumulated besides the training one. */
  validation: boolean;
}

/** Rows kept row-major for the dual route (row r: x at r * Lmax, y at r). */
export interface KeptRows {
  x: Float64Array;
  y: Float64Array;
  rows: number;
}

/** One (n, m) cell's ridge system: primal from the Gram's leading L x L block and c, or dual from the first n kept rows. */
export interface CellSystem {
  n: number;
  L: number;
  dual: boolean;
  g: Float64Array;
  c: Float64Array;
  kept?: KeptRows;
}

export interface RepetitionKernels {
  /** Leading dimension of every Gram (>= Lmax). */
  readonly ldg: number;
  /** `count` zeroed Grams, ldg x ldg (the same arrays, zeroed again, on every call: kernels are reused across repetitions). */
  grams(count: number): Float64Array[];
  /** The feature-major block (ldx = blockRows) that `sampler` fills for these kernels; rows beyond Lmax, if any, stay zero. */
  block(sampler: StylizedSampler): Float64Array;
  /** g += X_b^T X_b (the stored triangle) and c += X_b^T y_b over the first `rows` samples of the block. */
  rankUpdate(g: Float64Array, c: Float64Array, xt: Float64Array, yb: Float64Array, rows: number): void;
  /** Factorise the cell's system once for every penalty (and apply the reduction's Q^T to its right-hand side). */
  factorise(sys: CellSystem): void;
  /** The ridge weights of the factorised cell for every penalty: L x |lambdas| column-major, valid until the next call. */
  solve(lambdas: number[]): Float64Array;
  /** out[k] = w_k^T G w_k for the `count` columns of W (L x count) and the Gram g. */
  quadForms(g: Float64Array, W: Float64Array, L: number, count: number, out: Float64Array): void;
  /**
   * The per-block step of the sampled test error: `selected` holds one weight vector per cell
   * in cell order (n-major, `levels` cells per n; a vector's length is its L); the returned
   * function adds sum_i (y_i - x_i[0..L) . w)^2 over the block's rows to sse[cell].
   */
  testBlock(selected: Float64Array[], levels: number): (xt: Float64Array, yb: Float64Array, rows: number, sse: Float64Array) => void;
}
