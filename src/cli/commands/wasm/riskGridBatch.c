/*
 * The hot loop of `lossyscale risk --grid` in one WebAssembly function (THEORY.md section 3;
 * README, "Batch evaluation"): read a plain numeric CSV line, evaluate R_det of Lemma 1, write
 * the row as CSV or a JSON line, next line. Written in C and compiled to WebAssembly because
 * the same steps in TypeScript cost about 2.5 microseconds a row (most of it in turning seven
 * doubles into their shortest text); here a row is one pass with no allocation.
 *
 * The bytes are identical to the TypeScript path's:
 *   - scanDecimal/scanLine: src/io/numericCsv.ts (its exact fast path), line for line;
 *   - solve and its helpers: src/theory/fixedPoint.ts (solveFixedPoint), line for line, with
 *     the same floating-point operations in the same order; exp and log are imported from
 *     JavaScript (Math.exp, Math.log), so they are the very same functions;
 *   - the row: src/theory/deterministicRisk.ts (riskFromState) and
 *     src/cli/commands/_riskRowWriter.ts (RiskRowWriter.write);
 *   - numbers: the characters of String(x), by a different method than src/io/numberText.ts
 *     (Schubfach instead of double-double arithmetic; see writeNumber).
 * Compile flags (scripts/buildWasm.ts) keep IEEE semantics: no fast-math, no contraction.
 *
 * The function declines any line it cannot take exactly: a number that needs the slow path
 * of decimal conversion, a model or a level count m it has not been given, a row that
 * validation would reject, a solve that did not converge, or a subnormal result. It stops
 * before that line, and the caller (src/cli/commands/_riskGridWasm.ts) evaluates it in
 * TypeScript, hands this module the model and m of that row, and calls again from the next.
 * It holds up to MODEL_CAP models at once, so a grid that interleaves a few stays here.
 */

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
/** An unaligned 64-bit word (i64.load/store with alignment 1). */
typedef u64 __attribute__((aligned(1))) u64u;

__attribute__((import_module("math"), import_name("exp"))) double js_exp(double);
__attribute__((import_module("math"), import_name("log"))) double js_log(double);

#define EXPORT(name) __attribute__((export_name(#name)))

#define INF __builtin_inf()
/* Math.max / Math.min of two numbers (f64.max/f64.min order -0 below +0 and keep NaN, as JS does). */
#define JS_MAX(a, b) __builtin_wasm_max_f64((a), (b))
#define JS_MIN(a, b) __builtin_wasm_min_f64((a), (b))

/* ------------------------------------------------------------------------------------------ */
/* Layout shared with the caller.                                                               */

/** Largest level count m taken here (rows with more levels are evaluated in TypeScript). */
#define M_CAP 64
/** Output bytes per call; a call returns OUT_FULL when less than ROW_MAX is left. */
#define OUT_CAP (1 << 20)
#define ROW_MAX 1024

/** Status of `run`. */
#define DONE 0
#define DECLINED 1
#define OUT_FULL 2

/** LevelTerms of fixedPoint.ts for one m (arrays of length m). */
struct Terms {
  double L, K, lnP, P;
  int fast, m;
  double qPow[M_CAP], pPow[M_CAP], rpPow[M_CAP];
};

/** Models held at once (RiskGridEvaluator's MODEL_CACHE): a grid may interleave a few. */
#define MODEL_CAP 8

/** A model (p, q, r, tau), its row prefix, and the level terms and texts of each m given. */
struct Model {
  double p, q, r, tau, tau2;
  int prefixLen;
  u8 prefix[256];
  u8 loaded[M_CAP + 1];
  u8 mLen[M_CAP + 1];
  u8 kLen[M_CAP + 1];
  u8 mText[M_CAP + 1][96];
  u8 kText[M_CAP + 1][32];
  struct Terms terms[M_CAP + 1];
};

static struct Model models[MODEL_CAP];
/** Slots in use (0..modelCount-1), and the slot of the last row taken (-1: none). */
static int modelCount;
static int lastModel = -1;
static u8 sepText[8][32];
static u8 sepLen[8];
static int json;
/** Position of p, q, r, tau, n, m, lambda among the 7 columns of a line. */
static int column[7];

static u8 scratch[512];
static u8 out[OUT_CAP];

static int outLen, nextPos, rowsDone;

extern u8 __heap_base;

EXPORT(scratchPtr) u8 *scratchPtr(void) { return scratch; }
EXPORT(outputPtr) u8 *outputPtr(void) { return out; }
EXPORT(termsArrayPtr) double *termsArrayPtr(int slot, int m, int which) {
  struct Terms *k = &models[slot].terms[m];
  return which == 0 ? k->qPow : which == 1 ? k->pPow : k->rpPow;
}
EXPORT(outputLength) int outputLength(void) { return outLen; }
EXPORT(nextLine) int nextLine(void) { return nextPos; }
EXPORT(rowsWritten) int rowsWritten(void) { return rowsDone; }
EXPORT(maxLevels) int maxLevels(void) { return M_CAP; }
EXPORT(maxModels) int maxModels(void) { return MODEL_CAP; }

