import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { createRng, xoshiroNext } from '../util/rng.js';
import { createBinomialHalfTable, drawUint32Sum, MAX_BINOMIAL_N, type BinomialHalfTable } from '../util/binomialTable.js';
import { levelCoefficient, levelSize, levelVariance, bitsPerSample, type ModelParams } from './params.js';

/**
 * Seeded sampler of the stylized multiscale model (THEORY.md section 2).
 *
 * Each sample has coordinates x_{l,j} for levels l < levelsGenerated, independent, mean 0,
 * variance p^-l: uniform on [-a_l, a_l], a_l = sqrt(3 p^-l) (the paper's choice, default) or
 * Gaussian. The response is y = <x, theta> + eps with theta_{l,j} = sqrt(r^l/q^l) and
 * eps ~ N(0, tau^2). Only the first `keptLevels` levels are returned as features; the levels
 * keptLevels..levelsGenerated-1 enter y only (they are what compression throws away, and the
 * learner never sees them), and only through their level sums theta_l sum_j x_{l,j}, so the
 * sampler draws those sums directly instead of q^l coordinates each.
 *
 * Tail modes (how the levels beyond keptLevels enter y):
 * - 'coordinates' (default, faithful): each tail level sum has exactly the distribution of the
 *   sum of its q^l coordinates drawn like the kept ones. Uniform features: the coordinates are
 *   x = a_l ((k + 1/2) 2^-31 - 1) with k uniform 32-bit integers (as below), so the level sum
 *   is a_l (S 2^-31 + q^l (2^-32 - 1)) with S the sum of q^l iid uniform 32-bit integers.
 *   Every bit of such an integer is an independent fair coin, so S = sum_{b<32} 2^b B_b with
 *   B_b iid Binomial(q^l, 1/2), and the sampler draws the 32 B_b from an integer alias table
 *   (src/util/binomialTable.ts: exact up to weights rounded to 2^-64 and outcomes of pmf
 *   below 2^-70 dropped), usually one 32-bit draw each instead of q^l; S is an exact integer
 *   in a double, which needs q^l <= 2^21 for every tail level (checked). Gaussian features:
 *   the sum of q^l iid N(0, p^-l) is exactly N(0, q^l p^-l), one normal per level.
 * - 'levelSums': one draw per tail level of its y-contribution as N(0, r^l p^-l). For Gaussian
 *   features this is the same draw as 'coordinates'. For uniform features it replaces the
 *   sum of q^l uniforms by a Gaussian of the same variance (an approximation): the ridge fit is
 *   linear in y and the risk quadratic in the fit, so the mean risk at a fixed lambda depends
 *   on the tail only through its variance and is unchanged; only fourth-moment effects
 *   (excess kurtosis -1.2/q^l, below 0.3% for q^l >= 512) differ.
 *
 * Randomness: one xoshiro128** stream per (seed, ...streamIds) from createRng, inlined in the
 * inner loop (the recurrence of src/util/rng.ts, seeded by four of its draws). Kept uniform
 * coordinates use one 32-bit draw each: x = a_l ((k + 1/2) 2^-31 - 1), k uniform on
 * 0..2^32-1 (symmetric, mean exactly 0, variance a_l^2 (1 - 2^-64)/3; the 2^-32 grid is far
 * below any statistic we estimate). Normals: Marsaglia polar method on 53-bit uniforms.
 */
/**
 * Version of the samplers' random streams: what a (seed, stream) pair draws. 1: every tail
 * coordinate drawn; 2: tail level sums drawn exactly from bit-plane binomials. Stored with
 * every Monte Carlo run, so a run is never resumed with draws of another version.
 */
export const RANDOM_STREAM_VERSION = 2;

export type FeatureDistribution = 'uniform' | 'gaussian';
export type TailMode = 'coordinates' | 'levelSums';

export interface SamplerOptions {
  /** Levels stored as features (the simulation's m_max). */
  keptLevels: number;
  /** Levels present in y (m_max + extraLevels); >= keptLevels. */
  levelsGenerated: number;
  features?: FeatureDistribution;
  tail?: TailMode;
  /**
   * Who draws the kept uniform coordinates: 'wasm' (default; src/model/wasm/sampler.wat) or
   * 'js' (the same arithmetic in JavaScript). Both give bit-identical streams; the choice only
   * changes speed (the tests compare them).
   */
  kernel?: 'wasm' | 'js';
}

