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
  const args = joinNegativeValues(argv, options);
  try {
    const r = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true, allowPositionals, tokens: true });
    checkValues(r.tokens, options);
    return { values: r.values as ParsedFlags['values'], positionals: r.positionals };
  } catch (e) {
    if (e instanceof InputError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: string }).code;
    const flag = /'(--?[^'\s]+)/.exec(msg)?.[1];
    const valid = Object.keys(options).map((k) => `--${k}`).join(', ');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new InputError('option', flag ?? '?', valid, 'unknown option');
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag?.replace(/^-+/, '').split(/[\s=]/)[0] ?? '';
      const spec = options[name];
      throw new InputError(`--${name}`, undefined, spec?.type === 'boolean' ? 'no value (it is a switch)' : 'a value after the flag');
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']*)'/.exec(msg)?.[1] ?? '?';
      throw new InputError('argument', arg, `options only (${valid})`, 'unexpected argument');
    }
    throw new InputError(flag ?? 'arguments', undefined, `options: ${valid}`, msg.split('\n')[0]);
  }
}

type ArgToken = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/**
 * A value flag given twice (`--n 100 --n 200`) is refused rather than the last one silently
 * winning, unless it is repeatable (`multiple`); a switch given twice is still on. An empty value
 * (`--out ""`) is refused too: it would otherwise stand for the current directory or nothing.
 */
function checkValues(tokens: readonly ArgToken[], options: FlagSpec): void {
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || options[t.name]?.type !== 'string') continue;
    const value = t.value ?? '';
    if (value.trim() === '') throw new InputError(`--${t.name}`, value, 'a non-empty value');
    const before = seen.get(t.name);
    if (before !== undefined && options[t.name]?.multiple !== true) {
      throw new InputError(`--${t.name}`, `${before} and ${value}`, `--${t.name} once`, 'given twice');
    }
    seen.set(t.name, value);
  }
}

/**
 * `--lambda -1` means the value -1: node's parser would read "-1" as a flag, so a negative
 * number after a string flag is joined to it (`--lambda=-1`) first.
 */
function joinNegativeValues(argv: string[], options: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Print usage text when --help is given; returns true if it did. */
export function maybeHelp(values: ParsedFlags['values'], usage: string): boolean {
  if (values.help) {
    console.log(usage.trim());
    return true;
  }
  return false;
}

/**
 * Flags that name a directory: "-" (stdin or stdout wherever a file is named) cannot hold one, so
 * it is refused instead of creating or reading a folder called "-".
 */
export function refuseStdioDirs(values: ParsedFlags['values'], names: readonly string[]): void {
  for (const name of names) {
    const v = values[name];
    if (v === '-' || (Array.isArray(v) && (v as unknown[]).includes('-'))) throw new InputError(`--${name}`, '-', 'a directory ("-" means stdin/stdout, which cannot hold files)');
  }
}

/** A string flag's value, or undefined. */
export function str(values: ParsedFlags['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An optional integer flag in min..max (max defaults to 2^53 - 1, the largest exact integer); InputError naming `--name` otherwise. */
export function intFlag(values: Record<string, unknown>, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const v = parseNumber(`--${name}`, text);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`--${name}`, text, `an integer ${min}..${max}`);
  }
  return v;
}
