import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvStreamParser, csvRow, formatCsv, isCsvIdentifier, parseCsv, parseCsvRecords, parseCsvTable, toCsvIdentifier } from '../src/io/csv.js';

/** Parse `text` fed in the given chunk sizes through the streaming parser. */
function chunked(text: string, sizes: number[]): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  const p = new CsvStreamParser();
  const onRow = (cells: string[], line: number): void => void out.push({ line, cells });
  let pos = 0;
  for (const s of sizes) {
    if (pos >= text.length) break;
    p.push(text.slice(pos, pos + s), onRow);
    pos += s;
  }
  if (pos < text.length) p.push(text.slice(pos), onRow);
  p.end(onRow);
  return out;
}

describe('the CSV module', () => {
  it('reads RFC 4180 quoting, a BOM, CRLF, CR and LF, skips blank and # lines, numbers lines', () => {
    const text = '\uFEFF"a","b, c"\r\n1,"say ""hi"""\r\n# note\n\n2,"two\nlines"\r3,x';
    expect(parseCsvRecords(text)).toEqual([
      { line: 1, cells: ['a', 'b, c'] },
      { line: 2, cells: ['1', 'say "hi"'] },
      { line: 5, cells: ['2', 'two\nlines'] },
      { line: 7, cells: ['3', 'x'] },
    ]);
    expect(parseCsv('#a,b\n1,2\n', { comments: false })).toEqual([['#a', 'b'], ['1', '2']]);
    expect(() => parseCsv('a,"b\n1,2')).toThrow(/unterminated quoted field/);
  });

  it('a table trims cells, needs distinct header names and one cell per column (naming the line)', () => {
    const t = parseCsvTable(' n , L \n 1 , 2 \n', 'x.csv');
    expect(t.header).toEqual(['n', 'L']);
    expect(t.records[0].cells).toEqual(['1', '2']);
    expect(() => parseCsvTable('a,a\n1,2\n', 'x.csv')).toThrow(/column "a" appears twice/);
    expect(() => parseCsvTable('a,b\n1,2\n3\n', 'x.csv')).toThrow(/x\.csv line 3.*found 1/);
  });

  it('streaming gives the same rows and line numbers for any chunking (property)', () => {
    const cell = fc.oneof(fc.constantFrom('', 'x', '1.5', 'a,b', 'q"q', 'two\nlines', 'cr\rlf', ' sp '), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 40 }), (rows, eol, sizes) => {
        const text = rows.map((r) => csvRow(r)).join(eol) + eol;
        expect(chunked(text, sizes)).toEqual(parseCsvRecords(text));
      }),
      { numRuns: 300 },
    );
  });

  it('written rows read back to the same cells (property); numbers round-trip exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (rows) => {
        const width = rows[0].length;
        const rect = rows.map((r) => Array.from({ length: width }, (_, j) => r[j] ?? ''));
        const header = Array.from({ length: width }, (_, j) => `c${j}`);
        const back = parseCsvRecords(formatCsv(header, rect), { comments: false }).map((r) => r.cells);
        // A row whose only cell is blank is a blank line, which readers skip.
        expect(back).toEqual([header, ...rect.filter((r) => !(r.length === 1 && r[0].trim() === ''))]);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(parseCsv(formatCsv(['x'], [[x]]))[1][0])).toBe(x === 0 ? 0 : x);
      }),
    );
  });

  it('headers are identifiers', () => {
    expect(() => formatCsv(['original format_n'], [])).toThrow(/not an identifier/);
    expect(toCsvIdentifier('original format')).toBe('original_format');
    expect(toCsvIdentifier('d1')).toBe('d1');
    expect(isCsvIdentifier(toCsvIdentifier('1st try!'))).toBe(true);
  });
});
