import { InputError } from '../../errors.js';
import { csvHeader } from '../../io/csv.js';
import { NumericCsvReader, type NumericCsvConsumer } from '../../io/numericCsv.js';
import { ByteOutput, inputByteChunks } from '../../io/streams.js';
import type { RiskParts } from '../../theory/deterministicRisk.js';
import { RiskGridEvaluator, RISK_GRID_COLUMNS, type RiskGridCells } from '../../theory/riskGrid.js';
import { formatTable } from './_table.js';
import { evaluateBatch, GrowingSink, RiskRowWriter, type GridBatchRequest, type GridBatchResult } from './_riskRowWriter.js';
import { kernelLoadError, RiskGridKernel } from './_riskGridWasm.js';
import { warn } from '../../util/warnings.js';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

/** The output fields of `risk`, in order: the JSON keys of every line and the CSV header. */
export const RISK_FIELDS = ['p', 'q', 'r', 'tau', 'n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess', 'varianceFactor', 'dof'] as const;

export type RiskRow = { p: number; q: number; r: number; tau: number } & RiskParts;

export type GridFormat = 'json' | 'csv' | 'text';

const TABLE_FIELDS: (keyof RiskRow)[] = ['n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess'];

interface Batch {
  bytes: Uint8Array;
  result: Promise<GridBatchResult>;
}

/** Batches a worker may hold before the main thread evaluates the next one itself. */
const WORKER_QUEUE = 2;

/** Input bytes read before `--threads auto` starts the workers (small grids stay serial). */
const AUTO_THREADS_BYTES = 4 << 20;

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * The byte-level path of streamGrid on `count` threads: complete lines go in batches round
 * robin to the main thread (evaluated at once) and `count - 1` workers, and the output is
 * written in input order. A batch that stops
 * at a line the numeric path does not take ends the parallel run: `push`/`finish` then return
 * the unread bytes from that line on, for the serial reader (which reports or skips the row).
 */
