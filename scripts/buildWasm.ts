/**
 * Assemble the hand-written WebAssembly text kernels (src/simulate/wasm/*.wat, src/model/wasm/*.wat)
 * into the binaries committed beside them (THEORY.md sections 2 and 5; see each .wat file).
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

const dirs = ['../src/simulate/wasm/', '../src/model/wasm/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));
const check = process.argv.includes('--check');
let stale = 0;
for (const [dir, name] of dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.wat')).map((f) => [dir, f] as const))) {
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
