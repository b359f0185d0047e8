import { readFileSync } from 'node:fs';
import type { ModelParams } from '../../model/params.js';
import type { RiskGridEvaluator } from '../../theory/riskGrid.js';

/**
 * The WebAssembly kernel of `risk --grid` (wasm/riskGridBatch.c; THEORY.md section 3): it
 * reads, evaluates and writes whole runs of plain numeric lines in one call, with the same
 * bytes as the TypeScript path (RiskGridEvaluator.evaluateNumbers and RiskRowWriter.write).
 * It declines every line it cannot take exactly (a model or level count it has not been given,
 * a number for the slow path of decimal conversion, a row that validation would reject); the
 * caller evaluates that line in TypeScript and then `learn`s its model and m, so the kernel
 * takes the next rows of that (model, m). It holds a few models at once (maxModels, the
 * evaluator's MODEL_CACHE), so a grid that interleaves them stays in the kernel.
 */

/** Where the kernel's rows go (GrowingSink of _riskRowWriter.ts). */
export interface KernelSink {
  buf: Uint8Array;
  pos: number;
  /** Make room for `bytes` more bytes at `pos`. */
  reserve(bytes: number): void;
}

/** The fixed texts of a row (RiskRowWriter of _riskRowWriter.ts), which the kernel copies. */
export interface KernelTexts {
  readonly separators: readonly Uint8Array[];
  modelPrefix(P: ModelParams): Uint8Array;
  levelText(m: number, L: number, compression: number): [Uint8Array, Uint8Array];
}

/** The part of the WebAssembly JavaScript API used here (its types live in the DOM lib, which this project does not load). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
// Reflect.get returns the global untyped; WasmApi is the declared shape of what Node provides.
const wasm: WasmApi = Reflect.get(globalThis, 'WebAssembly');

/** The functions of wasm/riskGridBatch.c, and its memory. */
interface KernelExports {
  memory: { buffer: ArrayBuffer };
  init(): void;
  scratchPtr(): number;
  outputPtr(): number;
  powerTablePtr(which: number): number;
  termsArrayPtr(slot: number, m: number, which: number): number;
  inputPtr(bytes: number): number;
  outputLength(): number;
  nextLine(): number;
  rowsWritten(): number;
  maxLevels(): number;
  maxModels(): number;
  clearModels(): void;
  setFormat(json: number, c0: number, c1: number, c2: number, c3: number, c4: number, c5: number, c6: number): void;
  setSeparator(i: number, len: number): void;
  setModel(slot: number, p: number, q: number, r: number, tau: number, prefixLen: number): void;
  setTerms(slot: number, m: number, L: number, K: number, lnP: number, P: number, fast: number, mLen: number, kLen: number): void;
  run(start: number, end: number): number;
  formatNumber(x: number): number;
  floorLog(which: number, e: number): number;
}

const OUT_FULL = 2;
/** Rows the kernel writes between two replacements of a model it holds (see learn). */
const EVICT_AFTER_ROWS = 256;
/** Room for texts in the kernel (riskGridBatch.c: prefix[256], mText[][96], kText[][32], less the 8 bytes its copies may read past the end). */
const MAX_PREFIX_BYTES = 248;
const MAX_LEVEL_TEXT_BYTES = 88;
const MAX_NUMBER_BYTES = 24;

/** Range of e = -k in the kernel's power table (riskGridBatch.c, G_MIN and G_MAX). */
export const POWER_TABLE_MIN = -292;
export const POWER_TABLE_MAX = 324;

let table: { hi: BigUint64Array; lo: BigUint64Array } | undefined;

/**
 * g(e) = floor(10^e 2^(125 - floor(log2 10^e))) + 1 for e in [POWER_TABLE_MIN, POWER_TABLE_MAX],
 * exactly (BigInt), as 64-bit halves g >> 64 and g mod 2^64: the scaled powers of ten of the
 * kernel's shortest-digit writer (Schubfach; see writeNumber in wasm/riskGridBatch.c).
 */
