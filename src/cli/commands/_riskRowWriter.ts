import { scanNumericLine } from '../../io/numericCsv.js';
import { NumberTextCache, writeNumberText } from '../../io/numberText.js';
import { ByteOutput } from '../../io/streams.js';
import type { ModelParams } from '../../model/params.js';
import type { RiskParts } from '../../theory/deterministicRisk.js';
import type { RiskGridEvaluator } from '../../theory/riskGrid.js';
import type { RiskGridKernel } from './_riskGridWasm.js';

/**
 * The byte-level writer of `risk --grid` rows (CSV or JSON lines, THEORY.md section 3) and the
 * batch evaluation shared by the main thread and the worker threads (`_riskGridWorker.ts`).
 */

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** A number in the output contract: shortest round-trip text, `null` (JSON) or empty (CSV) when not finite. */
function numberText(x: number, json: boolean): string {
  return Number.isFinite(x) ? String(x) : json ? 'null' : '';
}

/** Where rows are assembled: `room()` leaves ByteOutput.ROW_RESERVE bytes free at `pos` (ByteOutput is one). */
export interface RowSink {
  buf: Uint8Array;
  pos: number;
  room(): void;
}

/**
 * Writes risk rows as CSV or JSON lines straight into a ByteOutput: the text that depends only
 * on the model (p, q, r, tau) or on (model, m) (m, L, K_m) is made once and copied; the other
 * numbers go through writeNumberText (the characters of String(x)).
 */
export class RiskRowWriter {
  private model: ModelParams | null = null;
  private prefix: Uint8Array = new Uint8Array(0);
  private mText: (Uint8Array | undefined)[] = [];
  private kText: (Uint8Array | undefined)[] = [];
  private readonly json: boolean;
  private readonly sep: Uint8Array[];
  /** lambda repeats few distinct values in a grid. */
  private readonly lambdaText = new NumberTextCache();

  constructor(json: boolean) {
    this.json = json;
    // Separators before lambdaStar, bias, variance, (compression), risk, excess, varianceFactor, dof.
    const names = ['lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess', 'varianceFactor', 'dof'];
    this.sep = names.map((f) => bytes(json ? `,"${f}":` : ','));
  }

  /** The separators before lambdaStar, bias, variance, compression, risk, excess, varianceFactor and dof. */
  get separators(): readonly Uint8Array[] {
    return this.sep;
  }

  /** The text of a row that depends only on the model: up to and including the separator before n. */
  modelPrefix(P: ModelParams): Uint8Array {
    const [p, q, rr, tau] = [P.p, P.q, P.r, P.tau].map((x) => numberText(x, this.json));
    return this.json ? bytes(`{"p":${p},"q":${q},"r":${rr},"tau":${tau},"n":`) : bytes(`${p},${q},${rr},${tau},`);
  }

  /** The texts that depend on (model, m): from the separator before m to the one before lambda, and K_m. */
  levelText(m: number, L: number, compression: number): [Uint8Array, Uint8Array] {
    const json = this.json;
    return [bytes(json ? `,"m":${m},"L":${numberText(L, true)},"lambda":` : `,${m},${numberText(L, false)},`), bytes(numberText(compression, json))];
  }

  write(out: RowSink, P: ModelParams, r: RiskParts): void {
    const json = this.json;
    if (P !== this.model) {
      this.model = P;
      this.prefix = this.modelPrefix(P);
      this.mText = [];
      this.kText = [];
    }
    const m = r.m;
    let mt = this.mText[m];
    let kt = this.kText[m];
    if (mt === undefined || kt === undefined) {
      [mt, kt] = this.levelText(m, r.L, r.compression);
      this.mText[m] = mt;
      this.kText[m] = kt;
    }
    out.room();
    const buf = out.buf;
    let pos = put(out.buf, out.pos, this.prefix);
    pos = num(buf, pos, r.n, json);
    pos = put(buf, pos, mt);
    pos = Number.isFinite(r.lambda) ? this.lambdaText.write(buf, pos, r.lambda) : num(buf, pos, r.lambda, json);
    const sep = this.sep;
    pos = put(buf, pos, sep[0]);
    pos = num(buf, pos, r.lambdaStar, json);
    pos = put(buf, pos, sep[1]);
    pos = num(buf, pos, r.bias, json);
    pos = put(buf, pos, sep[2]);
    pos = num(buf, pos, r.variance, json);
    pos = put(buf, pos, sep[3]);
    pos = put(buf, pos, kt);
    pos = put(buf, pos, sep[4]);
    pos = num(buf, pos, r.risk, json);
    pos = put(buf, pos, sep[5]);
    pos = num(buf, pos, r.excess, json);
    pos = put(buf, pos, sep[6]);
    pos = num(buf, pos, r.varianceFactor, json);
    pos = put(buf, pos, sep[7]);
    pos = num(buf, pos, r.dof, json);
    if (json) buf[pos++] = 125; // }
    buf[pos++] = 10; // LF
    out.pos = pos;
  }
}