export interface StylizedSampler {
  readonly params: ModelParams;
  /** Number of features per sample, L(keptLevels). */
  readonly dim: number;
  readonly keptLevels: number;
  readonly levelsGenerated: number;
  /**
   * Draw `rows` samples: feature j of sample i goes to xt[j * ldx + i] (feature-major), its
   * response to y[i]. Consecutive calls continue the stream, so a run of blocks equals one
   * big block (training prefixes are nested).
   */
  fill(rows: number, xt: Float64Array, ldx: number, y: Float64Array): void;
  /**
   * A feature-major block of dim x ldx doubles owned by the sampler: passed to `fill` as `xt`
   * (with the same ldx) it is written in place, without the copy another array costs. Valid
   * until a later call asks for a larger ldx.
   */
  blockBuffer(ldx: number): Float64Array;
}

const TWO_M31 = 2 ** -31;
const TWO_M32 = 2 ** -32;
const TWO_M53 = 2 ** -53;

/** Validate sampler options against the model (THEORY.md section 2). */
export function validateSamplerOptions(opts: SamplerOptions): Required<SamplerOptions> {
  const { keptLevels, levelsGenerated } = opts;
  if (!Number.isInteger(keptLevels) || keptLevels < 1 || keptLevels > 24) throw new InputError('keptLevels', keptLevels, 'an integer 1..24');
  if (!Number.isInteger(levelsGenerated) || levelsGenerated < keptLevels || levelsGenerated > 40) {
    throw new InputError('levelsGenerated', levelsGenerated, `an integer keptLevels = ${keptLevels} .. 40`);
  }
  const features = opts.features ?? 'uniform';
  if (features !== 'uniform' && features !== 'gaussian') throw new InputError('features', features, 'uniform or gaussian');
  const tail = opts.tail ?? 'coordinates';
  if (tail !== 'coordinates' && tail !== 'levelSums') throw new InputError('tail', tail, 'coordinates or levelSums');
  const kernel = opts.kernel ?? 'wasm';
  if (kernel !== 'wasm' && kernel !== 'js') throw new InputError('kernel', kernel, 'wasm or js');
  return { keptLevels, levelsGenerated, features, tail, kernel };
}

/** The part of the WebAssembly JavaScript API used here (its types live in the DOM lib, which this project does not load). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Instance: new (module: object, imports: object) => { exports: unknown };
}
type FillRow = (st: number, levels: number, table: number, out: number, stride: number) => number;
type TailSum = (st: number, desc: number) => number;
let samplerModule: object | undefined;
const PAGE_BYTES = 65536;

/** A WebAssembly memory with the sampler kernels bound to it (one per sampler). */
function wasmSamplerMemory(): { memory: InstanceType<WasmApi['Memory']>; fillRow: FillRow; tailSum: TailSum } {
  // Reflect.get returns the global untyped; WasmApi is the declared shape of what Node provides.
  const wasm: WasmApi = Reflect.get(globalThis, 'WebAssembly');
  samplerModule ??= new wasm.Module(readFileSync(new URL('./wasm/sampler.wasm', import.meta.url)));
  const memory = new wasm.Memory({ initial: 1 });
  const exports = new wasm.Instance(samplerModule, { env: { memory } }).exports as { fillRow: FillRow; tailSum: TailSum };
  return { memory, fillRow: exports.fillRow, tailSum: exports.tailSum };
}

// Alias tables by n, built once per thread (exact BigInt arithmetic, milliseconds each) and only
// read afterwards: every sampler of a run (train, validation, test streams, every repetition)
// shares them.
const binomialTables = new Map<number, BinomialHalfTable>();
function binomialTableFor(n: number): BinomialHalfTable {
  let t = binomialTables.get(n);
  if (!t) {
    t = createBinomialHalfTable(n);
    binomialTables.set(n, t);
  }
  return t;
}

