import { readFileSync } from 'node:fs';
import { InputError, ResourceError } from '../errors.js';
import { columnIndex, formatCsv, parseCsvTable } from '../io/csv.js';
import type { LawObservation } from './lawForms.js';
import { readTextInput } from '../io/streams.js';
import { DECIMAL_NUMBER } from '../util/validate.js';

/**
 * Read measured errors for the law fit (THEORY.md section 6) from CSV: a header row naming
 * the columns n, L, error and optionally seed, stdErr (the known standard error of error, on
 * every row; the fit is then weighted and tested by chi^2) and cell (a label grouping
 * replicate rows for the lack-of-fit test) (any order; other columns are ignored), one
 * observation per line. Blank lines and lines starting with # are skipped. Every bad value
 * is an InputError naming the file, line and column.
 */
export const REQUIRED_COLUMNS = ['n', 'L', 'error'] as const;

/** Parse CSV text into law observations; `source` names the input in error messages. */
export function parseObservationsCsv(text: string, source = 'csv'): LawObservation[] {
  const table = parseCsvTable(text, source);
  const col = columnIndex(table, REQUIRED_COLUMNS, source, ['seed', 'stdErr', 'cell']);
  const rows: LawObservation[] = [];
  for (const { line, cells } of table.records) {
    const num = (name: string, check: (v: number) => boolean, valid: string): number => {
      const raw = cells[col[name]];
      const v = DECIMAL_NUMBER.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(v) || !check(v)) throw new InputError(`${source} line ${line} column "${name}"`, raw, valid);
      return v;
    };
    const row: LawObservation = {
      n: num('n', (v) => v > 0, 'a finite number > 0'),
      L: num('L', (v) => v > 0, 'a finite number > 0 (bytes per sample)'),
      error: num('error', () => true, 'a finite number'),
    };
    if ('seed' in col && cells[col.seed] !== '') row.seed = num('seed', () => true, 'a finite number');
    if ('stdErr' in col) row.stdErr = num('stdErr', (v) => v > 0, 'a finite number > 0 on every row (the known standard error of error)');
    if ('cell' in col && cells[col.cell] !== '') row.cell = cells[col.cell];
    rows.push(row);
  }
  if (rows.length === 0) throw new InputError(`${source}`, 'no data rows', 'at least one data row after the header');
  return rows;
}

/** Read and parse a CSV file of observations (missing file -> ResourceError, bad content -> InputError). */
export function readObservationsCsv(path: string): LawObservation[] {
  return parseObservationsCsv(readTextInput(path, '--in'), path === '-' ? 'stdin' : path);
}

/** Write observations as CSV (n,L,error[,seed][,stdErr][,cell]). */
export function observationsToCsv(rows: LawObservation[]): string {
  const withSeed = rows.some((r) => r.seed !== undefined);
  const withSe = rows.some((r) => r.stdErr !== undefined);
  const withCell = rows.some((r) => r.cell !== undefined);
  const header = ['n', 'L', 'error', ...(withSeed ? ['seed'] : []), ...(withSe ? ['stdErr'] : []), ...(withCell ? ['cell'] : [])];
  return formatCsv(header, rows.map((r) => [r.n, r.L, r.error, ...(withSeed ? [r.seed] : []), ...(withSe ? [r.stdErr] : []), ...(withCell ? [r.cell] : [])]));
}
