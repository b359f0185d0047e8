/** Exact Binomial(n, 1/2) draws by an integer Walker alias table, for the tail-level sums of the stylized sampler (THEORY.md section 5). */

// Hand-written rather than taken from a library for two reasons. Exactness: the sampler must
// stay exact in distribution, so the table's only departures from the true pmf are stated and
// bounded below (integer weights in units of 2^-64, support cut where the pmf is < 2^-70),
// which no general-purpose binomial sampler documents. Speed: it runs 32 times per tail level
// per sample in the sampler's hot loop, on the sampler's own inlined xoshiro128** state (an
// Int32Array, the recurrence of src/util/rng.ts), usually consuming one 32-bit draw.
//
// Construction (once per n, pure):
// - Unnormalised pmf R_j = C(n, j) / C(n, ceil(n/2)) * 2^128 in BigInt fixed point by the ratio
//   recurrence R_{j+1} = floor(R_j (n - j) / (j + 1)) from the mode upwards, mirrored
//   (R_{n-j} = R_j, the pmf is symmetric). Each step's floor costs at most one unit, so the
//   error relative to the total is below 2^14 * 2^-128, far below the weights' resolution.
// - Support: j with R_j >= 2^-70 R_mode, so every dropped outcome has pmf < 2^-70. The dropped
//   mass is bounded above (`truncatedMass`, < 2^-64 for every n <= 2^21; the two tails beyond
//   the cut are dominated by geometric series with the ratio at the cut).
// - Weights w_j = pmf_j (of the truncated, renormalised pmf) in units of 2^-64, rounded by
//   largest remainder so they sum to exactly 2^64: each within one unit (2^-64) of pmf_j.
// - Walker/Vose alias table on K = 2^k >= max(4, support) cells of capacity 2^(64-k), built in
//   exact integer arithmetic: cell i accepts its own outcome lo + i with probability
//   thr_i / 2^(64-k) and otherwise returns alias_i.
// Draw: one uint32 w; its top k bits pick the cell, its low 32-k bits are the top of a
// (64-k)-bit uniform u compared with thr_i; the low 32 bits of u (a second uint32) are drawn
// only when the top parts tie (probability <= 2^(k-32)). So P(outcome j) = w_j 2^-64 exactly:
// the only errors are the 2^-64 rounding of the weights and the truncated mass: a total
// variation distance from Binomial(n, 1/2) below support x 2^-64, i.e. below 2^-50 for every
// n <= 2^21 (support <= 14265) and below 2^-54 for n <= 8192 (support <= 891).

import { InputError } from '../errors.js';

/** Largest n supported: keeps a sum of n uint32 (sum_b 2^b B_b <= n (2^32 - 1)) exact in a double. */
export const MAX_BINOMIAL_N = 2 ** 21;

/** Alias table of Binomial(n, 1/2) (see the construction above). */
export interface BinomialHalfTable {
  readonly n: number;
  /** Smallest outcome kept; outcomes are lo .. lo + probabilities.length - 1. */
  readonly lo: number;
  /** P(outcome lo + i) = weight_i 2^-64 as doubles (rounded from exact integers summing to 2^64). */
  readonly probabilities: Float64Array;
  /** Upper bound on the Binomial(n, 1/2) mass of the dropped outcomes (0 when none is dropped). */
  readonly truncatedMass: number;
  /** log2 of the number of alias cells. */
  readonly k: number;
  /** Per cell: high 32-k bits of the acceptance threshold thr_i (0 .. 2^(32-k)). */
  readonly thrHi: Int32Array;
  /** Per cell: low 32 bits of thr_i, as an unsigned value in a Float64Array. */
  readonly thrLo: Float64Array;
  /** Per cell: the outcome returned when the cell does not accept its own. */
  readonly alias: Int32Array;
}

const GUARD = 128n;
const CUT_BITS = 70n;
const TOTAL = 1n << 64n;

