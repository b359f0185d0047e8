import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { FusedSweep } from './kernels.js';

/**
 * The engine's WebAssembly SIMD kernels (THEORY.md section 5) over one linear memory that
 * the caller lays out: `f64(length)` hands out zeroed Float64Array views inside it, and the
 * kernels take such views. Source and rationale: src/simulate/wasm/kernels.wat (V8 runs the
 * Gram update about 4x faster there than as a plain JavaScript loop, f64x2 vectors against
 * scalar code); the JavaScript kernels in ./kernels.ts stay the independent route the tests
 * compare against.
 */
export interface SimdArena {
  /** A zeroed view of `length` doubles inside the arena (16-byte aligned). */
  f64(length: number): Float64Array;
  /**
   * G[i][j] += sum_{k < rows} xt[i][k] xt[j][k] for i <= j < dimPadded: the symmetric rank-k
   * update with the contract of kernels.ts syrkUpper; `g` and `xt` must be views of this arena.
   */
  syrkUpper(g: Float64Array, ldg: number, xt: Float64Array, ldx: number, dimPadded: number, rows: number): void;
  /** The fused pass of kernels.ts tridiagonalize (pass it as its `sweep`); every array must be a view of this arena. */
  fusedSweep: FusedSweep;
}

const PAGE_BYTES = 65536;
/** Views one arena hands out at most: each may need up to 8 bytes of padding to start 16-byte aligned. */
const MAX_VIEWS = 128;
const MAX_BYTES = 4 * 1024 ** 3 - PAGE_BYTES; // 32-bit addresses

/** The part of the WebAssembly JavaScript API used here (its types live in the DOM lib, which this project does not load). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { exports: unknown };
}
// Reflect.get returns the global untyped; WasmApi is the declared shape of what Node provides.
const wasm: WasmApi = Reflect.get(globalThis, 'WebAssembly');

// Compiled code is immutable, so one compilation per thread is shared by every arena.
let compiled: object | undefined;
function kernelModule(): object {
  compiled ??= new wasm.Module(readFileSync(new URL('./wasm/kernels.wasm', import.meta.url)));
  return compiled;
}

/**
 * An arena for views totalling `capacityF64` doubles (at most 128 views; their alignment
 * padding is added here, callers count only their own lengths), with the kernels bound to it.
 */
export function createSimdArena(capacityF64: number): SimdArena {
  if (!Number.isInteger(capacityF64) || capacityF64 < 0) throw new RangeError(`simd arena capacity ${capacityF64} is not a non-negative integer`);
  const bytes = capacityF64 * 8 + 8 * MAX_VIEWS;
  if (bytes > MAX_BYTES) {
    throw new InputError('simulation size', `${(bytes / 1024 ** 3).toFixed(1)} GiB of Gram and sample memory`, 'at most 4 GiB (fewer kept levels m_max or a smaller blockRows)');
  }
  const memory = new wasm.Memory({ initial: Math.ceil(bytes / PAGE_BYTES) });
  const exports = new wasm.Instance(kernelModule(), { env: { memory } }).exports as {
    syrkUpper(g: number, ldg: number, xt: number, ldx: number, dim: number, rows: number): void;
    tridiagSweep(a: number, dim: number, k: number, v: number, p: number, vPrev: number, wPrev: number): void;
  };
  let next = 0; // first free byte
  let usedF64 = 0;
  let views = 0;
  const own = (a: Float64Array, name: string): number => {
    if (a.buffer !== memory.buffer) throw new RangeError(`simd kernel: ${name} is not a view of this arena`);
    return a.byteOffset;
  };
  return {
    f64(length: number): Float64Array {
      if (usedF64 + length > capacityF64 || views === MAX_VIEWS) {
        throw new RangeError(`simd arena full: ${length} doubles requested, ${usedF64} of ${capacityF64} used in ${views} views (at most ${MAX_VIEWS})`);
      }
      const start = Math.ceil(next / 16) * 16;
      next = start + length * 8;
      usedF64 += length;
      views++;
      return new Float64Array(memory.buffer, start, length);
    },
    syrkUpper(g, ldg, xt, ldx, dimPadded, rows) {
      if (dimPadded % 4 !== 0) throw new RangeError(`syrkUpper: dimPadded ${dimPadded} is not a multiple of 4`);
      if (rows > ldx) throw new RangeError(`syrkUpper: rows ${rows} exceed the leading dimension ${ldx}`);
      if (g.length < (dimPadded - 1) * ldg + dimPadded || xt.length < (dimPadded - 1) * ldx + rows) {
        throw new RangeError(`syrkUpper: arrays too short for dimPadded ${dimPadded}`);
      }
      exports.syrkUpper(own(g, 'g'), ldg, own(xt, 'xt'), ldx, dimPadded, rows);
    },
    fusedSweep(a, dim, k, v, p, vPrev, wPrev) {
      if (a.length < dim * dim || v.length < dim || p.length < dim || vPrev.length < dim || wPrev.length < dim) {
        throw new RangeError(`tridiagSweep: arrays too short for dim ${dim}`);
      }
      exports.tridiagSweep(own(a, 'a'), dim, k, own(v, 'v'), own(p, 'p'), own(vPrev, 'vPrev'), own(wPrev, 'wPrev'));
    },
  };
}
