import { InterruptedError } from '../errors.js';

/**
 * Cooperative interruption for long jobs: the first Ctrl-C sets a flag that loops check
 * between units of work (finished units are already in the store); a second one exits.
 */
export interface InterruptFlag {
  readonly interrupted: boolean;
  /** Throw InterruptedError if Ctrl-C was pressed. */
  check(): void;
  dispose(): void;
}

export function watchInterrupt(): InterruptFlag {
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nlossyscale: stopping after the current unit of work (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    check() {
      if (interrupted) throw new InterruptedError();
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
