/**
 * The one warning path (README "Output contract"): a warning is one line on stderr, prefixed
 * "warning: ", never on stdout, and nothing at all while quiet (the CLI's --quiet). Library code
 * at any layer (figures' Vega messages, fit warnings) writes through here.
 */
let quiet = false;

/** Silence warn() (the --quiet flag); returns the previous setting. */
export function setQuiet(q: boolean): boolean {
  const before = quiet;
  quiet = q;
  return before;
}

/** A warning: one line on stderr (newlines folded), never stdout; nothing while quiet. */
export function warn(message: string): void {
  if (!quiet) process.stderr.write(`warning: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
}
