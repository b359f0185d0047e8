import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from './jsonLines.js';
import { runCli } from './cliHarness.js';

let tmp: string;
let root: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lossyscale-cli-codec-'));
  root = join(tmp, 'imgs');
  for (const [c, shade] of [['light', 200], ['dark', 40]] as const) {
    mkdirSync(join(root, c), { recursive: true });
    for (let i = 0; i < 5; i++) {
      const png = new PNG({ width: 12, height: 12 });
      for (let k = 0; k < 144; k++) {
        const v = (shade + ((k * 7 + i * 13) % 50)) & 255;
        png.data.set([v, v, v, 255], 4 * k);
      }
      writeFileSync(join(root, c, `${i}.png`), PNG.sync.write(png));
    }
  }
  writeFileSync(join(root, 'dark', 'bad.jpg'), 'no jpeg here');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lossyscale codec / dataset commands', () => {
  it('codec quality prints the distance -> quality mapping', async () => {
    const r = await runCli(['codec', 'quality', '--distances', '0,1,15', '--json']);
    expect(r.code).toBe(0);
    const rows = jsonLines<{ distance: number; quality: number }>(r.stdout);
    expect(rows.map((x) => x.distance)).toEqual([0, 1, 15]);
    expect(rows[1].quality).toBeCloseTo(90, 10);
  });

  it('codec sizes reports per-distance statistics, then serves a rerun from the cache', async () => {
    const args = ['codec', 'sizes', '--dataset', 'folder', '--root', root, '--part', 'all', '--distances', '0,4', '--workers', '0', '--cache', join(tmp, 'cache'), '--json'];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/skipped .*bad\.jpg: not a PNG or JPEG/);
    const rows = jsonLines<{ distance: number; images: number; mean: number; encoded: number; cached: number }>(first.stdout);
    expect(rows.map((x) => [x.distance, x.images, x.encoded, x.cached])).toEqual([
      [0, 10, 10, 0],
      [4, 10, 10, 0],
    ]);
    expect(rows[0].mean).toBeGreaterThan(0);
    const second = jsonLines<{ encoded: number; cached: number }>((await runCli(args)).stdout);
    expect(second.map((x) => [x.encoded, x.cached])).toEqual([
      [0, 10],
      [0, 10],
    ]);
    const text = await runCli(args.filter((a) => a !== '--json'));
    expect(text.stdout).toMatch(/distance\s+quality\s+mean B/);
    // --quiet silences the skipped-file lines too (they bypassed it).
    const quiet = await runCli([...args, '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('dataset info lists the split counts per class', async () => {
    const r = await runCli(['dataset', 'info', '--dataset', 'folder', '--root', root, '--test-fraction', '0.4', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { classNames: string[]; perClass: { train: number[]; test: number[] }; skipped: { path: string }[]; channels: number };
    expect(info.classNames).toEqual(['dark', 'light']);
    expect(info.perClass.test).toEqual([2, 2]);
    expect(info.perClass.train).toEqual([3, 3]);
    expect(info.channels).toBe(1);
    expect(info.skipped.map((s) => s.path)).toEqual([join(root, 'dark', 'bad.jpg')]);
  });

  it('bad input exits with status 2 and one line naming the parameter', async () => {
    for (const args of [
      ['codec', 'sizes', '--distances', '6.5'],
      // A distance given twice (was: two identical rows).
      ['codec', 'sizes', '--distances', '0,2,2'],
      ['codec', 'quality', '--distances', '1,1'],
      ['codec', 'sizes', '--dataset', 'folder'],
      ['codec', 'sizes', '--dataset', 'fashion-mnist', '--size', '32'],
      ['codec', 'frobnicate'],
      ['dataset', 'info', '--dataset', 'mnist'],
      ['dataset', 'info', '--root', join(tmp, 'absent')],
      // Flags of codec sizes given to codec quality (were silently ignored).
      ['codec', 'quality', '--limit', '3'],
      ['codec', 'quality', '--dataset', 'folder', '--root', root],
      ['codec', 'quality', '--backend', 'libjxl'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^lossyscale: (invalid|Fashion-MNIST not found)/);
      if (args[1] === 'quality' && args[2] !== '--distances') expect(r.stderr).toMatch(/\(valid: only with codec sizes/);
      if (args[2] === '--distances' && args[3].includes(',')) expect(r.stderr).toMatch(/\(valid: distinct distances/);
    }
  });
});
