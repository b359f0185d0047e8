import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/**
 * Start a worker thread from a sibling module of `fromUrl` (pass `import.meta.url`).
 * Works both when the library runs from TypeScript sources (tsx: CLI, vitest) and from
 * the compiled `dist/`: a `.ts` worker is started with tsx's loader.
 */
export function startWorker(fromUrl: string, moduleName: string, options: WorkerOptions = {}): Worker {
  const isTs = fileURLToPath(fromUrl).endsWith('.ts');
  const url = new URL(`./${moduleName}${isTs ? '.ts' : '.js'}`, fromUrl);
  const execArgv = isTs ? ['--import', 'tsx'] : [];
  return new Worker(url, { ...options, execArgv: [...execArgv, ...(options.execArgv ?? [])] });
}