/** A sampler for the stream (seed, ...streamIds) of the stylized model (THEORY.md section 2). */
export function createSampler(params: ModelParams, options: SamplerOptions, seed: number, ...streamIds: number[]): StylizedSampler {
  const opts = validateSamplerOptions(options);
  const { q, p, r, tau } = params;
  const { keptLevels, levelsGenerated, features, tail, kernel } = opts;
  const dim = bitsPerSample(q, keptLevels);
  const seeder = createRng(seed, ...streamIds);
  // The generator state: in the WebAssembly memory when its kernel draws the kept coordinates.
  const native = features === 'uniform' && kernel === 'wasm' ? wasmSamplerMemory() : undefined;
  let st = native ? new Int32Array(native.memory.buffer, 0, 4) : new Int32Array(4);
  for (let i = 0; i < 4; i++) st[i] = seeder.uint32() | 0;
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;

  const size: number[] = [];
  const scale: number[] = []; // a_l (uniform half-width) or sd_l (gaussian)
  const coef: number[] = [];
  for (let l = 0; l < levelsGenerated; l++) {
    size.push(levelSize(q, l));
    const variance = levelVariance(p, l);
    scale.push(features === 'uniform' ? Math.sqrt(3 * variance) : Math.sqrt(variance));
    coef.push(levelCoefficient(r, q, l));
  }
  // Standard deviation of a tail level's whole y-contribution: sqrt(q^l theta_l^2 p^-l) = sqrt((r/p)^l).
  const levelSumSd = size.map((_, l) => Math.sqrt((r / p) ** l));
  // Exact uniform tail sums: one Binomial(q^l, 1/2) alias table per tail level (distinct q^l).
  const binomial: (BinomialHalfTable | null)[] = size.map(() => null);
  if (tail === 'coordinates' && features === 'uniform') {
    for (let l = keptLevels; l < levelsGenerated; l++) {
      if (size[l] > MAX_BINOMIAL_N) {
        let maxGenerated = 1;
        while (levelSize(q, maxGenerated) <= MAX_BINOMIAL_N) maxGenerated++;
        throw new InputError('levelsGenerated', levelsGenerated, `at most ${maxGenerated} for q = ${q} with uniform features and tail 'coordinates'`,
          `tail level ${l} would have q^l = ${size[l]} coordinates, above the 2^21 for which their 32-bit sum is exact in a double (tail 'levelSums' has no such limit)`);
      }
      binomial[l] = binomialTableFor(size[l]);
    }
  }
  const gauss = { hasSpare: false, spare: 0 };

  // WebAssembly layout: state at 0, kept-level table (count, a_l, coef_l; 24 bytes each) at 16,
  // then per tail level with an alias table its descriptor (k, lo and the addresses of thrHi,
  // thrLo, alias; 24 bytes) and the three arrays, then the block buffer (grown on demand).
  let block = new Float64Array(0);
  let blockOffset = 0;
  const tailDesc: number[] = size.map(() => -1);
  if (native) {
    let at = 16 + 24 * keptLevels;
    const align = (x: number, to: number): number => Math.ceil(x / to) * to;
    const place: { l: number; desc: number; hi: number; lo: number; alias: number }[] = [];
    for (let l = keptLevels; l < levelsGenerated; l++) {
      const table = binomial[l];
      if (!table) continue;
      const cells = table.alias.length;
      const desc = align(at, 8);
      const lo = align(desc + 24, 8);
      const hi = lo + 8 * cells;
      const alias = hi + 4 * cells;
      at = alias + 4 * cells;
      place.push({ l, desc, hi, lo, alias });
    }
    blockOffset = align(at, 16);
    if (blockOffset > native.memory.buffer.byteLength) native.memory.grow(Math.ceil((blockOffset - native.memory.buffer.byteLength) / PAGE_BYTES));
    st = new Int32Array(native.memory.buffer, 0, 4);
    const view = new DataView(native.memory.buffer);
    for (let l = 0; l < keptLevels; l++) {
      view.setInt32(16 + 24 * l, size[l], true);
      view.setFloat64(16 + 24 * l + 8, scale[l], true);
      view.setFloat64(16 + 24 * l + 16, coef[l], true);
    }
    for (const { l, desc, hi, lo, alias } of place) {
      const table = binomial[l] as BinomialHalfTable;
      view.setInt32(desc, table.k, true);
      view.setInt32(desc + 4, table.lo, true);
      view.setInt32(desc + 8, hi, true);
      view.setInt32(desc + 12, lo, true);
      view.setInt32(desc + 16, alias, true);
      new Int32Array(native.memory.buffer, hi, table.thrHi.length).set(table.thrHi);
      new Float64Array(native.memory.buffer, lo, table.thrLo.length).set(table.thrLo);
      new Int32Array(native.memory.buffer, alias, table.alias.length).set(table.alias);
      tailDesc[l] = desc;
    }
  }
  const blockBuffer = (ldx: number): Float64Array => {
    if (!native) {
      if (block.length < dim * ldx) block = new Float64Array(dim * ldx);
      return block.length === dim * ldx ? block : block.subarray(0, dim * ldx);
    }
    const bytes = blockOffset + dim * ldx * 8;
    const have = native.memory.buffer.byteLength;
    if (bytes > have) {
      native.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES)); // detaches the old views
      st = new Int32Array(native.memory.buffer, 0, 4);
    }
    if (block.buffer !== native.memory.buffer || block.length < dim * ldx) block = new Float64Array(native.memory.buffer, blockOffset, dim * ldx);
    return block.length === dim * ldx ? block : block.subarray(0, dim * ldx);
  };

  const fill = (rows: number, xt: Float64Array, ldx: number, y: Float64Array): void => {
    // With the WebAssembly kernel the kept coordinates go to the sampler's block buffer (xt
    // itself when it is that buffer, else copied to xt at the end).
    const buf = native ? blockBuffer(ldx) : undefined;
    const inPlace = buf !== undefined && xt.buffer === buf.buffer && xt.byteOffset === buf.byteOffset;
    for (let i = 0; i < rows; i++) {
      let yi = 0;
      let feat = 0;
      if (native) {
        yi = native.fillRow(0, keptLevels, 16, blockOffset + i * 8, ldx * 8);
        feat = dim;
      }
      for (let l = native ? keptLevels : 0; l < keptLevels; l++) {
        const cnt = size[l];
        const a = scale[l];
        let sx = 0;
        if (features === 'uniform') {
          sx = fillUniform(st, cnt, a, xt, feat * ldx + i, ldx);
        } else {
          for (let j = 0; j < cnt; j++) {
            const x = a * nextNormal(st, gauss);
            xt[(feat + j) * ldx + i] = x;
            sx += x;
          }
        }
        yi += coef[l] * sx;
        feat += cnt;
      }
      for (let l = keptLevels; l < levelsGenerated; l++) {
        const table = binomial[l];
        if (table === null) {
          // 'levelSums', or Gaussian features, where it is the exact sum of the q^l coordinates.
          yi += levelSumSd[l] * nextNormal(st, gauss);
          continue;
        }
        // The q^l uniform coordinates summed: a_l (S 2^-31 + q^l (2^-32 - 1)), S their 32-bit integers' sum.
        const cnt = size[l];
        const sum = native ? native.tailSum(0, tailDesc[l]) : drawUint32Sum(st, table);
        yi += coef[l] * scale[l] * (sum * TWO_M31 + cnt * (TWO_M32 - 1));
      }
      if (tau > 0) yi += tau * nextNormal(st, gauss);
      y[i] = yi;
    }
    if (buf && !inPlace) for (let j = 0; j < dim; j++) xt.set(buf.subarray(j * ldx, j * ldx + rows), j * ldx);
  };
  return { params, dim, keptLevels, levelsGenerated, fill, blockBuffer };
}

