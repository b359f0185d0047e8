import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { POWER_TABLE_MAX, POWER_TABLE_MIN, powerTable, RiskGridKernel } from '../src/cli/commands/_riskGridWasm.js';
import { evaluateBatch, RiskRowWriter } from '../src/cli/commands/_riskRowWriter.js';
import { MODEL_CACHE, RiskGridEvaluator } from '../src/theory/riskGrid.js';
import { compileWasmC, haveClang } from '../scripts/compileWasmC.js';
import { neighbour, pseudoRandomDoubles } from './helpers/doubles.js';

/**
 * The WebAssembly kernel of `risk --grid` (src/cli/commands/wasm/riskGridBatch.c) must write
 * exactly the bytes of the TypeScript path, which the other risk-grid tests check against
 * deterministicRisk. Checked here: its number writer against V8's String(x), its exact integer
 * formulas and table against BigInt arithmetic, whole batches against evaluateBatch without the
 * kernel (fast-check grids with invalid rows, model changes and interleaved models, m above the kernel's cap and
 * numbers for the slow decimal path), that it really takes the rows, and that the committed
 * binary is what the C source compiles to.
 */

const kernel = RiskGridKernel.create();
if (kernel === null) throw new Error('the risk-grid WebAssembly kernel did not load');


/** Mismatches of the kernel's text with String(x) over xs (the first few, for the message). */
function mismatches(xs: Iterable<number>): { count: number; checked: number; examples: string[] } {
  const k = kernel as RiskGridKernel;
  let count = 0;
  let checked = 0;
  const examples: string[] = [];
  for (const x of xs) {
    const t = k.numberText(x);
    const subnormal = x !== 0 && Math.abs(x) < 2.2250738585072014e-308;
    checked++;
    if (t === null ? !subnormal : t !== String(x)) {
      count++;
      if (examples.length < 5) examples.push(`${String(x)} -> ${t}`);
    }
  }
  return { count, checked, examples };
}

