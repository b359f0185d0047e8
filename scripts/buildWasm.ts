/**
 * Build the WebAssembly kernels into the binaries committed beside their sources:
 *  - hand-written WebAssembly text (src/simulate/wasm/*.wat, src/model/wasm/*.wat; THEORY.md
 *    sections 2 and 5), assembled by wabt (the WebAssembly Binary Toolkit, compiled to wasm, a
 *    dev dependency);
 *  - C (src/cli/commands/wasm/*.c; THEORY.md section 3), compiled by clang (scripts/compileWasmC.ts).
 *
 *   npm run build:wasm            write every .wasm
 *   npm run build:wasm -- --check exit 1 if a committed .wasm differs from its source
 *
 * The engine and the CLI load the committed binaries; the tests (test/simdKernels.test.ts,
 * test/simulateSample.test.ts, test/riskGridWasm.test.ts) check that each is current.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleWat } from '../src/simulate/wasm/assemble.js';
import { compileWasmC, haveClang } from './compileWasmC.js';

const dirs = ['../src/simulate/wasm/', '../src/model/wasm/', '../src/cli/commands/wasm/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));
const check = process.argv.includes('--check');
let stale = 0;
const clang = haveClang();
for (const [dir, name] of dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.wat') || f.endsWith('.c')).map((f) => [dir, f] as const))) {
  const wasmPath = join(dir, name.replace(/\.(wat|c)$/, '.wasm'));
  let bytes: Uint8Array;
  if (name.endsWith('.c')) {
    if (!clang) {
      console.error(`${name}: skipped (clang with the wasm32 target and wasm-ld are not installed: apt-get install clang lld)`);
      if (!check) stale++;
      continue;
    }
    bytes = compileWasmC(join(dir, name));
  } else bytes = await assembleWat(readFileSync(join(dir, name), 'utf8'), name);
  const same = existsSync(wasmPath) && Buffer.compare(readFileSync(wasmPath), bytes) === 0;
  if (check) {
    if (!same) {
      stale++;
      console.error(`${wasmPath} is out of date with ${name}: run npm run build:wasm`);
    }
  } else {
    writeFileSync(wasmPath, bytes);
    console.log(`${name} -> ${wasmPath} (${bytes.length} bytes${same ? ', unchanged' : ''})`);
  }
}
if (stale) process.exit(1);
