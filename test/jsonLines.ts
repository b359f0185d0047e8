import { expect } from 'vitest';

/**
 * Parse a command's stdout under the output contract: every line one compact JSON value
 * (no blank lines, no pretty-printing: re-serialising a line gives the line back).
 */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  expect(stdout.endsWith('\n'), 'output ends with a newline').toBe(true);
  const lines = stdout.slice(0, -1).split('\n');
  return lines.map((l) => {
    const v = JSON.parse(l) as T;
    expect(JSON.stringify(v), 'compact JSON, one value per line').toBe(l);
    return v;
  });
}
