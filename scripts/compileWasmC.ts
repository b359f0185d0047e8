/**
 * Compile a C kernel (src/cli/commands/wasm/*.c) to the WebAssembly binary committed beside it,
 * with Debian's clang and wasm-ld (packages clang and lld; scripts/setup.sh --test installs
 * them). The flags keep IEEE double semantics (no fast-math, -ffp-contract=off) and use no C
 * library (-nostdlib, -fno-builtin: every routine is in the source), so the binary depends on
 * the source and the compiler version only. The committed binary is what the CLI loads; this
 * is needed only to change it, and by the test that checks it is current.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLANG_FLAGS = ['--target=wasm32', '-O2', '-fno-builtin', '-ffp-contract=off', '-nostdlib', '-Wall', '-Wextra', '-Werror', '-Wl,--no-entry', '-Wl,--strip-all'];

/** Whether clang with the wasm32 target and wasm-ld are installed. */
export function haveClang(): boolean {
  const r = spawnSync('clang', ['--print-targets'], { encoding: 'utf8' });
  return r.status === 0 && /\bwasm32\b/.test(r.stdout) && spawnSync('wasm-ld', ['--version']).status === 0;
}

/** The binary `clang CLANG_FLAGS` makes of a C file; throws with clang's message on failure. */
export function compileWasmC(cPath: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'lossyscale-wasm-'));
  try {
    const out = join(dir, 'out.wasm');
    const r = spawnSync('clang', [...CLANG_FLAGS, '-o', out, cPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`clang failed on ${cPath}:\n${r.stderr}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