/** Convenience for tests and small jobs: `rows` samples as row arrays x[i] (length L(keptLevels)) and y. */
export function sampleRows(params: ModelParams, options: SamplerOptions, rows: number, seed: number, ...streamIds: number[]): { x: Float64Array[]; y: Float64Array } {
  const s = createSampler(params, options, seed, ...streamIds);
  const xt = new Float64Array(s.dim * rows);
  const y = new Float64Array(rows);
  s.fill(rows, xt, rows, y);
  const x: Float64Array[] = [];
  for (let i = 0; i < rows; i++) {
    const row = new Float64Array(s.dim);
    for (let j = 0; j < s.dim; j++) row[j] = xt[j * rows + i];
    x.push(row);
  }
  return { x, y };
}

/** cnt uniform coordinates a((k + 1/2) 2^-31 - 1) written with stride ldx from offset; returns their sum. */
function fillUniform(st: Int32Array, cnt: number, a: number, xt: Float64Array, offset: number, ldx: number): number {
  let a0 = st[0], a1 = st[1], a2 = st[2], a3 = st[3];
  let sum = 0;
  let o = offset;
  for (let j = 0; j < cnt; j++) {
    const m5 = Math.imul(a1, 5);
    const k = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
    const t = a1 << 9;
    a2 ^= a0;
    a3 ^= a1;
    a1 ^= a2;
    a0 ^= a3;
    a2 ^= t;
    a3 = (a3 << 11) | (a3 >>> 21);
    const x = a * ((k + 0.5) * TWO_M31 - 1);
    xt[o] = x;
    sum += x;
    o += ldx;
  }
  st[0] = a0;
  st[1] = a1;
  st[2] = a2;
  st[3] = a3;
  return sum;
}

/** Standard normal by the Marsaglia polar method on 53-bit uniforms, one value cached. */
function nextNormal(st: Int32Array, cache: { hasSpare: boolean; spare: number }): number {
  if (cache.hasSpare) {
    cache.hasSpare = false;
    return cache.spare;
  }
  let u: number, v: number, s: number;
  do {
    u = 2 * (((xoshiroNext(st) >>> 5) * 67108864 + (xoshiroNext(st) >>> 6)) * TWO_M53) - 1;
    v = 2 * (((xoshiroNext(st) >>> 5) * 67108864 + (xoshiroNext(st) >>> 6)) * TWO_M53) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s === 0);
  const f = Math.sqrt((-2 * Math.log(s)) / s);
  cache.spare = v * f;
  cache.hasSpare = true;
  return u * f;
}
