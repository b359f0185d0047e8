import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { sha256File, type FigureSource } from '../figures/render.js';
import { repoRoot } from '../provenance.js';
import { displayPath, readFigure } from './discover.js';

/**
 * Staleness of committed figures (THEORY.md section 7): a figure records the sha256
 * of every data file it was computed from (usermeta.lossyscale.sources, src/figures/render.ts);
 * when a source's current hash differs, the committed figure no longer shows the data.
 */

export type SourceState = 'fresh' | 'stale' | 'missing' | 'external-missing';

/** Current state of one recorded source (paths relative to the repo root, or absolute). */
export function sourceState(src: FigureSource, root = repoRoot): SourceState {
  const path = isAbsolute(src.path) ? src.path : resolve(root, src.path);
  const inside = !isAbsolute(src.path) || path.startsWith(resolve(root) + '/');
  if (!existsSync(path)) return inside ? 'missing' : 'external-missing';
  return sha256File(path) === src.sha256 ? 'fresh' : 'stale';
}

export interface FreshnessReport {
  /** Number of figure specs checked. */
  checked: number;
  /** Names of figures (without extension) found. */
  figures: string[];
  /** Problems that make the committed figures untrustworthy (the test fails on any). */
  problems: string[];
  /** Sources outside the repo that are absent on this machine (cannot be verified here). */
  unverifiable: string[];
}

/**
 * Check every `*.vl.json` in `figuresDir`: it parses, every recorded source still has its
 * recorded sha256, its `.svg` is beside it, and (when `galleryPath` is given) the gallery
 * lists it.
 */
export function checkFigureFreshness(figuresDir: string, galleryPath?: string, root = repoRoot): FreshnessReport {
  const out: FreshnessReport = { checked: 0, figures: [], problems: [], unverifiable: [] };
  if (!existsSync(figuresDir)) return out;
  const gallery = galleryPath && existsSync(galleryPath) ? readFileSync(galleryPath, 'utf8') : null;
  if (galleryPath && gallery === null) out.problems.push(`${displayPath(galleryPath)} is missing (run \`npm run figures\`)`);
  for (const f of readdirSync(figuresDir).sort()) {
    if (!f.endsWith('.vl.json')) continue;
    out.checked++;
    const fig = readFigure(join(figuresDir, f));
    if (typeof fig === 'string') {
      out.problems.push(fig);
      continue;
    }
    out.figures.push(fig.name);
    if (!fig.svgPath) out.problems.push(`${fig.displayPath}: ${fig.name}.svg is missing beside it (run \`npm run figures\`)`);
    const sources = fig.meta?.sources;
    if (!sources || sources.length === 0) out.problems.push(`${fig.displayPath}: records no source data files (usermeta.lossyscale.sources), so staleness cannot be detected`);
    for (const s of sources ?? []) {
      const st = sourceState(s, root);
      if (st === 'stale') out.problems.push(`${fig.displayPath}: source ${s.path} changed since the figure was made (sha256 differs; run \`npm run figures\`)`);
      else if (st === 'missing') out.problems.push(`${fig.displayPath}: source ${s.path} is missing (commit it or regenerate the figure)`);
      else if (st === 'external-missing') out.unverifiable.push(`${fig.name}: ${s.path}`);
    }
    // non-null: gallery is non-null only when galleryPath was read.
    if (gallery !== null && !gallery.includes(`${fig.name}.svg`)) out.problems.push(`${displayPath(galleryPath!)} does not show ${fig.name}.svg (run \`npm run figures\`)`);
  }
  return out;
}