describe('risk-grid kernel: numbers', () => {
  it('writes String(x) for 1,000,000 doubles with pseudo-random bits (every exponent)', () => {
    const r = mismatches(pseudoRandomDoubles(1_000_000));
    expect(r.count, r.examples.join('; ')).toBe(0);
    expect(r.checked).toBeGreaterThan(990_000);
  });

  it('writes String(x) at every power of two and of ten, and at their neighbours', () => {
    const xs: number[] = [];
    for (let e = -1022; e <= 1023; e++) for (const s of [-2, -1, 0, 1, 2]) xs.push(neighbour(2 ** e, s));
    for (let e = -307; e <= 308; e++) for (const s of [-2, -1, 0, 1, 2]) xs.push(neighbour(Number(`1e${e}`), s));
    xs.push(Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, 9007199254740991, 1e21, 1e21 - 65536, 123456789012345680000, 0.1, 0.2, 0.3, 1 / 3, -0);
    const r = mismatches(xs.flatMap((x) => [x, -x]));
    expect(r.count, r.examples.join('; ')).toBe(0);
  });

  it('writes String(x) for short decimals, halfway cases and risk-like values (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999 }), fc.integer({ min: -300, max: 290 }), fc.double({ min: 1e-12, max: 1e6, noNaN: true }), (digits, exp, v) => {
        const short = Number(`${digits}e${exp}`);
        // A dyadic with a 5 in the last place: a tie between two 17-digit decimals.
        const tie = (2 * Math.floor(v * 2 ** 20) + 1) / 2 ** 21;
        const r = mismatches([short, neighbour(short, 1), neighbour(short, -1), tie, v, v / 7, Math.exp(-v)]);
        expect(r.count, r.examples.join('; ')).toBe(0);
      }),
      { numRuns: 20_000 },
    );
  });

  it('computes floor(log10 2^e), floor(log10(3/4 2^e)) and floor(log2 10^e) exactly for |e| <= 1700', () => {
    const k = kernel as RiskGridKernel;
    const floorLog10 = (num: bigint, den: bigint): number => {
      if (num >= den) return (num / den).toString().length - 1;
      let t = -(den / num).toString().length;
      while (num * 10n ** BigInt(-t) < den) t--;
      while (num * 10n ** BigInt(-(t + 1)) >= den) t++;
      return t;
    };
    const bitLength = (v: bigint): number => v.toString(2).length;
    const bad: string[] = [];
    for (let e = -1700; e <= 1700; e++) {
      const p2 = 1n << BigInt(Math.abs(e));
      const want0 = e >= 0 ? floorLog10(p2, 1n) : floorLog10(1n, p2);
      const want1 = e >= 2 ? floorLog10(3n << BigInt(e - 2), 1n) : floorLog10(3n, 1n << BigInt(2 - e));
      const p10 = 10n ** BigInt(Math.abs(e));
      const want2 = e === 0 ? 0 : e > 0 ? bitLength(p10) - 1 : -bitLength(p10);
      if (k.floorLog(0, e) !== want0 || k.floorLog(1, e) !== want1 || k.floorLog(2, e) !== want2) bad.push(`e=${e}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('holds g(e) = floor(10^e 2^(125 - floor(log2 10^e))) + 1 in [2^125 + 1, 2^126] for every e of the table', () => {
    const { hi, lo } = powerTable();
    const bad: number[] = [];
    for (let e = POWER_TABLE_MIN; e <= POWER_TABLE_MAX; e++) {
      const g = (hi[e - POWER_TABLE_MIN] << 64n) | lo[e - POWER_TABLE_MIN];
      const ten = 10n ** BigInt(Math.abs(e));
      // r = floor(log2 10^e) from a floating-point estimate, confirmed by 2^r <= 10^e < 2^(r+1)
      // multiplied out (not from the bit length the table was built with).
      const r = Math.floor(e * Math.log2(10));
      const holds = e >= 0 ? 1n << BigInt(r) <= ten && ten < 1n << BigInt(r + 1) : ten <= 1n << BigInt(-r) && 1n << BigInt(-r - 1) < ten;
      if (!holds) {
        bad.push(e);
        continue;
      }
      // (g - 1) <= 10^e 2^(125 - r) < g, multiplied out.
      const s = 125 - r;
      const ok =
        e >= 0
          ? s >= 0
            ? g - 1n === ten << BigInt(s)
            : (g - 1n) << BigInt(-s) <= ten && ten < g << BigInt(-s)
          : (g - 1n) * ten <= 1n << BigInt(s) && 1n << BigInt(s) < g * ten;
      if (!ok || g - 1n < 1n << 125n || g - 1n >= 1n << 126n) bad.push(e);
    }
    expect(bad).toEqual([]);
  });
});

/** One batch through evaluateBatch with or without the kernel: its output text, rows and stop. */
function batch(text: string, header: number[], json: boolean, k: RiskGridKernel | null): { out: string; rows: number; stop: number } {
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  const r = evaluateBatch({ id: 0, bytes, header, json, spare: new ArrayBuffer(0) }, new RiskGridEvaluator(), new RiskRowWriter(json), k);
  return { out: Buffer.from(r.out).toString('latin1'), rows: r.rows, stop: r.stop };
}

// Ten models: more than the kernel holds at once (MODEL_CACHE), so interleaving them also evicts.
const models = ['2.01,2,0.99,1', '3,2,0.5,0.25', '2.5,2,2.4,0', '1e6,3,999999,7', '2.0000001,2,1e-300,1e-5', '4,3,1,0.5', '5.5,5,0.1,2', '2.2,2,2.1,0.01', '7,4,3,1', '10,2,9,3'];

// Mostly valid rows (an invalid one ends the batch, for both paths alike).
const rowArb = fc.record({
  n: fc.oneof(
    { weight: 200, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
    { weight: 4, arbitrary: fc.constantFrom(1, 3, 7, 15, 31, 63, 1e12, 1e300, 2.5) },
    { weight: 1, arbitrary: fc.constantFrom(0.5, 1e305) },
  ),
  m: fc.oneof({ weight: 200, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 10, arbitrary: fc.constantFrom(12, 63, 64, 65, 70) }, { weight: 1, arbitrary: fc.constantFrom(0, 1.5) }),
  lambda: fc.oneof({ weight: 200, arbitrary: fc.double({ min: -8, max: 4, noNaN: true }).map((e) => 10 ** e) }, { weight: 2, arbitrary: fc.constantFrom(0, -0) }, { weight: 1, arbitrary: fc.constant(-1) }),
  style: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(5) }),
  special: fc.oneof({ weight: 400, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('opt', 'x', 'blank', 'crlf', 'short') }),
});
/** Runs of rows under one model (mostly the first five), and grids whose rows each draw their model. */
const gridArb = fc.array(fc.record({ model: fc.oneof({ weight: 4, arbitrary: fc.nat(4) }, { weight: 1, arbitrary: fc.nat(models.length - 1) }), rows: fc.array(rowArb, { minLength: 1, maxLength: 40 }) }), { minLength: 1, maxLength: 4 });
const interleavedArb = fc.array(fc.tuple(fc.nat(models.length - 1), rowArb).map(([model, row]) => ({ model, rows: [row] })), { minLength: 1, maxLength: 120 });

type GridRow = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;

/** The text of a row, its cells in `order`, a number in one of six spellings (two of them for the slow decimal path). */
function lineOf(model: number, r: GridRow, order: readonly number[]): string {
  const [p, q, rr, tau] = models[model].split(',');
  const fmt = (v: number): string => [String(v), v.toExponential(), v.toPrecision(17), `+${v}`, String(v).replace(/^0\./, '.'), v.toPrecision(4)][r.style];
  const cells = [p, q, rr, tau, fmt(r.n), String(r.m), fmt(r.lambda)];
  if (r.special === 'opt') cells[6] = 'opt';
  if (r.special === 'x') cells[4] = 'x';
  if (r.special === 'blank') return '\n';
  const line = order.map((c) => cells[c]);
  if (r.special === 'short') line.pop();
  return line.join(',') + (r.special === 'crlf' ? '\r\n' : '\n');
}

/** A kernel that counts the rows the TypeScript path wrote and handed to it. */
function countingKernel(): { k: RiskGridKernel; learned: () => number } {
  const k = RiskGridKernel.create() as RiskGridKernel;
  let learned = 0;
  const learn = k.learn.bind(k);
  k.learn = (...args: Parameters<RiskGridKernel['learn']>) => {
    learned++;
    learn(...args);
  };
  return { k, learned: () => learned };
}

describe('risk-grid kernel: batches', () => {
  it('gives the bytes, row count and stop line of the TypeScript path on fast-check grids (CSV and JSON, any column order)', () => {
    const { k, learned } = countingKernel();
    let rowsWritten = 0;
    fc.assert(
      fc.property(gridArb, fc.boolean(), fc.constantFrom<readonly number[]>([0, 1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1, 0], [4, 0, 6, 1, 5, 2, 3]), (runs, json, order) => {
        // header[c] is the position of column c (p,q,r,tau,n,m,lambda) in a line.
        const header = [0, 1, 2, 3, 4, 5, 6].map((c) => order.indexOf(c));
        const text = runs.flatMap((run) => run.rows.map((r) => lineOf(run.model, r, order))).join('');
        const want = batch(text, header, json, null);
        const got = batch(text, header, json, k);
        expect(got.stop).toBe(want.stop);
        expect(got.rows).toBe(want.rows);
        expect(got.out === want.out, `${text}\n--- kernel:\n${got.out}\n--- typescript:\n${want.out}`).toBe(true);
        rowsWritten += got.rows;
      }),
      { numRuns: 500 },
    );
    // The kernel wrote a good share of the rows itself (it declines the first row of each
    // (model, m, format), the long spellings and m > 64, so on these short mixed grids not most).
    expect(rowsWritten - learned()).toBeGreaterThan(0.2 * rowsWritten);
  });

  it('gives the bytes, row count and stop line of the TypeScript path on grids that interleave ten models row by row', () => {
    const { k } = countingKernel();
    fc.assert(
      fc.property(interleavedArb, fc.boolean(), (runs, json) => {
        const header = [0, 1, 2, 3, 4, 5, 6];
        const text = runs.flatMap((run) => run.rows.map((r) => lineOf(run.model, r, header))).join('');
        const want = batch(text, header, json, null);
        const got = batch(text, header, json, k);
        expect(got.stop).toBe(want.stop);
        expect(got.rows).toBe(want.rows);
        expect(got.out === want.out, `${text}\n--- kernel:\n${got.out}\n--- typescript:\n${want.out}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  /** `rows` rows whose model changes on every row, cycling through `cycle`, m in 1..5, through the kernel and the TypeScript path alike. */
  function expectCyclingGridAsTypeScript(cycle: readonly string[], rows: number, json: boolean, k: RiskGridKernel): void {
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) lines.push(`${cycle[i % cycle.length]},${100 + (i % 13)},${1 + (i % 5)},0.0${1 + (i % 7)}\n`);
    const text = lines.join('');
    const header = [0, 1, 2, 3, 4, 5, 6];
    const want = batch(text, header, json, null);
    const got = batch(text, header, json, k);
    expect(got.rows).toBe(rows);
    expect(got.out === want.out).toBe(true);
  }

  it('holds as many models as the evaluator caches, and takes a grid that alternates eight of them row by row', () => {
    const { k, learned } = countingKernel();
    expect(k.modelSlots).toBe(MODEL_CACHE);
    // The eight models written in plain decimals (1e6 and 1e-300 take the slow decimal path, row by row).
    const plain = models.filter((m) => !m.includes('e'));
    expect(plain).toHaveLength(MODEL_CACHE);
    expectCyclingGridAsTypeScript(plain, 40_000, false, k);
    // Each (model, m) once: 8 x 5. With one model at a time it was every row.
    expect(learned()).toBe(40);
  });

  it('keeps most of a grid that cycles through more models than it holds (twelve), instead of replacing one on every row', () => {
    const { k, learned } = countingKernel();
    const twelve = Array.from({ length: 12 }, (_, a) => `${(2.05 + 0.07 * a).toFixed(2)},2,${(0.5 + 0.01 * a).toFixed(2)},1`);
    expectCyclingGridAsTypeScript(twelve, 48_000, true, k);
    // Eight of every twelve rows are the kernel's (the TypeScript path writes the rest, and hands
    // over a model at most once per 256 kernel rows); replacing the oldest model on every miss gave it none.
    expect(learned()).toBeLessThan(0.36 * 48_000);
  });

  it('gives the bytes of the TypeScript path on 200,000 rows of the benchmark grid, and takes all but a few of them itself', () => {
    const ns = [100, 200, 500, 1000, 2000, 5000, 10000];
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(`${i < 100_000 ? '2.01,2,0.99,1' : '3,2,0.5,0.25'},${ns[i % 7]},${1 + ((i * 7919) % 9)},${(1e-3 * Math.exp((i % 97) / 8)).toPrecision(6)}\n`);
    const text = lines.join('');
    const header = [0, 1, 2, 3, 4, 5, 6];
    const { k, learned } = countingKernel();
    for (const json of [false, true]) {
      const want = batch(text, header, json, null);
      const got = batch(text, header, json, k);
      expect(got.rows).toBe(200_000);
      expect(got.out === want.out).toBe(true);
    }
    // Each (model, m) once per format, and the lines whose numbers decline (none here): 2 x 2 x 9 at most.
    expect(learned()).toBeLessThanOrEqual(36);
  });

  it('stops at the same line as the TypeScript path and resumes in a later batch with what it has learnt', () => {
    const header = [0, 1, 2, 3, 4, 5, 6];
    const text = '2.01,2,0.99,1,100,3,0.5\n2.01,2,0.99,1,100,3,-1\n2.01,2,0.99,1,100,3,0.25\n';
    const want = batch(text, header, false, null);
    const got = batch(text, header, false, kernel);
    expect(got).toEqual(want);
    expect(got.rows).toBe(1);
    expect(got.stop).toBe(text.indexOf('\n') + 1);
  });
});

describe('risk-grid kernel: binary', () => {
  it.skipIf(!haveClang())('the committed riskGridBatch.wasm is exactly what riskGridBatch.c compiles to (npm run build:wasm)', () => {
    const c = fileURLToPath(new URL('../src/cli/commands/wasm/riskGridBatch.c', import.meta.url));
    const committed = readFileSync(fileURLToPath(new URL('../src/cli/commands/wasm/riskGridBatch.wasm', import.meta.url)));
    expect(Buffer.compare(Buffer.from(compileWasmC(c)), committed)).toBe(0);
  });
});
