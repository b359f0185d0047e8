import { InputError } from '../errors.js';
import { isWasmTrap, jxlCodecVersion, loadJxlCodec, resetJxlCodec, type JxlCodec } from './jxlCodec.js';
import { validateDistance } from './jxlDistance.js';
import { libjxlCodecVersion, loadLibjxlCodec, validateNativeDistance } from './libjxlCodec.js';

/**
 * Which JPEG XL implementation encodes and decodes (THEORY.md section 6):
 *  - 'jsquash': @jsquash/jxl 1.3.0 (libjxl in WebAssembly), the default; takes 8-bit RGBA
 *    only, so grayscale images carry three colour channels and an opaque alpha channel;
 *  - 'libjxl': the system's native libjxl 0.7 (Debian libjxl0.7) through koffi; encodes
 *    grayscale as one channel without alpha and takes the distance directly.
 * The backend is part of the codec version, hence of every cache key and run record.
 */
export type JxlBackend = 'jsquash' | 'libjxl';
export const JXL_BACKENDS: readonly JxlBackend[] = ['jsquash', 'libjxl'];
export const DEFAULT_BACKEND: JxlBackend = 'jsquash';

/** Check a backend name (InputError naming the valid ones). */
export function validateBackend(backend: unknown, param = 'backend'): JxlBackend {
  if (typeof backend !== 'string' || !(JXL_BACKENDS as readonly string[]).includes(backend)) {
    throw new InputError(param, backend, JXL_BACKENDS.join(' or '));
  }
  return backend as JxlBackend;
}

/** Codec version string of a backend (throws ResourceError if the backend cannot be loaded); THEORY.md section 6. */
export function codecVersionFor(backend: JxlBackend): string {
  return backend === 'libjxl' ? libjxlCodecVersion() : jxlCodecVersion();
}

/** Validate a Butteraugli distance for a backend (the wasm encoder cannot reach some ranges); THEORY.md section 6. */
export function validateDistanceFor(backend: JxlBackend, distance: number, param = 'distance'): number {
  return backend === 'libjxl' ? validateNativeDistance(distance, param) : validateDistance(distance, param);
}

/** This thread's codec instance of a backend. */
export async function loadCodecFor(backend: JxlBackend): Promise<JxlCodec> {
  return backend === 'libjxl' ? loadLibjxlCodec() : loadJxlCodec();
}

/** After a failure: a fresh codec if the old one may be unusable (wasm abort), else the same one. */
export async function recoverCodec(backend: JxlBackend, codec: JxlCodec, error: unknown): Promise<JxlCodec> {
  if (backend === 'jsquash' && isWasmTrap(error)) return resetJxlCodec();
  return codec;
}
