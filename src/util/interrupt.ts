import { InterruptedError } from '../errors.js';

/**
 * Cooperative interruption for long jobs: the first SIGINT or SIGTERM sets a flag that loops
 * check between units of work (finished units are already in the store) and aborts `signal`,
 * which long units (a training job, an encode batch) listen to so they stop at once; a second
 * signal exits at once. The exit status is 130 after SIGINT and 143 after SIGTERM.
 */
export interface InterruptFlag {
  readonly interrupted: boolean;
  /** Aborted on the first signal. */
  readonly signal: AbortSignal;
  /** 130 (SIGINT), 143 (SIGTERM), or 130 before any signal. */
  readonly exitCode: number;
  /** Throw InterruptedError if a signal arrived. */
  check(): void;
  /** The InterruptedError this flag throws (carries the exit status). */
  error(): InterruptedError;
  dispose(): void;
}

/** Exit status of a process stopped by `signal` (128 + signal number). */
export function signalExitCode(signal: NodeJS.Signals | undefined): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

export function watchInterrupt(opts: { quiet?: boolean } = {}): InterruptFlag {
  let received: NodeJS.Signals | undefined;
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (received) process.exit(signalExitCode(sig));
    received = sig;
    if (!opts.quiet) process.stderr.write(`\nlossyscale: ${sig}: stopping after the current unit of work (send it again to quit now)\n`);
    controller.abort(new InterruptedError(undefined, signalExitCode(sig)));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const flag: InterruptFlag = {
    get interrupted() {
      return received !== undefined;
    },
    signal: controller.signal,
    get exitCode() {
      return signalExitCode(received);
    },
    error() {
      return new InterruptedError(undefined, signalExitCode(received));
    },
    check() {
      if (received) throw flag.error();
    },
    dispose() {
      // Shutting down after a signal: a further one still quits at once with its status
      // (instead of the default action killing the process mid-cleanup). The new listeners go
      // on before the old ones come off, so the signals are never left without one.
      if (received) {
        const quit = (sig: NodeJS.Signals): never => process.exit(signalExitCode(sig));
        process.once('SIGINT', quit);
        process.once('SIGTERM', quit);
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  return flag;
}

/** Let pending signal handlers and I/O callbacks run (an await of a resolved promise does not). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Reject with the signal's reason as soon as it aborts; otherwise settle like `p`. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The InterruptedError an aborted signal carries (or a plain one). */
export function abortReason(signal: AbortSignal): InterruptedError {
  return signal.reason instanceof InterruptedError ? signal.reason : new InterruptedError();
}
