import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { FigureMeta } from '../figures/render.js';
import { repoRoot } from '../provenance.js';
import { parseCsv } from '../io/csv.js';

/**
 * Discovery of what a report shows (THEORY.md section 7): committed figures (`*.vl.json`
 * written by src/figures/render.ts), and run directories laid out as in CONTRACTS.md
 * (`run.json`, `law.json`, `summary.*`, `tables/*.md|csv`, optional `figures/`).
 * Nothing here throws on a bad file: every unreadable or malformed item becomes a
 * `problems` line naming the file and what is wrong, and the report shows it.
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

export interface TableEntry {
  name: string;
  path: string;
  displayPath: string;
  kind: 'md' | 'csv';
  header: string[];
  rows: string[][];
}

/** The fitted law of a run: the object `lossyscale fit --json` prints (CONTRACTS.md). */
export interface LawSummary {
  path: string;
  displayPath: string;
  form: string | null;
  estimator: string | null;
  params: { Estar: number; A: number; alpha: number; B: number; beta: number };
  stdErr: Partial<Record<'Estar' | 'A' | 'alpha' | 'B' | 'beta', number>>;
  intervals: Partial<Record<'Estar' | 'A' | 'alpha' | 'B' | 'beta', [number, number]>>;
  r2: number | null;
  rmse: number | null;
  warnings: string[];
}

export interface RunEntry {
  dir: string;
  displayPath: string;
  /** Parsed run.json (a Provenance record), or null. */
  run: Record<string, unknown> | null;
  law: LawSummary | null;
  tables: TableEntry[];
  figures: FigureEntry[];
  /** Other files present at the top of the run dir (summary.csv, results.jsonl, ...). */
  files: { name: string; bytes: number }[];
  /** Parsed summary.json, if present and valid. */
  summary: unknown;
}

export interface Discovery {
  figures: FigureEntry[];
  runs: RunEntry[];
  problems: string[];
}

/** Path as shown to a reader: repo-relative when inside the repo. */
export function displayPath(path: string): string {
  const rel = relative(repoRoot, resolve(path));
  return rel.startsWith('..') || rel === '' ? resolve(path) : rel;
}

function titleText(t: unknown): { title: string; subtitle: string } {
  if (typeof t === 'string') return { title: t, subtitle: '' };
  if (Array.isArray(t)) return { title: t.join(' '), subtitle: '' };
  if (t && typeof t === 'object') {
    const o = t as { text?: unknown; subtitle?: unknown };
    const text = typeof o.text === 'string' ? o.text : Array.isArray(o.text) ? o.text.join(' ') : '';
    const sub = typeof o.subtitle === 'string' ? o.subtitle : Array.isArray(o.subtitle) ? o.subtitle.join(' ') : '';
    return { title: text, subtitle: sub };
  }
  return { title: '', subtitle: '' };
}

/** Walk a Vega-Lite spec and collect every encoding object (top level, layers, concats, facets). */
export function encodingsOf(spec: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o.encoding && typeof o.encoding === 'object') out.push(o.encoding as Record<string, unknown>);
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(walk);
    if (o.spec) walk(o.spec);
  };
  walk(spec);
  return out;
}

/** Vega-Lite mark types used anywhere in a spec ('point', 'line', ...). */
export function markTypesOf(spec: unknown): string[] {
  const out = new Set<string>();
  const walk = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (typeof o.mark === 'string') out.add(o.mark);
    else if (o.mark && typeof o.mark === 'object' && typeof (o.mark as { type?: unknown }).type === 'string') out.add((o.mark as { type: string }).type);
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(walk);
    if (o.spec) walk(o.spec);
  };
  walk(spec);
  return [...out];
}

/**
 * Accessibility and clarity checks of a figure spec (docs/architecture.md, figure
 * conventions): a title, axis titles on positional channels, a tooltip, provenance.
 */
