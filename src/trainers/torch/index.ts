import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ImageSet } from '../../data/imageSet.js';
import { InputError, InterruptedError, ResourceError } from '../../errors.js';
import type { EvalMetrics, TrainJob, TrainMetrics, Trainer, TrainProgress } from '../trainer.js';
import { writeImageArray } from './bundle.js';
import { isClassifyResult, type ArrayDescriptor, type ClassifyResult, type DataRef, type JobMessage, type WireEval } from './protocol.js';
import { launchWorker, type WorkerLaunchOptions } from './launch.js';
import { killStartingWorkers, WorkerDiedError, WorkerJobError, type WorkerProcess } from './workerProcess.js';
import { abortable, abortReason } from '../../util/interrupt.js';

export { PROTOCOL_VERSION } from './protocol.js';
export { findPython } from './python.js';
export { WorkerDiedError, WorkerJobError, WorkerProcess } from './workerProcess.js';
export { launchWorker, workerArgv, workerPackageDir, type WorkerLaunchOptions } from './launch.js';

/** Options of the torch trainer (config: `"trainer": "torch"` plus these fields). */
export interface TorchTrainerOptions extends WorkerLaunchOptions {
  /** Append one JSON line per failed job (key, reason, attempts, message, time) to this file. */
  failuresFile?: string;
  /** No progress lines on stderr when train() gets no onProgress hook. */
  quiet?: boolean;
  /** Training options may also be given at the top level (model, epochs, lr, batchSize, amp, width...). */
  [trainingOption: string]: unknown;
  /** Jobs in flight at once; the worker trains compatible queued jobs together as one stacked network. */
  group?: number;
  /** Where job data is written (default: a fresh temporary directory, removed by close()). */
  bundleDir?: string;
  /** The same directory as the worker sees it (a shared file system mounted elsewhere on a remote host). */
  remoteBundleDir?: string;
  /** A job that has not finished after this many seconds fails (the worker is killed and restarted). */
  jobTimeoutSeconds?: number;
  /** How many times a job is re-sent to a fresh worker after its worker died. */
  maxRetries?: number;
  /** Training options every job gets (model, epochs, lr, batchSize, amp, width...); a job's own options win. */
  training?: Record<string, unknown>;
}

/** A job that could not be completed: reason says why, attempts how often it was tried. */
export class TorchJobError extends Error {
  readonly jobId: string;
  readonly reason: 'timeout' | 'worker-died' | 'input' | 'resource' | 'internal';
  readonly attempts: number;
  constructor(jobId: string, reason: TorchJobError['reason'], attempts: number, message: string) {
    super(`torch job ${jobId} failed (${reason}, ${attempts} attempt${attempts === 1 ? '' : 's'}): ${message}`);
    this.name = 'TorchJobError';
    this.jobId = jobId;
    this.reason = reason;
    this.attempts = attempts;
  }
}

class TimeoutError extends Error {}

/** Trainer-level option names; every other option (top level or a job's) is a training option for the worker. */
export const LAUNCH_OPTION_KEYS = ['trainer', 'python', 'command', 'device', 'group', 'bundleDir', 'remoteBundleDir', 'jobTimeoutSeconds', 'startTimeoutSeconds', 'maxRetries', 'training', 'env', 'log', 'failuresFile', 'quiet'] as const;

/** The worker's training options for a job: options.training, then top-level training keys, then the job's own (launch keys dropped). */
export function trainingOptions(options: Record<string, unknown>, jobOptions: Record<string, unknown> = {}): Record<string, unknown> {
  const drop = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([k]) => !(LAUNCH_OPTION_KEYS as readonly string[]).includes(k)));
  return { ...((options.training as Record<string, unknown> | undefined) ?? {}), ...drop(options), ...drop(jobOptions) };
}

function toEval(w: WireEval): EvalMetrics {
  const nan = (x: number | null): number => (x === null ? NaN : x);
  return { accuracy: nan(w.accuracy), error: nan(w.error), perClassAccuracy: w.perClassAccuracy.map(nan), count: w.count };
}

/** TrainMetrics from a worker's classify result (null -> NaN; `test` is the headline set). */
export function metricsFromResult(result: ClassifyResult, worker?: WorkerProcess['hello']): TrainMetrics {
  const evaluations: Record<string, EvalMetrics> = {};
  for (const [k, v] of Object.entries(result.evaluations)) evaluations[k] = toEval(v);
  const head = evaluations.test ?? Object.values(evaluations)[0];
  if (!head) throw new Error('torch worker returned a result without evaluations');
  const details: Record<string, unknown> = { ...result.details };
  if (worker) details.worker = { device: worker.device, deviceName: worker.deviceName, torch: worker.torch, cuda: worker.cuda, version: worker.version };
  if (result.predictions) details.predictions = result.predictions;
  return { evaluations, accuracy: head.accuracy, error: head.error, perClassAccuracy: head.perClassAccuracy, trainSeconds: result.trainSeconds, details };
}

