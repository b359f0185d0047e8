import type { Worker } from 'node:worker_threads';
import { abortable, abortReason, yieldToEventLoop } from '../util/interrupt.js';
import { startWorker } from '../util/worker.js';
import { encodeBatch, type EncodeBatch, type EncodeBatchResult } from './encodeBatch.js';

/**
 * A pool of worker threads, each with its own JPEG XL codec instance, that encodes batches
 * in parallel (THEORY.md section 6). `workers: 0` runs batches in this thread instead,
 * yielding to the event loop before each image so signals are handled. An aborted `signal`
 * rejects `run` at once (the caller closes the pool, which terminates busy threads).
 */
export interface EncodePool {
  readonly workers: number;
  run(batch: EncodeBatch, signal?: AbortSignal): Promise<EncodeBatchResult>;
  close(): Promise<void>;
}

interface Pending {
  id: number;
  batch: EncodeBatch;
  resolve: (r: EncodeBatchResult) => void;
  reject: (e: Error) => void;
}

/** Start `workers` encode threads (0: in-process). */
export function createEncodePool(workers: number): EncodePool {
  if (workers === 0) {
    const beforeImage = (signal: AbortSignal | undefined) => async (): Promise<void> => {
      await yieldToEventLoop();
      if (signal?.aborted) throw abortReason(signal);
    };
    return { workers: 0, run: (batch, signal) => encodeBatch(batch, beforeImage(signal)), close: async () => {} };
  }
  const threads: { worker: Worker; busy: Pending | undefined }[] = [];
  const queue: Pending[] = [];
  let nextId = 0;
  let dead: Error | undefined;

  const dispatch = (): void => {
    for (const t of threads) {
      if (t.busy || queue.length === 0) continue;
      // non-null: the loop condition checked queue.length > 0.
      const job = queue.shift()!;
      t.busy = job;
      // Copy the pixels so the caller's buffer is not detached by the transfer.
      const pixels = job.batch.pixels.slice();
      t.worker.postMessage({ id: job.id, batch: { ...job.batch, pixels } }, [pixels.buffer]);
    }
  };
  const failAll = (e: Error): void => {
    dead = e;
    for (const t of threads) {
      t.busy?.reject(e);
      t.busy = undefined;
    }
    for (const job of queue.splice(0)) job.reject(e);
  };

  for (let i = 0; i < workers; i++) {
    const worker = startWorker(import.meta.url, 'encodeWorker');
    const slot = { worker, busy: undefined as Pending | undefined };
    worker.on('message', (msg: { id: number; result?: EncodeBatchResult; error?: string }) => {
      const job = slot.busy;
      slot.busy = undefined;
      if (!job || job.id !== msg.id) return failAll(new Error('encode worker answered out of order'));
      if (msg.error !== undefined) job.reject(new Error(`encode worker: ${msg.error}`));
      // non-null: a message without an error carries a result (protocol of encodeWorker.ts).
      else job.resolve(msg.result!);
      dispatch();
    });
    worker.on('error', (e) => failAll(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => {
      if (code !== 0 && !closing) failAll(new Error(`encode worker exited with status ${code}`));
    });
    threads.push(slot);
  }
  let closing = false;
  return {
    workers,
    run(batch, signal) {
      if (dead) return Promise.reject(dead);
      return abortable(
        new Promise<EncodeBatchResult>((resolve, reject) => {
          queue.push({ id: nextId++, batch, resolve, reject });
          dispatch();
        }),
        signal,
      );
    },
    async close() {
      closing = true;
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