export function lintFigure(spec: Record<string, unknown>, meta: FigureMeta | null): string[] {
  const w: string[] = [];
  if (!titleText(spec.title).title) w.push('no title');
  const encs = encodingsOf(spec);
  let hasTooltip = false;
  // A positional channel is titled when any layer gives it a title (layers share axes).
  const fields: Record<'x' | 'y', string[]> = { x: [], y: [] };
  const titled: Record<'x' | 'y', boolean> = { x: false, y: false };
  const logFields = new Set<string>();
  const linearScaleFields = new Set<string>();
  for (const enc of encs) {
    if (enc.tooltip !== undefined) hasTooltip = true;
    for (const ch of ['color', 'fill', 'stroke', 'shape', 'strokeDash', 'size', 'opacity']) {
      const def = enc[ch] as { field?: string; legend?: unknown } | undefined;
      if (def && def.field && def.legend === null) w.push(`${ch} encodes "${def.field}" without a legend`);
    }
    for (const ch of ['x', 'y'] as const) {
      const def = enc[ch] as { field?: string; type?: string; title?: unknown; axis?: { title?: unknown } | null; scale?: { type?: string } | null } | undefined;
      if (!def) continue;
      if (def.field) fields[ch].push(def.field);
      // Sample counts, bytes and storage span decades: the paper plots them on log axes.
      if (def.field && def.type === 'quantitative' && /^(n|L|S|storage\w*|bytes\w*|budget\w*)$/.test(def.field) && def.scale?.type !== 'log' && !logFields.has(`${ch}:${def.field}`)) linearScaleFields.add(`${ch}:${def.field}`);
      if (def.field && def.scale?.type === 'log') {
        logFields.add(`${ch}:${def.field}`);
        linearScaleFields.delete(`${ch}:${def.field}`);
      }
      if (def.title !== undefined || (def.axis && def.axis.title !== undefined)) titled[ch] = true;
    }
  }
  for (const ch of ['x', 'y'] as const) if (fields[ch].length && !titled[ch]) w.push(`${ch} axis "${fields[ch][0]}" has no title (with units)`);
  for (const f of linearScaleFields) w.push(`${f.replace(':', ' axis "')}" is on a linear scale; sample sizes, bytes and budgets span decades (log scale expected)`);
  if (!hasTooltip && !(spec.mark && typeof spec.mark === 'object' && (spec.mark as { tooltip?: unknown }).tooltip)) w.push('no tooltip encoding');
  if (/"url"\s*:/.test(JSON.stringify({ d: spec.data, l: spec.layer, c: [spec.hconcat, spec.vconcat, spec.concat] }))) w.push('data loaded from a URL, not inline (the report and the gallery cannot rely on it)');
  if (!meta) w.push('no provenance (usermeta.lossyscale missing)');
  else {
    if (!meta.provenance) w.push('no provenance record');
    if (!meta.sources || meta.sources.length === 0) w.push('no source data files recorded');
    if (!meta.caption) w.push('no caption');
  }
  return [...new Set(w)];
}

