/**
 * Numbers as ASCII bytes, for the streaming writers of the CLI's output contract (README,
 * "Output contract"): `writeNumberText(buf, pos, x)` writes exactly the characters of
 * `String(x)` (ECMAScript Number::toString: the shortest decimal that reads back to the same
 * double, the closest one on ties of length) straight into a byte buffer, without creating a
 * string. V8's own conversion costs about 0.2 microseconds a number, most of it in making and
 * caching the string; this one works in double-double arithmetic and costs a fraction of that.
 *
 * Method (for finite x with 1e-280 < |x| < 1e280 that is not a small integer): with
 * x = f 2^e, the doubles that round to x are those strictly inside (x - d-, x + d+), d+ = 2^(e-1)
 * (d- = d+/2 at a power of two). Scaling by 10^(16-k), k = floor(log10 x), in double-double
 * arithmetic (10^j kept to 106 bits, error below 1e-14 at the scale 1e16..1e17) gives V = x 10^(16-k)
 * and the integer range [lo, hi] of 17-digit decimals inside the interval. The shortest decimal
 * is the multiple of the largest power 10^j inside [lo, hi] (unique when 10^j exceeds the range
 * width); when there are several (j = 0, 1) the one closest to V. Whenever a boundary or a
 * rounding tie is within 1e-7 of an integer at that scale (exact boundaries, where the
 * round-half-even rule of parsing would matter), and outside the range above, the digits come
 * from `String(x)` instead: the result is always identical to it (test/numberText.test.ts
 * checks this on millions of doubles, boundaries and powers of ten included).
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** 10^j for j = 0..22 (exact doubles). */
const POW10 = Array.from({ length: 23 }, (_, j) => Number(`1e${j}`));

/** Double-double table of 10^s for s in [S_MIN, S_MAX], filled on first use. */
const S_MIN = -300;
const S_MAX = 300;
const PH = new Float64Array(S_MAX - S_MIN + 1).fill(NaN);
const PL = new Float64Array(S_MAX - S_MIN + 1);
/** Dekker split of PH: PH = PHH + PHL with each half 26 bits. */
const PHH = new Float64Array(S_MAX - S_MIN + 1);
const PHL = new Float64Array(S_MAX - S_MIN + 1);

const SPLIT = 134217729; // 2^27 + 1

/** Half the spacing of the doubles with biased exponent be: 2^(be - 1076) (be >= 54). */
const HALF_ULP = Float64Array.from({ length: 2048 }, (_, be) => (be >= 54 && be < 2047 ? 2 ** (be - 1076) : NaN));

/** 10^s rounded to a double, s in [S_MIN, S_MAX] (for k = floor(log10 x)). */
const TENS = Float64Array.from({ length: S_MAX - S_MIN + 1 }, (_, i) => Number(`1e${i + S_MIN}`));

/** The exponent and 52-bit fraction of a positive finite double, as [f, e] with x = f 2^e exactly. */
function decompose(x: number): [bigint, bigint] {
  f64[0] = x;
  const be = (u32[HI] >>> 20) & 0x7ff;
  const frac = BigInt(u32[HI] & 0xfffff) * 4294967296n + BigInt(u32[LO]);
  return be === 0 ? [frac, -1074n] : [frac + 4503599627370496n, BigInt(be - 1075)];
}

/** A positive rational num/den rounded to a double (to ~2^-62 relative; enough for a low part). */
function ratioToDouble(num: bigint, den: bigint): number {
  const neg = num < 0n;
  if (neg) num = -num;
  if (num === 0n) return 0;
  const shift = den.toString(2).length - num.toString(2).length + 64;
  const q = shift >= 0 ? (num << BigInt(shift)) / den : num / (den << BigInt(-shift));
  const v = Number(q) * 2 ** -shift;
  return neg ? -v : v;
}

/** Fill entry s of the power table: 10^s = PH + PL to about 2^-115 relative. */
function fillPower(s: number): void {
  const i = s - S_MIN;
  let hi: number;
  let lo: number;
  if (s >= 0) {
    const exact = 10n ** BigInt(s);
    hi = Number(exact);
    lo = Number(exact - BigInt(hi));
  } else {
    hi = Number(`1e${s}`);
    // 10^s - hi = (1 - hi 10^-s) 10^s with hi = f 2^e (e < 0): (2^-e - f 10^-s) / (2^-e 10^-s).
    const [f, e] = decompose(hi);
    const t = 10n ** BigInt(-s);
    const twoE = 1n << -e;
    lo = ratioToDouble(twoE - f * t, twoE * t);
  }
  const c = SPLIT * hi;
  const hh = c - (c - hi);
  PH[i] = hi;
  PL[i] = lo;
  PHH[i] = hh;
  PHL[i] = hi - hh;
}

