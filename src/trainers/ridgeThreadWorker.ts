import { parentPort } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { createRidgeTrainer, type RidgeTrainerOptions } from './ridgeClassifier.js';
import type { TrainJob } from './trainer.js';

/**
 * Worker-thread entry of the threaded ridge trainer (src/trainers/ridgeThread.ts): holds one
 * in-process ridge trainer (so nested jobs keep reusing its Gram statistics), receives
 * `{ options }` once and then `{ id, job }`, answers `{ id, progress }`* and `{ id, result }`
 * or `{ id, error, user }`.
 */
if (!parentPort) throw new Error('ridgeThreadWorker must run in a worker thread');
const port = parentPort;
let trainer: ReturnType<typeof createRidgeTrainer> | undefined;
port.on('message', (msg: { options: RidgeTrainerOptions } | { id: number; job: TrainJob }) => {
  if ('options' in msg) {
    trainer = createRidgeTrainer(msg.options);
    return;
  }
  const { id, job } = msg;
  (trainer ??= createRidgeTrainer())
    .train(job, { onProgress: (p) => port.postMessage({ id, progress: p }) })
    .then(
      (result) => port.postMessage({ id, result }),
      (e: unknown) => port.postMessage({ id, error: e instanceof Error ? e.message : String(e), user: isUserError(e) }),
    );
});
