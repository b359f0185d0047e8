import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { withUsermeta } from './vl.js';
import { Resvg } from '@resvg/resvg-js';
import { applyFigureConventions } from './conventions.js';
import { repoRoot, type Provenance } from '../provenance.js';
import { warn } from '../util/warnings.js';

/**
 * Figures are Vega-Lite specs with their data inline (THEORY.md section 7). A figure is
 * written as NAME.vl.json (the spec, with provenance and the hashes of the source data
 * files in `usermeta`), NAME.svg (rendered headlessly with vega) and optionally NAME.png
 * (rasterised with resvg). The .vl.json is what the HTML report embeds interactively.
 */
export interface FigureSource {
  /** Path of a data file the figure was computed from (relative to the repo root when inside it). */
  path: string;
  sha256: string;
}

export interface FigureMeta {
  provenance: Provenance;
  sources: FigureSource[];
  /** One-paragraph caption shown under the figure in the report. */
  caption?: string;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function describeSource(path: string): FigureSource {
  const rel = relative(repoRoot, path);
  return { path: rel.startsWith('..') ? path : rel, sha256: sha256File(path) };
}

/** Vega's and Vega-Lite's messages (warnings, and errors they recover from) on the warning path, one line each, naming the figure. */
function libraryLogger(library: string, figure: string | undefined): vega.LoggerInterface {
  const where = `${figure ? `figure ${figure}: ` : ''}${library}`;
  return vega.logger(vega.Warn, undefined, (_method, level, input) => warn(`${where}${level === 'WARN' ? '' : ` ${String(level).toLowerCase()}`}: ${input.map(String).join(' ')}`));
}

/** Render a Vega-Lite spec to an SVG string (no browser, no network); Vega's messages go to the warning path, naming `figure`. */
export async function renderSvg(spec: TopLevelSpec, figure?: string): Promise<string> {
  const { spec: vgSpec } = compile(spec, { logger: libraryLogger('vega-lite', figure) });
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger: libraryLogger('vega', figure) });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG string to PNG bytes at `scale` times its size. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

export interface WrittenFigure {
  specPath: string;
  svgPath: string;
  pngPath?: string;
}

/** Write NAME.vl.json, NAME.svg and (unless png: false) NAME.png into dir. */
export async function writeFigure(opts: {
  dir: string;
  name: string;
  spec: TopLevelSpec;
  meta: FigureMeta;
  png?: boolean;
}): Promise<WrittenFigure> {
  mkdirSync(opts.dir, { recursive: true });
  const spec = withUsermeta(applyFigureConventions(opts.spec), 'lossyscale', opts.meta);
  const specPath = join(opts.dir, `${opts.name}.vl.json`);
  const svgPath = join(opts.dir, `${opts.name}.svg`);
  writeFileSync(specPath, JSON.stringify(spec, null, 1) + '\n');
  const svg = await renderSvg(spec, opts.name);
  writeFileSync(svgPath, svg);
  const out: WrittenFigure = { specPath, svgPath };
  if (opts.png !== false) {
    out.pngPath = join(opts.dir, `${opts.name}.png`);
    writeFileSync(out.pngPath, svgToPng(svg));
  }
  return out;
}
