import { TextDecoder } from 'node:util';
import { CsvStreamParser, type CsvParseOptions } from './csv.js';

/**
 * A fast front end to the CSV module (`csv.ts`) for large numeric tables such as `risk --grid`
 * (README, "Output contract"): it reads raw bytes, and every line made only of plain decimal
 * numbers (`12`, `-0.5`, `.5`, `1e5`, no spaces, no quotes) reaches the consumer as a
 * Float64Array without creating a string. Everything else gets exactly the general reader's
 * treatment, so the two can never disagree:
 *  - a leading UTF-8 BOM is dropped, LF and CRLF end lines, blank lines and `#` lines are skipped
 *    (the general reader's rules);
 *  - a line with any other cell (a word, spaces, an empty cell, too many or too few cells) is
 *    decoded as UTF-8 and split at commas, exactly as the general reader splits an unquoted line,
 *    and given to the consumer as text cells, with its line number;
 *  - at the first double quote or lone CR (where a field or a line may span line breaks) the
 *    rest of the input, from the start of that line, goes to the general `CsvStreamParser`.
 * Numbers are parsed with the exact fast path of decimal conversion (at most 15 significant
 * digits and a power of ten up to 1e22: one correctly rounded multiplication or division) and
 * with `Number()` otherwise, so each value equals `Number(cell)`.
 */
export interface NumericCsvConsumer {
  /**
   * A line of `values.length === columns` plain decimal numbers (the array is reused). Return
   * false to have the same line delivered again through `textRow` (for example to report it).
   */
  numericRow(values: Float64Array, line: number): boolean;
  /** Any other row: untrimmed text cells, as the general reader gives them. */
  textRow(cells: string[], line: number): void;
}

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const HASH = 35;
const DOT = 46;
const MINUS = 45;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;

/** 10^j, j = 0..22, exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, j) => Number(`1e${j}`));

/** The value found by the last successful `scanDecimal`. */
let scanned = 0;

/**
 * Scan a plain decimal number (grammar of `DECIMAL_NUMBER` in util/validate.ts) starting at
 * buf[start], reading at most up to `limit`: returns the index of the first byte after it (its
 * value in `scanned`, equal to Number() of its text), or -1 when no number starts there or its
 * value is not finite.
 */
function scanDecimal(buf: Uint8Array, start: number, limit: number): number {
  let i = start;
  let neg = false;
  let c = i < limit ? buf[i] : -1;
  if (c === MINUS || c === PLUS) {
    neg = c === MINUS;
    c = ++i < limit ? buf[i] : -1;
  }
  let mant = 0;
  let sig = 0; // significant digits taken into mant (leading zeros excluded)
  let digits = 0;
  let scale = 0; // power of ten of mant's last digit
  while (c >= ZERO && c <= NINE) {
    digits++;
    if (mant !== 0 || c !== ZERO) {
      mant = mant * 10 + (c - ZERO);
      sig++;
    }
    c = ++i < limit ? buf[i] : -1;
  }
  if (c === DOT) {
    c = ++i < limit ? buf[i] : -1;
    while (c >= ZERO && c <= NINE) {
      digits++;
      if (mant !== 0 || c !== ZERO) {
        mant = mant * 10 + (c - ZERO);
        sig++;
      }
      scale--;
      c = ++i < limit ? buf[i] : -1;
    }
  }
  if (digits === 0) return -1;
  if (c === LOWER_E || c === UPPER_E) {
    c = ++i < limit ? buf[i] : -1;
    let eneg = false;
    if (c === MINUS || c === PLUS) {
      eneg = c === MINUS;
      c = ++i < limit ? buf[i] : -1;
    }
    let ex = 0;
    let edigits = 0;
    while (c >= ZERO && c <= NINE) {
      if (ex < 1e6) ex = ex * 10 + (c - ZERO);
      edigits++;
      c = ++i < limit ? buf[i] : -1;
    }
    if (edigits === 0) return -1;
    scale += eneg ? -ex : ex;
  }
  let v: number;
  if (mant === 0) v = 0;
  else if (sig <= 15 && scale >= -22 && scale <= 22) v = scale >= 0 ? mant * POW10[scale] : mant / POW10[-scale];
  else {
    v = Number(latin1(buf, start, i));
    if (!Number.isFinite(v)) return -1;
    scanned = v;
    return i;
  }
  scanned = neg ? -v : v;
  return i;
}

