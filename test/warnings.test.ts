import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../src/figures/render.js';
import { repoRoot } from '../src/provenance.js';
import { setQuiet, warn } from '../src/util/warnings.js';
import { runCli, textLines } from './cliHarness.js';

/**
 * The one warning path (README "Output contract": warnings, Vega's messages included, go to
 * stderr and --quiet silences them): library calls through src/util/warnings.ts, and the CLI
 * end to end on a figure whose spec makes Vega-Lite warn.
 */
async function stderrOf(f: () => Promise<unknown> | unknown): Promise<{ stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const real = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const sink = (to: string[]) => ((chunk: string | Uint8Array): boolean => to.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stdout.write = sink(out);
  process.stderr.write = sink(err);
  try {
    await f();
  } finally {
    process.stdout.write = real.out;
    process.stderr.write = real.err;
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

/** A shape channel on an ordinal field: Vega-Lite warns that shapes do not encode order. */
const warningSpec = {
  data: { values: [{ x: 1, y: 2, k: 'a' }, { x: 2, y: 3, k: 'b' }] },
  mark: 'point',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, shape: { field: 'k', type: 'ordinal' } },
} as TopLevelSpec;

describe('warnings', () => {
  it('warn() writes one "warning: " line on stderr (newlines folded), nothing while quiet', async () => {
    expect(await stderrOf(() => warn('two\nlines'))).toEqual({ stdout: '', stderr: 'warning: two lines\n' });
    const before = setQuiet(true);
    try {
      expect(await stderrOf(() => warn('hidden'))).toEqual({ stdout: '', stderr: '' });
    } finally {
      setQuiet(before);
    }
  });

  it("Vega-Lite's messages while rendering take the warning path, naming the figure; quiet silences them", async () => {
    const loud = await stderrOf(() => renderSvg(warningSpec, 'probe'));
    expect(loud.stdout).toBe('');
    expect(textLines(loud.stderr)).toEqual(['warning: figure probe: vega-lite: Using discrete channel "shape" to encode "ordinal" field can be misleading as it does not encode order.']);
    const before = setQuiet(true);
    try {
      expect(await stderrOf(() => renderSvg(warningSpec, 'probe'))).toEqual({ stdout: '', stderr: '' });
    } finally {
      setQuiet(before);
    }
  });

  const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-warnings-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('simulate redrawing the committed Figure 6: its specs draw without a Vega warning, and --quiet leaves stderr empty', async () => {
    const run = join(tmp, 'fig6');
    cpSync(join(repoRoot, 'sims', 'results', 'fig6'), run, { recursive: true });
    const args = ['simulate', '--config', join(repoRoot, 'sims', 'fig6.json'), '--out', run, '--figures', join(tmp, 'figures'), '--workers', '1'];
    const loud = await runCli(args);
    expect(loud.code, loud.stderr).toBe(0);
    expect(textLines(loud.stderr).filter((l) => /vega/i.test(l))).toEqual([]);
    const quiet = await runCli([...args, '--quiet']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