/** Scratch for the digits of one number. */
const DIGITS = new Uint8Array(24);

/** Write the ASCII characters of a string (the fallback: String(x) is ASCII). */
function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/** "00".."99" as byte pairs: two digits per division. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + ((i & 1) === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/** Number of decimal digits of an integer 0 <= v < 1e10. */
function digitCount(v: number): number {
  if (v < 1e5) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
}

/** Exactly `len` digits (len <= 9) of an integer 0 <= v < 10^len into DIGITS[from..]; returns the end. */
function fixedDigits(v: number, from: number, len: number): number {
  let n = v | 0;
  let i = from + len;
  const end = i;
  while (i - from >= 2) {
    const q = (n / 100) | 0;
    const r = (n - q * 100) << 1;
    DIGITS[--i] = PAIRS[r + 1];
    DIGITS[--i] = PAIRS[r];
    n = q;
  }
  if (i > from) DIGITS[from] = 48 + n;
  return end;
}

/** Digits of a non-negative integer v < 2^53 into DIGITS[from..]; returns the end index. */
function integerDigits(v: number, from: number): number {
  if (v < 1e9) return fixedDigits(v, from, digitCount(v));
  const hi = Math.floor(v / 1e8);
  const lo = v - hi * 1e8;
  return fixedDigits(lo, fixedDigits(hi, from, digitCount(hi)), 8);
}

/** Digits of an integer 0 <= v < 1e10 into DIGITS[from..]: natural length. */
function smallDigits(v: number, from: number): number {
  if (v >= 1e9) {
    const hi = Math.floor(v / 10);
    return fixedDigits(v - hi * 10, fixedDigits(hi, from, 9), 1);
  }
  return fixedDigits(v, from, digitCount(v));
}

/**
 * Lay out digits DIGITS[0..kd) with decimal exponent n (value = 0.d1d2... 10^n) as
 * ECMAScript's Number::toString does (steps 6-10 of Number::toString).
 */
function layout(buf: Uint8Array, pos: number, kd: number, n: number): number {
  if (kd <= n && n <= 21) {
    for (let i = 0; i < kd; i++) buf[pos++] = DIGITS[i];
    for (let i = kd; i < n; i++) buf[pos++] = 48;
    return pos;
  }
  if (0 < n && n <= 21) {
    for (let i = 0; i < n; i++) buf[pos++] = DIGITS[i];
    buf[pos++] = 46;
    for (let i = n; i < kd; i++) buf[pos++] = DIGITS[i];
    return pos;
  }
  if (-6 < n && n <= 0) {
    buf[pos++] = 48;
    buf[pos++] = 46;
    for (let i = n; i < 0; i++) buf[pos++] = 48;
    for (let i = 0; i < kd; i++) buf[pos++] = DIGITS[i];
    return pos;
  }
  buf[pos++] = DIGITS[0];
  if (kd > 1) {
    buf[pos++] = 46;
    for (let i = 1; i < kd; i++) buf[pos++] = DIGITS[i];
  }
  buf[pos++] = 101; // e
  let ex = n - 1;
  if (ex < 0) {
    buf[pos++] = 45;
    ex = -ex;
  } else buf[pos++] = 43;
  const end = smallDigits(ex, 0);
  for (let i = 0; i < end; i++) buf[pos++] = DIGITS[i];
  return pos;
}

/** Distance below which a scaled boundary or tie counts as "on an integer" (then String(x) decides). */
const TOL = 1e-7;

/**
 * Write String(x) for a finite number x into buf at pos (buf must have 25 free bytes); returns
 * the new position. Non-finite x is written as String(x) too ("NaN", "Infinity"); callers of
 * the output contract map those to null or an empty cell before calling.
 */
