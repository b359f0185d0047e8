import { InputError } from '../errors.js';
import { withoutBom } from './streams.js';

/**
 * The one CSV reader and writer of lossyscale (RFC 4180). Reading: a UTF-8 byte-order mark is
 * dropped, rows end with LF, CRLF or CR, fields may be quoted ("a, ""b""" is one field holding a
 * comma, quotes and even newlines), blank lines and lines starting with `#` are skipped.
 * Writing: fields are quoted only when they hold a comma, quote, CR or LF; numbers are written in
 * the shortest form that reads back to the same double; headers must be identifiers.
 */

/** One parsed row: its cells and the 1-based line number where it starts. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

export interface CsvParseOptions {
  /** Skip lines whose first character is `#` (default true). */
  comments?: boolean;
  /**
   * The line number of the first line of input (default 1). When given, the input continues a
   * document whose start has been read elsewhere, so no byte-order mark is dropped.
   */
  firstLine?: number;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const HASH = 35;

/**
 * Incremental CSV parser: feed text in chunks of any size (a quoted field may span chunks),
 * get each complete row through `onRow` as soon as its line ends. Memory is bounded by the
 * longest row, not the input.
 */
export class CsvStreamParser {
  private rest = '';
  private line = 1;
  private started = false;
  private readonly comments: boolean;

  constructor(opts: CsvParseOptions = {}) {
    this.comments = opts.comments ?? true;
    if (opts.firstLine !== undefined) {
      this.line = opts.firstLine;
      this.started = true;
    }
  }

  /** Parse a chunk; rows completed by it go to `onRow` (cells untrimmed, in order). */
  push(chunk: string, onRow: (cells: string[], line: number) => void): void {
    let text = this.rest === '' ? chunk : this.rest + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      text = withoutBom(text);
    }
    this.rest = text.slice(this.scan(text, false, onRow));
  }

  /** Flush the last row (one without a final newline). */
  end(onRow: (cells: string[], line: number) => void): void {
    if (this.rest !== '') this.scan(this.rest, true, onRow);
    this.rest = '';
  }

  /** Scan complete rows of `text`; returns the index where the unfinished row starts. */
  private scan(text: string, final: boolean, onRow: (cells: string[], line: number) => void): number {
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      const rowStart = pos;
      const rowLine = this.line;
      let newlines = 0;
      let c = text.charCodeAt(pos);
      if (this.comments && c === HASH) {
        let e = pos;
        while (e < n && text.charCodeAt(e) !== LF && text.charCodeAt(e) !== CR) e++;
        if (e === n && !final) return rowStart;
        if (e < n && text.charCodeAt(e) === CR) {
          if (e + 1 === n && !final) return rowStart;
          if (e + 1 < n && text.charCodeAt(e + 1) === LF) e++;
        }
        this.line++;
        pos = e + 1;
        continue;
      }
      const cells: string[] = [];
      let complete = false;
      for (;;) {
        // One field starting at pos.
        c = pos < n ? text.charCodeAt(pos) : -1;
        if (c === QUOTE) {
          let value = '';
          let from = pos + 1;
          let i = from;
          let closed = false;
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === QUOTE) {
              if (i + 1 < n && text.charCodeAt(i + 1) === QUOTE) {
                value += text.slice(from, i + 1);
                i += 2;
                from = i;
                continue;
              }
              if (i + 1 === n && !final) break;
              value += text.slice(from, i);
              closed = true;
              i++;
              break;
            }
            if (d === LF) newlines++;
            else if (d === CR && !(i + 1 < n && text.charCodeAt(i + 1) === LF)) newlines++;
            i++;
          }
          if (!closed) {
            if (!final) return rowStart;
            throw new InputError(`csv line ${rowLine}`, text.slice(rowStart, Math.min(n, rowStart + 60)), 'a closing quote for every quoted field', 'unterminated quoted field');
          }
          // Text after the closing quote up to the delimiter is kept (lenient, like most readers).
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            j++;
          }
          if (j > i) value += text.slice(i, j);
          cells.push(value);
          pos = j;
        } else {
          let j = pos;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            j++;
          }
          cells.push(text.slice(pos, j));
          pos = j;
        }
        if (pos >= n) {
          if (!final) return rowStart;
          complete = true;
          break;
        }
        c = text.charCodeAt(pos);
        if (c === COMMA) {
          pos++;
          continue;
        }
        if (c === CR) {
          if (pos + 1 === n && !final) return rowStart;
          pos += pos + 1 < n && text.charCodeAt(pos + 1) === LF ? 2 : 1;
        } else pos++;
        complete = true;
        break;
      }
      this.line += newlines + 1;
      if (complete && !(cells.length === 1 && cells[0].trim() === '')) onRow(cells, rowLine);
    }
    return n;
  }
}

