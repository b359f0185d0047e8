import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gammaln } from 'simple-statistics';
import { createBinomialHalfTable, drawBinomialHalf, drawUint32Sum, MAX_BINOMIAL_N, type BinomialHalfTable } from '../src/util/binomialTable.js';
import { createRng, xoshiroNext } from '../src/util/rng.js';
import { InputError } from '../src/errors.js';

/** A xoshiro128** state (the sampler's Int32Array form) seeded from createRng, as createSampler does. */
function state(seed: number, ...stream: number[]): Int32Array {
  const rng = createRng(seed, ...stream);
  const st = new Int32Array(4);
  for (let i = 0; i < 4; i++) st[i] = rng.uint32() | 0;
  return st;
}

/** Binomial(n, 1/2) pmf from log-factorials (independent of the table's BigInt recurrence; relative error ~1e-11 for n <= 8192). */
function referencePmf(n: number): Float64Array {
  const lf = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) lf[i] = lf[i - 1] + Math.log(i);
  return Float64Array.from({ length: n + 1 }, (_, j) => Math.exp(lf[n] - lf[j] - lf[n - j] - n * Math.LN2));
}

/** Upper tail of chi-square with df degrees of freedom: Q(df/2, x/2) (series / continued fraction, Numerical Recipes gammq). */
function chiSquareSurvival(x: number, df: number): number {
  const a = df / 2;
  const z = x / 2;
  if (z <= 0) return 1;
  const lnPre = a * Math.log(z) - z - gammaln(a);
  if (z < a + 1) {
    let term = 1 / a, sum = term;
    for (let k = 1; k < 10_000 && Math.abs(term) > 1e-16 * Math.abs(sum); k++) sum += (term *= z / (a + k));
    return 1 - sum * Math.exp(lnPre);
  }
  let b = z + 1 - a, c = 1e300, d = 1 / b, h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lnPre) * h;
}

/** P(outcome lo + i) implied by the alias cells, exactly, in units of 2^-64 (cell capacity 2^(64-k)). */
function aliasMass(t: BinomialHalfTable): bigint[] {
  const cap = 1n << BigInt(64 - t.k);
  const mass = Array.from({ length: t.probabilities.length }, () => 0n);
  for (let i = 0; i < t.alias.length; i++) {
    const thr = (BigInt(t.thrHi[i]) << 32n) + BigInt(t.thrLo[i]);
    expect(thr >= 0n && thr <= cap).toBe(true);
    if (thr > 0n) mass[i] += thr;
    if (thr < cap) mass[t.alias[i] - t.lo] += cap - thr;
  }
  return mass;
}

const SIZES = [1, 2, 7, 64, 512, 8192];