/** The input area (at the heap base), grown to hold `bytes`; 0 when memory cannot grow. */
EXPORT(inputPtr) u8 *inputPtr(int bytes) {
  u32 base = ((u32)&__heap_base + 15) & ~15u;
  u32 need = base + (u32)bytes;
  u32 have = (u32)__builtin_wasm_memory_size(0) << 16;
  if (need > have && __builtin_wasm_memory_grow(0, (need - have + 65535) >> 16) < 0) return 0;
  return (u8 *)base;
}

static void copyBytes(u8 *to, const u8 *from, int len) {
  for (int i = 0; i < len; i++) to[i] = from[i];
}

/** Set the output format and the column order (column[c] = position of p,q,r,tau,n,m,lambda). */
EXPORT(setFormat) void setFormat(int isJson, int c0, int c1, int c2, int c3, int c4, int c5, int c6) {
  json = isJson;
  column[0] = c0; column[1] = c1; column[2] = c2; column[3] = c3; column[4] = c4; column[5] = c5; column[6] = c6;
}

/** Separator i (before lambdaStar, bias, ..., dof), from the scratch area. */
EXPORT(setSeparator) void setSeparator(int i, int len) {
  copyBytes(sepText[i], scratch, len);
  sepLen[i] = (u8)len;
}

/** Forget every model (the row prefixes depend on the format). */
EXPORT(clearModels) void clearModels(void) {
  modelCount = 0;
  lastModel = -1;
}

/** Model (p, q, r, tau) into `slot` (at most modelCount), with the row prefix in the scratch area; no m yet. */
EXPORT(setModel) void setModel(int slot, double p, double q, double r, double tau, int len) {
  struct Model *md = &models[slot];
  md->p = p; md->q = q; md->r = r; md->tau = tau;
  md->tau2 = tau * tau;
  copyBytes(md->prefix, scratch, len);
  md->prefixLen = len;
  for (int m = 0; m <= M_CAP; m++) md->loaded[m] = 0;
  if (slot == modelCount) modelCount++;
  lastModel = -1;
}

/**
 * The level terms of m (arrays already written through termsArrayPtr) and its two texts,
 * ",m,L," (mLenBytes) followed by K_m (kLenBytes) in the scratch area.
 */
EXPORT(setTerms) void setTerms(int slot, int m, double L, double K, double lnP, double P, int fast, int mLenBytes, int kLenBytes) {
  struct Model *md = &models[slot];
  struct Terms *k = &md->terms[m];
  k->L = L; k->K = K; k->lnP = lnP; k->P = P; k->fast = fast; k->m = m;
  copyBytes(md->mText[m], scratch, mLenBytes);
  md->mLen[m] = (u8)mLenBytes;
  copyBytes(md->kText[m], scratch + mLenBytes, kLenBytes);
  md->kLen[m] = (u8)kLenBytes;
  md->loaded[m] = 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading: numericCsv.ts.                                                                      */

/** 10^j, j = 0..22 (exact doubles). */
static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const u64 POW10_U64[19] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                  100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
                                  10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
                                  100000000000000000ull, 1000000000000000000ull};

/**
 * scanDecimal of numericCsv.ts where it takes its exact fast path (at most 15 significant
 * digits, a power of ten within 1e22): the index after the number, its value in *v; -1 where
 * numericCsv.ts would read no number or call Number() (both left to the caller).
 */
static int scanDecimal(const u8 *buf, int i, int limit, double *v) {
  int neg = 0;
  int c = i < limit ? buf[i] : -1;
  if (c == '-' || c == '+') {
    neg = c == '-';
    c = ++i < limit ? buf[i] : -1;
  }
  double mant = 0;
  int sig = 0, digits = 0, scale = 0;
  while (c >= '0' && c <= '9') {
    digits++;
    if (mant != 0 || c != '0') {
      mant = mant * 10 + (c - '0');
      sig++;
    }
    c = ++i < limit ? buf[i] : -1;
  }
  if (c == '.') {
    c = ++i < limit ? buf[i] : -1;
    while (c >= '0' && c <= '9') {
      digits++;
      if (mant != 0 || c != '0') {
        mant = mant * 10 + (c - '0');
        sig++;
      }
      scale--;
      c = ++i < limit ? buf[i] : -1;
    }
  }
  if (digits == 0) return -1;
  if (c == 'e' || c == 'E') {
    c = ++i < limit ? buf[i] : -1;
    int eneg = 0;
    if (c == '-' || c == '+') {
      eneg = c == '-';
      c = ++i < limit ? buf[i] : -1;
    }
    int ex = 0, edigits = 0;
    while (c >= '0' && c <= '9') {
      if (ex < 1000000) ex = ex * 10 + (c - '0');
      edigits++;
      c = ++i < limit ? buf[i] : -1;
    }
    if (edigits == 0) return -1;
    scale += eneg ? -ex : ex;
  }
  double x;
  if (mant == 0) x = 0;
  else if (sig <= 15 && scale >= -22 && scale <= 22) x = scale >= 0 ? mant * POW10[scale] : mant / POW10[-scale];
  else return -1;
  *v = neg ? -x : x;
  return i;
}

