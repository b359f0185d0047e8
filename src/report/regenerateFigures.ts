import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WrittenFigure } from '../figures/render.js';
import type { FigureSet } from '../figures/figureSet.js';
import { repoRoot } from '../provenance.js';
import { defaultGalleryPath, writeGallery } from './gallery.js';

/**
 * `npm run figures` (THEORY.md section 7): discover every src/figures/<group>.ts
 * exporting `figureSet`, regenerate its figures from committed results into figures/, keep
 * the old files where only the provenance (time, commit) would change, rewrite the gallery
 * (docs/gallery.md), and print what changed.
 */

/** The figure-set modules live in src/figures/; this script sits above them (it also writes the gallery). */
const here = join(dirname(fileURLToPath(import.meta.url)), '..', 'figures');
const ext = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';
const SKIP = new Set(['figureSet', 'render', 'theoryFigures']);

/** The figure-set modules next to this file (their base names, sorted). */
export function figureModuleNames(dir = here): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && !f.startsWith('_'))
    .map((f) => f.slice(0, -ext.length))
    .filter((n) => !SKIP.has(n))
    .sort();
}

/** A figure spec without the parts that change on every regeneration (provenance). */
function stableSpec(text: string): string | null {
  try {
    const spec = JSON.parse(text) as { usermeta?: { lossyscale?: { provenance?: unknown } } };
    if (spec.usermeta?.lossyscale) delete spec.usermeta.lossyscale.provenance;
    return JSON.stringify(spec);
  } catch {
    return null;
  }
}

export interface RegenerateResult {
  set: string;
  written: { path: string; status: 'new' | 'changed' | 'unchanged' }[];
  error?: string;
}

/** Regenerate one figure set; figures whose spec (data, encodings, sources, caption) is unchanged keep their old files. */
export async function regenerateSet(name: string, set: FigureSet, outDir: string): Promise<RegenerateResult> {
  const before = new Map<string, Buffer>();
  if (existsSync(outDir)) for (const f of readdirSync(outDir)) if (/\.(vl\.json|svg|png)$/.test(f)) before.set(f, readFileSync(join(outDir, f)));
  let written: WrittenFigure[];
  try {
    written = await set.regenerate(outDir);
  } catch (e) {
    return { set: name, written: [], error: (e as Error).message.split('\n')[0] };
  }
  const out: RegenerateResult['written'] = [];
  for (const w of written) {
    // non-null: split() always returns at least one element.
    const base = w.specPath.split('/').pop()!;
    const old = before.get(base);
    if (!old) {
      out.push({ path: w.specPath, status: 'new' });
      continue;
    }
    const same = stableSpec(old.toString('utf8')) === stableSpec(readFileSync(w.specPath, 'utf8'));
    if (same) {
      // Same data and encoding: restore the previous files so git sees no churn.
      for (const p of [w.specPath, w.svgPath, w.pngPath]) {
        if (!p) continue;
        // non-null: split() always returns at least one element.
        const prev = before.get(p.split('/').pop()!);
        if (prev) writeFileSync(p, prev);
      }
      out.push({ path: w.specPath, status: 'unchanged' });
    } else out.push({ path: w.specPath, status: 'changed' });
  }
  return { set: name, written: out };
}

