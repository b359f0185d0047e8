import { parentPort } from 'node:worker_threads';
import { RiskGridEvaluator } from '../../theory/riskGrid.js';
import { evaluateBatch, RiskRowWriter, type GridBatchRequest } from './_riskRowWriter.js';
import { RiskGridKernel } from './_riskGridWasm.js';

/**
 * A worker thread of `risk --grid` (THEORY.md section 3): it takes batches of complete numeric
 * lines and answers with their output (evaluateBatch), stopping at the first line the serial
 * byte-level path would not take, so the main thread reads it, and what follows, serially.
 */
const port = parentPort;
if (port === null) throw new Error('_riskGridWorker runs as a worker thread');
const ev = new RiskGridEvaluator();
const writers = { csv: new RiskRowWriter(false), json: new RiskRowWriter(true) };
const kernel = RiskGridKernel.create();

port.on('message', (req: GridBatchRequest) => {
  const result = evaluateBatch(req, ev, req.json ? writers.json : writers.csv, kernel);
  port.postMessage(result, [result.out.buffer]);
});