/** scanNumericLine of numericCsv.ts for 7 cells: the index after the line's LF, or -1. */
static int scanLine(const u8 *buf, int i, int n, double *values) {
  for (int c = 0;; c++) {
    int e = scanDecimal(buf, i, n, &values[c]);
    if (e < 0 || e == n) return -1;
    int d = buf[e];
    if (c == 6) {
      if (d == '\n') return e + 1;
      if (d == '\r' && e + 1 < n && buf[e + 1] == '\n') return e + 2;
      return -1;
    }
    if (d != ',') return -1;
    i = e + 1;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* The Lemma-1 fixed point: fixedPoint.ts.                                                      */

#define MIN_NORMAL 2.2250738585072014e-308
#define MAX_ITERATIONS 300

/** FixedPointState of fixedPoint.ts. */
static double stX, stY, stLx, stS1, stS3, stU, stD, stSB;
static int stConverged;

/** levelAU: a_l = 1/(1 + t), u_l = t/(1 + t) with t = x p^l, on the general path. */
static void levelAU(const struct Terms *k, int l, double x, double y, double *a, double *u) {
  double pw = k->pPow[l];
  if (x >= MIN_NORMAL && pw < INF) {
    double t = x * pw;
    if (t <= 1e300) {
      double aa = 1 / (1 + t);
      *a = aa;
      *u = t * aa;
      return;
    }
    *a = 1 / t;
    *u = 1;
    return;
  }
  double z = y + l * k->lnP;
  if (z > 0) {
    double e = js_exp(-z);
    *a = e / (1 + e);
    *u = 1 / (1 + e);
  } else {
    double e = js_exp(z);
    *a = 1 / (1 + e);
    *u = e / (1 + e);
  }
}

/** newtonSums: S1, S3 and U at x. */
static void newtonSums(const struct Terms *k, double x, double y) {
  int m = k->m;
  double s1 = 0, s3 = 0, su = 0;
  if (k->fast && x >= 1e-150 && x <= 1e150) {
    for (int l = 0; l < m; l++) {
      double t = x * k->pPow[l];
      double a = 1 / (1 + t);
      double qa = k->qPow[l] * a;
      double qu = qa * t;
      s1 += qa;
      su += qu;
      s3 += qu * a;
    }
  } else {
    for (int l = 0; l < m; l++) {
      double a, u;
      levelAU(k, l, x, y, &a, &u);
      double q = k->qPow[l];
      double qa = q * a;
      s1 += qa;
      su += q * u;
      s3 += qa * u;
    }
  }
  stS1 = s1;
  stS3 = s3;
  stU = su;
}

/** finalSums: S1, S3, D and SB at the solved x. */
static void finalSums(const struct Terms *k, double x, double y) {
  int m = k->m;
  double s1 = 0, s3 = 0, d = 0, sb = 0;
  if (k->fast && x >= 1e-150 && x <= 1e150) {
    for (int l = 0; l < m; l++) {
      double t = x * k->pPow[l];
      double a = 1 / (1 + t);
      double u = t * a;
      double qa = k->qPow[l] * a;
      s1 += qa;
      s3 += qa * u;
      d += qa * a;
      sb += k->rpPow[l] * u * u;
    }
  } else {
    for (int l = 0; l < m; l++) {
      double a, u;
      levelAU(k, l, x, y, &a, &u);
      double qa = k->qPow[l] * a;
      s1 += qa;
      s3 += qa * u;
      d += qa * a;
      sb += k->rpPow[l] * u * u;
    }
  }
  stS1 = s1;
  stS3 = s3;
  stD = d;
  stSB = sb;
}

/** lambdaOverX: lambda / x, in logs when x under- or overflows. */
static double lambdaOverX(double lambda, double lnLambda, double x, double y) {
  if (lambda == 0) return 0;
  if (x >= MIN_NORMAL && x < INF) {
    double v = lambda / x;
    if (v < INF) return v;
  }
  return js_exp(lnLambda - y);
}

/** Recent (v, ln v) pairs: n, lambda and the bracket ends of a grid repeat few values, and Math.log gives the same result for the same v. */
#define EMPTY_KEY 0x7ff8000000000001ull
#define LOG_SLOTS 1024
static u64 logKey[LOG_SLOTS];
static double logValue[LOG_SLOTS];

static u32 slotOf(u64 bits) {
  return ((u32)(bits >> 32) ^ (u32)bits) * 0x9e3779b1u;
}

static double cachedLog(double v) {
  u64 bits = __builtin_bit_cast(u64, v);
  u32 slot = slotOf(bits) >> 22;
  if (logKey[slot] == bits) return logValue[slot];
  double r = js_log(v);
  logKey[slot] = bits;
  logValue[slot] = r;
  return r;
}

/** solveFixedPoint with no guess and the default iteration cap. */
static void solve(const struct Terms *k, double n, double lambda) {
  double L = k->L;
  if (lambda == 0 && n > L) {
    stX = 0; stY = -INF; stLx = 0; stS1 = L; stS3 = 0; stU = 0; stD = L; stSB = 0;
    stConverged = 1;
    return;
  }
  double lnN = cachedLog(n);
  double lnLambda = lambda > 0 ? cachedLog(lambda) : -INF;
  double ylo = lnLambda - lnN;
  if (n < L) ylo = JS_MAX(ylo, cachedLog((L - n) / n) - (k->m - 1) * k->lnP);
  double yhi = cachedLog(k->P + lambda) - lnN;
  if (n > L) yhi = JS_MIN(yhi, lnLambda - cachedLog(n - L));
  if (!(yhi > ylo)) yhi = JS_MAX(yhi, ylo);
  double y = 0.5 * (ylo + yhi);
  double x = js_exp(y);
  int it = 0;
  double lastStep = INF;
  int converged = 0;
  for (; it < MAX_ITERATIONS; it++) {
    newtonSums(k, x, y);
    double lx = lambdaOverX(lambda, lnLambda, x, y);
    double f = stS1 <= 0.5 * L ? stS1 + lx - n : L - n - stU + lx;
    if (f == 0) {
      converged = 1;
      break;
    }
    if (f > 0) ylo = y;
    else yhi = y;
    double dy = f / (stS3 + lx);
    double ady = __builtin_fabs(dy);
    double ynew = y + dy;
    if (!(dy - dy == 0) || (!(ynew > ylo && ynew < yhi) && ady > 1e-12)) {
      if (!(yhi - ylo > 4e-16 * JS_MAX(1, __builtin_fabs(y)))) {
        converged = 1;
        break;
      }
      y = 0.5 * (ylo + yhi);
      x = js_exp(y);
      lastStep = INF;
      continue;
    }
    if (ady < 0.05 && x >= MIN_NORMAL && x < 1e300) {
      x += x * dy;
      y = js_log(x);
    } else {
      y = ynew;
      x = js_exp(y);
    }
    if (ady < 3e-9 || (ady < 1e-12 && ady > 0.5 * lastStep)) {
      it++;
      converged = 1;
      break;
    }
    lastStep = ady;
  }
  stX = x;
  stY = y;
  stLx = lambdaOverX(lambda, lnLambda, x, y);
  stConverged = converged;
  finalSums(k, x, y);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing numbers: the characters of String(x).                                              */

static u8 PAIRS[200];

/** digitCount: decimal digits of an integer 0 <= v < 1e10. */
static int digitCount(double v) {
  if (v < 1e5) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
}

/**
 * fixedDigits: exactly len digits of an integer 0 <= v < 2^31 at buf[at..at+len), the same
 * bytes as numberText.ts, four digits per step from the low end (two independent pairs).
 */
static void fixedDigits(u8 *buf, int at, double v, int len) {
  u32 w = (u32)v;
  u8 *e = buf + at + len;
  while (len >= 4) {
    u32 q = w / 10000;
    u32 r = w - q * 10000;
    u32 a = (r / 100) << 1;
    u32 b = (r % 100) << 1;
    e -= 4;
    e[0] = PAIRS[a];
    e[1] = PAIRS[a + 1];
    e[2] = PAIRS[b];
    e[3] = PAIRS[b + 1];
    w = q;
    len -= 4;
  }
  if (len >= 2) {
    u32 q = w / 100;
    u32 r = (w - q * 100) << 1;
    e -= 2;
    e[0] = PAIRS[r];
    e[1] = PAIRS[r + 1];
    w = q;
    len -= 2;
  }
  if (len == 1) e[-1] = (u8)('0' + w);
}

/** writeInteger: the digits of an integer 0 <= v < 2^53. */
static int writeInteger(u8 *buf, int pos, double v) {
  if (v < 1e9) {
    int len = digitCount(v);
    fixedDigits(buf, pos, v, len);
    return pos + len;
  }
  double hi = __builtin_floor(v / 1e8);
  int len = digitCount(hi);
  fixedDigits(buf, pos, hi, len);
  fixedDigits(buf, pos + len, v - hi * 1e8, 8);
  return pos + len + 8;
}

/* 64 x 64 -> upper 64 bits of the 128-bit product (WebAssembly has no wide multiply). */
static u64 mulHigh(u64 a, u64 b) {
  u64 a0 = (u32)a, a1 = a >> 32, b0 = (u32)b, b1 = b >> 32;
  u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  u64 mid = (p00 >> 32) + (u32)p01 + (u32)p10;
  return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** floor(log10 2^e), floor(log10(3/4 2^e)) and floor(log2 10^e), exact for |e| <= 1700 (checked in test/riskGridWasm.test.ts). */
static int floorLog10Pow2(int e) { return (int)(((long long)e * 661971961083LL) >> 41); }
static int floorLog10ThreeQuartersPow2(int e) { return (int)(((long long)e * 661971961083LL - 274743187321LL) >> 41); }
static int floorLog2Pow10(int e) { return (int)(((long long)e * 913124641741LL) >> 38); }

/**
 * g(e) = floor(10^e 2^(125 - floor(log2 10^e))) + 1, a 126-bit integer, as G_HI = g >> 64 and
 * G_LO = g mod 2^64, for e = -k in [G_MIN, G_MAX]; computed exactly with BigInt by the caller
 * (powerTable in _riskGridWasm.ts).
 */
#define G_MIN (-292)
#define G_MAX 324
static u64 gHi[G_MAX - G_MIN + 1], gLo[G_MAX - G_MIN + 1];

EXPORT(powerTablePtr) u64 *powerTablePtr(int which) { return which == 0 ? gHi : gLo; }

/** a b as 128 bits: returns the upper 64, the lower 64 in *lo (four 32 x 32 products). */
static u64 mul128(u64 a, u64 b, u64 *lo) {
  u64 a0 = (u32)a, a1 = a >> 32, b0 = (u32)b, b1 = b >> 32;
  u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  u64 mid = (p00 >> 32) + (u32)p01 + (u32)p10;
  *lo = (mid << 32) | (u32)p00;
  return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** A 192-bit unsigned integer w2 2^128 + w1 2^64 + w0. */
struct U192 {
  u64 w0, w1, w2;
};

/**
 * floor(X / 2^64) / 2^63 rounded to odd: the floor, with its lowest bit set when the remainder
 * is not 0. The low 64 bits are dropped first: they hold the excess of g over 10^e 2^(125 - r)
 * (less than cp < 2^59), so exact values, such as ties, stay exact.
 */
static u64 roundToOdd(struct U192 x) {
  u64 fl = (x.w2 << 1) | (x.w1 >> 63);
  return fl | ((x.w1 << 1) != 0);
}

/** Decimal digits of 1 <= d < 10^18: from the bit length (1233/4096 ~ log10 2), then one comparison. */
static int digitCount64(u64 d) {
  int t = ((64 - __builtin_clzll(d)) * 1233) >> 12;
  return t + (d >= POW10_U64[t]);
}

static void store64(u8 *p, u64 w) { *(u64u *)p = w; }
static void copy24(u8 *to, const u8 *from) {
  ((u64u *)to)[0] = ((const u64u *)from)[0];
  ((u64u *)to)[1] = ((const u64u *)from)[1];
  ((u64u *)to)[2] = ((const u64u *)from)[2];
}

/**
 * The 8 ASCII digits of v < 10^8, most significant first, as one little-endian 64-bit word:
 * split into 4-digit, 2-digit and 1-digit lanes of one register by exact multiply-shift
 * divisions (x 5243 >> 19 is x / 100 for x < 43699, x 103 >> 10 is x / 10 for x < 179).
 */
static u64 eightDigits(u32 v) {
  u64 x = (u64)(v / 10000) | ((u64)(v % 10000) << 32);
  u64 y = ((x * 5243) >> 19) & 0x0000007f0000007full;
  x = y | ((x - y * 100) << 16);
  u64 z = ((x * 103) >> 10) & 0x000f000f000f000full;
  x = z | ((x - z * 10) << 8);
  return x + 0x3030303030303030ull;
}

/**
 * layout for kd <= 17 digits at dig (24 readable bytes): the decimal 0.d1d2... 10^n as
 * Number::toString lays it out (plain digits, a point inside, 0.00ddd or d.ddde+-x). Copies
 * move 24 bytes at a time; bytes past the end are overwritten by what follows.
 */
static int layoutDigits(u8 *buf, int pos, const u8 *dig, int kd, int n) {
  u8 *o = buf + pos;
  if (kd <= n && n <= 21) {
    copy24(o, dig);
    for (int i = kd; i < n; i++) o[i] = '0';
    return pos + n;
  }
  if (0 < n && n <= 21) {
    copy24(o, dig);
    o[n] = '.';
    copy24(o + n + 1, dig + n);
    return pos + kd + 1;
  }
  if (-6 < n && n <= 0) {
    o[0] = '0';
    o[1] = '.';
    int z = -n;
    for (int i = 0; i < z; i++) o[2 + i] = '0';
    copy24(o + 2 + z, dig);
    return pos + 2 + z + kd;
  }
  o[0] = dig[0];
  int at = 1;
  if (kd > 1) {
    o[1] = '.';
    copy24(o + 2, dig + 1);
    at = kd + 1;
  }
  o[at++] = 'e';
  int ex = n - 1;
  if (ex < 0) {
    o[at++] = '-';
    ex = -ex;
  } else o[at++] = '+';
  int len = ex < 10 ? 1 : ex < 100 ? 2 : 3;
  fixedDigits(o, at, ex, len);
  return pos + at + len;
}

/**
 * The characters of String(x) for a finite x at buf[pos..]; returns the end, or -1 for a
 * subnormal x (left to the caller). Integers below 2^53 are written directly; any other x
 * takes the shortest decimal that reads back to x, the closest to x among those (ECMAScript
 * Number::toString), found by R. Giulietti's Schubfach method ("The Schubfach way to render
 * doubles", 2020): with x = c 2^q and its rounding
 * interval [x - 2^(q-1), x + 2^(q-1)] (closed for even c; a quarter below at powers of two),
 * scale by 10^-k with k = floor(log10 2^q), so the interval holds 16- or 17-digit integers and
 * at most one multiple of 10. The scaled bounds come from one 126-bit table entry and are
 * rounded to odd, which keeps every comparison exact. numberText.ts gets the same digits by a
 * different route (double-double arithmetic); test/riskGridWasm.test.ts compares both with
 * String(x) on millions of doubles.
 */
static int writeNumber(u8 *buf, int pos, double x) {
  if (x == 0) {
    buf[pos] = '0';
    return pos + 1;
  }
  if (x < 0) {
    buf[pos++] = '-';
    x = -x;
  }
  if (x < 9007199254740992.0 && x == __builtin_floor(x)) return writeInteger(buf, pos, x);
  u64 bits = __builtin_bit_cast(u64, x);
  int be = (int)(bits >> 52);
  if (be == 0) return -1;
  u64 c = (bits & 0xfffffffffffffull) | 0x10000000000000ull;
  int q = be - 1075;
  /* The rounding interval is closed for even c (a decimal on its end reads back to x), open for odd. */
  u64 odd = c & 1;
  u64 cb = c << 2;
  u64 cbl;
  int k;
  if (c != 0x10000000000000ull || be == 1) {
    cbl = cb - 2;
    k = floorLog10Pow2(q);
  } else {
    cbl = cb - 1;
    k = floorLog10ThreeQuartersPow2(q);
  }
  int h = q + floorLog2Pow10(-k) + 2;
  u64 gh = gHi[-k - G_MIN], gl = gLo[-k - G_MIN];
  /*
   * The exact products g cb 2^h, g cbl 2^h and g cbr 2^h: the first by two 64 x 64 products,
   * the bounds from it by adding or subtracting g 2^(h+1) (g 2^h below a power of two), so
   * each is exact and three products cost two.
   */
  u64 l1, l2;
  u64 h1 = mul128(gl, cb << h, &l1);
  u64 h2 = mul128(gh, cb << h, &l2);
  struct U192 P = {l1, h1 + l2, h2 + (h1 + l2 < h1)};
  int sh = h + 1;
  struct U192 D = {gl << sh, (gh << sh) | (gl >> (64 - sh)), gh >> (64 - sh)};
  struct U192 R = {P.w0 + D.w0, 0, 0};
  u64 c0 = R.w0 < P.w0;
  R.w1 = P.w1 + D.w1 + c0;
  u64 c1 = R.w1 < P.w1 || (c0 && R.w1 == P.w1);
  R.w2 = P.w2 + D.w2 + c1;
  if (cbl == cb - 1) {
    sh = h;
    D.w0 = gl << sh;
    D.w1 = (gh << sh) | (gl >> (64 - sh));
    D.w2 = gh >> (64 - sh);
  }
  struct U192 Lo = {P.w0 - D.w0, 0, 0};
  u64 b0 = P.w0 < D.w0;
  Lo.w1 = P.w1 - D.w1 - b0;
  u64 b1 = P.w1 < D.w1 || (b0 && P.w1 == D.w1);
  Lo.w2 = P.w2 - D.w2 - b1;
  u64 vb = roundToOdd(P);
  u64 vbl = roundToOdd(Lo);
  u64 vbr = roundToOdd(R);
  u64 s = vb >> 2;
  /*
   * One digit fewer: the multiple of 10 below s, or the one above, if only one is inside;
   * else full length: s or s + 1, whichever is inside, and if both the closer (ties: the even
   * one). Written as selects, not branches: on random data each test is a coin toss.
   */
  u64 sp10 = 10 * (mulHigh(s, 0xcccccccccccccccdull) >> 3);
  u64 tp10 = sp10 + 10;
  int upin = vbl + odd <= sp10 << 2;
  int wpin = (tp10 << 2) + odd <= vbr;
  u64 t = s + 1;
  int uin = vbl + odd <= s << 2;
  int win = (t << 2) + odd <= vbr;
  long long cmp = (long long)(vb - ((s + t) << 1));
  u64 closer = cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t;
  u64 full = uin != win ? (uin ? s : t) : closer;
  u64 d = upin != wpin ? (upin ? sp10 : tp10) : full;
  /*
   * Drop trailing zeros: d 10^k with d not a multiple of 10 (one is common, more are rare).
   * d = 10 q exactly when d is even and (d/2) INV5 mod 2^64 = q is at most (2^64 - 1)/5, INV5
   * being the inverse of 5 modulo 2^64: one multiplication a test.
   */
  for (;;) {
    u64 q10 = (d >> 1) * 0xcccccccccccccccdull;
    if ((d & 1) != 0 || q10 > 0x3333333333333333ull) break;
    d = q10;
    k++;
  }
  /* The 17 digits of d (zero-padded) into a scratch word array, then laid out. */
  u64 top = (u64)((double)d * 1e-8);
  long long r = (long long)(d - top * 100000000ull);
  if (r < 0) {
    top--;
    r += 100000000;
  } else if (r >= 100000000) {
    top++;
    r -= 100000000;
  }
  u32 lead = (u32)(top / 100000000u);
  u8 digits[48]; /* 17 digits, and room for the 24-byte copies of layoutDigits */
  digits[0] = (u8)('0' + lead);
  store64(digits + 1, eightDigits((u32)(top - (u64)lead * 100000000u)));
  store64(digits + 9, eightDigits((u32)r));
  int kd = digitCount64(d);
  return layoutDigits(buf, pos, digits + 17 - kd, kd, kd + k);
}

/** A number of the output contract (num of _riskRowWriter.ts): text, `null` (JSON) or nothing (CSV) when not finite; -1: declined. */
static int writeCell(u8 *buf, int pos, double x) {
  if (x - x == 0) return writeNumber(buf, pos, x);
  if (!json) return pos;
  buf[pos] = 'n';
  buf[pos + 1] = 'u';
  buf[pos + 2] = 'l';
  buf[pos + 3] = 'l';
  return pos + 4;
}

/** The text of recent lambda values (a grid repeats few), as NumberTextCache of numberText.ts keeps it. */
static u64 lambdaKey[256];
static u8 lambdaLen[256];
static u8 lambdaText[256][32];

static int writeLambda(u8 *buf, int pos, double x) {
  u64 bits = __builtin_bit_cast(u64, x);
  u32 slot = slotOf(bits) >> 24;
  if (lambdaKey[slot] == bits) {
    int len = lambdaLen[slot];
    for (int i = 0; i < len; i++) buf[pos + i] = lambdaText[slot][i];
    return pos + len;
  }
  int end = writeNumber(buf, pos, x);
  if (end < 0 || end - pos > 32) return end;
  lambdaKey[slot] = bits;
  lambdaLen[slot] = (u8)(end - pos);
  for (int i = pos; i < end; i++) lambdaText[slot][i - pos] = buf[i];
  return end;
}

/** Copy len bytes (b has 8 readable bytes past them; the output has room): 8 at a time. */
static int put(u8 *buf, int pos, const u8 *b, int len) {
  for (int i = 0; i < len; i += 8) *(u64u *)(buf + pos + i) = *(const u64u *)(b + i);
  return pos + len;
}

/* ------------------------------------------------------------------------------------------ */
/* The batch.                                                                                   */

EXPORT(init) void init(void) {
  for (int i = 0; i < 200; i++) PAIRS[i] = (u8)('0' + ((i & 1) == 0 ? i / 20 : (i >> 1) % 10));
  for (int i = 0; i < LOG_SLOTS; i++) logKey[i] = EMPTY_KEY;
  for (int i = 0; i < 256; i++) lambdaKey[i] = EMPTY_KEY;
}

/**
 * One row (RiskGridEvaluator.evaluateNumbers, riskFromState, RiskRowWriter.write) at
 * out[pos..]: returns the end, or -1 when the row is declined.
 */
static int riskRow(int pos, const double *v) {
  double p = v[column[0]], q = v[column[1]], r = v[column[2]], tau = v[column[3]];
  double n = v[column[4]], mv = v[column[5]], lambda = v[column[6]];
  const struct Model *md = lastModel < 0 ? 0 : &models[lastModel];
  if (md == 0 || p != md->p || q != md->q || r != md->r || tau != md->tau) {
    md = 0;
    for (int s = 0; s < modelCount; s++) {
      const struct Model *c = &models[s];
      if (p == c->p && q == c->q && r == c->r && tau == c->tau) {
        md = c;
        lastModel = s;
        break;
      }
    }
    if (md == 0) return -1;
  }
  if (!(n >= 1 && n <= 1e300 && mv >= 1 && mv <= M_CAP && mv == __builtin_floor(mv) && lambda >= 0)) return -1;
  int m = (int)mv;
  if (!md->loaded[m]) return -1;
  const struct Terms *k = &md->terms[m];
  if (lambda == 0 && n == k->L) return -1;
  solve(k, n, lambda);
  if (!stConverged) return -1;
  /* riskFromState */
  double noise = md->tau2 + k->K;
  double V, B;
  if (stX == 0) {
    V = k->L / (n - k->L);
    B = 0;
  } else {
    double nMinusD = stLx + stS3;
    V = stD / nMinusD;
    B = (1 + V) * stSB;
  }
  double variance = noise * V;
  double risk = noise + B + variance;
  double excess = k->K + B + variance;
  /* RiskRowWriter.write */
  u8 *b = out;
  int at = put(b, pos, md->prefix, md->prefixLen);
  if ((at = writeCell(b, at, n)) < 0) return -1;
  at = put(b, at, md->mText[m], md->mLen[m]);
  if ((at = writeLambda(b, at, lambda)) < 0) return -1;
  at = put(b, at, sepText[0], sepLen[0]);
  if ((at = writeCell(b, at, stX)) < 0) return -1;
  at = put(b, at, sepText[1], sepLen[1]);
  if ((at = writeCell(b, at, B)) < 0) return -1;
  at = put(b, at, sepText[2], sepLen[2]);
  if ((at = writeCell(b, at, variance)) < 0) return -1;
  at = put(b, at, sepText[3], sepLen[3]);
  at = put(b, at, md->kText[m], md->kLen[m]);
  at = put(b, at, sepText[4], sepLen[4]);
  if ((at = writeCell(b, at, risk)) < 0) return -1;
  at = put(b, at, sepText[5], sepLen[5]);
  if ((at = writeCell(b, at, excess)) < 0) return -1;
  at = put(b, at, sepText[6], sepLen[6]);
  if ((at = writeCell(b, at, V)) < 0) return -1;
  at = put(b, at, sepText[7], sepLen[7]);
  if ((at = writeCell(b, at, stD)) < 0) return -1;
  if (json) b[at++] = '}';
  b[at++] = '\n';
  return at;
}

/**
 * Evaluate the complete lines of input[start..end) (from inputPtr) into the output area,
 * from its start: DONE (every line), DECLINED (nextLine() is a line for the caller) or
 * OUT_FULL (call again from nextLine()); outputLength() and rowsWritten() tell what was written.
 */
EXPORT(run) int run(int start, int end) {
  const u8 *in = (const u8 *)(((u32)&__heap_base + 15) & ~15u);
  double values[7];
  int pos = start;
  int o = 0;
  int rows = 0;
  int status = DONE;
  while (pos < end) {
    if (o > OUT_CAP - ROW_MAX) {
      status = OUT_FULL;
      break;
    }
    int next = scanLine(in, pos, end, values);
    int at = next < 0 ? -1 : riskRow(o, values);
    if (at < 0) {
      status = DECLINED;
      break;
    }
    o = at;
    rows++;
    pos = next;
  }
  outLen = o;
  nextPos = pos;
  rowsDone = rows;
  return status;
}

/** writeNumber alone (tests): the text of x at the start of the output area; its length, or -1 when declined. */
EXPORT(formatNumber) int formatNumber(double x) {
  return writeNumber(out, 0, x);
}

/** The three floor-logarithm formulas of writeNumber (tests): 0 log10 2^e, 1 log10(3/4 2^e), 2 log2 10^e. */
EXPORT(floorLog) int floorLog(int which, int e) {
  return which == 0 ? floorLog10Pow2(e) : which == 1 ? floorLog10ThreeQuartersPow2(e) : floorLog2Pow10(e);
}
