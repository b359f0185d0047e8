import { parentPort } from 'node:worker_threads';
import { runRepetition } from './repetition.js';
import type { SimulationPlan } from './plan.js';
import { linalgBackend, type LinalgBackendName } from '../linalg/backend.js';

/**
 * Worker thread of the Monte Carlo engine (THEORY.md section 5): receives
 * `{ plan, rep, backend }`, runs that repetition on that linear algebra backend and posts `{ rep, result }` (or `{ rep, error }`).
 * Started by src/simulate/simulateStylized.ts through startWorker.
 */
if (!parentPort) throw new Error('src/simulate/worker.ts must run as a worker thread');
const port = parentPort;
port.on('message', (msg: { plan: SimulationPlan; rep: number; backend: LinalgBackendName }) => {
  try {
    port.postMessage({ rep: msg.rep, result: runRepetition(msg.plan, msg.rep, linalgBackend(msg.backend)) });
  } catch (e) {
    port.postMessage({ rep: msg.rep, error: e instanceof Error ? e.message : String(e) });
  }
});
