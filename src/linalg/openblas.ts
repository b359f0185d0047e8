import { ResourceError } from '../errors.js';
import { loadNativeLibrary, type NativeFunction, type NativeLibrarySpec } from '../util/nativeLibrary.js';

/**
 * The system's OpenBLAS (Debian libopenblas0, BLAS and LAPACK in one library) through the
 * koffi FFI, for the dense kernels of the Monte Carlo engine and the ridge classifier
 * (THEORY.md sections 5 and 6). Every matrix is COLUMN-major with an explicit leading
 * dimension (LAPACK's convention); a row-major symmetric matrix is the same array read as
 * column-major with the triangles swapped. Arrays are passed as Float64Array views (koffi
 * hands the native code a pointer into them, no copy), so a subarray addresses a sub-block.
 *
 * BLAS goes through the CBLAS interface (scalars by value); LAPACK through its Fortran
 * symbols, with every scalar by reference and the hidden length of each character argument
 * passed explicitly (gfortran's calling convention). OpenBLAS runs on one thread: the
 * engine's parallelism is worker_threads, one BLAS call stream per worker.
 */
export interface OpenBlas {
  /** openblas_get_corename() and openblas_get_config(), e.g. "Cooperlake" and "OpenBLAS 0.3.21 ...". */
  readonly coreName: string;
  readonly config: string;
  /** openblas_get_num_threads(): 1 (set at load). */
  threads(): number;
  /** C = alpha op(A)^T op(A) + beta C on the `uplo` triangle: trans 'T' gives A^T A with A k x n. */
  dsyrk(uplo: 'U' | 'L', trans: 'N' | 'T', n: number, k: number, alpha: number, a: Float64Array, lda: number, beta: number, c: Float64Array, ldc: number): void;
  /** C = alpha op(A) op(B) + beta C (m x n result). */
  dgemm(transA: 'N' | 'T', transB: 'N' | 'T', m: number, n: number, k: number, alpha: number, a: Float64Array, lda: number, b: Float64Array, ldb: number, beta: number, c: Float64Array, ldc: number): void;
  /** C = alpha A B + beta C with A symmetric (its `uplo` triangle read), side 'L'. */
  dsymm(uplo: 'U' | 'L', m: number, n: number, alpha: number, a: Float64Array, lda: number, b: Float64Array, ldb: number, beta: number, c: Float64Array, ldc: number): void;
  /** y = alpha op(A) x + beta y. */
  dgemv(trans: 'N' | 'T', m: number, n: number, alpha: number, a: Float64Array, lda: number, x: Float64Array, beta: number, y: Float64Array): void;
  /** Householder tridiagonalisation A = Q T Q^T (LAPACK dsytrd); returns info (0 = success). */
  dsytrd(uplo: 'U' | 'L', n: number, a: Float64Array, lda: number, d: Float64Array, e: Float64Array, tau: Float64Array): number;
  /** C = op(Q) C with Q from dsytrd (LAPACK dormtr, side 'L'); returns info. */
  dormtr(uplo: 'U' | 'L', trans: 'N' | 'T', m: number, n: number, a: Float64Array, lda: number, tau: Float64Array, c: Float64Array, ldc: number): number;
  /** All eigenpairs of a symmetric matrix (LAPACK dsyevd, divide and conquer); eigenvectors overwrite a; returns info. */
  dsyevd(uplo: 'U' | 'L', n: number, a: Float64Array, lda: number, w: Float64Array): number;
  /** All eigenpairs by relatively robust representations (LAPACK dsyevr) into z (n x n); a is destroyed; returns info. */
  dsyevr(uplo: 'U' | 'L', n: number, a: Float64Array, lda: number, w: Float64Array, z: Float64Array, ldz: number): number;
  /** Cholesky factorisation in place (LAPACK dpotrf); returns info (> 0: not positive definite at that order). */
  dpotrf(uplo: 'U' | 'L', n: number, a: Float64Array, lda: number): number;
  /** Solve A X = B in place with the dpotrf factor (LAPACK dpotrs); returns info. */
  dpotrs(uplo: 'U' | 'L', n: number, nrhs: number, a: Float64Array, lda: number, b: Float64Array, ldb: number): number;
}

