import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { decodeFolderImage, type FolderImageResult } from './folderDataset.js';

/**
 * Worker-thread entry for decoding folder-dataset images in parallel (THEORY.md section 6):
 * receives `{ id, paths, size }`, answers `{ id, results }` in the same order.
 */
if (!parentPort) throw new Error('decodeWorker must run in a worker thread');
const port = parentPort;
port.on('message', (msg: { id: number; paths: string[]; size?: number }) => {
  const results: FolderImageResult[] = msg.paths.map((p) => decodeFolderImage(p, msg.size, readFileSync));
  const transfer = results.flatMap((r) => (r.ok ? [r.rgb.buffer as ArrayBuffer] : []));
  port.postMessage({ id: msg.id, results }, transfer);
});
