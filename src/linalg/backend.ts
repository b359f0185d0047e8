import { InputError } from '../errors.js';
import { loadOpenBlas, type OpenBlas } from './openblas.js';

/**
 * Which dense linear algebra the numerical kernels use (THEORY.md sections 5 and 6):
 * - 'openblas': the system's OpenBLAS/LAPACK through koffi (./openblas.ts), the default when
 *   the library loads;
 * - 'wasm': the project's own WebAssembly SIMD and JavaScript kernels (src/simulate/kernels.ts,
 *   src/simulate/simdKernels.ts, src/linalg/cholesky.ts), the fallback.
 * The environment variable LOSSYSCALE_BLAS selects: 'auto' (or unset) = OpenBLAS if it loads,
 * else the fallback; 'off' = always the fallback; 'on' = OpenBLAS or an error. Results of the
 * two backends agree to rounding (test/linalgBackend.test.ts), not bit for bit, so every run
 * records the backend it used.
 */
export type LinalgBackendName = 'openblas' | 'wasm';

export interface LinalgBackend {
  name: LinalgBackendName;
  /** The loaded library (only for 'openblas'). */
  blas?: OpenBlas;
  /** One line for run records: e.g. "openblas (OpenBLAS 0.3.21 ..., core Cooperlake, 1 thread)". */
  description: string;
}

const MODES = ['auto', 'on', 'off'] as const;

/** The LOSSYSCALE_BLAS mode (InputError for anything else). */
export function blasMode(env: NodeJS.ProcessEnv = process.env): (typeof MODES)[number] {
  const v = (env.LOSSYSCALE_BLAS ?? 'auto').trim().toLowerCase() || 'auto';
  if (!(MODES as readonly string[]).includes(v)) throw new InputError('LOSSYSCALE_BLAS', env.LOSSYSCALE_BLAS, 'auto, on or off');
  return v as (typeof MODES)[number];
}

const FALLBACK: LinalgBackend = { name: 'wasm', description: 'wasm (WebAssembly SIMD and JavaScript kernels)' };

/** Resolve a backend by name, or from LOSSYSCALE_BLAS when none is given (throws ResourceError when 'openblas' is required but missing). */
export function linalgBackend(name?: LinalgBackendName): LinalgBackend {
  const mode = name === undefined ? blasMode() : name === 'openblas' ? 'on' : 'off';
  if (mode === 'off') return FALLBACK;
  try {
    const blas = loadOpenBlas();
    return { name: 'openblas', blas, description: `openblas (${blas.config}, core ${blas.coreName}, 1 thread)` };
  } catch (e) {
    if (mode === 'on') throw e;
    return FALLBACK;
  }
}

/** Whether OpenBLAS can be loaded in this process (for tests and benchmarks). */
export function openBlasAvailable(): boolean {
  try {
    loadOpenBlas();
    return true;
  } catch {
    return false;
  }
}

/**
 * The backends a test suite must cover here: the fallback always, OpenBLAS unless
 * LOSSYSCALE_BLAS=off (scripts/setup.sh installs it, so a missing library fails the tests
 * that use it instead of skipping them).
 */
export function testedBackends(): LinalgBackendName[] {
  return blasMode() === 'off' ? ['wasm'] : ['wasm', 'openblas'];
}
