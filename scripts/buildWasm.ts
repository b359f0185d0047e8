/**
 * Assemble the hand-written WebAssembly text kernels (src/simulate/wasm/*.wat) into the
 * binaries committed beside them (THEORY.md section 5; see src/simulate/wasm/kernels.wat).
 *
 *   npm run build:wasm            write every .wasm
 *   npm run build:wasm -- --check exit 1 if a committed .wasm differs from its .wat
 *
 * wabt (the WebAssembly Binary Toolkit, compiled to wasm, a dev dependency) is only needed
 * here and in test/simdKernels.test.ts; the engine loads the committed binary.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleWat } from '../src/simulate/wasm/assemble.js';

const dir = fileURLToPath(new URL('../src/simulate/wasm/', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;
for (const name of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
  const wasmPath = join(dir, name.replace(/\.wat$/, '.wasm'));
  const bytes = await assembleWat(readFileSync(join(dir, name), 'utf8'), name);
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
