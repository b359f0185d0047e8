import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InterruptedError, isUserError } from '../errors.js';
import { COMMAND_SUMMARIES } from './registry.js';
import { fsErrorMessage } from '../util/fsErrors.js';
import { setQuiet } from '../util/warnings.js';

/**
 * The `lossyscale` CLI: a thin dispatcher. Each subcommand lives in
 * `src/cli/commands/<name>.ts` and exports `summary` (one line for help) and
 * `run(argv): Promise<number>` (parse, validate, call the library, print).
 * Exit status: 0 success, 1 unexpected failure, 2 invalid input, 130 interrupted by SIGINT, 143 by SIGTERM.
 */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const here = dirname(fileURLToPath(import.meta.url));
const ext = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';

function commandNames(): string[] {
  return readdirSync(join(here, 'commands'))
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && !f.startsWith('_'))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  return (await import(join(here, 'commands', name + ext))) as Command;
}

async function help(): Promise<string> {
  const lines = ['usage: lossyscale <command> [options]   (lossyscale <command> --help for its options)', '', 'commands:'];
  for (const name of commandNames()) {
    // Summaries come from the registry; a command not listed there is loaded for its own.
    const summary = COMMAND_SUMMARIES[name] ?? (await loadCommand(name))?.summary ?? '';
    lines.push(`  ${name.padEnd(12)} ${summary}`);
  }
  lines.push('', 'output: --json prints compact JSON lines, --format csv a CSV, "-" is stdin/stdout; warnings go to stderr (--quiet)');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    // Bad input like any other: one line on stderr, nothing on stdout.
    process.stderr.write(`lossyscale: invalid command: missing (valid: one of ${commandNames().join(', ')}; lossyscale --help for usage)\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { toolVersion } = await import('../provenance.js');
    console.log(toolVersion());
    return 0;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`lossyscale: unknown command ${JSON.stringify(name)} (valid: ${commandNames().join(', ')})\n`);
    return 2;
  }
  const quiet = rest.includes('--quiet');
  const restore = guardStdout(quiet);
  const wasQuiet = setQuiet(quiet);
  try {
    return await cmd.run(rest);
  } catch (e) {
    return reportError(e);
  } finally {
    setQuiet(wasQuiet);
    restore();
  }
}

/**
 * Keep library chatter off stdout, which carries the command's output: Vega's messages take
 * the warning path (src/util/warnings.ts, silenced by --quiet like every warning); other
 * libraries' console.info/debug/warn go to stderr (console.warn already does), and --quiet
 * drops them. The commands themselves print through console.log and process.stdout.
 */
function guardStdout(quiet: boolean): () => void {
  const saved = { info: console.info, debug: console.debug, warn: console.warn };
  const toStderr = (...args: unknown[]): void => {
    if (!quiet) process.stderr.write(args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ') + '\n');
  };
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
  return () => Object.assign(console, saved);
}

/** Collapse a message to one line (quoted file contents can carry newlines). */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * One line on stderr; a stack trace only with LOSSYSCALE_DEBUG=1. User errors and user-caused
 * file-system errors (read-only, a file where a folder belongs...) exit 2; anything else is a
 * bug and exits 1.
 */
export function reportError(e: unknown): number {
  const debug = process.env.LOSSYSCALE_DEBUG === '1';
  if (e instanceof InterruptedError) {
    process.stderr.write(`lossyscale: ${oneLine(e.message)}\n`);
    return e.exitCode;
  }
  const fsMessage = fsErrorMessage(e);
  if (isUserError(e) || fsMessage !== undefined) {
    process.stderr.write(`lossyscale: ${oneLine(fsMessage ?? (e as Error).message)}\n`);
    if (debug) process.stderr.write(`${(e as Error).stack}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`lossyscale: unexpected error: ${oneLine(msg)} (rerun with LOSSYSCALE_DEBUG=1 for details)\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return 1;
}
