import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ResourceError } from '../../errors.js';
import { encodeMessage, parseWorkerLine, PROTOCOL_VERSION, type ErrorKind, type Hello, type JobMessage, type WorkerMessage } from './protocol.js';

/**
 * One running worker process speaking protocol v1 (worker/README.md): spawn, hello
 * handshake, job dispatch with per-job event routing, cancel, shutdown, and detection of a
 * worker that died (every pending job is then rejected with WorkerDiedError, never left hanging).
 */
export class WorkerDiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerDiedError';
  }
}

/** The worker reported that a job failed (kind: input, resource, cancelled, internal). */
export class WorkerJobError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.name = 'WorkerJobError';
    this.kind = kind;
  }
}

export interface WorkerSpawnSpec {
  /** argv: executable and arguments. */
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Seconds to wait for the hello line (torch import and CUDA init take a while). */
  startTimeoutSeconds: number;
  /** Called with each stderr line of the worker. */
  onStderr?: (line: string) => void;
}

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(e: Error): void;
  onProgress?(fraction: number, message?: string): void;
}

/** Worker processes spawned and not yet past their hello. */
const startingChildren = new Set<ChildProcess>();

/** Kill every worker process still starting (a trainer closed by an interrupt does not wait for their hello). */
export function killStartingWorkers(): void {
  for (const c of startingChildren) c.kill('SIGKILL');
}

export class WorkerProcess {
  readonly hello: Hello;
  private readonly child: ChildProcess;
  private readonly pending = new Map<string, Pending>();
  private readonly stderrTail: string[];
  private exitNote: string | null = null;
  private readonly exitPromise: Promise<void>;

  private constructor(child: ChildProcess, hello: Hello, stderrTail: string[], exitPromise: Promise<void>) {
    this.child = child;
    this.hello = hello;
    this.stderrTail = stderrTail;
    this.exitPromise = exitPromise;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitNote === null;
  }

  /** Spawn a worker and wait for its hello; a ResourceError says why it did not start. */
  static start(spec: WorkerSpawnSpec): Promise<WorkerProcess> {
    return new Promise((resolveStart, rejectStart) => {
      const [exe, ...args] = spec.argv;
      const child = spawn(exe, args, { env: spec.env, cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
      // A process that quits at once (a second Ctrl-C) takes its worker with it.
      const killOnExit = (): void => {
        child.kill('SIGKILL');
      };
      process.once('exit', killOnExit);
      startingChildren.add(child);
      const tail: string[] = [];
      let worker: WorkerProcess | undefined;
      let settled = false;
      let exited!: () => void;
      const exitPromise = new Promise<void>((r) => (exited = r));
      const failStart = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        const err = tail.length ? `; its last stderr lines: ${tail.slice(-5).join(' | ')}` : '';
        rejectStart(new ResourceError(`torch worker (${spec.argv.join(' ')}) did not start: ${why}${err}`));
      };
      const timer = setTimeout(() => failStart(`no hello within ${spec.startTimeoutSeconds} s (raise startTimeoutSeconds for slow hosts)`), spec.startTimeoutSeconds * 1000);
      createInterface({ input: child.stderr }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        spec.onStderr?.(line);
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const msg = parseWorkerLine(line);
        if (!msg) {
          tail.push(`[stdout, not protocol] ${line.slice(0, 200)}`);
          return;
        }
        if (!settled) {
          if (msg.type === 'hello') {
            if (msg.protocol !== PROTOCOL_VERSION) return failStart(`it speaks protocol ${msg.protocol}, this client speaks ${PROTOCOL_VERSION} (update worker/ on the worker host)`);
            settled = true;
            clearTimeout(timer);
            startingChildren.delete(child);
            worker = new WorkerProcess(child, msg, tail, exitPromise);
            resolveStart(worker);
          } else if (msg.type === 'error') {
            failStart(msg.error.message);
          }
          return;
        }
        worker?.dispatch(msg);
      });
      child.on('error', (e) => failStart((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${exe} not found` : e.message));
      child.stdin.on('error', () => undefined); // EPIPE after a crash surfaces as the exit below
      child.on('close', (code, signal) => {
        process.off('exit', killOnExit);
        startingChildren.delete(child);
        const note = signal ? `killed by ${signal}` : `exited with status ${code}`;
        if (!settled) failStart(note);
        worker?.onExit(note);
        exited();
      });
    });
  }

  private dispatch(msg: WorkerMessage): void {
    if (msg.type === 'progress') this.pending.get(msg.id)?.onProgress?.(msg.fraction, msg.message);
    else if (msg.type === 'result') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg.result);
    } else if (msg.type === 'error') {
      if (msg.id === null) {
        this.stderrTail.push(`[protocol error] ${msg.error.message}`);
        return;
      }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.reject(new WorkerJobError(msg.error.kind, msg.error.message));
    }
  }

  private onExit(note: string): void {
    this.exitNote = note;
    const tail = this.stderrTail.slice(-5).join(' | ');
    for (const [id, p] of this.pending) p.reject(new WorkerDiedError(`torch worker ${note} while running job ${id}${tail ? `; last stderr: ${tail}` : ''}`));
    this.pending.clear();
  }

  /** Send a job; resolves with the worker's result, rejects with WorkerJobError or WorkerDiedError. */
  run(job: JobMessage, onProgress?: (fraction: number, message?: string) => void): Promise<Record<string, unknown>> {
    if (!this.alive) return Promise.reject(new WorkerDiedError(`torch worker ${this.exitNote} before job ${job.id} was sent`));
    if (this.pending.has(job.id)) return Promise.reject(new Error(`job ${job.id} is already running on this worker`));
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject, onProgress });
      // non-null: spawned with stdio 'pipe': stdin exists.
      this.child.stdin!.write(encodeMessage(job));
    });
  }

  cancel(id: string): void {
    // non-null: spawned with stdio 'pipe': stdin exists.
    if (this.alive) this.child.stdin!.write(encodeMessage({ type: 'cancel', id }));
  }

  /** Kill the process now (SIGKILL) and wait for it to be gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  /** Ask the worker to finish and exit; kill it if it has not exited after graceMs. */
  async shutdown(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    // non-null: spawned with stdio 'pipe': stdin exists.
    this.child.stdin!.write(encodeMessage({ type: 'shutdown' }));
    // non-null: spawned with stdio 'pipe': stdin exists.
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }
}
