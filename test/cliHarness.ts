import { inspect } from 'node:util';
import { expect } from 'vitest';
import { main } from '../src/cli/main.js';

/**
 * Run the CLI in this process (the same `main` bin/lossyscale.js calls) and capture what it
 * writes: spawning node + tsx per probe costs about a second, this costs milliseconds, so the
 * fuzz and bad-input suites can afford hundreds of probes.
 */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export async function runCli(argv: string[]): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  // The test runner replaces console's streams, so console is captured on its own.
  const realConsole = { log: console.log, info: console.info, error: console.error, warn: console.warn };
  const line = (sink: string[]) => (...args: unknown[]): void => {
    sink.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ') + '\n');
  };
  console.log = console.info = line(out);
  console.error = console.warn = line(err);
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    Object.assign(console, realConsole);
  }
  return { code, stdout: out.join(''), stderr: err.join(''), seconds: (performance.now() - t0) / 1000 };
}

/** Lines of a text, without the empty last one. */
export function textLines(s: string): string[] {
  return s.split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
}

/** True if the text shows a JavaScript stack trace or a V8 native stack. */
export function hasStackTrace(s: string): boolean {
  return /\n\s+at .+[:(]\d+/.test(s) || /FATAL ERROR|node::|v8::internal/.test(s);
}

/** A NaN or Infinity as a printed number (not inside words such as "Infinity-norm"). */
export const NON_FINITE = /(?<![A-Za-z])-?(NaN|Infinity)(?![A-Za-z])/;

/** Run the CLI and expect bad input's contract: exit 2, one stderr line matching `pattern`, no stack trace. */
export async function expectExit2(argv: string[], pattern: RegExp): Promise<CliOutcome> {
  const r = await runCli(argv);
  expect(r.code, r.stderr).toBe(2);
  expect(textLines(r.stderr), r.stderr).toHaveLength(1);
  expect(hasStackTrace(r.stderr)).toBe(false);
  expect(r.stderr).toMatch(pattern);
  return r;
}
