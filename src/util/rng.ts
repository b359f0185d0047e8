/**
 * Seeded, splittable pseudo-random numbers (xoshiro128** seeded through splitmix32).
 *
 * Written here rather than taken from a library because the Monte Carlo engine needs
 * (a) streams derived from (seed, repetition, purpose) so results do not depend on how
 * work is split across worker threads, and (b) a few hundred million draws per second
 * from plain 32-bit integer arithmetic, with no allocation per draw.
 */
export interface Rng {
  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Standard normal (Marsaglia polar method, one value cached). */
  normal(): number;
  /** Integer uniform on [0, k). */
  below(k: number): number;
}

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, state];
}

/** Hash a list of non-negative integers (seed, stream ids) into one 32-bit state. */
export function mixSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) {
    if (!Number.isInteger(p) || p < 0) throw new RangeError(`rng stream id must be a non-negative integer, got ${p}`);
    // Two 32-bit halves so seeds up to 2^53 are distinct.
    for (const half of [p >>> 0, Math.floor(p / 2 ** 32) >>> 0]) {
      const [z] = splitmix32((h ^ half) >>> 0);
      h = Math.imul(h ^ z, 0x9e3779b1) ^ (z >>> 15);
    }
  }
  return h >>> 0;
}

/** A generator for the stream identified by (seed, ...stream ids). */
export function createRng(seed: number, ...stream: number[]): Rng {
  let st = mixSeed(seed, ...stream);
  let s0: number, s1: number, s2: number, s3: number;
  [s0, st] = splitmix32(st);
  [s1, st] = splitmix32(st);
  [s2, st] = splitmix32(st);
  [s3, st] = splitmix32(st);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let spare = 0;
  let hasSpare = false;

  const uint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const uniform = (): number => ((uint32() >>> 5) * 67108864 + (uint32() >>> 6)) / 9007199254740992;
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * f;
    hasSpare = true;
    return u * f;
  };
  const below = (k: number): number => Math.floor(uniform() * k);
  return { uniform, uint32, normal, below };
}

/**
 * One step of xoshiro128** on a state held in an Int32Array (the recurrence createRng runs on
 * its closure variables): advances `st` and returns the output as an unsigned 32-bit integer.
 * For samplers that keep their stream's state in an array; their hottest loops inline it.
 */
export function xoshiroNext(st: Int32Array): number {
  const s1 = st[1];
  const m5 = Math.imul(s1, 5);
  const res = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
  const t = s1 << 9;
  st[2] ^= st[0];
  st[3] ^= st[1];
  st[1] ^= st[2];
  st[0] ^= st[3];
  st[2] ^= t;
  st[3] = (st[3] << 11) | (st[3] >>> 21);
  return res;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fisher-Yates shuffle of a copy, driven by rng. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
