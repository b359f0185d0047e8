import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { qualityForDistance, validateDistance } from './jxlDistance.js';

/**
 * JPEG XL encode/decode of raw uint8 images in this thread, through the wasm builds that
 * @jsquash/jxl ships (THEORY.md section 6). @jsquash/jxl is written for browsers: its
 * default init fetches the .wasm by URL. Here the .wasm files are read from node_modules
 * with fs and compiled once into a WebAssembly.Module, which the emscripten factory
 * instantiates (`instantiateWasm`), so it works in Node's main thread and in worker_threads.
 * The single-threaded build is used (one codec per worker thread; parallelism comes from
 * the worker pool, not from wasm threads).
 *
 * The wasm encoder accepts only 8-bit RGBA sRGB. Grayscale images are handed to it as
 * R = G = B with opaque alpha and decoded back to one channel; see docs/data-and-codec.md
 * for what that costs.
 */

export interface JxlSettings {
  /** Butteraugli distance; 0 = lossless. */
  distance: number;
  /** libjxl effort 1..9 (higher: slower, smaller); libjxl's default is 7. */
  effort: number;
  /** Which implementation (codecBackend.ts); default 'jsquash'. Ignored by the codec objects themselves. */
  backend?: 'jsquash' | 'libjxl';
}

export const DEFAULT_EFFORT = 7;

export interface JxlCodec {
  /** Identifies the encoder and decoder builds (package version + wasm hashes); part of cache keys. */
  readonly version: string;
  /** Encode one image (uint8, HWC, 1 or 3 channels). Throws on a codec failure. */
  encode(pixels: Uint8Array, width: number, height: number, channels: number, settings: JxlSettings): Uint8Array;
  /** Decode a JPEG XL stream to uint8 HWC with `channels` channels (1: mean of R, G, B). */
  decode(stream: Uint8Array, expect: { width: number; height: number; channels: number }): Uint8Array;
}

/** The parts of the WebAssembly global used here (tsconfig has no DOM lib, @types/node does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  RuntimeError: new (message?: string) => Error;
}
type WasmModule = { readonly __wasmModule?: never };
// Reflect.get returns the global untyped; WasmApi is the declared shape of what Node provides.
const Wasm: WasmApi = Reflect.get(globalThis, 'WebAssembly');

/** Whether an error is a wasm trap (emscripten abort), after which the instance must be replaced. */
export function isWasmTrap(e: unknown): boolean {
  return e instanceof Wasm.RuntimeError;
}

interface EncoderModule {
  encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Uint8Array | null;
}
interface DecoderModule {
  decode(data: Uint8Array): { data: Uint8ClampedArray; width: number; height: number } | null;
}
type Factory<M> = (opts: Record<string, unknown>) => Promise<M>;

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('@jsquash/jxl/package.json'));

interface WasmParts {
  encWasm: WasmModule;
  decWasm: WasmModule;
  version: string;
}
let wasmParts: WasmParts | undefined;

function loadWasmParts(): WasmParts {
  if (wasmParts) return wasmParts;
  const encBytes = readFileSync(join(packageDir, 'codec', 'enc', 'jxl_enc.wasm'));
  const decBytes = readFileSync(join(packageDir, 'codec', 'dec', 'jxl_dec.wasm'));
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const h = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 12);
  wasmParts = {
    encWasm: new Wasm.Module(encBytes),
    decWasm: new Wasm.Module(decBytes),
    version: `@jsquash/jxl@${pkg.version}+enc.${h(encBytes)}+dec.${h(decBytes)}`,
  };
  return wasmParts;
}

/** The codec version string without instantiating the codec (reads and hashes the wasm). */
export function jxlCodecVersion(): string {
  return loadWasmParts().version;
}

async function instantiate<M>(jsFile: string, wasm: WasmModule): Promise<M> {
  const mod = (await import(pathToFileURL(join(packageDir, 'codec', jsFile)).href)) as { default: Factory<M> };
  return mod.default({
    noInitialRun: true,
    instantiateWasm: (imports: object, callback: (instance: { exports: object }) => void) => {
      const instance = new Wasm.Instance(wasm, imports);
      callback(instance);
      return instance.exports;
    },
  });
}

let codecPromise: Promise<JxlCodec> | undefined;

/** The JPEG XL codec of this thread (created once per thread); THEORY.md section 6. */
export function loadJxlCodec(): Promise<JxlCodec> {
  codecPromise ??= createJxlCodec();
  return codecPromise;
}

/** Drop this thread's codec instance (after a wasm abort) and create a fresh one. */
export function resetJxlCodec(): Promise<JxlCodec> {
  codecPromise = createJxlCodec();
  return codecPromise;
}

async function createJxlCodec(): Promise<JxlCodec> {
  const parts = loadWasmParts();
  const [enc, dec] = await Promise.all([
    instantiate<EncoderModule>('enc/jxl_enc.js', parts.encWasm),
    instantiate<DecoderModule>('dec/jxl_dec.js', parts.decWasm),
  ]);
  return {
    version: parts.version,
    encode(pixels, width, height, channels, settings) {
      validateDistance(settings.distance);
      if (channels !== 1 && channels !== 3) throw new Error(`JPEG XL encode: ${channels} channels (supported: 1, 3)`);
      if (pixels.length !== width * height * channels) throw new Error(`JPEG XL encode: ${pixels.length} bytes for ${width}x${height}x${channels}`);
      const rgba = new Uint8ClampedArray(width * height * 4);
      const n = width * height;
      if (channels === 1) {
        for (let k = 0; k < n; k++) {
          const v = pixels[k];
          rgba[4 * k] = v;
          rgba[4 * k + 1] = v;
          rgba[4 * k + 2] = v;
          rgba[4 * k + 3] = 255;
        }
      } else {
        for (let k = 0; k < n; k++) {
          rgba[4 * k] = pixels[3 * k];
          rgba[4 * k + 1] = pixels[3 * k + 1];
          rgba[4 * k + 2] = pixels[3 * k + 2];
          rgba[4 * k + 3] = 255;
        }
      }
      const options = {
        effort: settings.effort,
        quality: qualityForDistance(settings.distance),
        progressive: false,
        epf: -1,
        lossyPalette: false,
        decodingSpeedTier: 0,
        photonNoiseIso: 0,
        lossyModular: false,
      };
      const out = enc.encode(rgba, width, height, options);
      if (!out) throw new Error('JPEG XL encoder returned no stream');
      return new Uint8Array(out);
    },
    decode(stream, expect) {
      const img = dec.decode(stream);
      if (!img) throw new Error('JPEG XL decoder failed');
      if (img.width !== expect.width || img.height !== expect.height) {
        throw new Error(`JPEG XL decode: got ${img.width}x${img.height}, expected ${expect.width}x${expect.height}`);
      }
      const n = img.width * img.height;
      const src = img.data;
      const out = new Uint8Array(n * expect.channels);
      if (expect.channels === 1) {
        // Mean of R, G, B: exact for lossless (R = G = B); for lossy streams the three
        // channels of a gray input differ by at most a few levels.
        for (let k = 0; k < n; k++) out[k] = Math.round((src[4 * k] + src[4 * k + 1] + src[4 * k + 2]) / 3);
      } else {
        for (let k = 0; k < n; k++) {
          out[3 * k] = src[4 * k];
          out[3 * k + 1] = src[4 * k + 1];
          out[3 * k + 2] = src[4 * k + 2];
        }
      }
      return out;
    },
  };
}
