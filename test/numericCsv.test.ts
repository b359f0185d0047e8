import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvStreamParser } from '../src/io/csv.js';
import { NumericCsvReader, parseDecimalBytes } from '../src/io/numericCsv.js';
import { DECIMAL_NUMBER } from '../src/util/validate.js';

/**
 * The byte-level numeric front end of the CSV module must agree with the general reader on
 * every input: the same rows, the same line numbers, numeric rows exactly the rows whose cells
 * are plain decimals, with the values Number() gives.
 */
interface Row {
  line: number;
  cells: string[] | null;
  values: number[] | null;
}

const enc = new TextEncoder();

/** Rows of `bytes` through NumericCsvReader fed in the given chunk sizes; `columns` set after the first row. */
function fast(bytes: Uint8Array, sizes: number[], columns: number, decline: (values: Float64Array) => boolean = () => false): Row[] {
  const rows: Row[] = [];
  const reader = new NumericCsvReader();
  const to = {
    numericRow(values: Float64Array, line: number): boolean {
      if (decline(values)) return false;
      rows.push({ line, cells: null, values: [...values] });
      return true;
    },
    textRow(cells: string[], line: number): void {
      rows.push({ line, cells, values: null });
      reader.columns = columns;
    },
  };
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const s = sizes.length ? sizes[k++ % sizes.length] : bytes.length;
    // A fresh copy per chunk, and the chunk overwritten after use: the reader must not keep views.
    const chunk = bytes.slice(pos, pos + s);
    reader.push(chunk, to);
    chunk.fill(0x7e);
    pos += s;
  }
  reader.end(to);
  return rows;
}

/** The general reader's rows of the same text. */
function general(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  const p = new CsvStreamParser();
  const onRow = (cells: string[], line: number): void => void out.push({ line, cells });
  p.push(text, onRow);
  p.end(onRow);
  return out;
}

const isPlainDecimal = (cell: string): boolean => DECIMAL_NUMBER.test(cell) && Number.isFinite(Number(cell));

/** The fast reader's rows agree with the general reader's: same lines; numeric rows are the plain-decimal rows (after the header), with Number()'s values. */
function agree(text: string, sizes: number[], withBom = false): void {
  const bytes = enc.encode((withBom ? '\uFEFF' : '') + text);
  const want = general((withBom ? '\uFEFF' : '') + text);
  const columns = want.length ? want[0].cells.length : 0;
  const got = fast(bytes, sizes, columns);
  expect(got.map((r) => r.line)).toEqual(want.map((r) => r.line));
  got.forEach((r, i) => {
    const cells = want[i].cells;
    if (r.values) {
      expect(i).toBeGreaterThan(0);
      expect(cells.length).toBe(columns);
      expect(cells.every(isPlainDecimal)).toBe(true);
      r.values.forEach((v, j) => expect(Object.is(v, Number(cells[j])), `${cells[j]} -> ${v}`).toBe(true));
    } else expect(r.cells).toEqual(cells);
  });
}

describe('parseDecimalBytes', () => {
  const parse = (s: string): number => {
    const b = enc.encode(s);
    return parseDecimalBytes(b, 0, b.length);
  };

  it('accepts exactly the plain decimals of DECIMAL_NUMBER with a finite value, and gives Number() of them', () => {
    const cell = fc.stringMatching(/^[-+]?[0-9]{0,20}\.?[0-9]{0,20}([eE][-+]?[0-9]{0,4})?$/);
    const noise = fc.string({ unit: fc.constantFrom('0', '1', '9', '.', 'e', 'E', '-', '+', ' ', 'x', ',', '"'), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(cell, noise), (s) => {
        const v = parse(s);
        if (isPlainDecimal(s)) return Object.is(v, Number(s));
        return Number.isNaN(v);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 21 }), (x, p) => {
        for (const s of [String(x), x.toPrecision(p), x.toExponential(Math.min(p - 1, 20)), Math.abs(x) < 1e21 ? x.toFixed(Math.min(p, 20)) : String(x)]) {
          const want = Number.isFinite(Number(s)) ? Number(s) : NaN;
          if (!Object.is(parse(s), want)) return false;
        }
        return true;
      }),
      { numRuns: 20_000 },
    );
    expect([parse('1e400'), parse('-1e400'), parse(''), parse('.'), parse('1e'), parse(' 1'), parse('0x10'), parse('1_0')].every(Number.isNaN)).toBe(true);
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect(parse('5.')).toBe(5);
    expect(parse('.5')).toBe(0.5);
    expect(parse('1.00000000000000000000001')).toBe(1);
  });
});

