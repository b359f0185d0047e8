import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';

/**
 * Loading a Debian shared library through the koffi FFI, for the native backends (OpenBLAS in
 * src/linalg/openblas.ts, libjxl in src/codec/libjxlCodec.ts): locate the file, load it once,
 * and when anything is missing fail with ONE line that names the library, its Debian package,
 * how to install it, and why loading failed.
 */

export type NativeFunction = (...args: unknown[]) => unknown;

/** The part of koffi's API the native backends use. */
export interface Koffi {
  load(path: string): { func(decl: string): NativeFunction };
  struct(name: string, def: Record<string, unknown>): unknown;
  opaque(name: string): unknown;
  pointer(name: string, type: unknown): unknown;
  array(type: string, len: number): unknown;
  sizeof(type: unknown): number;
  alloc(type: string, len: number): unknown;
  free(ptr: unknown): void;
  address(ptr: unknown): bigint;
  view(ptr: unknown, len: number): ArrayBuffer;
}

export interface NativeLibrarySpec {
  /** Who needs it, for the message: e.g. 'the native JPEG XL backend'. */
  user: string;
  /** The soname, e.g. 'libjxl.so.0.7'. */
  soname: string;
  /** Its Debian package, e.g. 'libjxl0.7'. */
  debianPackage: string;
  /** An environment variable that, when set, names the library file to load instead. */
  fileVariable?: string;
  /** Subdirectories of the system library directories that may hold it (e.g. 'openblas-pthread'). */
  subdirectories?: string[];
  /** Environment variables set only while the library loads (its constructor may read them), restored after. */
  loadEnvironment?: Record<string, string>;
  /** Appended to the install hint, e.g. ', or set LOSSYSCALE_BLAS=off'. */
  alternative?: string;
}

export interface NativeLibrary {
  koffi: Koffi;
  /** The file found on disk (undefined when only the dynamic loader's own search found the soname). */
  file: string | undefined;
  /** Bind one C declaration; throws ResourceError naming the library when the symbol is missing. */
  func(decl: string): NativeFunction;
}

/** The one-line install hint of a spec: 'sudo apt-get install <package> (or bash scripts/setup.sh)'. */
export function installHint(spec: Pick<NativeLibrarySpec, 'debianPackage' | 'alternative'>): string {
  return `sudo apt-get install ${spec.debianPackage} (or bash scripts/setup.sh)${spec.alternative ?? ''}`;
}

/** Where the library file is: $fileVariable, else LD_LIBRARY_PATH and the system library directories (and their listed subdirectories). */
export function findLibraryFile(spec: Pick<NativeLibrarySpec, 'soname' | 'fileVariable' | 'subdirectories'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = spec.fileVariable ? env[spec.fileVariable] : undefined;
  if (override && override.trim() !== '') return override;
  const triplet = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const system = [triplet, '/usr/lib', '/usr/local/lib', `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...system,
    ...system.flatMap((d) => (spec.subdirectories ?? []).map((s) => join(d, s))),
  ];
  for (const d of dirs) if (existsSync(join(d, spec.soname))) return join(d, spec.soname);
  return undefined;
}

/** Load the library of `spec` (ResourceError with the install hint when koffi, the file or the soname cannot be loaded). */
export function loadNativeLibrary(spec: NativeLibrarySpec): NativeLibrary {
  const hint = installHint(spec);
  const fail = (why: string): never => {
    throw new ResourceError(`${spec.user} needs ${spec.soname} (Debian package ${spec.debianPackage}), which could not be loaded: ${hint}; ${why}`);
  };
  let koffi: Koffi | undefined;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (e) {
    fail(`the npm package koffi is missing (run npm ci): ${message(e)}`);
  }
  const file = findLibraryFile(spec);
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(spec.loadEnvironment ?? {})) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  let so: ReturnType<Koffi['load']> | undefined;
  try {
    so = (koffi as Koffi).load(file ?? spec.soname);
  } catch (e) {
    fail(message(e));
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const lib = so as ReturnType<Koffi['load']>;
  return {
    koffi: koffi as Koffi,
    file,
    func(decl) {
      try {
        return lib.func(decl);
      } catch (e) {
        throw new ResourceError(`${file ?? spec.soname} lacks a function ${spec.user} needs (${decl.replace(/\(.*/, '')}): ${hint}; ${message(e)}`);
      }
    },
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