/** The library as src/util/nativeLibrary.ts locates it ($LOSSYSCALE_OPENBLAS, Debian's alternatives link, or the pthread build's own directory). */
const OPENBLAS: NativeLibrarySpec = {
  user: 'native BLAS (OpenBLAS)',
  soname: 'libopenblas.so.0',
  debianPackage: 'libopenblas0',
  fileVariable: 'LOSSYSCALE_OPENBLAS',
  subdirectories: ['openblas-pthread'],
  // Read by OpenBLAS's constructor at load time, so no BLAS thread pool is started at all;
  // restored right after, so child processes (the torch worker) keep the user's setting.
  loadEnvironment: { OPENBLAS_NUM_THREADS: '1' },
  alternative: ', or set LOSSYSCALE_BLAS=off for the WebAssembly/JavaScript kernels',
};

// CBLAS enums (cblas.h).
const COL_MAJOR = 102;
const NO_TRANS = 111;
const TRANS = 112;
const UPPER = 121;
const LOWER = 122;
const LEFT = 141;

type Fn = NativeFunction;

let loaded: OpenBlas | undefined;
let failure: string | undefined;

const cUplo = (u: 'U' | 'L'): number => (u === 'U' ? UPPER : LOWER);
const cTrans = (t: 'N' | 'T'): number => (t === 'N' ? NO_TRANS : TRANS);

/** Load OpenBLAS once per thread (throws ResourceError with the install hint when it is missing). */
export function loadOpenBlas(): OpenBlas {
  if (loaded) return loaded;
  if (failure !== undefined) throw new ResourceError(failure);
  try {
    loaded = bind();
    return loaded;
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    throw new ResourceError(failure);
  }
}

