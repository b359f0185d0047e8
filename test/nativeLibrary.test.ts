import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ResourceError } from '../src/errors.js';
import { findLibraryFile, installHint, loadNativeLibrary } from '../src/util/nativeLibrary.js';

describe('native library loader', () => {
  const missing = { user: 'the test backend', soname: 'libdoesnotexist.so.9', debianPackage: 'libdoesnotexist9' };

  it('a missing library is ONE line: who needs it, the soname, the Debian package, how to install it, and why', () => {
    let err: unknown;
    try {
      loadNativeLibrary(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResourceError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^the test backend needs libdoesnotexist\.so\.9 \(Debian package libdoesnotexist9\), which could not be loaded: sudo apt-get install libdoesnotexist9 \(or bash scripts\/setup\.sh\); \S/);
    expect(msg.split('\n')).toHaveLength(1);
    expect(installHint({ debianPackage: 'x1', alternative: ', or not' })).toBe('sudo apt-get install x1 (or bash scripts/setup.sh), or not');
  });

  it('finds a library in the system directories, honours the override variable, and restores variables set for loading', () => {
    expect(findLibraryFile({ soname: 'libc.so.6' })).toMatch(/libc\.so\.6$/);
    expect(findLibraryFile({ soname: 'libc.so.6', fileVariable: 'X_LIB' }, { X_LIB: '/elsewhere/libc.so.6' })).toBe('/elsewhere/libc.so.6');
    expect(findLibraryFile(missing)).toBeUndefined();
    const before = process.env.LOSSYSCALE_TEST_LOAD_VAR;
    const lib = loadNativeLibrary({ ...missing, soname: 'libc.so.6', debianPackage: 'libc6', loadEnvironment: { LOSSYSCALE_TEST_LOAD_VAR: 'set' } });
    expect(process.env.LOSSYSCALE_TEST_LOAD_VAR).toBe(before);
    expect(typeof lib.func('int abs(int x)')).toBe('function');
    expect(() => lib.func('int no_such_function_here(int x)')).toThrow(/lacks a function the test backend needs \(int no_such_function_here\): sudo apt-get install libc6/);
  });

  it('OpenBLAS missing: LOSSYSCALE_BLAS=on names the package and the fallback switch; auto falls back to the WebAssembly kernels', () => {
    const probe = "import('./src/linalg/backend.ts').then((m) => { try { console.log(m.linalgBackend().name); } catch (e) { console.log(e.message); } })";
    const run = (mode: string): string =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { encoding: 'utf8', env: { ...process.env, LOSSYSCALE_BLAS: mode, LOSSYSCALE_OPENBLAS: '/nonexistent/libopenblas.so.0' } }).stdout.trim();
    expect(run('auto')).toBe('wasm');
    const on = run('on');
    expect(on).toMatch(/^native BLAS \(OpenBLAS\) needs libopenblas\.so\.0 \(Debian package libopenblas0\), which could not be loaded: sudo apt-get install libopenblas0 \(or bash scripts\/setup\.sh\), or set LOSSYSCALE_BLAS=off/);
    expect(on.split('\n')).toHaveLength(1);
  });
});
