import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLibjxlCodec } from '../src/codec/libjxlCodec.js';
import { InterruptedError } from '../src/errors.js';
import { parseObservationsCsv } from '../src/fit/csv.js';
import { parseSize, formatBytes } from '../src/plan/size.js';
import { runPlan, type PlanResult } from '../src/plan/runPlan.js';
import { decodeImage } from '../src/data/decodeImage.js';
import { writeSyntheticFolder } from './planFixture.js';
import { runCli } from './cliHarness.js';

/**
 * `lossyscale plan` end to end on a small folder dataset written here: the budget holds for
 * everything written, the manifest's hashes and sizes match the files, the set is stratified
 * by class, every file decodes to an image of the source's size, an interrupted write
 * resumes verifying what is there, and bad input exits 2 with one line.
 */
let tmp: string;
let root: string;
let cache: string;
const PER_CLASS = 40;
const SIZE = 16;
const common = (): string[] => ['--dataset', 'folder', '--root', root, '--replicates', '40', '--workers', '0', '--cache-dir', cache, '--quiet'];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lossyscale-plan-'));
  root = join(tmp, 'data');
  cache = join(tmp, 'cache');
  writeSyntheticFolder(root, { perClass: PER_CLASS, classes: 3, size: SIZE });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function manifestRows(dir: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(join(dir, 'manifest.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return total;
}

describe('SIZE parsing', () => {
  it('reads bytes, decimal and binary units, and refuses anything else', () => {
    expect(parseSize('--budget', '40KB')).toBe(40_000);
    expect(parseSize('--budget', '2.5GB')).toBe(2_500_000_000);
    expect(parseSize('--budget', '1MiB')).toBe(1_048_576);
    expect(parseSize('--budget', '12345')).toBe(12_345);
    expect(parseSize('--budget', '1e6')).toBe(1_000_000);
    expect(parseSize('--budget', '3 mb')).toBe(3_000_000);
    for (const bad of ['', 'KB', '-5KB', '5 XB', '0', 'NaN', '1,5MB']) expect(() => parseSize('--budget', bad), bad).toThrow(/invalid --budget/);
    expect(formatBytes(10_000_000)).toBe('10 MB');
    expect(formatBytes(812)).toBe('812 B');
  });
});

describe('lossyscale plan on a folder dataset', () => {
  let out: string;
  let result: PlanResult;

  it('writes a stratified, hashed training set within the budget', async () => {
    out = join(tmp, 'out');
    const r = await runCli(['plan', ...common(), '--budget', '24KB', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    result = JSON.parse(r.stdout) as PlanResult;
    expect(result.status).toBe('written');
    // Budget: every byte under DIR counts (images, manifest.csv, plan.json).
    expect(dirBytes(out)).toBeLessThanOrEqual(24_000);
    expect(result.written!.totalBytes).toBe(dirBytes(out));
    expect(existsSync(join(out, '.plan-state.json'))).toBe(false);
    const rows = manifestRows(out);
    expect(rows.length).toBe(result.written!.images);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(rows[0])).toEqual(['path', 'class', 'bytes', 'distance', 'source', 'sha256']);
    const codec = await loadLibjxlCodec();
    const counts: Record<string, number> = {};
    for (const row of rows) {
      const bytes = readFileSync(join(out, row.path));
      expect(createHash('sha256').update(bytes).digest('hex'), row.path).toBe(row.sha256);
      expect(bytes.length).toBe(Number(row.bytes));
      expect(row.path).toMatch(new RegExp(`^images/${row.class}/[^/]+\\.jxl$`));
      expect(Number(row.distance)).toBe(result.recommendation.distance);
      // Every written file decodes to an image of the source's shape, close to the source.
      const pixels = codec.decode(bytes, { width: SIZE, height: SIZE, channels: 1 });
      const src = decodeImage(readFileSync(join(root, row.source)));
      expect(src.width).toBe(SIZE);
      let diff = 0;
      for (let k = 0; k < SIZE * SIZE; k++) diff += Math.abs(pixels[k] - src.rgb[k * 3]);
      expect(diff / (SIZE * SIZE), row.path).toBeLessThan(40);
      counts[row.class] = (counts[row.class] ?? 0) + 1;
    }
    // Stratified: a stratified prefix holds each class within one image of its share (equal classes here).
    const values = Object.values(counts);
    expect(Object.keys(counts).sort()).toEqual(['a', 'b', 'c']);
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
    expect(result.written!.perClass).toEqual(counts);
    // The recommendation and its reasons are in plan.json.
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as PlanResult;
    expect(plan.key).toBe(result.key);
    expect(plan.recommendation.n).toBeGreaterThanOrEqual(rows.length);
    expect(plan.fit.params.alpha).toBeGreaterThan(0);
    expect(plan.pilot.rows.length).toBe(20);
    expect(plan.heldOut.validation + plan.heldOut.test).toBeGreaterThan(0);
    expect(plan.heldOut.note).toMatch(/not in the written training set/);
    expect(plan.provenance.command).toBeTruthy();
    expect(plan.sizeCurve.map((p) => p.distance)[0]).toBe(0);
    // Held-out images are not in the set.
    expect(result.dataset.trainImages + result.heldOut.validation + result.heldOut.test).toBe(3 * PER_CLASS);
    const band = plan.recommendation.band!;
    expect(band[0]).toBeLessThanOrEqual(band[1]);
  });

  it('the same command again finds the plan complete, verifying every file', async () => {
    const r = await runCli(['plan', ...common(), '--budget', '24KB', '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as PlanResult).status).toBe('complete');
  });

  it('an output directory holding another plan: exit 2, one line, nothing touched', async () => {
    const before = readFileSync(join(out, 'plan.json'), 'utf8');
    const r = await runCli(['plan', ...common(), '--budget', '30KB', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/invalid --out: .* holds another plan/);
    expect(readFileSync(join(out, 'plan.json'), 'utf8')).toBe(before);
  });

  it('an interrupted write resumes and verifies the files already written', async () => {
    const dir = join(tmp, 'resume');
    let armed = false;
    let written = 0;
    const opts = {
      dataset: { kind: 'folder' as const, root },
      budgetBytes: 24_000,
      outDir: dir,
      cacheDir: cache,
      replicates: 40,
      workers: 0,
    };
    await expect(
      runPlan({
        ...opts,
        hooks: {
          phase: (label: string) => {
            armed = label.startsWith('write');
            return { tick: () => void (armed && written++), done: () => undefined };
          },
          checkInterrupt: () => {
            if (armed && written >= 4) throw new InterruptedError();
          },
        },
      }),
    ).rejects.toThrow(InterruptedError);
    // Interrupted: no plan.json or manifest (nothing that looks complete), the state and 4 images are there.
    expect(existsSync(join(dir, 'plan.json'))).toBe(false);
    expect(existsSync(join(dir, 'manifest.csv'))).toBe(false);
    expect(existsSync(join(dir, '.plan-state.json'))).toBe(true);
    const imgs = readdirSync(join(dir, 'images'), { recursive: true }).filter((f) => String(f).endsWith('.jxl'));
    expect(imgs).toHaveLength(4);
    // Corrupt one of them: the resume must notice and rewrite it.
    const first = join(dir, 'images', String(imgs[0]));
    writeFileSync(first, Buffer.from('not a jxl'));
    const r = await runPlan(opts);
    expect(r.status).toBe('resumed');
    expect(r.written!.verified).toBe(3);
    expect(r.written!.encoded).toBe(r.written!.images - 3);
    expect(dirBytes(dir)).toBeLessThanOrEqual(24_000);
    // Same inputs, same set as an uninterrupted run.
    expect(readFileSync(join(dir, 'manifest.csv'), 'utf8')).toBe(readFileSync(join(out, 'manifest.csv'), 'utf8'));
  });

  it('--dry-run stops after the recommendation and writes nothing', async () => {
    const dir = join(tmp, 'dry');
    const r = await runCli(['plan', ...common(), '--budget', '24KB', '--out', dir, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scaling-optimal/);
    expect(r.stdout).toMatch(/original format/);
    expect(r.stdout).toMatch(/best fixed level/);
    expect(r.stdout).toMatch(/dry run: nothing written/);
    expect(existsSync(dir)).toBe(false);
    // --quiet silences the fit warnings too (they were written to stderr past the warning path).
    expect(r.stderr).toBe('');
    const loud = await runCli(['plan', ...common().filter((a) => a !== '--quiet'), '--budget', '24KB', '--out', dir, '--dry-run']);
    expect(loud.stderr).toMatch(/^warning: fit: /m);
  });

  it('a budget too small for one image per class: exit 2, one line, nothing written', async () => {
    const dir = join(tmp, 'small');
    const r = await runCli(['plan', ...common(), '--budget', '100B', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/invalid --budget: "100 B" \(valid: at least .* one image per class/);
    expect(existsSync(dir)).toBe(false);
  });

  it('an unreadable image and an empty class: exit 2, one line each', async () => {
    const bad = join(tmp, 'bad');
    writeSyntheticFolder(bad, { perClass: 10, classes: 2, size: SIZE });
    writeFileSync(join(bad, 'a', 'broken.png'), 'not a png');
    let r = await runCli(['plan', ...common().map((a) => (a === root ? bad : a)), '--budget', '24KB', '--out', join(tmp, 'o1')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unreadable image .*broken\.png/);
    rmSync(join(bad, 'a', 'broken.png'));
    mkdirSync(join(bad, 'empty'));
    r = await runCli(['plan', ...common().map((a) => (a === root ? bad : a)), '--budget', '24KB', '--out', join(tmp, 'o2')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/class folder "empty" is empty/);
    expect(existsSync(join(tmp, 'o1'))).toBe(false);
    expect(existsSync(join(tmp, 'o2'))).toBe(false);
  });

  it('the pilot rows are what the fit saw', () => {
    const csv = 'n,L,error\n' + result.pilot.rows.map((r) => `${r.n},${r.L},${r.error}`).join('\n');
    expect(parseObservationsCsv(csv)).toHaveLength(result.pilot.rows.length);
  });
});
