import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../provenance.js';
import { displayPath } from './displayPath.js';
import { discoverFigures, type FigureEntry } from './figureEntries.js';
import { readTables, type TableEntry } from './tableFiles.js';

/**
 * The run directories a report shows (layouts in docs/architecture.md): run.json provenance,
 * the fitted law, tables, figures and the other files of each; a bad file becomes a problem line.
 */

/** The fitted law of a run: the object `lossyscale fit --json` prints (docs/architecture.md, output contracts). */
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

/** Read a run directory (layouts in docs/architecture.md). The directory itself must exist (checked by the caller). */
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