describe('Binomial(n, 1/2) alias table', () => {
  it('is the exact pmf for n <= 64 (C(n, j) 2^-n is a multiple of 2^-64) and the alias cells reproduce it exactly', () => {
    for (const n of [1, 2, 3, 7, 20, 64]) {
      const t = createBinomialHalfTable(n);
      expect([t.lo, t.probabilities.length, t.truncatedMass]).toEqual([0, n + 1, 0]);
      let c = 1n;
      for (let j = 0; j <= n; j++) {
        expect(t.probabilities[j]).toBe(Number(c) / 2 ** n);
        c = (c * BigInt(n - j)) / BigInt(j + 1);
      }
    }
    for (const n of [...SIZES, 1000, 4097]) {
      const t = createBinomialHalfTable(n);
      const mass = aliasMass(t);
      expect(mass.reduce((a, b) => a + b, 0n)).toBe(1n << 64n); // integer weights sum to exactly 1
      mass.forEach((m, i) => expect(Number(m) / 2 ** 64).toBe(t.probabilities[i]));
    }
  });

  it('matches the log-factorial pmf to 1e-10 relative + 2^-64, drops only outcomes of pmf < 2^-70, sums to 1, mean n/2, variance n/4', () => {
    for (const n of [...SIZES, 1001]) {
      const t = createBinomialHalfTable(n);
      const ref = referencePmf(n);
      let dropped = 0;
      for (let j = 0; j <= n; j++) {
        const i = j - t.lo;
        if (i < 0 || i >= t.probabilities.length) {
          expect(ref[j]).toBeLessThan(2 ** -70);
          dropped += ref[j];
        } else {
          expect(Math.abs(t.probabilities[i] - ref[j])).toBeLessThanOrEqual(1e-10 * ref[j] + 2 ** -64);
        }
      }
      // The stated bound on the dropped mass holds and is below the weights' resolution.
      expect(dropped).toBeLessThanOrEqual(t.truncatedMass * (1 + 1e-9));
      expect(t.truncatedMass).toBeLessThan(2 ** -64);
      // Sum of the double-rounded probabilities: each is exact to 2^-53 relative, so |sum - 1| <= support 2^-53.
      let s = 0, m1 = 0, m2 = 0;
      t.probabilities.forEach((p, i) => {
        s += p;
        m1 += p * (t.lo + i);
        m2 += p * (t.lo + i - n / 2) ** 2;
      });
      expect(Math.abs(s - 1)).toBeLessThanOrEqual(t.probabilities.length * 2 ** -53);
      expect(Math.abs(m1 - n / 2)).toBeLessThanOrEqual(1e-12 * n);
      expect(Math.abs(m2 - n / 4)).toBeLessThanOrEqual(1e-12 * n);
    }
  });

  it('covers n up to 2^21 with the dropped mass below 2^-64, and rejects n beyond with an InputError', () => {
    const t = createBinomialHalfTable(MAX_BINOMIAL_N);
    expect(t.truncatedMass).toBeLessThan(2 ** -64);
    expect(t.k).toBe(14);
    for (const bad of [0, 1.5, MAX_BINOMIAL_N + 1, 2 ** 40]) {
      expect(() => createBinomialHalfTable(bad)).toThrow(InputError);
      expect(() => createBinomialHalfTable(bad)).toThrow(/binomial n.*2\^21/);
    }
  });

  // 200000 seeded draws per n. For a correct sampler the p-value is uniform on (0, 1), so a fixed
  // seed passes p > 1e-4 except with probability 1e-4 per n (and then fails deterministically,
  // never flakily). A construction error moves whole cells (mass ~1/support): e.g. a cell of
  // mass 2^-k given to the wrong outcome adds ~draws 2^-k = 200 to 800 counts, chi2 in the
  // thousands, p ~ 0. Probability errors at the 2^-64 level are of course not detectable here;
  // the exact-weight tests above cover those.
  it('chi-square goodness of fit of 200000 seeded draws against the exact pmf, p > 1e-4 (bins pooled to expected >= 5)', () => {
    const draws = 200_000;
    for (const n of SIZES) {
      const t = createBinomialHalfTable(n);
      const ref = referencePmf(n);
      const st = state(20240, n);
      const counts = new Float64Array(n + 1);
      let s1 = 0, s2 = 0, outside = 0;
      for (let d = 0; d < draws; d++) {
        const b = drawBinomialHalf(st, t);
        if (!(b >= 0 && b <= n && Number.isInteger(b))) outside++;
        else counts[b]++;
        s1 += b;
        s2 += (b - n / 2) ** 2;
      }
      // Pool from each end until the expected count reaches 5.
      expect(outside).toBe(0);
      const bins: [number, number][] = [];
      let obs = 0, exp = 0;
      for (let j = 0; j <= n; j++) {
        obs += counts[j];
        exp += draws * ref[j];
        if (exp >= 5) {
          bins.push([obs, exp]);
          obs = 0;
          exp = 0;
        }
      }
      const last = bins[bins.length - 1];
      last[0] += obs; // the upper tail left over joins the last bin
      last[1] += exp;
      const chi2 = bins.reduce((a, [o, e]) => a + (o - e) ** 2 / e, 0);
      const df = bins.length - 1;
      expect(df).toBeGreaterThanOrEqual(1);
      expect(chiSquareSurvival(chi2, df), `n = ${n}: chi2 = ${chi2.toFixed(1)} on ${df} df`).toBeGreaterThan(1e-4);
      // Mean n/2 (sd sqrt(n/4)/sqrt(draws)) and variance n/4 (sd ~ sqrt(2) n/4/sqrt(draws)) within 5 s.e.
      expect(Math.abs(s1 / draws - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4 / draws));
      expect(Math.abs(s2 / draws - n / 4)).toBeLessThan(5 * Math.sqrt(2 / draws) * (n / 4) + 5 * Math.sqrt(n / 4 / draws));
    }
  });

  it('drawUint32Sum is 32 drawBinomialHalf calls weighted 2^b, draw for draw, state included (fast-check over seeds and n)', () => {
    const tables = new Map<number, BinomialHalfTable>();
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 31 }), fc.constantFrom(1, 2, 7, 512, 8192), (seed, n) => {
        const t = tables.get(n) ?? tables.set(n, createBinomialHalfTable(n)).get(n)!;
        const a = state(seed, 3), b = state(seed, 3);
        for (let rep = 0; rep < 4; rep++) {
          let s = 0;
          for (let bit = 0; bit < 32; bit++) s += 2 ** bit * drawBinomialHalf(b, t);
          expect(drawUint32Sum(a, t)).toBe(s);
          expect([...a]).toEqual([...b]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('resolves a tie on the top 32-k bits with a second 32-bit word: accepts iff it is below the threshold low word', () => {
    // Peek the first two outputs of a stream, then build a table whose cell threshold ties the first.
    const t = createBinomialHalfTable(7); // k = 3: cells of 2^29 top values
    const peek = state(99, 1);
    const after = Int32Array.from(peek);
    const w = xoshiroNext(after), v = xoshiroNext(after);
    const cell = w >>> (32 - t.k), u = w & ((1 << (32 - t.k)) - 1);
    for (const [lo32, accept] of [[v + 1, true], [v, false]] as const) {
      const thrHi = Int32Array.from(t.thrHi), thrLo = Float64Array.from(t.thrLo), alias = Int32Array.from(t.alias);
      thrHi[cell] = u;
      thrLo[cell] = lo32;
      alias[cell] = t.lo + ((cell + 1) % 8); // differs from the cell's own outcome
      const tied: BinomialHalfTable = { ...t, thrHi, thrLo, alias };
      const st = Int32Array.from(peek);
      expect(drawBinomialHalf(st, tied)).toBe(accept ? t.lo + cell : alias[cell]);
      expect([...st]).toEqual([...after]); // exactly two words consumed
      // The fused 32-plane sum takes the same path (plane 0 ties).
      const a = Int32Array.from(peek), b = Int32Array.from(peek);
      let s = 0;
      for (let bit = 0; bit < 32; bit++) s += 2 ** bit * drawBinomialHalf(b, tied);
      expect(drawUint32Sum(a, tied)).toBe(s);
      expect([...a]).toEqual([...b]);
    }
  });
});
