/**
 * The output rule for undefined statistics (docs/reliability.md): a number that is NaN or
 * infinite (a standard error from one repetition, a z-score over zero points, an unbounded
 * interval end) is never printed or written as such: it is `null` in JSON (JSON.stringify
 * already does this), an empty cell in CSV, and "n/a" in text.
 */
export function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isFinite(v)) return '';
  return String(v);
}

/** `format(x)` for a finite number, "n/a" otherwise. */
export function textValue(x: number | null | undefined, format: (x: number) => string = String): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : format(x);
}

/** A finite number, or null (for JSON fields whose statistic can be undefined). */
export function finiteOrNull(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}