function checkOptions(o: TorchTrainerOptions): void {
  const pos = (name: keyof TorchTrainerOptions, integer: boolean, min: number): void => {
    const v = o[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw new InputError(`torch.${name}`, v, `${integer ? 'an integer' : 'a number'} >= ${min}`);
    }
  };
  pos('group', true, 1);
  pos('jobTimeoutSeconds', false, 0.001);
  pos('startTimeoutSeconds', false, 0.001);
  pos('maxRetries', true, 0);
  if (o.device !== undefined && !/^(auto|cpu|cuda(:\d+)?)$/.test(o.device)) throw new InputError('torch.device', o.device, 'auto, cpu, cuda or cuda:N');
  if (o.remoteBundleDir !== undefined && o.bundleDir === undefined) throw new InputError('torch.remoteBundleDir', o.remoteBundleDir, 'only together with torch.bundleDir (the local path of the same directory)');
}

/**
 * The PyTorch trainer (THEORY.md section 6): implements Trainer by sending each job to a
 * worker process (local, or any command such as ssh), writing the job's images into a data
 * bundle on disk first. Streams progress, enforces a per-job timeout, re-sends a job whose
 * worker died (bounded by maxRetries) and otherwise fails with a TorchJobError: never hangs.
 */
export function createTorchTrainer(options: TorchTrainerOptions = {}): Trainer & { readonly worker: WorkerProcess | undefined } {
  checkOptions(options);
  const group = options.group ?? 1;
  const timeoutMs = (options.jobTimeoutSeconds ?? 6 * 3600) * 1000;
  const maxRetries = options.maxRetries ?? 2;
  const log = options.log ?? (() => undefined);
  const ownsDir = options.bundleDir === undefined;
  let bundleDir: string | undefined = options.bundleDir;
  const memo = new WeakMap<ImageSet, { name: string; desc: ArrayDescriptor }>();
  let worker: WorkerProcess | undefined;
  let starting: Promise<WorkerProcess> | undefined;
  let closed = false;
  // At most `group` jobs in flight, so a job's timeout starts when the worker can take it.
  let slots = group;
  const waiting: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (slots > 0) {
      slots--;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };

  const ensureWorker = async (): Promise<WorkerProcess> => {
    if (worker?.alive) return worker;
    if (!starting) {
      starting = launchWorker({ ...options, log }, group).then(
        (w) => {
          worker = w;
          starting = undefined;
          log(`torch worker pid ${w.pid} ready: ${w.hello.device} (${w.hello.deviceName}), torch ${w.hello.torch}, cuda ${w.hello.cuda ?? 'none'}`);
          return w;
        },
        (e) => {
          starting = undefined;
          throw e;
        },
      );
    }
    return starting;
  };

  // Training sets differ per job (a sweep writes ~45 MB each): their files are removed once no
  // job in flight uses them. Validation and evaluation sets are shared by many jobs and kept.
  const shared = new Set<string>();
  const inFlight = new Map<string, number>();
  const releaseTrainArray = (msg: JobMessage): void => {
    if (msg.kind !== 'classify' || !bundleDir) return;
    const name = msg.data.train.array;
    const left = (inFlight.get(name) ?? 1) - 1;
    if (left > 0) return void inFlight.set(name, left);
    inFlight.delete(name);
    if (shared.has(name)) return;
    // non-null: jobs that reference arrays carry msg.arrays (built together in jobMessage).
    const desc = msg.arrays![name];
    for (const f of [desc.pixels, desc.labels]) rmSync(join(bundleDir, f), { force: true });
  };

  const message = (job: TrainJob): JobMessage => {
    if (!bundleDir) bundleDir = mkdtempSync(join(tmpdir(), 'lossyscale-torch-'));
    const arrays: Record<string, ArrayDescriptor> = {};
    const ref = (set: ImageSet): DataRef => {
      // non-null: bundleDir is created before any job data is written.
      const { name, desc } = writeImageArray(bundleDir!, set, {}, memo);
      arrays[name] = desc;
      return { array: name };
    };
    const evaluate: Record<string, DataRef> = {};
    for (const [k, set] of Object.entries(job.evaluate)) evaluate[k] = ref(set);
    if (!evaluate.test) throw new InputError(`job ${job.id}.evaluate`, Object.keys(job.evaluate).join(', '), 'an object with a "test" set');
    const data: { train: DataRef; validation?: DataRef; evaluate: Record<string, DataRef> } = { train: ref(job.train), evaluate };
    if (job.validation && job.validation.count > 0) data.validation = ref(job.validation);
    for (const r of [...Object.values(evaluate), ...(data.validation ? [data.validation] : [])]) shared.add(r.array);
    inFlight.set(data.train.array, (inFlight.get(data.train.array) ?? 0) + 1);
    const jobOptions = trainingOptions(options as Record<string, unknown>, job.options);
    return { type: 'job', id: job.id, kind: 'classify', seed: job.seed, data, options: jobOptions, bundle: options.remoteBundleDir ?? bundleDir, arrays };
  };

  const runOnce = async (w: WorkerProcess, msg: JobMessage, hooks: Parameters<Trainer['train']>[1]): Promise<Record<string, unknown>> => {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<Record<string, unknown>>((resolve, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`no result after ${timeoutMs / 1000} s (torch.jobTimeoutSeconds)`)), timeoutMs);
        if (hooks?.signal) {
          if (hooks.signal.aborted) return reject(abortReason(hooks.signal));
          onAbort = () => {
            w.cancel(msg.id);
            // An interrupted job stops at once: a worker that has not answered the cancel within
            // a second (inside a training step) is killed by the caller.
            // non-null: onAbort is registered only on hooks.signal (the listener just below).
            setTimeout(() => reject(abortReason(hooks.signal!)), 1000).unref();
          };
          hooks.signal.addEventListener('abort', onAbort, { once: true });
        }
        // non-null: hooks.onProgress was just tested.
        const onProgress = hooks?.onProgress ? (fraction: number, note?: string) => hooks.onProgress!({ jobId: msg.id, fraction, message: note } satisfies TrainProgress) : undefined;
        w.run(msg, onProgress).then(resolve, reject);
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) hooks?.signal?.removeEventListener('abort', onAbort);
    }
  };

  const trainQueued = async (job: TrainJob, msg: JobMessage, hooks: Parameters<Trainer['train']>[1]): Promise<TrainMetrics> => {
      await acquire();
      try {
        for (let attempt = 1; ; attempt++) {
          const w = await abortable(ensureWorker(), hooks?.signal);
          try {
            const result = await runOnce(w, msg, hooks);
            if (!isClassifyResult(result)) throw new ResourceError(`torch worker returned a malformed classify result for job ${job.id}`);
            const metrics = metricsFromResult(result, w.hello);
            metrics.details = { ...metrics.details, attempts: attempt };
            return metrics;
          } catch (e) {
            if (e instanceof WorkerDiedError) {
              if (attempt <= maxRetries) {
                log(`torch: ${e.message}; retrying job ${job.id} on a fresh worker (attempt ${attempt + 1} of ${maxRetries + 1})`);
                continue;
              }
              throw new TorchJobError(job.id, 'worker-died', attempt, e.message);
            }
            if (e instanceof TimeoutError) {
              log(`torch: job ${job.id}: ${e.message}; killing worker pid ${w.pid}`);
              await w.kill();
              throw new TorchJobError(job.id, 'timeout', attempt, e.message);
            }
            if (e instanceof InterruptedError) {
              if (w.alive) await w.kill().catch(() => undefined);
              throw e;
            }
            if (e instanceof WorkerJobError) {
              if (e.kind === 'cancelled') throw hooks?.signal?.aborted ? abortReason(hooks.signal) : new InterruptedError();
              throw new TorchJobError(job.id, e.kind, attempt, e.message);
            }
            throw e;
          }
        }
      } finally {
        release();
      }
    };

  return {
    name: 'torch',
    get worker() {
      return worker;
    },
    async train(job, hooks) {
      if (closed) throw new Error('torch trainer is closed');
      const msg = message(job);
      if (!hooks?.onProgress && !options.quiet) {
        // No progress display of the caller's: a throttled line on stderr (every 10 s) instead.
        let last = Date.now();
        hooks = { ...hooks, onProgress: (p) => {
          if (Date.now() - last < 10_000) return;
          last = Date.now();
          process.stderr.write(`torch ${p.jobId}: ${(100 * p.fraction).toFixed(0)}% ${p.message ?? ''}\n`);
        } };
      }
      try {
        return await trainQueued(job, msg, hooks);
      } catch (e) {
        if (e instanceof TorchJobError && options.failuresFile) {
          mkdirSync(dirname(options.failuresFile), { recursive: true });
          appendFileSync(options.failuresFile, JSON.stringify({ key: job.id, reason: e.reason, attempts: e.attempts, message: e.message, time: new Date().toISOString() }) + '\n');
        }
        throw e;
      } finally {
        releaseTrainArray(msg);
      }
    },
    async close() {
      closed = true;
      if (!worker && starting) {
        // Closed while a worker is still starting (an interrupt during its start-up): do not
        // wait for its hello; it is killed when it arrives (or when this process exits).
        void starting.then((w) => w.kill(), () => undefined);
        starting = undefined;
        killStartingWorkers();
      }
      const w = worker;
      if (w) await w.shutdown();
      worker = undefined;
      if (ownsDir && bundleDir) rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}