/** Every row of a CSV text (blank and `#` lines skipped), with line numbers; cells untrimmed. */
export function parseCsvRecords(text: string, opts: CsvParseOptions = {}): CsvRecord[] {
  const out: CsvRecord[] = [];
  const p = new CsvStreamParser(opts);
  const onRow = (cells: string[], line: number): void => {
    out.push({ line, cells });
  };
  p.push(text, onRow);
  p.end(onRow);
  return out;
}

/** Every row of a CSV text as arrays of cells (blank and `#` lines skipped). */
export function parseCsv(text: string, opts: CsvParseOptions = {}): string[][] {
  return parseCsvRecords(text, opts).map((r) => r.cells);
}

/** A CSV with a header row: trimmed column names, data rows checked to have one cell per column. */
export interface CsvTable {
  header: string[];
  headerLine: number;
  records: CsvRecord[];
}

/**
 * Parse a CSV with a header row; `source` names the input in errors. Column names must be
 * distinct; a data row with a different number of cells is an InputError naming its line.
 * Cells are trimmed.
 */
export function parseCsvTable(text: string, source = 'csv', opts: CsvParseOptions = {}): CsvTable {
  const records = parseCsvRecords(text, opts);
  if (records.length === 0) throw new InputError(source, 'empty file', 'a CSV with a header row and at least one data row');
  const [head, ...rest] = records;
  const header = head.cells.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new InputError(`${source} line ${head.line} header`, h, 'distinct column names', `column "${h}" appears twice`);
    seen.add(h);
  }
  for (const r of rest) {
    if (r.cells.length !== header.length) throw new InputError(`${source} line ${r.line}`, r.cells.join(','), `${header.length} comma-separated fields (${header.join(',')})`, `found ${r.cells.length}`);
    for (let j = 0; j < r.cells.length; j++) r.cells[j] = r.cells[j].trim();
  }
  return { header, headerLine: head.line, records: rest };
}

/** Column index by name for a parsed header; throws an InputError listing what is missing. */
export function columnIndex(table: Pick<CsvTable, 'header' | 'headerLine'>, required: readonly string[], source = 'csv', optional: readonly string[] = []): Record<string, number> {
  const col: Record<string, number> = {};
  table.header.forEach((h, j) => (col[h] = j));
  for (const need of required) {
    if (!(need in col)) throw new InputError(`${source} line ${table.headerLine} header`, table.header.join(','), `columns ${required.join(', ')}${optional.length ? ` (and optionally ${optional.join(', ')})` : ''}`, `missing column "${need}"`);
  }
  return col;
}

/** A valid CSV header name: an identifier (letters, digits, underscore; not starting with a digit). */
export function isCsvIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One field: numbers in shortest round-trip form, null/undefined empty, quoted when needed. A
 * NaN or infinite number (an undefined statistic) is an empty field too, never "NaN".
 */
export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'string' ? v : String(v);
  return /[",\r\n]/.test(s) || (typeof v === 'string' && s !== s.trim()) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row (no line ending). */
export function csvRow(cells: readonly CsvValue[]): string {
  let out = '';
  for (let j = 0; j < cells.length; j++) out += (j ? ',' : '') + csvCell(cells[j]);
  return out;
}

/** The header row; every name must be an identifier. */
export function csvHeader(names: readonly string[]): string {
  for (const h of names) if (!isCsvIdentifier(h)) throw new Error(`CSV header ${JSON.stringify(h)} is not an identifier`);
  return names.join(',');
}

/** A whole CSV document: header and rows, LF line endings, trailing newline. */
export function formatCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  let out = csvHeader(header) + '\n';
  for (const r of rows) out += csvRow(r) + '\n';
  return out;
}

/** A CSV document from objects: one column per key of `columns`, in that order. */
export function formatCsvObjects<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  return formatCsv(
    columns,
    rows.map((r) => columns.map((c) => r[c] as CsvValue)),
  );
}

/** A display name as a CSV identifier: runs of other characters become one `_` ("original format" -> "original_format"). */
export function toCsvIdentifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(s) || s === '' ? `_${s}` : s;
}
