import { InputError } from '../errors.js';

/** Small guards that turn bad numbers into InputErrors naming the parameter and the valid range. */

export function finite(param: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(param, x, 'a finite number');
  return x;
}

export function positive(param: string, x: unknown): number {
  const v = finite(param, x);
  if (!(v > 0)) throw new InputError(param, x, `${param} > 0`);
  return v;
}

export function nonNegative(param: string, x: unknown): number {
  const v = finite(param, x);
  if (!(v >= 0)) throw new InputError(param, x, `${param} >= 0`);
  return v;
}

export function integerAtLeast(param: string, x: unknown, min: number): number {
  const v = finite(param, x);
  if (!Number.isInteger(v) || v < min) throw new InputError(param, x, `an integer >= ${min}`);
  return v;
}

export function inRange(param: string, x: unknown, lo: number, hi: number, opts: { loOpen?: boolean; hiOpen?: boolean } = {}): number {
  const v = finite(param, x);
  const okLo = opts.loOpen ? v > lo : v >= lo;
  const okHi = opts.hiOpen ? v < hi : v <= hi;
  if (!okLo || !okHi) {
    throw new InputError(param, x, `${lo} ${opts.loOpen ? '<' : '<='} ${param} ${opts.hiOpen ? '<' : '<='} ${hi}`);
  }
  return v;
}

export function oneOf<T extends string>(param: string, x: unknown, options: readonly T[]): T {
  if (typeof x !== 'string' || !(options as readonly string[]).includes(x)) {
    throw new InputError(param, x, `one of ${options.join(', ')}`);
  }
  return x as T;
}

/** Decimal notation only: 12, -0.5, .5, 1e5, 2.5E-3 (no hex, octal, binary, separators or words). */
export const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse a CLI number in decimal notation; 1e5 and 0.99 are accepted, 0x10, 1_000 and Infinity are not. */
export function parseNumber(param: string, text: string | undefined): number {
  if (text === undefined || text.trim() === '') throw new InputError(param, text ?? '', 'a number');
  if (!DECIMAL_NUMBER.test(text.trim())) throw new InputError(param, text, 'a decimal number such as 12, -0.5 or 1e5');
  const v = Number(text);
  if (!Number.isFinite(v)) throw new InputError(param, text, 'a finite number');
  return v;
}

/** Parse a comma-separated list of numbers. */
export function parseNumberList(param: string, text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') throw new InputError(param, text ?? '', 'a comma-separated list of numbers');
  return text.split(',').map((t) => parseNumber(param, t.trim()));
}
