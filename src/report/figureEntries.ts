import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { FigureMeta } from '../figures/render.js';
import { repoRoot } from '../provenance.js';
import { displayPath } from './displayPath.js';
import { lintFigure, titleText } from './figureLint.js';

/**
 * The committed figures a report shows (THEORY.md section 7): `*.vl.json` specs written by
 * src/figures/render.ts, compiled once to collect Vega-Lite's warnings and linted against the
 * figure conventions. A bad file becomes a problem line, never an exception.
 */

export interface FigureEntry {
  /** File name without `.vl.json`. */
  name: string;
  specPath: string;
  /** Path shown to readers (relative to the repo root when inside it). */
  displayPath: string;
  svgPath: string | null;
  spec: TopLevelSpec;
  meta: FigureMeta | null;
  title: string;
  subtitle: string;
  /** Non-fatal issues with this figure against the figure conventions (missing provenance, no tooltip, ...). */
  warnings: string[];
  /** Warnings the Vega-Lite compiler printed for this spec. */
  compilerNotes: string[];
}

type VegaLogger = NonNullable<NonNullable<Parameters<typeof compile>[1]>['logger']>;

/** A vega-lite logger that collects warnings and errors instead of printing them. */
class CollectingLogger implements VegaLogger {
  constructor(private readonly sink: string[]) {}
  level(): number;
  level(_: number): this;
  level(_?: number): number | this {
    return _ === undefined ? 2 : this;
  }
  warn(...a: readonly unknown[]): this {
    this.sink.push(a.map(String).join(' '));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
  error(...a: readonly unknown[]): this {
    this.sink.push(a.map(String).join(' '));
    return this;
  }
}

/** Whether a parsed JSON object has the top-level shape of a Vega-Lite spec (a mark or a composition); vega-lite's compile checks the rest. */
function isTopLevelSpec(v: Record<string, unknown>): v is Record<string, unknown> & TopLevelSpec {
  return ['mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat'].some((k) => k in v);
}

/** Read one figure spec; returns a problem string instead of throwing. */
export function readFigure(specPath: string): FigureEntry | string {
  const shown = displayPath(specPath);
  let text: string;
  try {
    text = readFileSync(specPath, 'utf8');
  } catch (e) {
    return `${shown}: cannot be read (${(e as Error).message.split('\n')[0]}); figure skipped`;
  }
  let spec: Record<string, unknown>;
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return `${shown}: not a Vega-Lite spec (top level is not an object); figure skipped`;
    spec = v as Record<string, unknown>;
  } catch (e) {
    return `${shown}: not valid JSON (${(e as Error).message.split('\n')[0]}); figure skipped`;
  }
  const compileWarnings: string[] = [];
  try {
    if (!isTopLevelSpec(spec)) return `${shown}: not a Vega-Lite spec (no mark, layer, concat, facet or repeat); figure skipped`;
    compile(spec, { logger: new CollectingLogger(compileWarnings) });
  } catch (e) {
    return `${shown}: Vega-Lite cannot compile it (${(e as Error).message.split('\n')[0]}); figure skipped`;
  }
  const meta = ((spec.usermeta as { lossyscale?: FigureMeta } | undefined)?.lossyscale ?? null) as FigureMeta | null;
  const name = basename(specPath).replace(/\.vl\.json$/, '');
  const svg = specPath.replace(/\.vl\.json$/, '.svg');
  const warnings = lintFigure(spec, meta);
  const svgPath = existsSync(svg) ? svg : null;
  if (!svgPath) warnings.push(`no ${name}.svg beside the spec (run \`npm run figures\`)`);
  const { title, subtitle } = titleText(spec.title);
  return { name, specPath, displayPath: shown, svgPath, spec, meta, title: title || name, subtitle, warnings, compilerNotes: [...new Set(compileWarnings)] };
}

/** All figures (`*.vl.json`) in a directory, sorted by name; problems collected. */
export function discoverFigures(dir: string, problems: string[]): FigureEntry[] {
  if (!existsSync(dir)) return [];
  const out: FigureEntry[] = [];
  const names = readdirSync(dir).sort();
  for (const f of names) {
    if (f.endsWith('.vl.json')) {
      const r = readFigure(join(dir, f));
      if (typeof r === 'string') problems.push(r);
      else out.push(r);
    } else if (f.endsWith('.svg') && !names.includes(f.replace(/\.svg$/, '.vl.json'))) {
      problems.push(`${displayPath(join(dir, f))}: SVG without its ${f.replace(/\.svg$/, '.vl.json')} spec; cannot be shown interactively (regenerate it with \`npm run figures\`)`);
    }
  }
  return out;
}

/** Whether a figure was computed from files inside `dir` (by its recorded sources). */
export function figureUsesDir(fig: FigureEntry, dir: string): boolean {
  const abs = resolve(dir);
  return (fig.meta?.sources ?? []).some((s) => {
    const p = resolve(repoRoot, s.path);
    return p === abs || p.startsWith(abs + '/');
  });
}