/** Regenerate every figure set (or those named in `only`) into outDir; then the gallery when outDir is the repo's figures/. */
export async function regenerateAll(opts: { outDir?: string; only?: string[]; log?: (line: string) => void } = {}): Promise<{ results: RegenerateResult[]; galleryChanged: boolean | null }> {
  const outDir = resolve(opts.outDir ?? join(repoRoot, 'figures'));
  const log = opts.log ?? ((l: string) => console.log(l));
  const results: RegenerateResult[] = [];
  const names = figureModuleNames();
  const unknown = (opts.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`unknown figure set(s) ${unknown.join(', ')} (valid: ${names.join(', ')})`);
  for (const name of names) {
    if (opts.only && opts.only.length && !opts.only.includes(name)) continue;
    const mod = (await import(pathToFileURL(join(here, name + ext)).href)) as { figureSet?: FigureSet };
    if (!mod.figureSet || typeof mod.figureSet.regenerate !== 'function') continue;
    log(`${name}: ${mod.figureSet.description}`);
    const r = await regenerateSet(name, mod.figureSet, outDir);
    results.push(r);
    if (r.error) log(`  FAILED: ${r.error}`);
    for (const w of r.written) log(`  ${w.status === 'unchanged' ? 'unchanged' : w.status === 'new' ? 'new      ' : 'rewrote  '} ${w.path.replace(repoRoot + '/', '')}`);
  }
  let galleryChanged: boolean | null = null;
  if (outDir === resolve(repoRoot, 'figures')) {
    const g = writeGallery(outDir, defaultGalleryPath(repoRoot));
    galleryChanged = g.changed;
    log(`gallery: docs/gallery.md ${g.changed ? 'rewritten' : 'unchanged'} (${g.figures} figures)`);
    for (const p of g.problems) log(`  problem: ${p}`);
  }
  return { results, galleryChanged };
}

/**
 * Regenerate into a temporary copy of figures/ and list the committed figures that would
 * change (nothing in the tree is touched): the drift check behind `npm run figures -- --check`.
 */
export async function checkDrift(opts: { only?: string[]; log?: (line: string) => void } = {}): Promise<{ drift: string[]; failed: string[] }> {
  const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-figures-'));
  try {
    const src = join(repoRoot, 'figures');
    if (existsSync(src)) cpSync(src, tmp, { recursive: true });
    const { results } = await regenerateAll({ outDir: tmp, only: opts.only, log: opts.log ?? (() => undefined) });
    return {
      drift: results.flatMap((r) => r.written.filter((w) => w.status !== 'unchanged').map((w) => `figures/${w.path.split('/').pop()} (${w.status === 'new' ? 'not committed yet' : 'would change'})`)),
      failed: results.filter((r) => r.error).map((r) => `${r.set}: ${r.error}`),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// `npm run figures [-- --out DIR] [-- name ...]`, `npm run figures -- --gallery-only`, `npm run figures -- --check`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--check')) {
  const { drift, failed } = await checkDrift({ only: process.argv.slice(2).filter((a) => !a.startsWith('--')) });
  for (const d of drift) console.log(`drift: ${d}`);
  for (const f of failed) console.log(`failed: ${f}`);
  console.log(drift.length || failed.length ? `figures: ${drift.length} figure(s) out of date, ${failed.length} set(s) failed` : 'figures: every committed figure is what its figure set draws from the committed results');
  process.exitCode = drift.length || failed.length ? 1 : 0;
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--gallery-only')) {
  const g = writeGallery(join(repoRoot, 'figures'), defaultGalleryPath(repoRoot));
  console.log(`gallery: docs/gallery.md ${g.changed ? 'rewritten' : 'unchanged'} (${g.figures} figures)`);
  for (const p of g.problems) console.log(`  problem: ${p}`);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--out');
  const outDir = i >= 0 ? args[i + 1] : undefined;
  const only = args.filter((a, k) => !a.startsWith('--') && (i < 0 || k !== i + 1));
  try {
    const { results } = await regenerateAll({ outDir, only });
    const failed = results.filter((r) => r.error);
    const changed = results.flatMap((r) => r.written).filter((w) => w.status !== 'unchanged').length;
    console.log(`figures: ${changed} rewritten or new, ${results.flatMap((r) => r.written).length - changed} unchanged${failed.length ? `, ${failed.length} set(s) failed: ${failed.map((f) => f.set).join(', ')}` : ''}`);
    process.exitCode = failed.length ? 1 : 0;
  } catch (e) {
    process.stderr.write(`figures: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
