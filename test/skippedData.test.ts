import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, textLines } from './cliHarness.js';

/**
 * Skipped data is reported: a folder dataset with corrupt and empty images and an empty class
 * folder lists each (path and reason) on stderr and in run.json, and a sweep with more than
 * 1% skipped fails with exit 2 unless --allow-skipped (it used to say nothing at all).
 */
const tmp = mkdtempSync(join(tmpdir(), 'skipped-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'images');

function png(seed: number): Buffer {
  const p = new PNG({ width: 12, height: 12 });
  for (let i = 0; i < 144; i++) p.data.set([(i * 7 + seed * 13) % 256, (i * 3 + seed) % 256, seed % 256, 255], i * 4);
  return PNG.sync.write(p);
}

beforeAll(() => {
  for (const c of ['a', 'b', 'c']) {
    mkdirSync(join(root, c), { recursive: true });
    for (let i = 0; i < 24; i++) writeFileSync(join(root, c, `${i}.png`), png(i + c.charCodeAt(0)));
  }
  mkdirSync(join(root, 'd-empty'));
  writeFileSync(join(root, 'a', 'broken.png'), png(1).subarray(0, 30));
  writeFileSync(join(root, 'b', 'empty.png'), '');
  writeFileSync(join(root, 'c', 'text.jpg'), 'not a jpeg');
});

function config(name: string): string {
  const p = join(tmp, `${name}.json`);
  writeFileSync(p, JSON.stringify({
    name, dataset: { kind: 'folder', root, testFraction: 0.25 }, trainer: 'ridge', trainerOptions: { lambdaGrid: [0.1, 1] }, seed: 1,
    split: { validationSize: 9 }, codec: { cacheDir: join(tmp, 'cache'), workers: 1, effort: 1 },
    grid: { fractions: [0.5, 1], distances: [0, 1, 3], seeds: 1 }, fit: {}, figures: { png: false },
  }));
  return p;
}

describe('skipped data', () => {
  it('a sweep over a folder with 3 unreadable images and an empty class (4 of 76, 5%) exits 2, listing each with its reason', async () => {
    const run = join(tmp, 'run1');
    const r = await runCli(['sweep', '--config', config('s1'), '--run', run, '--quiet']);
    expect(r.code, r.stderr).toBe(2);
    const lines = textLines(r.stderr);
    for (const f of [join(root, 'a', 'broken.png'), join(root, 'b', 'empty.png'), join(root, 'c', 'text.jpg'), join(root, 'd-empty')]) {
      expect(lines.some((l) => l.startsWith(`lossyscale: skipped ${f}: `))).toBe(true);
    }
    expect(lines.find((l) => l.includes('d-empty'))).toMatch(/empty class folder/);
    expect(lines.at(-1), lines.at(-1)).toMatch(/invalid config\.dataset\.root.*--allow-skipped.*4 of 76 skipped \(5\.3%/);
    const rec = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { skipped: { path: string; reason: string }[] };
    expect(rec.skipped.map((s) => s.path).sort()).toEqual([join(root, 'a', 'broken.png'), join(root, 'b', 'empty.png'), join(root, 'c', 'text.jpg'), join(root, 'd-empty')].sort());
    expect(rec.skipped.every((s) => s.reason.length > 0)).toBe(true);
  }, 120_000);

  it('with --allow-skipped the sweep runs on the readable images and still records what it left out', async () => {
    const run = join(tmp, 'run2');
    const r = await runCli(['sweep', '--config', config('s2'), '--run', run, '--allow-skipped', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(textLines(r.stderr).filter((l) => l.startsWith('lossyscale: skipped '))).toHaveLength(4);
    const rec = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { skipped: unknown[] };
    expect(rec.skipped).toHaveLength(4);
  }, 180_000);

  it('an unreadable class folder is exit 2 naming it (was exit 1)', () => {
    // Run as an unprivileged user (root reads any folder), where the machine allows it.
    const locked = join(tmp, 'locked');
    mkdirSync(join(locked, 'x'), { recursive: true });
    mkdirSync(join(locked, 'y'), { recursive: true });
    writeFileSync(join(locked, 'x', '0.png'), png(3));
    chmodSync(tmp, 0o755);
    chmodSync(join(locked, 'y'), 0o000);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, ['bin/lossyscale.js', 'dataset', 'info', '--dataset', 'folder', '--root', locked], { encoding: 'utf8', ...asNobody, env: { ...process.env, HOME: tmp } });
    chmodSync(join(locked, 'y'), 0o755);
    if (process.getuid?.() === 0 && /EACCES|permission/i.test(r.stderr) && !r.stderr.includes(join(locked, 'y'))) return; // nobody cannot run node from here
    expect(r.status, r.stderr).toBe(2);
    expect(textLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`cannot read image folder ${join(locked, 'y')}: permission denied`));
  }, 60_000);
});