export function powerTable(): { hi: BigUint64Array; lo: BigUint64Array } {
  if (table) return table;
  const count = POWER_TABLE_MAX - POWER_TABLE_MIN + 1;
  const hi = new BigUint64Array(count);
  const lo = new BigUint64Array(count);
  const low64 = (1n << 64n) - 1n;
  for (let e = POWER_TABLE_MIN; e <= POWER_TABLE_MAX; e++) {
    const p = 10n ** BigInt(Math.abs(e));
    const bits = p.toString(2).length;
    let g: bigint;
    if (e >= 0) {
      // floor(log2 10^e) = bits - 1.
      const shift = 125 - (bits - 1);
      g = (shift >= 0 ? p << BigInt(shift) : p >> BigInt(-shift)) + 1n;
    } else {
      // 10^e = 1/p, p not a power of two: floor(log2 10^e) = -bits.
      g = (1n << BigInt(125 + bits)) / p + 1n;
    }
    hi[e - POWER_TABLE_MIN] = g >> 64n;
    lo[e - POWER_TABLE_MIN] = g & low64;
  }
  table = { hi, lo };
  return table;
}

let compiled: object | null | undefined;
let loadError: string | null = null;

/** The compiled module, or null where WebAssembly or the binary is missing (the TypeScript path then runs alone). */
function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new wasm.Module(readFileSync(new URL('./wasm/riskGridBatch.wasm', import.meta.url)));
    } catch (e) {
      compiled = null;
      loadError = e instanceof Error ? e.message : String(e);
    }
  }
  return compiled;
}

/** Why the shipped kernel cannot be loaded (a broken install), or null when it loads. */
export function kernelLoadError(): string | null {
  kernelModule();
  return loadError;
}

export class RiskGridKernel {
  private readonly x: KernelExports;
  private readonly maxM: number;
  private readonly maxModels: number;
  /** The models the kernel holds, by slot, and which m each has terms for. */
  private slots: { model: ModelParams; loaded: boolean[] }[] = [];
  /** The slot a new model takes once every slot is in use (the oldest model goes). */
  private nextEvicted = 0;
  /** Rows the kernel wrote since a model last replaced another. */
  private rowsSinceEviction = 0;
  private formatKey = '';
  private inputBytes: Uint8Array | null = null;

  private constructor(instance: { exports: unknown }) {
    this.x = instance.exports as KernelExports;
    this.x.init();
    this.maxM = this.x.maxLevels();
    this.maxModels = this.x.maxModels();
    const g = powerTable();
    new BigUint64Array(this.x.memory.buffer, this.x.powerTablePtr(0), g.hi.length).set(g.hi);
    new BigUint64Array(this.x.memory.buffer, this.x.powerTablePtr(1), g.lo.length).set(g.lo);
  }

  /** A kernel for this thread, or null where the WebAssembly binary cannot be loaded; `binary` replaces the shipped one (tests, benchmarks). */
  static create(binary?: Uint8Array): RiskGridKernel | null {
    const module = binary ? new wasm.Module(binary) : kernelModule();
    if (module === null) return null;
    return new RiskGridKernel(new wasm.Instance(module, { math: { exp: Math.exp, log: Math.log } }));
  }

  private scratch(b: Uint8Array, at = 0): void {
    new Uint8Array(this.x.memory.buffer, this.x.scratchPtr() + at, b.length).set(b);
  }

  /** Start a batch: its bytes, the column positions of p,q,r,tau,n,m,lambda, and the writer of its format. */
  begin(bytes: Uint8Array, header: number[], writer: KernelTexts, json: boolean): void {
    const key = `${json}:${header.join(',')}`;
    if (key !== this.formatKey) {
      this.formatKey = key;
      this.x.setFormat(json ? 1 : 0, header[0], header[1], header[2], header[3], header[4], header[5], header[6]);
      writer.separators.forEach((s, i) => {
        this.scratch(s);
        this.x.setSeparator(i, s.length);
      });
      this.x.clearModels();
      this.slots = [];
      this.nextEvicted = 0;
      this.rowsSinceEviction = 0;
    }
    const ptr = this.x.inputPtr(bytes.length);
    if (ptr === 0) {
      this.inputBytes = null;
      return;
    }
    new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
    this.inputBytes = bytes;
  }

