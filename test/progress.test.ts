import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, progress } from '../src/util/progress.js';

/** Seconds a formatted duration stands for (the inverse of formatDuration up to its rounding). */
function parseDuration(s: string): { seconds: number; unit: number } {
  let m = /^(\d+\.\d)s$/.exec(s);
  if (m) return { seconds: Number(m[1]), unit: 0.1 };
  m = /^(\d+)s$/.exec(s);
  if (m) return { seconds: Number(m[1]), unit: 1 };
  m = /^(\d+)m([0-5]\d)s$/.exec(s);
  if (m) return { seconds: 60 * Number(m[1]) + Number(m[2]), unit: 1 };
  m = /^(\d+)h([0-5]\d)m$/.exec(s);
  if (m) return { seconds: 3600 * Number(m[1]) + 60 * Number(m[2]), unit: 60 };
  throw new Error(`not a duration: ${s}`);
}

describe('progress durations', () => {
  it('carries a rounded-up unit instead of printing 60 (was "9m60s", "60s", "59m60s")', () => {
    expect(formatDuration(599.6)).toBe('10m00s');
    expect(formatDuration(59.7)).toBe('1m00s');
    expect(formatDuration(9.96)).toBe('10s');
    expect(formatDuration(3599.6)).toBe('1h00m');
    expect(formatDuration(7199.9)).toBe('2h00m');
  });

  it('formats each range', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(4.24)).toBe('4.2s');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(545)).toBe('9m05s');
    expect(formatDuration(7380)).toBe('2h03m');
    expect(formatDuration(Number.NaN)).toBe('?');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('reads back within half its last unit, with minutes and seconds fields below 60 (0 to 30 days)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 30 * 86400, noNaN: true }), (x) => {
        const { seconds, unit } = parseDuration(formatDuration(x));
        // half a unit of rounding plus binary-to-decimal slack for the 0.1 s unit
        expect(Math.abs(seconds - x)).toBeLessThanOrEqual(unit / 2 + 1e-9 * Math.max(1, x));
      }),
      { numRuns: 2000 },
    );
  });

  it('the progress line uses it for the elapsed time', () => {
    const lines: string[] = [];
    const bar = progress('jobs', 2, { stream: { isTTY: false, write: (s: string) => lines.push(s) }, intervalMs: 0 });
    bar.tick(2);
    bar.done('ok');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^jobs \[#{24}\] 2\/2 100\.0% \d+\.\ds elapsed, ETA 0\.0s ok\n$/);
  });
});
