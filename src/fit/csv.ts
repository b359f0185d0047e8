import { readFileSync } from 'node:fs';
import { InputError, ResourceError } from '../errors.js';
import type { LawObservation } from './lawForms.js';

/**
 * Read measured errors for the law fit (THEORY.md section 6) from CSV: a header row naming
 * the columns n, L, error and optionally seed (any order; other columns are ignored), one
 * observation per line. Blank lines and lines starting with # are skipped. Every bad value
 * is an InputError naming the file, line and column.
 */
export const REQUIRED_COLUMNS = ['n', 'L', 'error'] as const;

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Parse CSV text into law observations; `source` names the input in error messages. */
export function parseObservationsCsv(text: string, source = 'csv'): LawObservation[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t !== '' && !t.startsWith('#')) {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) throw new InputError(`${source}`, 'empty file', 'a CSV with a header row n,L,error[,seed] and at least one data row');
  const header = splitCsvLine(lines[headerLine]);
  const col: Record<string, number> = {};
  header.forEach((h, j) => {
    if (h in col) throw new InputError(`${source} line ${headerLine + 1} header`, h, 'distinct column names', `column "${h}" appears twice`);
    col[h] = j;
  });
  for (const need of REQUIRED_COLUMNS) {
    if (!(need in col)) {
      throw new InputError(`${source} line ${headerLine + 1} header`, header.join(','), 'columns n, L, error (and optionally seed)', `missing column "${need}"`);
    }
  }
  const rows: LawObservation[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || t.startsWith('#')) continue;
    const cells = splitCsvLine(lines[i]);
    if (cells.length !== header.length) {
      throw new InputError(`${source} line ${i + 1}`, lines[i], `${header.length} comma-separated fields (${header.join(',')})`, `found ${cells.length}`);
    }
    const num = (name: string, check: (v: number) => boolean, valid: string): number => {
      const raw = cells[col[name]];
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v) || !check(v)) throw new InputError(`${source} line ${i + 1} column "${name}"`, raw, valid);
      return v;
    };
    const row: LawObservation = {
      n: num('n', (v) => v > 0, 'a finite number > 0'),
      L: num('L', (v) => v > 0, 'a finite number > 0 (bytes per sample)'),
      error: num('error', () => true, 'a finite number'),
    };
    if ('seed' in col && cells[col.seed] !== '') row.seed = num('seed', () => true, 'a finite number');
    rows.push(row);
  }
  if (rows.length === 0) throw new InputError(`${source}`, 'no data rows', 'at least one data row after the header');
  return rows;
}

/** Read and parse a CSV file of observations (missing file -> ResourceError, bad content -> InputError). */
export function readObservationsCsv(path: string): LawObservation[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ResourceError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseObservationsCsv(text, path);
}

/** Write observations as CSV (n,L,error[,seed]). */
export function observationsToCsv(rows: LawObservation[]): string {
  const withSeed = rows.some((r) => r.seed !== undefined);
  const head = withSeed ? 'n,L,error,seed' : 'n,L,error';
  return [head, ...rows.map((r) => [r.n, r.L, r.error, ...(withSeed ? [r.seed ?? ''] : [])].join(','))].join('\n') + '\n';
}