export function writeNumberText(buf: Uint8Array, pos: number, x: number): number {
  if (x === 0) {
    buf[pos] = 48;
    return pos + 1;
  }
  if (x < 0) {
    buf[pos++] = 45;
    x = -x;
  }
  if (x < 9007199254740992 && x === Math.floor(x)) {
    const end = integerDigits(x, 0);
    for (let i = 0; i < end; i++) buf[pos++] = DIGITS[i];
    return pos;
  }
  if (!(x > 1e-280 && x < 1e280) || !LITTLE_ENDIAN) return writeAscii(buf, pos, String(x));
  f64[0] = x;
  const hw = u32[HI];
  const be = (hw >>> 20) & 0x7ff;
  const pow2Boundary = (hw & 0xfffff) === 0 && u32[LO] === 0;
  // k = floor(log10 x): from the binary exponent, then one comparison with 10^(k+1).
  let k = Math.floor((be - 1023) * 0.30102999566398120);
  if (x >= TENS[k + 1 - S_MIN]) k++;
  // V = x 10^(16-k) in double-double; k is corrected when it was still off by one.
  let vh = 0;
  let vl = 0;
  let s = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    s = 16 - k;
    const i = s - S_MIN;
    if (PH[i] !== PH[i]) fillPower(s);
    const sh = PH[i];
    const c = SPLIT * x;
    const xh = c - (c - x);
    const xl = x - xh;
    const p = x * sh;
    const err = xh * PHH[i] - p + xh * PHL[i] + xl * PHH[i] + xl * PHL[i];
    const l = err + x * PL[i];
    vh = p + l;
    vl = l - (vh - p);
    if (vh < 1e16) k--;
    else if (vh >= 1e17) k++;
    else break;
  }
  k = 16 - s;
  if (!(vh >= 9.1e15 && vh < 1.1e17)) return writeAscii(buf, pos, String(x));
  // Integer part Vi = A 1e8 + B (0 <= B < 1e8) and fraction fv of V.
  const fl = Math.floor(vl);
  const fv = vl - fl;
  let A = Math.floor(vh / 1e8);
  let B = vh - A * 1e8 + fl;
  while (B < 0) {
    A--;
    B += 1e8;
  }
  while (B >= 1e8) {
    A++;
    B -= 1e8;
  }
  // Half-ulp bounds scaled: d+ = 2^(be - 1076) (d- = d+/2 at a power of two), times 10^s.
  const half = HALF_ULP[be];
  const i = s - S_MIN;
  const dh = PH[i] * half;
  const dl = PL[i] * half;
  const up = fv + dh + dl;
  const dn = pow2Boundary ? fv - 0.5 * dh - 0.5 * dl : fv - dh - dl;
  const hiOff = Math.floor(up);
  const fdn = Math.floor(dn);
  const fracUp = up - hiOff;
  const fracDn = dn - fdn;
  if (fracUp < TOL || fracUp > 1 - TOL || fracDn < TOL || fracDn > 1 - TOL) return writeAscii(buf, pos, String(x));
  const loOff = fdn + 1;
  const diff = hiOff - loOff;
  if (diff < 0) return writeAscii(buf, pos, String(x));
  // hi = Ah 1e8 + Bh: the largest 17-digit integer inside the interval (both parts int32).
  let Ah = A | 0;
  let Bh = (B + hiOff) | 0;
  if (Bh >= 100000000) {
    Ah++;
    Bh -= 100000000;
  }
  // Largest j with (hi mod 10^j) <= diff: a multiple of 10^j lies in [lo, hi]. The remainder
  // grows digit by digit from the low end of hi.
  let j = 0;
  let mod = 0;
  let scale = 1;
  let t = Bh;
  while (j < 17) {
    if (j === 8) t = Ah;
    const q = (t / 10) | 0;
    mod += (t - q * 10) * scale;
    if (mod > diff) break;
    t = q;
    scale *= 10;
    j++;
  }
  let kd: number;
  if (POW10[j] > diff) {
    // One candidate: floor(hi / 10^j).
    if (j >= 9) kd = smallDigits(Math.floor(Ah / POW10[j - 8]), 0);
    else if (j >= 2) kd = integerDigits(Ah * POW10[8 - j] + Math.floor(Bh / POW10[j]), 0);
    else {
      const low = j === 0 ? Bh : Math.floor(Bh / 10);
      kd = fixedDigits(low, smallDigits(Ah, 0), 8 - j);
    }
  } else {
    // j = 0 or 1, several candidates: the one closest to V (ties: String(x) decides).
    const pj = POW10[j];
    const Bi = B | 0;
    const rB = j === 0 ? 0 : Bi - ((Bi / 10) | 0) * 10;
    const rV = rB + fv; // V mod 10^j
    const halfPj = 0.5 * pj;
    if (Math.abs(rV - halfPj) < TOL) return writeAscii(buf, pos, String(x));
    const cHi = Math.floor((rB + hiOff) / pj); // candidates relative to floor(V / 10^j)
    const cLo = Math.ceil((rB + loOff) / pj);
    let delta = rV > halfPj ? 1 : 0;
    if (delta > cHi) delta = cHi;
    if (delta < cLo) delta = cLo;
    const base = j === 0 ? 1e8 : 1e7;
    let low = (j === 0 ? Bi : (Bi / 10) | 0) + delta;
    let a = A;
    if (low >= base) {
      low -= base;
      a++;
    } else if (low < 0) {
      low += base;
      a--;
    }
    kd = fixedDigits(low, smallDigits(a, 0), 8 - j);
  }
  while (kd > 1 && DIGITS[kd - 1] === 48) {
    kd--;
    j++;
  }
  return layout(buf, pos, kd, kd + j + k - 16);
}
