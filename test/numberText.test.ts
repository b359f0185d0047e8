import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberTextCache, writeNumberText } from '../src/io/numberText.js';
import { neighbour, pseudoRandomDoubles } from './helpers/doubles.js';

/**
 * The byte writer of numbers must give exactly String(x) (the output contract's shortest
 * round-trip form): checked against V8's own conversion on every kind of double, the exact
 * boundaries where its fallback takes over included.
 */
const buf = new Uint8Array(64);
const text = (x: number): string => Buffer.from(buf.subarray(0, writeNumberText(buf, 0, x))).toString('latin1');


describe('writeNumberText', () => {
  it('equals String(x) on 300,000 doubles with uniformly random bits (every exponent)', () => {
    let bad = 0;
    let first = '';
    for (const x of pseudoRandomDoubles(300_000)) {
      if (text(x) !== String(x)) {
        bad++;
        first ||= String(x);
      }
    }
    expect(bad, first).toBe(0);
  });

  it('equals String(x) for fast-check doubles, short decimals and risk-like values', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => text(x) === String(x)),
      { numRuns: 50_000 },
    );
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), fc.integer({ min: 1, max: 17 }), (x, p) => {
        const y = Number(x.toPrecision(p));
        return text(y) === String(y) && text(-y) === String(-y);
      }),
      { numRuns: 50_000 },
    );
  });

  it('equals String(x) at the boundaries: powers of two and ten and their neighbours, integers near 2^53 and 1e21, tiny and huge values, zeros', () => {
    const xs: number[] = [0, -0, 1, -1, 0.1, 0.5, 1.5, 2.5, 1e-7, 1e-6, 1.2345e-7, 123456e-11, 1e20, 1e21, 1.5e21, 2 ** 53, 2 ** 53 + 2, 2 ** 60, 2 ** 70, Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 5e-324, 1e-280, 1e280];
    for (let e = -1074; e < 1024; e++) {
      const x = 2 ** e;
      xs.push(x, neighbour(x, 1), e > -1074 ? neighbour(x, -1) : x);
    }
    for (let e = -323; e <= 308; e++) {
      const x = Number(`1e${e}`);
      xs.push(x, neighbour(x, 1), neighbour(x, -1));
      for (const d of [2, 3, 5, 7, 9]) xs.push(Number(`${d}e${e}`), Number(`${d}.5e${e}`));
    }
    for (let i = 0; i < 20_000; i++) xs.push(i, i / 10, i / 100, i / 1000, i / 7, 2 ** 53 - i, 9007199254740993 + 2 * i, i * 1e15 + 0.5, 999999999 + i, 99999999 + i);
    const bad = xs.filter((x) => text(x) !== String(x) || text(-x) !== String(-x));
    expect(bad.slice(0, 5).map(String)).toEqual([]);
    // Non-finite values are written as String(x) (callers map them to null or an empty cell).
    expect([NaN, Infinity, -Infinity].map(text)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('the cache of repeated values writes what writeNumberText writes, colliding slots and signed zeros included', () => {
    const cache = new NumberTextCache();
    const big = new Uint8Array(64);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(0, -0, 1e-3, 0.1, 2.5), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 600 }), (values) => {
        for (const x of [...values, ...values]) {
          const s = Buffer.from(big.subarray(0, cache.write(big, 0, x))).toString('latin1');
          if (s !== String(x)) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
