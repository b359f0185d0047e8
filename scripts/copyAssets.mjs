// After tsc: copies the non-TypeScript files the compiled library reads at run time into dist/
// (every WebAssembly kernel under src/, found by walking it), and removes outputs whose source file
// is gone (a moved or deleted module must not live on in the package).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
function wasmUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? wasmUnder(p) : e.name.endsWith('.wasm') ? [relative(src, p)] : [];
  });
}
for (const rel of wasmUnder(src)) {
  mkdirSync(dirname(join(dist, rel)), { recursive: true });
  copyFileSync(join(src, rel), join(dist, rel));
}

function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else {
      const rel = relative(dist, p);
      const base = rel.replace(/\.(d\.ts|js|js\.map|d\.ts\.map)$/, '');
      if (base === rel) continue; // assets, .tsbuildinfo
      if (!existsSync(join(src, base + '.ts')) || rel.endsWith('.map')) rmSync(p);
    }
  }
}
walk(dist);
