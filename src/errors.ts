/**
 * Errors a user can act on. An InputError names the parameter, the value given and the
 * valid range; the CLI prints its message as one line on stderr and exits with status 2.
 */
export class InputError extends Error {
  readonly param: string;
  readonly value: unknown;
  readonly valid: string;

  constructor(param: string, value: unknown, valid: string, detail?: string) {
    const shown = value === undefined ? 'missing' : typeof value === 'string' ? JSON.stringify(value) : String(value);
    super(`invalid ${param}: ${shown} (valid: ${valid})${detail ? `; ${detail}` : ''}`);
    this.name = 'InputError';
    this.param = param;
    this.value = value;
    this.valid = valid;
  }
}

/** A file or resource the user pointed at cannot be used (missing dataset, unreadable image, malformed config). */
export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}

/** Thrown when a long job is interrupted (SIGINT or SIGTERM); finished work is already saved. */
export class InterruptedError extends Error {
  /** Process exit status: 130 after SIGINT, 143 after SIGTERM. */
  readonly exitCode: number;
  constructor(message = 'interrupted; finished work is saved, run the same command again to resume', exitCode = 130) {
    super(message);
    this.name = 'InterruptedError';
    this.exitCode = exitCode;
  }
}

/**
 * A numerical solver stopped without meeting its tolerance. The message names the solver and
 * the parameters it was solving for, the iterations used and the final bracket, so the point
 * can be reproduced; the CLI prints it as one line, like an InputError.
 */
export class ConvergenceError extends Error {
  readonly solver: string;
  readonly params: Record<string, number>;
  readonly iterations: number;
  readonly bracket: readonly [number, number];

  constructor(solver: string, params: Record<string, number>, iterations: number, bracket: readonly [number, number]) {
    const at = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ');
    super(`${solver} did not converge at ${at} after ${iterations} iterations (final bracket [${bracket[0]}, ${bracket[1]}])`);
    this.name = 'ConvergenceError';
    this.solver = solver;
    this.params = params;
    this.iterations = iterations;
    this.bracket = bracket;
  }
}

export function isUserError(e: unknown): e is InputError | ResourceError | ConvergenceError {
  return e instanceof InputError || e instanceof ResourceError || e instanceof ConvergenceError;
}
