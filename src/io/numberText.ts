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

/**
 * Exactly `len` digits (len <= 10) of an integer 0 <= v < 2^31 into buf[at..at+len), most
 * significant first: two digits per step from the low end, in int32 arithmetic (a division by
 * the constant 100 compiles to a multiplication).
 */
function fixedDigits(buf: Uint8Array, at: number, v: number, len: number): void {
  let w = v | 0;
  let i = at + len;
  while (len >= 2) {
    const q = (w / 100) | 0;
    const r = (w - q * 100) << 1;
    buf[--i] = PAIRS[r + 1];
    buf[--i] = PAIRS[r];
    w = q;
    len -= 2;
  }
  if (len === 1) buf[--i] = 48 + w;
}

/** The digits of a non-negative integer v < 2^53 at buf[pos..]; returns the end. */
function writeInteger(buf: Uint8Array, pos: number, v: number): number {
  if (v < 1e9) {
    const len = digitCount(v);
    fixedDigits(buf, pos, v, len);
    return pos + len;
  }
  const hi = Math.floor(v / 1e8);
  const len = digitCount(hi);
  fixedDigits(buf, pos, hi, len);
  fixedDigits(buf, pos + len, v - hi * 1e8, 8);
  return pos + len + 8;
}

/**
 * Write the decimal c 10^(n - kd), c = hi 10^loLen + lo with kd digits (hi < 2^31 without
 * leading zeros, lo < 10^loLen, loLen <= 8), as ECMAScript's Number::toString lays it out
 * (value = 0.d1d2... 10^n): plain digits, a decimal point inside, "0.00ddd", or d.ddde+-x.
 */
function layout(buf: Uint8Array, pos: number, hi: number, lo: number, loLen: number, n: number): number {
  const hiLen = digitCount(hi);
  const kd = hiLen + loLen;
  if (kd <= n && n <= 21) {
    digitsAt(buf, pos, hi, hiLen, lo, loLen);
    for (let i = kd; i < n; i++) buf[pos + i] = 48;
    return pos + n;
  }
  if (-6 < n && n <= 0) {
    buf[pos++] = 48;
    buf[pos++] = 46;
    for (let i = n; i < 0; i++) buf[pos++] = 48;
    digitsAt(buf, pos, hi, hiLen, lo, loLen);
    return pos + kd;
  }
  // Digits one place to the right, then the leading n (or 1) digits move left over a point.
  const lead = 0 < n && n <= 21 ? n : 1;
  digitsAt(buf, pos + 1, hi, hiLen, lo, loLen);
  for (let i = 0; i < lead; i++) buf[pos + i] = buf[pos + i + 1];
  const end = pos + 1 + kd;
  if (lead === n) {
    buf[pos + n] = 46;
    return end;
  }
  let out = end;
  if (kd > 1) buf[pos + 1] = 46;
  else out = pos + 1;
  buf[out++] = 101; // e
  let ex = n - 1;
  if (ex < 0) {
    buf[out++] = 45;
    ex = -ex;
  } else buf[out++] = 43;
  const len = digitCount(ex);
  fixedDigits(buf, out, ex, len);
  return out + len;
}

/** The kd = hiLen + loLen digits of hi 10^loLen + lo at buf[pos..]. */
function digitsAt(buf: Uint8Array, pos: number, hi: number, hiLen: number, lo: number, loLen: number): void {
  fixedDigits(buf, pos, hi, hiLen);
  if (loLen > 0) fixedDigits(buf, pos + hiLen, lo, loLen);
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
  if (x < 9007199254740992 && x === Math.floor(x)) return writeInteger(buf, pos, x);
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
    const q = Math.floor(t * 0.1);
    mod += (t - q * 10) * scale;
    if (mod > diff) break;
    t = q;
    scale *= 10;
    j++;
  }
  // The digits as hi 10^loLen + lo.
  let hi: number;
  let lo = 0;
  let loLen = 0;
  if (POW10[j] > diff) {
    // One candidate: floor(hi / 10^j).
    if (j >= 9) hi = Math.floor(Ah / POW10[j - 8]);
    else if (j >= 2) {
      const c = Ah * POW10[8 - j] + Math.floor(Bh / POW10[j]);
      if (c < 1e9) hi = c;
      else {
        hi = Math.floor(c / 1e8);
        lo = c - hi * 1e8;
        loLen = 8;
      }
    } else {
      hi = Ah;
      lo = j === 0 ? Bh : (Bh / 10) | 0;
      loLen = 8 - j;
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
    lo = (j === 0 ? Bi : (Bi / 10) | 0) + delta;
    hi = A;
    if (lo >= base) {
      lo -= base;
      hi++;
    } else if (lo < 0) {
      lo += base;
      hi--;
    }
    loLen = 8 - j;
  }
  return layout(buf, pos, hi, lo, loLen, digitCount(hi) + loLen + j + k - 16);
}

/**
 * writeNumberText behind a small direct-mapped cache of recent values (256 slots keyed by the
 * double's bits), for columns that repeat few distinct values, such as the lambda column of a
 * grid: a hit copies the stored characters.
 */
export class NumberTextCache {
  private readonly keys = new Float64Array(256).fill(NaN);
  private readonly lens = new Uint8Array(256);
  private readonly text = new Uint8Array(256 * 32);

  write(buf: Uint8Array, pos: number, x: number): number {
    f64[0] = x;
    const slot = (Math.imul(u32[0] ^ u32[1], 0x9e3779b1) >>> 24) & 255;
    const at = slot << 5;
    const text = this.text;
    if (this.keys[slot] === x && (x !== 0 || 1 / x > 0)) {
      const len = this.lens[slot];
      for (let i = 0; i < len; i++) buf[pos + i] = text[at + i];
      return pos + len;
    }
    const end = writeNumberText(buf, pos, x);
    if (end - pos <= 32) {
      this.keys[slot] = x;
      this.lens[slot] = end - pos;
      for (let i = pos; i < end; i++) text[at + i - pos] = buf[i];
    }
    return end;
  }
}