/**
 * The number written in bytes [start, end) when they are exactly a plain decimal number
 * (`DECIMAL_NUMBER` without surrounding spaces) with a finite value, else NaN.
 */
export function parseDecimalBytes(buf: Uint8Array, start: number, end: number): number {
  return scanDecimal(buf, start, end) === end ? scanned : NaN;
}

/** scanNumericLine: the line is not a numeric row (or was declined); take the general route. */
export const NOT_NUMERIC = -1;
/** scanNumericLine: the buffer ends inside the line; wait for more input. */
export const INCOMPLETE = -2;

/**
 * A numeric row starting at buf[start], reading up to n: `cols` plain decimals separated by
 * commas, ended by LF or CRLF, parsed into values[0..cols). Returns the index after its LF,
 * NOT_NUMERIC, or INCOMPLETE when buf ends first.
 */
export function scanNumericLine(buf: Uint8Array, start: number, n: number, cols: number, values: Float64Array): number {
  let i = start;
  for (let c = 0; ; c++) {
    const e = scanDecimal(buf, i, n);
    if (e < 0) return i === n ? INCOMPLETE : NOT_NUMERIC;
    if (e === n) return INCOMPLETE;
    values[c] = scanned;
    const d = buf[e];
    if (c === cols - 1) {
      if (d === LF) return e + 1;
      if (d === CR) {
        if (e + 1 === n) return INCOMPLETE;
        return buf[e + 1] === LF ? e + 2 : NOT_NUMERIC;
      }
      return NOT_NUMERIC;
    }
    if (d !== COMMA) return NOT_NUMERIC;
    i = e + 1;
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/** Incremental reader: `push` byte chunks of any size, `end` at the end of input. */
export class NumericCsvReader {
  /** Number of cells a numeric line must have (0: none is numeric, e.g. before the header). */
  columns = 0;
  private values = new Float64Array(0);
  private carry: Uint8Array | null = null;
  private line = 1;
  private started = false;
  private general: CsvStreamParser | null = null;
  private decoder: TextDecoder | null = null;
  private readonly comments: boolean;
  private readonly text = new TextDecoder('utf-8');

  constructor(opts: CsvParseOptions = {}) {
    this.comments = opts.comments ?? true;
  }

  /** Read a chunk; complete lines go to `to` in order. */
  push(chunk: Uint8Array, to: NumericCsvConsumer): void {
    if (this.general) {
      this.feedGeneral(chunk, false, to);
      return;
    }
    let buf = chunk;
    if (this.carry) {
      // Finish the line the last chunk ended in on its own (a short copy), then read this
      // chunk in place.
      const carry = this.carry;
      let lf = 0;
      while (lf < chunk.length && chunk[lf] !== LF) lf++;
      const head = new Uint8Array(carry.length + Math.min(lf + 1, chunk.length));
      head.set(carry, 0);
      head.set(chunk.subarray(0, lf + 1), carry.length);
      this.carry = null;
      if (lf === chunk.length) {
        // Still no line end: keep collecting (or, before the BOM check, re-check with more bytes).
        if (this.started) {
          this.carry = head;
          return;
        }
        buf = head;
      } else {
        this.scan(head, to);
        if (this.general) {
          this.feedGeneral(chunk.subarray(lf + 1), false, to);
          return;
        }
        buf = chunk.subarray(lf + 1);
        const left = this.carry as Uint8Array | null;
        if (left) {
          // Only before the BOM check (a first line of under 3 bytes): join and read on.
          this.carry = null;
          const joined = new Uint8Array(left.length + buf.length);
          joined.set(left, 0);
          joined.set(buf, left.length);
          buf = joined;
        }
      }
    }
    this.scan(buf, to);
  }

  /** Read the complete lines of buf; the unfinished rest is kept (copied) for the next chunk. */
  private scan(buf: Uint8Array, to: NumericCsvConsumer): void {
    let pos = 0;
    if (!this.started) {
      if (buf.length < 3 && buf.length > 0 && buf[0] === 0xef) {
        this.carry = new Uint8Array(buf);
        return;
      }
      this.started = buf.length > 0;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
    }
    const n = buf.length;
    while (pos < n) {
      if (this.columns > 0) {
        const next = this.numericLine(buf, pos, n, to);
        if (next >= 0) {
          pos = next;
          continue;
        }
        if (next === INCOMPLETE) break;
      }
      let lf = pos;
      while (lf < n && buf[lf] !== LF) lf++;
      if (lf === n) break;
      if (!this.lineAt(buf, pos, lf, to)) return;
      pos = lf + 1;
    }
    if (pos < n) this.carry = new Uint8Array(buf.subarray(pos)); // a copy: the caller may reuse chunk
  }

  /** Flush the last line (one without a final newline). */
  end(to: NumericCsvConsumer): void {
    if (!this.general && this.carry && this.carry.length > 0) {
      // A final line without its newline: read it as if the newline were there.
      this.push(Uint8Array.of(LF), to);
    }
    this.carry = null;
    if (this.general) this.feedGeneral(new Uint8Array(0), true, to);
  }

  /**
   * A numeric row starting at buf[start] (see `scanNumericLine`), delivered through
   * `numericRow`. Returns the index after its LF, NOT_NUMERIC, or INCOMPLETE when buf ends first.
   */
  private numericLine(buf: Uint8Array, start: number, n: number, to: NumericCsvConsumer): number {
    const cols = this.columns;
    const values = this.values.length === cols ? this.values : (this.values = new Float64Array(cols));
    const i = scanNumericLine(buf, start, n, cols, values);
    if (i < 0) return i;
    const line = this.line;
    if (!to.numericRow(values, line)) return NOT_NUMERIC;
    this.line = line + 1;
    return i;
  }

  /**
   * Between chunks, when every line so far has been read by the numeric path (no quoted text
   * ahead): the bytes of the unfinished last line (removed from the reader) and the number of
   * the next line, so a caller can read on elsewhere and come back with `resume`. Null while
   * the general reader has taken over or the start of input is not settled.
   */
  detach(): { rest: Uint8Array; line: number } | null {
    if (this.general || !this.started) return null;
    const rest = this.carry ?? new Uint8Array(0);
    this.carry = null;
    return { rest, line: this.line };
  }

  /** Continue after `detach` at line number `line` (the next bytes pushed start that line). */
  resume(line: number): void {
    this.line = line;
  }

  /**
   * One line [start, lf) (lf: its LF, or the end of input). Returns false when the line starts
   * the general parser (which then has been given the rest of buf).
   */
  private lineAt(buf: Uint8Array, start: number, lf: number, to: NumericCsvConsumer): boolean {
    const line = this.line;
    let end = lf;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) {
      this.line++;
      return true;
    }
    if (this.comments && buf[start] === HASH) {
      for (let i = start; i < end; i++) if (buf[i] === CR) return this.startGeneral(buf, start, to);
      this.line++;
      return true;
    }
    // Not numeric: the general reader's view of the line.
    for (let i = start; i < end; i++) {
      const b = buf[i];
      if (b === QUOTE || b === CR) return this.startGeneral(buf, start, to);
    }
    this.line++;
    const cells = this.text.decode(buf.subarray(start, end)).split(',');
    if (!(cells.length === 1 && cells[0].trim() === '')) to.textRow(cells, line);
    return true;
  }

  /** Hand everything from buf[start] on to the general CSV parser (quotes or lone CRs ahead). */
  private startGeneral(buf: Uint8Array, start: number, to: NumericCsvConsumer): false {
    this.general = new CsvStreamParser({ comments: this.comments, firstLine: this.line });
    this.decoder = new TextDecoder('utf-8');
    this.feedGeneral(buf.subarray(start), false, to);
    return false;
  }

  private feedGeneral(bytes: Uint8Array, final: boolean, to: NumericCsvConsumer): void {
    const parser = this.general as CsvStreamParser;
    const onRow = (cells: string[], line: number): void => to.textRow(cells, line);
    const text = (this.decoder as TextDecoder).decode(bytes, { stream: !final });
    if (text !== '') parser.push(text, onRow);
    if (final) parser.end(onRow);
  }
}
