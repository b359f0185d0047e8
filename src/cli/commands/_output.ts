import { InputError } from '../../errors.js';
import type { FlagSpec, ParsedFlags } from '../args.js';

/**
 * The CLI's machine-output contract (README "Output contract"): `--json` prints compact JSON,
 * one value per line and a list as one object per line; `--format csv` prints a CSV through
 * src/io/csv.ts; warnings and progress go to stderr, and `--quiet` silences them.
 */
export const OUTPUT_FLAGS = {
  json: { type: 'boolean' },
  format: { type: 'string' },
  quiet: { type: 'boolean' },
} satisfies FlagSpec;

/** The output format from --json / --format (default text), checked against what the command offers. */
export function outputFormat<const F extends string>(values: ParsedFlags['values'], allowed: readonly F[]): F {
  const f = values.format;
  if (values.json === true) {
    if (typeof f === 'string' && f !== 'json') throw new InputError('--format', f, 'json (or leave it out) with --json');
    if (!(allowed as readonly string[]).includes('json')) throw new InputError('--json', true, `formats ${allowed.join(', ')}`);
    return 'json' as F;
  }
  if (typeof f !== 'string') return allowed[0];
  if (!(allowed as readonly string[]).includes(f)) throw new InputError('--format', f, `one of ${allowed.join(', ')}`);
  return f as F;
}

/** One compact JSON value on one line of stdout. */
export function writeJsonLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** A list as JSON lines: one compact object per line. */
export function writeJsonLines(values: readonly unknown[]): void {
  let out = '';
  for (const v of values) out += JSON.stringify(v) + '\n';
  process.stdout.write(out);
}

/** The given keys of an object, in that order. */
export function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}

/** The warning path (src/util/warnings.ts): one "warning: " line on stderr, nothing with --quiet. */
export { setQuiet, warn } from '../../util/warnings.js';