/** A vega-lite logger that collects warnings instead of printing them. */
function collectingLogger(sink: string[]): NonNullable<Parameters<typeof compile>[1]>['logger'] {
  const self = {
    level: (_?: number) => (_ === undefined ? 2 : self),
    warn: (...a: unknown[]) => (sink.push(a.map(String).join(' ')), self),
    info: () => self,
    debug: () => self,
    error: (...a: unknown[]) => (sink.push(a.map(String).join(' ')), self),
  };
  return self as unknown as NonNullable<Parameters<typeof compile>[1]>['logger'];
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
    compile(spec as unknown as TopLevelSpec, { logger: collectingLogger(compileWarnings) });
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
  return { name, specPath, displayPath: shown, svgPath, spec: spec as unknown as TopLevelSpec, meta, title: title || name, subtitle, warnings, compilerNotes: [...new Set(compileWarnings)] };
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

/** Split one markdown pipe-table line into cells. */
function pipeCells(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|')) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Every markdown pipe table in a text, with the nearest `#` heading above it. */
export function parseMarkdownTables(text: string): { heading: string; header: string[]; rows: string[][] }[] {
  const lines = text.split(/\r?\n/);
  const out: { heading: string; header: string[]; rows: string[][] }[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (h) heading = h[1].trim();
    if (i + 1 < lines.length && lines[i].includes('|') && /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(lines[i + 1])) {
      const header = pipeCells(lines[i]);
      const rows: string[][] = [];
      let j = i + 2;
      for (; j < lines.length && lines[j].includes('|'); j++) rows.push(pipeCells(lines[j]));
      out.push({ heading, header, rows });
      i = j - 1;
    }
  }
  return out;
}

/** Parse the first markdown pipe table in a text; null if none. */
export function parseMarkdownTable(text: string): { header: string[]; rows: string[][] } | null {
  const t = parseMarkdownTables(text)[0];
  return t ? { header: t.header, rows: t.rows } : null;
}

function readTables(dir: string, problems: string[]): TableEntry[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).sort();
  const out: TableEntry[] = [];
  const bases = new Set(files.filter((f) => /\.(md|csv)$/.test(f)).map((f) => f.replace(/\.(md|csv)$/, '')));
  for (const base of bases) {
    // Prefer the markdown table (formatted for people); fall back to the CSV.
    for (const kind of ['md', 'csv'] as const) {
      const path = join(dir, `${base}.${kind}`);
      if (!existsSync(path)) continue;
      try {
        const text = readFileSync(path, 'utf8');
        if (kind === 'md') {
          const t = parseMarkdownTable(text);
          if (!t) {
            problems.push(`${displayPath(path)}: no markdown table found; skipped`);
            continue;
          }
          out.push({ name: base, path, displayPath: displayPath(path), kind, header: t.header, rows: t.rows });
        } else {
          const rows = parseCsv(text, { comments: false });
          if (rows.length === 0) {
            problems.push(`${displayPath(path)}: empty CSV; skipped`);
            continue;
          }
          out.push({ name: base, path, displayPath: displayPath(path), kind, header: rows[0], rows: rows.slice(1) });
        }
        break;
      } catch (e) {
        problems.push(`${displayPath(path)}: cannot be read (${(e as Error).message.split('\n')[0]}); skipped`);
      }
    }
  }
  return out;
}

const lawKeys = ['Estar', 'A', 'alpha', 'B', 'beta'] as const;

/** Find the fitted-law object inside a law.json (the `fit --json` output, possibly wrapped). */
export function parseLaw(json: unknown, path: string): LawSummary | string {
  const shown = displayPath(path);
  const candidates: unknown[] = [json];
  if (json && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    for (const k of ['fit', 'law', 'result']) if (o[k]) candidates.push(o[k]);
  }
  for (const c of candidates) {
    if (!c || typeof c !== 'object') continue;
    const o = c as Record<string, unknown>;
    // LawLike (src/fit/lawForms.ts): { form, params: {...} } or flat { form?, Estar, A, alpha, B, beta }.
    const p = (o.params && typeof o.params === 'object' ? o.params : 'alpha' in o && 'beta' in o ? o : undefined) as Record<string, unknown> | undefined;
    if (!p) continue;
    if (!lawKeys.every((k) => typeof p[k] === 'number' && Number.isFinite(p[k]))) {
      const bad = lawKeys.filter((k) => !(typeof p[k] === 'number' && Number.isFinite(p[k])));
      return `${shown}: law parameters ${bad.join(', ')} missing or not finite numbers; fitted exponents not shown`;
    }
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    const stdErr: LawSummary['stdErr'] = {};
    const intervals: LawSummary['intervals'] = {};
    const se = (o.stdErr ?? {}) as Record<string, unknown>;
    const iv = (o.intervals ?? {}) as Record<string, unknown>;
    for (const k of lawKeys) {
      const s = num(se[k]);
      if (s !== null) stdErr[k] = s;
      const i = iv[k];
      if (Array.isArray(i) && i.length === 2 && num(i[0]) !== null && num(i[1]) !== null) intervals[k] = [i[0] as number, i[1] as number];
    }
    return {
      path,
      displayPath: shown,
      form: typeof o.form === 'string' ? o.form : null,
      estimator: typeof o.estimator === 'string' ? o.estimator : null,
      params: { Estar: p.Estar as number, A: p.A as number, alpha: p.alpha as number, B: p.B as number, beta: p.beta as number },
      stdErr,
      intervals,
      r2: num(o.r2),
      rmse: num(o.rmse),
      warnings: Array.isArray(o.warnings) ? (o.warnings as unknown[]).filter((x): x is string => typeof x === 'string') : [],
    };
  }
  return `${shown}: no fitted law found (expected an object with params {Estar, A, alpha, B, beta}); fitted exponents not shown`;
}

function readJson(path: string, problems: string[], what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    problems.push(`${displayPath(path)}: ${what} is not valid JSON (${(e as Error).message.split('\n')[0]}); ignored`);
    return undefined;
  }
}

