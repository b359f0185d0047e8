import fc from 'fast-check';
import type { ModelParams } from '../src/model/params.js';

/**
 * fast-check arbitraries for the stylized model (THEORY.md section 2): q from `qs`,
 * p = q (1 + 10^e) with e uniform in `log10Excess` (so p > q), r = p u with u in `rOverP`
 * (so 0 < r < p), tau in `tau`. Defaults span the wide ranges of the theory tests.
 */
export function modelArb(opts: { qs?: number[]; log10Excess?: [number, number]; rOverP?: [number, number]; tau?: [number, number] } = {}): fc.Arbitrary<ModelParams> {
  const { qs = [2, 3, 4, 8], log10Excess = [-3, 2], rOverP = [1e-6, 0.999999], tau = [0, 10] } = opts;
  return fc
    .record({
      q: fc.constantFrom(...qs),
      e: fc.double({ min: log10Excess[0], max: log10Excess[1], noNaN: true }),
      u: fc.double({ min: rOverP[0], max: rOverP[1], noNaN: true }),
      tau: fc.double({ min: tau[0], max: tau[1], noNaN: true }),
    })
    .map(({ q, e, u, tau }) => {
      const p = q * (1 + 10 ** e);
      return { p, q, r: p * u, tau };
    });
}

/** 10^v with v uniform in [lo, hi]. */
export const logUniform = (lo: number, hi: number): fc.Arbitrary<number> => fc.double({ min: lo, max: hi, noNaN: true }).map((v) => 10 ** v);
