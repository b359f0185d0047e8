// After tsc: copies the non-TypeScript files the compiled library reads at run time into dist/
// (the WebAssembly kernels of the Monte Carlo engine), and removes outputs whose source file
// is gone (a moved or deleted module must not live on in the package).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const assets = ['simulate/wasm/kernels.wasm'];
for (const rel of assets) {
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
