import type { Worker } from 'node:worker_threads';
import { ResourceError } from '../errors.js';
import { abortReason } from '../util/interrupt.js';
import { startWorker } from '../util/worker.js';
import type { RidgeTrainerOptions } from './ridgeClassifier.js';
import type { TrainJob, TrainMetrics, Trainer, TrainProgress } from './trainer.js';

/**
 * The CPU ridge trainer (THEORY.md section 6) on a worker thread: the same closed-form
 * classifier as createRidgeTrainer, but its seconds-to-minutes of synchronous Gram and
 * Cholesky work never block the main thread, so a signal is seen at once and an aborted job
 * stops at once (the thread is terminated; the next job starts a fresh one, without the
 * reused Gram statistics of the previous chain).
 */
export function createThreadedRidgeTrainer(options: RidgeTrainerOptions = {}): Trainer {
  let worker: Worker | undefined;
  let nextId = 0;
  let busy = false;

  const start = (): Worker => {
    const w = startWorker(import.meta.url, 'ridgeThreadWorker');
    w.postMessage({ options });
    w.unref();
    return w;
  };

  const stop = async (): Promise<void> => {
    const w = worker;
    worker = undefined;
    if (w) await w.terminate();
  };

  return {
    name: 'ridge',
    async train(job: TrainJob, hooks: { onProgress?: (p: TrainProgress) => void; signal?: AbortSignal } = {}): Promise<TrainMetrics> {
      if (busy) throw new Error('the threaded ridge trainer runs one job at a time');
      if (hooks.signal?.aborted) throw abortReason(hooks.signal);
      busy = true;
      const w = (worker ??= start());
      w.ref();
      const id = nextId++;
      const signal = hooks.signal;
      try {
        return await new Promise<TrainMetrics>((resolve, reject) => {
          const onMessage = (msg: { id: number; progress?: TrainProgress; result?: TrainMetrics; error?: string; user?: boolean }): void => {
            if (msg.id !== id) return;
            if (msg.progress) return hooks.onProgress?.(msg.progress);
            cleanup();
            if (msg.error !== undefined) reject(msg.user ? new ResourceError(msg.error) : new Error(`ridge trainer: ${msg.error}`));
            else if (msg.result) resolve(msg.result);
            else reject(new Error('ridge trainer: the thread answered with neither a result nor an error'));
          };
          const onError = (e: Error): void => {
            cleanup();
            worker = undefined;
            reject(e);
          };
          const onExit = (code: number): void => {
            cleanup();
            worker = undefined;
            reject(new Error(`ridge trainer thread exited with status ${code}`));
          };
          const onAbort = (): void => {
            cleanup();
            void stop();
            if (signal) reject(abortReason(signal)); // only the signal's own listener calls onAbort
          };
          const cleanup = (): void => {
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
            signal?.removeEventListener('abort', onAbort);
          };
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          signal?.addEventListener('abort', onAbort, { once: true });
          w.postMessage({ id, job });
        });
      } finally {
        busy = false;
        worker?.unref();
      }
    },
    close: stop,
  };
}
