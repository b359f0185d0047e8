import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { RiskGridEvaluator } from '../src/theory/riskGrid.js';

/**
 * The grid evaluator's two entries agree: `evaluateNumbers` (the byte-level path of
 * `risk --grid`) returns exactly what `evaluate` returns for the same row as text, and null
 * exactly when `evaluate` rejects the row, whatever rows came before (cached model and terms).
 */
describe('RiskGridEvaluator', () => {
  it('evaluateNumbers equals evaluate on text cells, and is null exactly where evaluate throws an InputError', () => {
    const value = (xs: number[]) => fc.oneof(fc.constantFrom(...xs), fc.double({ min: -2, max: 2e4, noNaN: true }));
    const row = fc.record({
      p: fc.constantFrom(2.01, 2.5, 3, 4.5, 1.5),
      q: fc.constantFrom(2, 3, 2.5),
      r: fc.constantFrom(0.99, 0.5, 2, 5),
      tau: fc.constantFrom(1, 0, 0.3, -1),
      n: value([1, 100, 0.5, 7, 15, 31, 1e4]),
      m: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constantFrom(1.5, 2000)),
      lambda: value([0, 1e-3, 2, -1, 1e-12]),
    });
    const a = new RiskGridEvaluator();
    const b = new RiskGridEvaluator();
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 30 }), (rows) => {
        for (const x of rows) {
          const got = a.evaluateNumbers(x.p, x.q, x.r, x.tau, x.n, x.m, x.lambda);
          let want: object | null;
          try {
            want = { ...b.evaluate({ p: String(x.p), q: String(x.q), r: String(x.r), tau: String(x.tau), n: String(x.n), m: String(x.m), lambda: String(x.lambda) }) };
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            want = null;
          }
          if (want === null) expect(got).toBeNull();
          else {
            expect(got === null ? null : { ...got }).toEqual(want);
            expect(a.params).toEqual(b.params);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
