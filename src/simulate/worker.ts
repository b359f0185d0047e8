import { parentPort } from 'node:worker_threads';
import { runRepetition } from './repetition.js';
import type { SimulationPlan } from './plan.js';

/**
 * Worker thread of the Monte Carlo engine (THEORY.md section 5): receives
 * `{ plan, rep }`, runs that repetition and posts `{ rep, result }` (or `{ rep, error }`).
 * Started by src/simulate/simulateStylized.ts through startWorker.
 */
if (!parentPort) throw new Error('src/simulate/worker.ts must run as a worker thread');
const port = parentPort;
port.on('message', (msg: { plan: SimulationPlan; rep: number }) => {
  try {
    port.postMessage({ rep: msg.rep, result: runRepetition(msg.plan, msg.rep) });
  } catch (e) {
    port.postMessage({ rep: msg.rep, error: e instanceof Error ? e.message : String(e) });
  }
});