/** Read a run directory (CONTRACTS.md layout). The directory itself must exist (checked by the caller). */
export function readRun(dir: string, problems: string[]): RunEntry {
  const shown = displayPath(dir);
  let run: Record<string, unknown> | null = null;
  const runPath = join(dir, 'run.json');
  if (existsSync(runPath)) {
    const v = readJson(runPath, problems, 'run.json');
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      // run.json is a Provenance record, or wraps one as { provenance: {...}, ... } (the sweep's layout).
      const o = v as Record<string, unknown>;
      const inner = o.provenance;
      run = inner && typeof inner === 'object' && !Array.isArray(inner) && ('command' in inner || 'tool' in inner) ? (inner as Record<string, unknown>) : o;
    }
    else if (v !== undefined) problems.push(`${displayPath(runPath)}: not an object; ignored`);
  } else problems.push(`${shown}: no run.json (provenance of the run unknown)`);
  let law: LawSummary | null = null;
  const lawPath = join(dir, 'law.json');
  if (existsSync(lawPath)) {
    const v = readJson(lawPath, problems, 'law.json');
    if (v !== undefined) {
      const r = parseLaw(v, lawPath);
      if (typeof r === 'string') problems.push(r);
      else law = r;
    }
  }
  const tables = readTables(join(dir, 'tables'), problems);
  const figures = discoverFigures(join(dir, 'figures'), problems);
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? readJson(summaryPath, problems, 'summary.json') : undefined;
  const files: { name: string; bytes: number }[] = [];
  for (const f of readdirSync(dir).sort()) {
    try {
      const st = statSync(join(dir, f));
      if (st.isFile()) files.push({ name: f, bytes: st.size });
    } catch {
      problems.push(`${displayPath(join(dir, f))}: cannot be read (broken link?); ignored`);
    }
  }
  return { dir, displayPath: shown, run, law, tables, figures, files, summary };
}

/** Whether a figure was computed from files inside `dir` (by its recorded sources). */
export function figureUsesDir(fig: FigureEntry, dir: string): boolean {
  const abs = resolve(dir);
  return (fig.meta?.sources ?? []).some((s) => {
    const p = resolve(repoRoot, s.path);
    return p === abs || p.startsWith(abs + '/');
  });
}

/** Default run directories of the repo: every `results/*` and `sims/results/*` holding a run.json. */
export function defaultRunDirs(root = repoRoot): string[] {
  const out: string[] = [];
  for (const parent of [join(root, 'sims', 'results'), join(root, 'results')]) {
    if (!existsSync(parent)) continue;
    for (const d of readdirSync(parent).sort()) {
      const p = join(parent, d);
      if (statSync(p).isDirectory() && existsSync(join(p, 'run.json'))) out.push(p);
    }
  }
  return out;
}