class GridThreads {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (r: GridBatchResult) => void; reject: (e: unknown) => void }>();
  private queue: Batch[] = [];
  private carry: Uint8Array = new Uint8Array(0);
  private nextId = 0;
  /** Batches sent to each worker and not yet answered. */
  private readonly outstanding: number[] = [];
  /** Output buffers the stream has finished with. */
  private readonly spares: ArrayBuffer[] = [];
  /** Rows written by the workers so far. */
  rows = 0;
  private readonly ev = new RiskGridEvaluator();
  private readonly writer: RiskRowWriter;
  private readonly kernel = RiskGridKernel.create();

  /** Input bytes seen so far; the workers start once there are `workerAfterBytes`. */
  private bytesIn = 0;
  private started = false;

  constructor(
    private readonly count: number,
    private readonly header: number[],
    private readonly json: boolean,
    private readonly stream: NodeJS.WritableStream,
    private readonly workerAfterBytes = 0,
  ) {
    this.writer = new RiskRowWriter(json);
  }

  private startWorkers(): void {
    this.started = true;
    const ts = import.meta.url.endsWith('.ts');
    const url = new URL(ts ? './_riskGridWorker.ts' : './_riskGridWorker.js', import.meta.url);
    for (let i = 1; i < this.count; i++) {
      // From the sources (tsx), the worker registers tsx before it imports the TypeScript module.
      const w = ts ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true }) : new Worker(url);
      const index = this.workers.length;
      this.outstanding.push(0);
      w.on('message', (r: GridBatchResult) => {
        this.outstanding[index]--;
        const wait = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        wait?.resolve(r);
      });
      w.on('error', (e) => this.failAll(e));
      w.on('exit', (code) => code !== 0 && this.failAll(new Error(`risk --grid worker exited with code ${code}`)));
      this.workers.push(w);
    }
  }

  private failAll(e: unknown): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** Start reading after the serial reader's unfinished line `rest`. */
  begin(rest: Uint8Array): void {
    this.carry = rest;
  }

  /** Add input; write finished batches in order while too many are in flight. */
  async push(chunk: Uint8Array): Promise<Uint8Array | null> {
    this.bytesIn += chunk.length;
    if (!this.started && this.bytesIn >= this.workerAfterBytes) this.startWorkers();
    let lf = chunk.length - 1;
    while (lf >= 0 && chunk[lf] !== 10) lf--;
    if (lf < 0) {
      this.carry = concatBytes([this.carry, chunk]);
      return null;
    }
    // Copies (a Buffer's slice would share memory with the reused read buffer).
    const bytes = concatBytes([this.carry, chunk.subarray(0, lf + 1)]);
    this.carry = new Uint8Array(chunk.subarray(lf + 1));
    const id = this.nextId++;
    const spare = this.spares.pop() ?? new ArrayBuffer(0);
    const req: GridBatchRequest = { id, bytes, header: this.header, json: this.json, spare };
    // The least busy worker takes the batch while it has fewer than WORKER_QUEUE waiting; else
    // the main thread evaluates it now (it also reads, copies and writes, so it takes less).
    let w = -1;
    for (let i = 0; i < this.workers.length; i++) if (this.outstanding[i] < WORKER_QUEUE && (w < 0 || this.outstanding[i] < this.outstanding[w])) w = i;
    let result: Promise<GridBatchResult>;
    if (w < 0) {
      result = Promise.resolve(evaluateBatch(req, this.ev, this.writer, this.kernel));
    } else {
      result = new Promise<GridBatchResult>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
      result.catch(() => undefined); // awaited below, or dropped after a stop
      this.outstanding[w]++;
      this.workers[w].postMessage(req, [spare]);
    }
    this.queue.push({ bytes, result });
    while (this.queue.length > 2 * (this.workers.length + 1)) {
      const rest = await this.writeOldest();
      if (rest) return rest;
    }
    return null;
  }

  /** Write the oldest batch; after a stop, the unread bytes (and the parallel run is over). */
  private async writeOldest(): Promise<Uint8Array | null> {
    const batch = this.queue.shift() as Batch;
    const r = await batch.result;
    this.rows += r.rows;
    const done = (): void => {
      if (this.spares.length < 2 * (this.workers.length + 1)) this.spares.push(r.out.buffer);
    };
    // Wait for the stream (backpressure), or for one turn of the event loop, which runs the
    // write callbacks that hand the output buffers back for reuse (fresh ones cost page faults).
    if (r.out.length > 0 && !this.stream.write(r.out, done)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
    else await new Promise<void>((resolve) => setImmediate(resolve));
    if (r.stop < 0) return null;
    const rest = concatBytes([batch.bytes.subarray(r.stop), ...this.queue.map((b) => b.bytes), this.carry]);
    this.queue = [];
    this.carry = new Uint8Array(0);
    return rest;
  }

  /** Write every batch in flight; returns the bytes left for the serial reader. */
  async finish(): Promise<Uint8Array> {
    while (this.queue.length > 0) {
      const rest = await this.writeOldest();
      if (rest) return rest;
    }
    const rest = this.carry;
    this.carry = new Uint8Array(0);
    return rest;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Column positions of p,q,r,tau,n,m,lambda in a grid header; errors name the bad column. */
function parseGridHeader(source: string, row: string[], line: number): number[] {
  const header = row.map((h) => h.trim());
  for (const h of header) {
    if (!(RISK_GRID_COLUMNS as readonly string[]).includes(h)) throw new InputError(`${source} header column ${JSON.stringify(h)}`, h, `columns ${RISK_GRID_COLUMNS.join(',')}`);
  }
  if (new Set(header).size !== header.length) throw new InputError(`${source} header`, header.join(','), 'each column once');
  for (const c of RISK_GRID_COLUMNS) {
    if (!header.includes(c)) throw new InputError(`${source} header (line ${line})`, header.join(','), `columns ${RISK_GRID_COLUMNS.join(',')}`, `missing column ${c}`);
  }
  return RISK_GRID_COLUMNS.map((c) => header.indexOf(c));
}

/**
 * Stream a grid CSV through the evaluator (THEORY.md section 3): rows are read, validated,
 * evaluated and written in input order, with memory bounded by the read chunk. Plain numeric
 * lines take the byte-level path (NumericCsvReader, RiskGridEvaluator.evaluateNumbers,
 * RiskRowWriter); any other line, and any row the numeric path rejects, goes through the text
 * cells, so a bad row stops the run with one InputError naming its data-row number and line,
 * or with `skipInvalid` is counted and skipped. With `threads` >= 2 (`auto`: 2 when the machine
 * has 2 cores or more, one of them idle by the load average, and the input passes AUTO_THREADS_BYTES) the plain numeric lines go to
 * that many threads (GridThreads: the main thread and N - 1 workers) once the header is read;
 * the output is the same bytes.
 */
export async function streamGrid(file: string, format: GridFormat, skipInvalid: boolean, quiet: boolean, threads: number | 'auto' = 1): Promise<number> {
  const source = file === '-' ? 'stdin' : file;
  const kernelError = format === 'text' ? null : kernelLoadError();
  if (kernelError !== null && !quiet) warn(`risk --grid: the WebAssembly kernel did not load (${kernelError}); the TypeScript path evaluates every row, about 2.5 times slower`);
  const out = new ByteOutput();
  const ev = new RiskGridEvaluator();
  const writer = new RiskRowWriter(format === 'json');
  const textRows: RiskRow[] = [];
  const reader = new NumericCsvReader();
  let header: number[] = [];
  let haveHeader = false;
  let dataRows = 0;
  let written = 0;
  let skipped = 0;
  let firstSkip = '';
  const cells: RiskGridCells = { p: '', q: '', r: '', tau: '', n: '', m: '', lambda: '' };
  const emit = (res: RiskParts): void => {
    written++;
    const P = ev.params;
    if (format === 'text') textRows.push({ p: P.p, q: P.q, r: P.r, tau: P.tau, ...res });
    else writer.write(out, P, res);
  };
  const reject = (e: InputError): void => {
    if (!skipInvalid) throw e;
    skipped++;
    firstSkip ||= e.message;
  };
  const consumer: NumericCsvConsumer = {
    numericRow(v: Float64Array): boolean {
      const h = header;
      const res = ev.evaluateNumbers(v[h[0]], v[h[1]], v[h[2]], v[h[3]], v[h[4]], v[h[5]], v[h[6]]);
      if (res === null) return false;
      dataRows++;
      emit(res);
      return true;
    },
    textRow(row: string[], line: number): void {
      if (!haveHeader) {
        header = parseGridHeader(source, row, line);
        haveHeader = true;
        reader.columns = header.length;
        if (format === 'csv') out.writeText(csvHeader(RISK_FIELDS) + '\n');
        return;
      }
      dataRows++;
      const h = header;
      if (row.length !== h.length) {
        reject(new InputError(`${source} row ${dataRows} (line ${line})`, row.join(','), `${h.length} comma-separated values (${RISK_GRID_COLUMNS.join(',')})`, `found ${row.length}`));
        return;
      }
      cells.p = row[h[0]];
      cells.q = row[h[1]];
      cells.r = row[h[2]];
      cells.tau = row[h[3]];
      cells.n = row[h[4]];
      cells.m = row[h[5]];
      cells.lambda = row[h[6]];
      let res: RiskParts;
      try {
        res = ev.evaluate(cells);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        reject(new InputError(`${source} row ${dataRows} (line ${line}) column ${e.param}`, e.value, e.valid, e.message.includes('; ') ? e.message.split('; ').slice(1).join('; ') : undefined));
        return;
      }
      emit(res);
    },
  };
  // auto: a second thread only where a core is free (with every core busy it costs more than
  // it saves), and only after AUTO_THREADS_BYTES of input (small grids stay on one thread).
  const workers = threads === 'auto' ? (availableParallelism() >= 2 && loadavg()[0] <= availableParallelism() - 1 ? 2 : 1) : threads;
  const workerAfterBytes = threads === 'auto' ? AUTO_THREADS_BYTES : 0;
  let par = null as GridThreads | null;
  let parallel = false;
  /** Read bytes serially (after a parallel run stopped at a line). */
  const serial = async (bytes: Uint8Array): Promise<void> => {
    reader.push(bytes, consumer);
    await out.drain();
  };
  /** Back from the workers: their rows count, the reader goes on at the line they stopped at. */
  const leave = async (rest: Uint8Array, line: number): Promise<void> => {
    const rows = (par as GridThreads).rows;
    (par as GridThreads).rows = 0;
    dataRows += rows;
    written += rows;
    reader.resume(line + rows);
    parallel = false;
    await serial(rest);
  };
  let parLine = 0;
  try {
    /** Plain numeric lines from here on go in batches (the kernel, and the workers). */
    const toBatches = async (): Promise<void> => {
      const d = reader.detach();
      if (!d) return;
      await out.end(); // the serial rows so far go first
      par ??= new GridThreads(workers, header, format === 'json', process.stdout, workerAfterBytes);
      par.begin(d.rest);
      parLine = d.line;
      parallel = true;
    };
    for await (const input of inputByteChunks(file, '--grid')) {
      let chunk: Uint8Array = input;
      if (!haveHeader && format !== 'text') {
        // The lines up to the header one by one, so that the rows after it go to the batches.
        let lf = chunk.indexOf(10);
        while (lf >= 0 && !haveHeader) {
          await serial(chunk.subarray(0, lf + 1));
          chunk = chunk.subarray(lf + 1);
          lf = chunk.indexOf(10);
        }
        if (haveHeader) await toBatches();
      }
      if (parallel) {
        const rest = await (par as GridThreads).push(chunk);
        if (rest) await leave(rest, parLine);
        continue;
      }
      await serial(chunk);
      if (format !== 'text' && haveHeader) await toBatches();
    }
    if (parallel) await leave(await (par as GridThreads).finish(), parLine);
    reader.end(consumer);
  } finally {
    // The rows before a bad one are complete results: write them before the error line.
    await out.end();
    await par?.close();
  }
  if (!haveHeader) throw new InputError('--grid', file, `a CSV with header ${RISK_GRID_COLUMNS.join(',')}`, 'the file is empty');
  if (format === 'text' && textRows.length) {
    out.writeText(formatTable(['p', 'q', 'r', 'tau', ...TABLE_FIELDS], textRows.map((r) => [r.p, r.q, r.r, r.tau, ...TABLE_FIELDS.map((f) => r[f] as number)])) + '\n');
    await out.end();
  }
  if (skipped > 0 && !quiet) process.stderr.write(`lossyscale: risk --grid skipped ${skipped} invalid row(s) of ${dataRows} (first: ${firstSkip})\n`);
  if (written === 0 && dataRows === 0) throw new InputError('--grid', file, 'a CSV with at least one data row', 'no data rows');
  return 0;
}