function put(buf: Uint8Array, pos: number, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) buf[pos++] = b[i];
  return pos;
}

function num(buf: Uint8Array, pos: number, x: number, json: boolean): number {
  if (x - x === 0) return writeNumberText(buf, pos, x);
  if (!json) return pos;
  buf[pos] = 110; // null
  buf[pos + 1] = 117;
  buf[pos + 2] = 108;
  buf[pos + 3] = 108;
  return pos + 4;
}

/** A batch of complete numeric lines for a worker (`_riskGridWorker.ts`). */
export interface GridBatchRequest {
  id: number;
  bytes: Uint8Array;
  /** Column positions of p,q,r,tau,n,m,lambda. */
  header: number[];
  json: boolean;
  /** An output buffer of an earlier batch, handed back for reuse (empty: none). */
  spare: ArrayBuffer;
}

/** A worker's answer: the output of its first `rows` lines; `stop` >= 0: the offset of the first line it did not take. */
export interface GridBatchResult {
  id: number;
  out: Uint8Array<ArrayBuffer>;
  rows: number;
  stop: number;
}

/** An output buffer that grows (by doubling) instead of handing blocks to a stream. */
export class GrowingSink implements RowSink {
  buf: Uint8Array<ArrayBuffer>;
  pos = 0;
  /** At least `bytes` (plus the reserve), in `spare` when it is large enough. */
  constructor(bytes: number, spare: ArrayBuffer) {
    const size = bytes + ByteOutput.ROW_RESERVE;
    // A fresh buffer gets a quarter more, so that it fits the next batches when handed back.
    this.buf = spare.byteLength >= size ? new Uint8Array(spare) : new Uint8Array(Math.ceil(size * 1.25));
  }

  /** Make room for `bytes` more bytes (and the reserve) at `pos`. */
  reserve(bytes: number): void {
    const need = this.pos + bytes + ByteOutput.ROW_RESERVE;
    if (this.buf.length >= need) return;
    const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  room(): void {
    this.reserve(0);
  }
}


/**
 * Evaluate and write a batch of complete lines as the serial byte-level path does, stopping at
 * the first line that path would not take (not plain numbers, or a row the evaluator rejects).
 * With a kernel (the WebAssembly one of _riskGridWasm.ts), runs of lines it takes go through it;
 * each line it declines is evaluated here, and its model and m are handed to it.
 */
export function evaluateBatch(req: GridBatchRequest, ev: RiskGridEvaluator, writer: RiskRowWriter, kernel: RiskGridKernel | null = null): GridBatchResult {
  const { bytes, header: h } = req;
  const n = bytes.length;
  const values = new Float64Array(h.length);
  const sink = new GrowingSink(n * (req.json ? 12 : 6), req.spare);
  kernel?.begin(bytes, h, writer, req.json);
  let pos = 0;
  let rows = 0;
  let stop = -1;
  while (pos < n) {
    if (kernel) {
      const [next, done] = kernel.run(pos, sink);
      rows += done;
      pos = next;
      if (pos >= n) break;
    }
    const next = scanNumericLine(bytes, pos, n, h.length, values);
    const res = next < 0 ? null : ev.evaluateNumbers(values[h[0]], values[h[1]], values[h[2]], values[h[3]], values[h[4]], values[h[5]], values[h[6]]);
    if (res === null) {
      stop = pos;
      break;
    }
    writer.write(sink, ev.params, res);
    kernel?.learn(ev, writer, res.m);
    rows++;
    pos = next;
  }
  return { id: req.id, out: sink.buf.subarray(0, sink.pos), rows, stop };
}
