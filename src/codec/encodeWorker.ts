import { parentPort } from 'node:worker_threads';
import { encodeBatch, type EncodeBatch } from './encodeBatch.js';

/**
 * Worker-thread entry of the encode pool (THEORY.md section 6): receives
 * `{ id, batch }`, answers `{ id, result }` or `{ id, error }`. Started with
 * `startWorker(import.meta.url, 'encodeWorker')` from encodePool.ts.
 */
if (!parentPort) throw new Error('encodeWorker must run in a worker thread');
const port = parentPort;
port.on('message', (msg: { id: number; batch: EncodeBatch }) => {
  encodeBatch(msg.batch).then(
    (result) => port.postMessage({ id: msg.id, result }, [result.sizes.buffer as ArrayBuffer, result.decoded.buffer as ArrayBuffer]),
    (e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
