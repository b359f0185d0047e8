import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';
import { parseNumber } from '../util/validate.js';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * Parse `--flag value` options with node:util parseArgs; unknown flags and missing
 * values become InputErrors (exit 2) instead of TypeErrors.
 */
export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: FlagSpec, allowPositionals = false): ParsedFlags {
  try {
    const r = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true, allowPositionals });
    return { values: r.values as ParsedFlags['values'], positionals: r.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /'(--?[\w-]+)/.exec(msg);
    const valid = Object.keys(options).map((k) => `--${k}`).join(', ');
    throw new InputError(m ? m[1] : 'arguments', argv.join(' '), `options: ${valid}`, msg.split('\n')[0]);
  }
}

/** Print usage text when --help is given; returns true if it did. */
export function maybeHelp(values: ParsedFlags['values'], usage: string): boolean {
  if (values.help) {
    console.log(usage.trim());
    return true;
  }
  return false;
}

/** A string flag's value, or undefined. */
export function str(values: ParsedFlags['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An optional integer flag in min..max; InputError naming `--name` otherwise. */
export function intFlag(values: Record<string, unknown>, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const v = parseNumber(`--${name}`, text);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`--${name}`, text, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}..${max}`);
  }
  return v;
}