function bind(): OpenBlas {
  const so = loadNativeLibrary(OPENBLAS);
  const f = (decl: string): Fn => so.func(decl);
  const setThreads = f('void openblas_set_num_threads(int n)');
  const getThreads = f('int openblas_get_num_threads()');
  const coreName = String(f('const char *openblas_get_corename()')());
  const config = String(f('const char *openblas_get_config()')()).trim();
  setThreads(1);
  const syrk = f('void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha, const double *a, int lda, double beta, double *c, int ldc)');
  const gemm = f('void cblas_dgemm(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc)');
  const symm = f('void cblas_dsymm(int order, int side, int uplo, int m, int n, double alpha, const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc)');
  const gemv = f('void cblas_dgemv(int order, int trans, int m, int n, double alpha, const double *a, int lda, const double *x, int incx, double beta, double *y, int incy)');
  const sytrd = f('void dsytrd_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e, double *tau, double *work, const int *lwork, int *info, size_t luplo)');
  const ormtr = f('void dormtr_(const char *side, const char *uplo, const char *trans, const int *m, const int *n, const double *a, const int *lda, const double *tau, double *c, const int *ldc, double *work, const int *lwork, int *info, size_t lside, size_t luplo, size_t ltrans)');
  const syevd = f('void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t ljobz, size_t luplo)');
  const syevr = f('void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda, const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t ljobz, size_t lrange, size_t luplo)');
  const potrf = f('void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t luplo)');
  const potrs = f('void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b, const int *ldb, int *info, size_t luplo)');

  // Scalars by reference: one scratch Int32Array per argument position, reused by every call.
  const i32 = Array.from({ length: 8 }, () => new Int32Array(1));
  const set = (k: number, v: number): Int32Array => {
    i32[k][0] = v;
    return i32[k];
  };
  const info = new Int32Array(1);
  const scalar = new Float64Array(4);
  // Workspaces grow to the largest query and are kept (one library instance per thread).
  let work = new Float64Array(1);
  let iwork = new Int32Array(1);
  const ensureWork = (doubles: number, ints = 0): void => {
    if (work.length < doubles) work = new Float64Array(Math.ceil(doubles));
    if (iwork.length < ints) iwork = new Int32Array(Math.ceil(ints));
  };
  const query = new Float64Array(1);
  const iquery = new Int32Array(1);
  const minusOne = new Int32Array([-1]);
  const sytrdWork = new Map<number, number>();
  const ormtrWork = new Map<string, number>();

  return {
    coreName,
    config,
    threads: () => Number(getThreads()),
    dsyrk(uplo, trans, n, k, alpha, a, lda, beta, c, ldc) {
      syrk(COL_MAJOR, cUplo(uplo), cTrans(trans), n, k, alpha, a, lda, beta, c, ldc);
    },
    dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      gemm(COL_MAJOR, cTrans(ta), cTrans(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    dsymm(uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc) {
      symm(COL_MAJOR, LEFT, cUplo(uplo), m, n, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    dgemv(trans, m, n, alpha, a, lda, x, beta, y) {
      gemv(COL_MAJOR, cTrans(trans), m, n, alpha, a, lda, x, 1, beta, y, 1);
    },
    dsytrd(uplo, n, a, lda, d, e, tau) {
      let lwork = sytrdWork.get(n);
      if (lwork === undefined) {
        sytrd(uplo, set(0, n), a, set(1, lda), d, e, tau, query, minusOne, info, 1);
        lwork = Math.max(1, Math.ceil(query[0]));
        sytrdWork.set(n, lwork);
      }
      ensureWork(lwork);
      sytrd(uplo, set(0, n), a, set(1, lda), d, e, tau, work, set(2, lwork), info, 1);
      return info[0];
    },
    dormtr(uplo, trans, m, n, a, lda, tau, c, ldc) {
      const key = `${uplo}${trans}${m}x${n}`;
      let lwork = ormtrWork.get(key);
      if (lwork === undefined) {
        ormtr('L', uplo, trans, set(0, m), set(1, n), a, set(2, lda), tau, c, set(3, ldc), query, minusOne, info, 1, 1, 1);
        lwork = Math.max(1, Math.ceil(query[0]));
        ormtrWork.set(key, lwork);
      }
      ensureWork(lwork);
      ormtr('L', uplo, trans, set(0, m), set(1, n), a, set(2, lda), tau, c, set(3, ldc), work, set(4, lwork), info, 1, 1, 1);
      return info[0];
    },
    dsyevd(uplo, n, a, lda, w) {
      syevd('V', uplo, set(0, n), a, set(1, lda), w, query, minusOne, iquery, minusOne, info, 1, 1);
      const lwork = Math.max(1, Math.ceil(query[0]));
      const liwork = Math.max(1, iquery[0]);
      ensureWork(lwork, liwork);
      syevd('V', uplo, set(0, n), a, set(1, lda), w, work, set(2, lwork), iwork, set(3, liwork), info, 1, 1);
      return info[0];
    },
    dsyevr(uplo, n, a, lda, w, z, ldz) {
      const m = new Int32Array(1);
      const isuppz = new Int32Array(2 * Math.max(1, n));
      scalar.fill(0);
      const vl = scalar.subarray(0, 1), vu = scalar.subarray(1, 2), abstol = scalar.subarray(2, 3);
      syevr('V', 'A', uplo, set(0, n), a, set(1, lda), vl, vu, set(2, 1), set(3, n), abstol, m, w, z, set(4, ldz), isuppz, query, minusOne, iquery, minusOne, info, 1, 1, 1);
      const lwork = Math.max(1, Math.ceil(query[0]));
      const liwork = Math.max(1, iquery[0]);
      ensureWork(lwork, liwork);
      syevr('V', 'A', uplo, set(0, n), a, set(1, lda), vl, vu, set(2, 1), set(3, n), abstol, m, w, z, set(4, ldz), isuppz, work, set(5, lwork), iwork, set(6, liwork), info, 1, 1, 1);
      return info[0];
    },
    dpotrf(uplo, n, a, lda) {
      potrf(uplo, set(0, n), a, set(1, lda), info, 1);
      return info[0];
    },
    dpotrs(uplo, n, nrhs, a, lda, b, ldb) {
      potrs(uplo, set(0, n), set(1, nrhs), a, set(2, lda), b, set(3, ldb), info, 1);
      return info[0];
    },
  };
}
