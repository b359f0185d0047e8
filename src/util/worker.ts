import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/**
 * Start a worker thread from a sibling module of `fromUrl` (pass `import.meta.url`).
 * Works both when the library runs from TypeScript sources (tsx: CLI, vitest) and from
 * the compiled `dist/`: a `.ts` worker is started through a tiny bootstrap that registers
 * tsx's loader in the worker and then imports the module (Node 20 ignores `--import` in a
 * worker's execArgv, and loader hooks of the parent are not inherited).
 */
export function startWorker(fromUrl: string, moduleName: string, options: WorkerOptions = {}): Worker {
  const isTs = fileURLToPath(fromUrl).endsWith('.ts');
  const url = new URL(`./${moduleName}${isTs ? '.ts' : '.js'}`, fromUrl);
  if (!isTs) return new Worker(url, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
