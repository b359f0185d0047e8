import { readFileSync } from 'node:fs';
import { InputError, ResourceError } from '../errors.js';
import type { SimulationPlan } from '../simulate/plan.js';
import { withoutBom } from './streams.js';

/**
 * Schemas of the rows read back from disk (results stores, bundle results, run records): every
 * row is checked for types, lengths and finite numbers before it is counted or aggregated, and
 * a bad row is a one-line error naming the file, the line and the field (exit 2).
 */
export class RowError extends ResourceError {
  constructor(file: string, line: number, field: string, value: unknown, valid: string) {
    let shown = JSON.stringify(value);
    if (shown === undefined) shown = 'missing';
    if (shown.length > 60) shown = shown.slice(0, 57) + '...';
    super(`invalid row in ${file} line ${line}: field ${field} = ${shown} (valid: ${valid})`);
    this.name = 'RowError';
  }
}

/** Read a JSON file (a leading UTF-8 BOM is ignored); a missing, unreadable or malformed file is a one-line error naming it. */
export function readJsonFile(path: string, param = 'file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(param, path, 'a readable JSON file', code === 'EISDIR' ? 'it is a directory' : code ?? (e as Error).message);
  }
  return parseJsonText(text, path);
}

/** JSON.parse with the file named in a one-line error; a leading BOM is dropped. */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(withoutBom(text));
  } catch (e) {
    throw new ResourceError(`malformed JSON in ${path}: ${oneLine((e as Error).message)}`);
  }
}

/** Collapse a message to one line (JSON.parse quotes the offending text, newlines included). */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

type Where = { file: string; line: number };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finiteNumber(v: unknown, w: Where, field: string, opts: { min?: number; max?: number } = {}): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
  if (!ok) {
    const range = opts.min !== undefined && opts.max !== undefined ? ` in ${opts.min}..${opts.max}` : opts.min !== undefined ? ` >= ${opts.min}` : '';
    throw new RowError(w.file, w.line, field, v, `a finite number${range}`);
  }
  return v as number;
}

function index(v: unknown, w: Where, field: string, length: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= length) throw new RowError(w.file, w.line, field, v, `an integer 0..${length - 1}`);
  return v;
}

function finiteArray(v: unknown, w: Where, field: string, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length) throw new RowError(w.file, w.line, field, Array.isArray(v) ? `${v.length} items` : v, `a list of ${length} finite numbers`);
  v.forEach((x, i) => finiteNumber(x, w, `${field}[${i}]`));
  return v as number[];
}

/**
 * A Monte Carlo repetition row (results.jsonl of `simulate`, or a ridge-mc bundle's
 * repetition) against the plan it must belong to: one cell per (n, m) of the plan, each with
 * one finite excess (and validation error) per lambda, selected and oracle indices in range.
 */
export function validateRepetitionRow(row: unknown, plan: SimulationPlan, file: string, line: number): void {
  const w = { file, line };
  if (!isRecord(row)) throw new RowError(file, line, '(row)', row, 'a JSON object');
  const rep = row.rep;
  if (typeof rep !== 'number' || !Number.isInteger(rep) || rep < 0) throw new RowError(file, line, 'rep', rep, 'an integer >= 0');
  if (row.key !== undefined && row.key !== `rep-${rep}`) throw new RowError(file, line, 'key', row.key, `"rep-${rep}" (the row's rep)`);
  const cells = row.cells;
  const expected = plan.n.length * plan.levels.length;
  if (!Array.isArray(cells) || cells.length !== expected) {
    throw new RowError(file, line, 'cells', Array.isArray(cells) ? `${cells.length} cells` : cells, `${expected} cells, one per (n, m) of the plan (${plan.n.length} n x ${plan.levels.length} levels)`);
  }
  const K = plan.lambda0.length;
  const seen = new Set<string>();
  cells.forEach((c: unknown, i: number) => {
    const f = `cells[${i}]`;
    if (!isRecord(c)) throw new RowError(file, line, f, c, 'an object with n, m, excess, sel, oracle');
    if (!plan.n.includes(c.n as number)) throw new RowError(file, line, `${f}.n`, c.n, `one of the plan's n (${plan.n.join(', ')})`);
    if (!plan.levels.includes(c.m as number)) throw new RowError(file, line, `${f}.m`, c.m, `one of the plan's levels (${plan.levels.join(', ')})`);
    const id = `${c.n}/${c.m}`;
    if (seen.has(id)) throw new RowError(file, line, f, `n=${c.n}, m=${c.m}`, 'each (n, m) once');
    seen.add(id);
    finiteArray(c.excess, w, `${f}.excess`, K);
    if (c.val !== undefined) finiteArray(c.val, w, `${f}.val`, K);
    if (c.test !== undefined) finiteArray(c.test, w, `${f}.test`, K);
    index(c.sel, w, `${f}.sel`, K);
    index(c.oracle, w, `${f}.oracle`, K);
    if (plan.scoring === 'sampled') {
      if (c.testSel !== undefined) finiteNumber(c.testSel, w, `${f}.testSel`);
      else if (c.test === undefined) throw new RowError(file, line, `${f}.testSel`, undefined, 'a finite number (sampled scoring)');
    }
  });
  if (row.seconds !== undefined) finiteNumber(row.seconds, w, 'seconds', { min: 0 });
}

const PHASES = ['grid', 'strategy'];

/** A sweep result row (results.jsonl of `sweep`, or one recorded by `sweep ingest`). */
export function validateResultRow(row: unknown, file: string, line: number): void {
  const w = { file, line };
  if (!isRecord(row)) throw new RowError(file, line, '(row)', row, 'a JSON object');
  if (typeof row.key !== 'string' || row.key === '') throw new RowError(file, line, 'key', row.key, 'a non-empty string');
  if (typeof row.phase !== 'string' || !PHASES.includes(row.phase)) throw new RowError(file, line, 'phase', row.phase, PHASES.join(' or '));
  if (typeof row.seed !== 'number' || !Number.isInteger(row.seed)) throw new RowError(file, line, 'seed', row.seed, 'an integer');
  if (!isRecord(row.info)) throw new RowError(file, line, 'info', row.info, 'an object');
  finiteNumber(row.error, w, 'error', { min: 0, max: 1 });
  finiteNumber(row.accuracy, w, 'accuracy', { min: 0, max: 1 });
  if (!Array.isArray(row.perClassAccuracy)) throw new RowError(file, line, 'perClassAccuracy', row.perClassAccuracy, 'a list of accuracies (null for a class absent from the test set)');
  row.perClassAccuracy.forEach((x: unknown, i: number) => {
    if (x !== null) finiteNumber(x, w, `perClassAccuracy[${i}]`, { min: 0, max: 1 });
  });
  if (!isRecord(row.evaluations) || !isRecord(row.evaluations.test)) throw new RowError(file, line, 'evaluations', row.evaluations, 'an object with a "test" evaluation');
  for (const [k, e] of Object.entries(row.evaluations)) {
    if (!isRecord(e)) throw new RowError(file, line, `evaluations.${k}`, e, 'an object with accuracy, error, count');
    finiteNumber(e.accuracy, w, `evaluations.${k}.accuracy`, { min: 0, max: 1 });
    finiteNumber(e.error, w, `evaluations.${k}.error`, { min: 0, max: 1 });
    if (typeof e.count !== 'number' || !Number.isInteger(e.count) || e.count < 1) throw new RowError(file, line, `evaluations.${k}.count`, e.count, 'an integer >= 1');
  }
  finiteNumber(row.trainSeconds, w, 'trainSeconds', { min: 0 });
}