  /**
   * Evaluate lines from `start` into `sink` until the end of the batch or a declined line;
   * returns [the offset of the first line not taken, rows written].
   */
  run(start: number, sink: KernelSink): [number, number] {
    const bytes = this.inputBytes;
    if (bytes === null || this.slots.length === 0) return [start, 0];
    const x = this.x;
    let pos = start;
    let rows = 0;
    for (;;) {
      const status = x.run(pos, bytes.length);
      const len = x.outputLength();
      if (len > 0) {
        sink.reserve(len);
        sink.buf.set(new Uint8Array(x.memory.buffer, x.outputPtr(), len), sink.pos);
        sink.pos += len;
      }
      rows += x.rowsWritten();
      this.rowsSinceEviction += x.rowsWritten();
      pos = x.nextLine();
      if (status !== OUT_FULL) break;
    }
    return [pos, rows];
  }

  /** How many models the kernel holds at once. */
  get modelSlots(): number {
    return this.maxModels;
  }

  /** The kernel's number writer alone: its text of x (String(x) by contract), or null where it declines (subnormals). For tests. */
  numberText(x: number): string | null {
    const len = this.x.formatNumber(x);
    return len < 0 ? null : Buffer.from(new Uint8Array(this.x.memory.buffer, this.x.outputPtr(), len)).toString('latin1');
  }

  /** The kernel's floor logarithms: 0 floor(log10 2^e), 1 floor(log10(3/4 2^e)), 2 floor(log2 10^e). For tests. */
  floorLog(which: 0 | 1 | 2, e: number): number {
    return this.x.floorLog(which, e);
  }

  /** After the TypeScript path wrote a row of (model, m): hand the kernel that model and m. */
  learn(ev: RiskGridEvaluator, writer: KernelTexts, m: number): void {
    const P = ev.params;
    let slot = this.slots.findIndex((s) => s.model === P || (s.model.p === P.p && s.model.q === P.q && s.model.r === P.r && s.model.tau === P.tau));
    if (slot < 0) {
      const prefix = writer.modelPrefix(P);
      if (prefix.length > MAX_PREFIX_BYTES) return; // (numbers are at most 25 characters: never)
      if (this.slots.length < this.maxModels) slot = this.slots.length;
      else {
        // Every slot in use: replace a model only once the kernel has written EVICT_AFTER_ROWS
        // rows since the last replacement. A grid that cycles through more models than there are
        // slots then keeps most of them here, instead of replacing one on every row (each
        // replacement costs about as much as a row).
        if (this.rowsSinceEviction < EVICT_AFTER_ROWS) return;
        this.rowsSinceEviction = 0;
        slot = this.nextEvicted;
        this.nextEvicted = (slot + 1) % this.maxModels;
      }
      this.scratch(prefix);
      this.x.setModel(slot, P.p, P.q, P.r, P.tau, prefix.length);
      this.slots[slot] = { model: P, loaded: [] };
    }
    const held = this.slots[slot];
    if (m > this.maxM || held.loaded[m]) return;
    const k = ev.levelTermsOf(m);
    const mem = this.x.memory.buffer;
    new Float64Array(mem, this.x.termsArrayPtr(slot, m, 0), m).set(k.qPow);
    new Float64Array(mem, this.x.termsArrayPtr(slot, m, 1), m).set(k.pPow);
    new Float64Array(mem, this.x.termsArrayPtr(slot, m, 2), m).set(k.rpPow);
    const [mt, kt] = writer.levelText(m, k.L, k.K);
    if (mt.length > MAX_LEVEL_TEXT_BYTES || kt.length > MAX_NUMBER_BYTES) return;
    this.scratch(mt);
    this.scratch(kt, mt.length);
    this.x.setTerms(slot, m, k.L, k.K, k.lnP, k.P, k.fast ? 1 : 0, mt.length, kt.length);
    held.loaded[m] = true;
  }
}
