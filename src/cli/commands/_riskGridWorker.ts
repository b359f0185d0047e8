import { parentPort } from 'node:worker_threads';
import { scanNumericLine } from '../../io/numericCsv.js';
import { ByteOutput } from '../../io/streams.js';
import { RiskGridEvaluator } from '../../theory/riskGrid.js';
import { RiskRowWriter, type GridBatchRequest, type GridBatchResult, type RowSink } from './_riskGrid.js';

/**
 * A worker thread of `risk --grid` (THEORY.md section 3): it takes batches of complete numeric
 * lines, evaluates and writes them exactly as the serial byte-level path does, and stops at the
 * first line that path would not take (not plain numbers, or a row the evaluator rejects),
 * reporting its offset so the main thread reads it, and what follows, serially.
 */

/** An output buffer that grows (by doubling) instead of handing blocks to a stream. */
class GrowingSink implements RowSink {
  buf: Uint8Array<ArrayBuffer>;
  pos = 0;
  constructor(bytes: number) {
    this.buf = new Uint8Array(bytes + ByteOutput.ROW_RESERVE);
  }

  room(): void {
    if (this.buf.length - this.pos >= ByteOutput.ROW_RESERVE) return;
    const grown = new Uint8Array(this.buf.length * 2);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}

const port = parentPort;
if (port === null) throw new Error('_riskGridWorker runs as a worker thread');
const ev = new RiskGridEvaluator();
const writers = { csv: new RiskRowWriter(false), json: new RiskRowWriter(true) };

port.on('message', (req: GridBatchRequest) => {
  const { bytes, header: h } = req;
  const n = bytes.length;
  const values = new Float64Array(h.length);
  const writer = req.json ? writers.json : writers.csv;
  const sink = new GrowingSink(n * (req.json ? 12 : 6));
  let pos = 0;
  let rows = 0;
  let stop = -1;
  while (pos < n) {
    const next = scanNumericLine(bytes, pos, n, h.length, values);
    const res = next < 0 ? null : ev.evaluateNumbers(values[h[0]], values[h[1]], values[h[2]], values[h[3]], values[h[4]], values[h[5]], values[h[6]]);
    if (res === null) {
      stop = pos;
      break;
    }
    writer.write(sink, ev.params, res);
    rows++;
    pos = next;
  }
  const result: GridBatchResult = { id: req.id, out: sink.buf.subarray(0, sink.pos), rows, stop };
  port.postMessage(result, [sink.buf.buffer]);
});