describe('NumericCsvReader', () => {
  it('numeric rows come as numbers with their line numbers; a BOM, CRLF, blank and # lines are handled like the general reader', () => {
    const text = '\uFEFFp,q\r\n1,2.5\r\n\r\n# note\n-3e2,.5\n';
    const rows = fast(enc.encode(text), [], 2);
    expect(rows).toEqual([
      { line: 1, cells: ['p', 'q'], values: null },
      { line: 2, cells: null, values: [1, 2.5] },
      { line: 5, cells: null, values: [-300, 0.5] },
    ]);
  });

  it('other lines come as text cells, exactly as the general reader splits them', () => {
    const text = 'a,b\n1, 2\n1,2,3\n1\nopt,2\n,\n  \n3,4';
    const rows = fast(enc.encode(text), [3], 2);
    expect(rows.map((r) => [r.line, r.cells ?? r.values])).toEqual([
      [1, ['a', 'b']],
      [2, ['1', ' 2']],
      [3, ['1', '2', '3']],
      [4, ['1']],
      [5, ['opt', '2']],
      [6, ['', '']],
      [8, [3, 4]],
    ]);
  });

  it('a declined numeric row is delivered again as text, on the same line', () => {
    const rows = fast(enc.encode('a,b\n1,2\n0.5,2\n3,4\n'), [], 2, (v) => v[0] < 1);
    expect(rows.map((r) => [r.line, r.cells ?? r.values])).toEqual([
      [1, ['a', 'b']],
      [2, [1, 2]],
      [3, ['0.5', '2']],
      [4, [3, 4]],
    ]);
  });

  it('from a quote or a lone CR on, the general parser reads the rest with the right line numbers', () => {
    const text = 'a,b\n1,2\n"3","x\ny"\n4,5\n6,7\r8,9\n';
    const rows = fast(enc.encode(text), [5], 2);
    expect(rows.map((r) => [r.line, r.cells ?? r.values])).toEqual([
      [1, ['a', 'b']],
      [2, [1, 2]],
      [3, ['3', 'x\ny']],
      [5, ['4', '5']],
      [6, ['6', '7']],
      [7, ['8', '9']],
    ]);
    // A quoted header switches at once; UTF-8 split across chunks is decoded whole.
    const quoted = fast(enc.encode('"p","é"\n1,2\n'), [1], 2);
    expect(quoted.map((r) => r.cells)).toEqual([['p', 'é'], ['1', '2']]);
    const utf = fast(enc.encode('p,q\n1,2\nü,3\n'), [1], 2);
    expect(utf.map((r) => r.cells ?? r.values)).toEqual([['p', 'q'], [1, 2], ['ü', '3']]);
  });

  it('property: on random documents and chunkings it agrees with the general CSV module', () => {
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer({ min: -1000, max: 100000 }).map(String),
      fc.constantFrom('0.5', '.5', '5.', '1e5', '2.5E-3', '-0', '+7', '1e400', '00012', '0.000000000000000000001', '123456789012345678901'),
    );
    const other = fc.constantFrom('', ' ', ' 1', '1 ', 'x', 'opt', 'é', '"q"', '"a,b"', '"x""y"', '"two\nlines"', '1e', '.', '-');
    const cell = fc.oneof({ weight: 6, arbitrary: num }, { weight: 1, arbitrary: other });
    const eol = fc.constantFrom('\n', '\r\n', '\n', '\r');
    const row = fc.tuple(fc.array(cell, { minLength: 1, maxLength: 4 }), eol);
    const extra = fc.constantFrom('', '', '', '# comment\n', '\n', '\r\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(row, extra), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 8 }),
        (rows, bom, finalEol, sizes) => {
          let text = 'p,q,r\n';
          rows.forEach(([[cells, e], x], i) => {
            text += cells.join(',') + (i < rows.length - 1 || finalEol ? e : '') + (i < rows.length - 1 ? x : '');
          });
          agree(text, sizes, bom);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