/** Build the alias table of Binomial(n, 1/2) for an integer 1 <= n <= 2^21. */
export function createBinomialHalfTable(n: number): BinomialHalfTable {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BINOMIAL_N) throw new InputError('binomial n', n, `an integer 1 .. 2^21 = ${MAX_BINOMIAL_N}`);
  // Upper half j = h .. hi of the unnormalised pmf, R_h = 2^GUARD.
  const h = Math.ceil(n / 2);
  const cut = 1n << (GUARD - CUT_BITS);
  const upper: bigint[] = [1n << GUARD];
  let next = 0n; // R_{hi+1}, the first dropped value (0 when hi = n)
  for (let j = h; j < n; j++) {
    const r = (upper[upper.length - 1] * BigInt(n - j)) / BigInt(j + 1);
    if (r < cut) {
      next = r;
      break;
    }
    upper.push(r);
  }
  const hi = h + upper.length - 1;
  const lo = n - hi;
  const size = hi - lo + 1;
  const raw: bigint[] = new Array(size);
  for (let j = lo; j <= hi; j++) raw[j - lo] = upper[(j >= h ? j : n - j) - h];
  let sum = 0n;
  for (const r of raw) sum += r;

  // Dropped mass: beyond hi the ratios (n - j)/(j + 1) only shrink, so the upper tail is at most
  // (R_{hi+1} + steps) / (1 - rho) with rho the ratio at hi + 1; the same again below lo. The
  // truncated total is at least sum, so dividing by sum over-estimates.
  let truncatedMass = 0;
  if (hi < n) {
    const rho = (n - hi - 1) / (hi + 2);
    truncatedMass = (2 * Number(((next + BigInt(n)) << 192n) / sum)) / 2 ** 192 / (1 - rho);
  }

  // Largest-remainder rounding of the weights to units of 2^-64, summing to exactly 2^64.
  const weights: bigint[] = new Array(size);
  const rem: bigint[] = new Array(size);
  let assigned = 0n;
  for (let i = 0; i < size; i++) {
    const scaled = raw[i] << 64n;
    weights[i] = scaled / sum;
    rem[i] = scaled % sum;
    assigned += weights[i];
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => (rem[a] > rem[b] ? -1 : rem[a] < rem[b] ? 1 : a - b));
  for (let d = 0; d < Number(TOTAL - assigned); d++) weights[order[d]] += 1n;

  // Walker/Vose alias table on K = 2^k cells of capacity 2^(64-k), exact in BigInt.
  let k = 2;
  while (1 << k < size) k++;
  const cells = 1 << k;
  const cap = 1n << BigInt(64 - k);
  const mass: bigint[] = Array.from({ length: cells }, (_, i) => (i < size ? weights[i] : 0n));
  const thr: bigint[] = new Array(cells).fill(cap);
  const alias = new Int32Array(cells);
  for (let i = 0; i < cells; i++) alias[i] = lo + Math.min(i, size - 1);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < cells; i++) (mass[i] < cap ? small : mass[i] > cap ? large : []).push(i);
  while (small.length && large.length) {
    // non-null: the loop runs while both stacks are non-empty.
    const s = small.pop()!;
    // non-null: the loop runs while both stacks are non-empty.
    const g = large.pop()!;
    thr[s] = mass[s];
    alias[s] = lo + g;
    mass[g] -= cap - mass[s];
    if (mass[g] < cap) small.push(g);
    else if (mass[g] > cap) large.push(g);
  }
  // The masses sum to cells * cap exactly, so both lists are empty now.
  if (small.length || large.length) throw new Error(`binomial alias table for n = ${n}: masses do not balance`);

  const thrHi = new Int32Array(cells);
  const thrLo = new Float64Array(cells);
  for (let i = 0; i < cells; i++) {
    thrHi[i] = Number(thr[i] >> 32n);
    thrLo[i] = Number(thr[i] & 0xffffffffn);
  }
  const probabilities = Float64Array.from(weights, (w) => Number(w) / 2 ** 64);
  return { n, lo, probabilities, truncatedMass, k, thrHi, thrLo, alias };
}

/** One Binomial(n, 1/2) draw from `table`, advancing the xoshiro128** state st (inlined recurrence of src/util/rng.ts). */
export function drawBinomialHalf(st: Int32Array, table: BinomialHalfTable): number {
  let a0 = st[0], a1 = st[1], a2 = st[2], a3 = st[3];
  let m5 = Math.imul(a1, 5);
  const w = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
  let t = a1 << 9;
  a2 ^= a0;
  a3 ^= a1;
  a1 ^= a2;
  a0 ^= a3;
  a2 ^= t;
  a3 = (a3 << 11) | (a3 >>> 21);
  const shift = 32 - table.k;
  const cell = w >>> shift;
  const u = w & ((1 << shift) - 1);
  const th = table.thrHi[cell];
  let accept = u < th;
  if (u === th) {
    // Tie on the top bits: compare the next 32 bits of u with the threshold's low word.
    m5 = Math.imul(a1, 5);
    const v = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
    t = a1 << 9;
    a2 ^= a0;
    a3 ^= a1;
    a1 ^= a2;
    a0 ^= a3;
    a2 ^= t;
    a3 = (a3 << 11) | (a3 >>> 21);
    accept = v < table.thrLo[cell];
  }
  st[0] = a0;
  st[1] = a1;
  st[2] = a2;
  st[3] = a3;
  return accept ? table.lo + cell : table.alias[cell];
}

/**
 * Sum S of table.n iid uniform 32-bit integers, exact in distribution: bit b of each integer is
 * a fair coin, so S = sum_{b<32} 2^b B_b with B_b iid Binomial(n, 1/2), drawn in order b = 0..31
 * exactly as 32 calls of drawBinomialHalf would (fused here, branch-free on the common path).
 * S <= n (2^32 - 1) < 2^53 is an exact integer in a double (n <= 2^21).
 */
export function drawUint32Sum(st: Int32Array, table: BinomialHalfTable): number {
  let a0 = st[0], a1 = st[1], a2 = st[2], a3 = st[3];
  const { thrHi, thrLo, alias, lo } = table;
  const shift = 32 - table.k;
  const mask = (1 << shift) - 1;
  let sum = 0;
  let weight = 1;
  for (let b = 0; b < 32; b++) {
    let m5 = Math.imul(a1, 5);
    const w = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
    let t = a1 << 9;
    a2 ^= a0;
    a3 ^= a1;
    a1 ^= a2;
    a0 ^= a3;
    a2 ^= t;
    a3 = (a3 << 11) | (a3 >>> 21);
    const cell = w >>> shift;
    const u = w & mask;
    const th = thrHi[cell];
    const other = alias[cell];
    // u, th < 2^31, so (u - th) >> 31 is -1 when u < th (accept the cell's own outcome), else 0.
    let sel = (u - th) >> 31;
    if (u === th) {
      m5 = Math.imul(a1, 5);
      const v = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
      t = a1 << 9;
      a2 ^= a0;
      a3 ^= a1;
      a1 ^= a2;
      a0 ^= a3;
      a2 ^= t;
      a3 = (a3 << 11) | (a3 >>> 21);
      sel = v < thrLo[cell] ? -1 : 0;
    }
    sum += weight * (other + ((lo + cell - other) & sel));
    weight *= 2;
  }
  st[0] = a0;
  st[1] = a1;
  st[2] = a2;
  st[3] = a3;
  return sum;
}
