/** Doubles for tests of number-to-text writers (test/numberText.test.ts, test/riskGridWasm.test.ts). */

const bits = new DataView(new ArrayBuffer(8));

/** The double `steps` representable values above (below, for negative steps) x > 0. */
export function neighbour(x: number, steps: number): number {
  bits.setFloat64(0, x);
  bits.setBigUint64(0, bits.getBigUint64(0) + BigInt(steps));
  return bits.getFloat64(0);
}

/** `count` doubles with pseudo-random bits (every exponent; the same sequence every run), non-finite ones left out. */
export function* pseudoRandomDoubles(count: number): Generator<number> {
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  for (let i = 0; i < count; i++) {
    u32[0] = (Math.imul(i, 2654435761) ^ (i << 7)) >>> 0;
    u32[1] = (Math.imul(i + 977, 40503) ^ Math.imul(i, 0x85ebca6b)) >>> 0;
    if (Number.isFinite(f64[0])) yield f64[0];
  }
}
