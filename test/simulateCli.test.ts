import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { repoRoot } from '../src/provenance.js';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), 'simulate', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** sims/fig6.json cut to 3 levels x 3 n values x 3 repetitions, written into a new temporary directory (out: DIR/run). */
function tinyFig6Config(prefix: string): { dir: string; cfgPath: string; cfg: { seed: number } } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cfgPath = join(dir, 'tiny.json');
  const cfg = JSON.parse(readFileSync(join(repoRoot, 'sims', 'fig6.json'), 'utf8'));
  cfg.levels = [2, 3, 4];
  cfg.simulation = { ...cfg.simulation, n: { from: 100, to: 400, count: 3, floor: true }, reps: 3, extraLevels: 2, validationSize: 200 };
  cfg.out = join(dir, 'run');
  writeFileSync(cfgPath, JSON.stringify(cfg));
  return { dir, cfgPath, cfg };
}

describe('lossyscale simulate', () => {
  it('single point prints meanRisk, stdErr, reps as JSON, reproducibly per seed', () => {
    const args = ['--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1', '--n', '400', '--m', '4', '--lambda', '20', '--reps', '6', '--seed', '1', '--json', '--workers', '1'];
    const a = cli(args);
    expect(a.status, a.stderr).toBe(0);
    const out = JSON.parse(a.stdout) as { meanRisk: number; stdErr: number; reps: number };
    expect(out.reps).toBe(6);
    expect(out.meanRisk).toBeGreaterThan(1);
    expect(out.stdErr).toBeGreaterThan(0);
    expect(out.stdErr).toBeLessThan(0.1);
    const b = cli(args);
    expect(JSON.parse(b.stdout)).toEqual(out);
  });

  it('bad flags and configs exit 2 with one line naming the parameter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-cli-'));
    const bad = join(dir, 'bad.json');
    const cfg = JSON.parse(readFileSync(join(repoRoot, 'sims', 'fig6.json'), 'utf8'));
    cfg.simulation.reps = 0;
    writeFileSync(bad, JSON.stringify(cfg));
    const pt = ['--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1'];
    const cases: [string[], RegExp][] = [
      [['--p', '1.5', '--q', '2', '--r', '0.99', '--tau', '1', '--n', '100', '--m', '3', '--lambda', '1'], /--p/],
      [[...pt, '--n', '100', '--m', '3'], /--lambda/],
      [[...pt, '--n', '10.5', '--m', '3', '--lambda', '1'], /--n/],
      [[...pt, '--n', '100', '--m', '3', '--lambda', '-1'], /--lambda/],
      [[...pt, '--n', '10', '--m', '5', '--lambda', '0'], /lambda/],
      [[...pt, '--n', '100', '--m', '3', '--lambda', '1', '--reps', '0'], /--reps/],
      [[...pt, '--n', '100', '--m', '3', '--lambda', '1', '--features', 'cauchy'], /--features/],
      [['--bogus'], /--bogus/],
      [['--config', join(dir, 'missing.json')], /missing\.json/],
      [['--config', bad], /simulation\.reps/],
      [['--config', 'sims/fig6.json', '--n', '5'], /--n/],
      [[], /--config/],
    ];
    // In-process through the real dispatcher (spawning 12 processes would cost ~30 s under tsx).
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      for (const [args, re] of cases) {
        writes.length = 0;
        const status = await main(['simulate', ...args]);
        const text = writes.join('');
        expect(status, `${args.join(' ')}: ${text}`).toBe(2);
        expect(text.trim().split('\n')).toHaveLength(1);
        expect(text).toMatch(re);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('config mode writes per-repetition rows, the aggregate, the fitted law and both figures', () => {
    const { dir, cfgPath, cfg } = tinyFig6Config('mc-run-');
    const r = cli(['--config', cfgPath, '--workers', '2', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const run = join(dir, 'run');
    expect(readFileSync(join(run, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    const csv = readFileSync(join(run, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^n,m,L,reps,score,scoreStdErr/);
    expect(csv).toHaveLength(1 + 3 * 3);
    const law = JSON.parse(readFileSync(join(run, 'law.json'), 'utf8')) as { form: string; params: { alpha: number } };
    expect(law.form).toBe('excess');
    expect(law.params.alpha).toBeGreaterThan(0);
    const run0 = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { config: { seed: number }; version: string };
    expect(run0.config.seed).toBe(cfg.seed);
    for (const f of ['fig6-sim-vs-n', 'fig6-sim-vs-L']) for (const ext of ['vl.json', 'svg', 'png']) expect(existsSync(join(run, 'figures', `${f}.${ext}`))).toBe(true);
    expect(r.stdout).toMatch(/alpha_T = 0\.3389/);
  }, 60_000);

  it('config mode with one repetition (--reps 1) finishes; the goodness-of-fit test is reported as not run', () => {
    const { dir, cfgPath } = tinyFig6Config('mc-run1-');
    // Was exit 2 with "invalid rows[0].stdErr: 0": the weighted test was fitted to cells of one repetition.
    const r = cli(['--config', cfgPath, '--reps', '1', '--workers', '1', '--figures', join(dir, 'figures')]);
    expect(r.status, r.stderr).toBe(0);
    // No error bars to draw, and no Vega warning about an empty error-bar layer.
    expect(r.stderr).not.toMatch(/warning: figure/);
    expect(readFileSync(join(dir, 'figures', 'fig6-sim-vs-n.vl.json'), 'utf8')).toMatch(/no error bars \(one repetition has no standard error\)/);
    const law = JSON.parse(readFileSync(join(dir, 'run', 'law.json'), 'utf8')) as { goodnessOfFit: unknown; goodnessOfFitNote: string; params: { alpha: number } };
    expect(law.params.alpha).toBeGreaterThan(0);
    expect(law.goodnessOfFit).toBeNull();
    expect(law.goodnessOfFitNote).toMatch(/1 repetition; the test needs at least 2/);
    expect(readFileSync(join(dir, 'run', 'tables', 'law.md'), 'utf8')).toMatch(/Goodness of fit: not tested/);
    // The standard error of one repetition is undefined (docs/reliability.md): null / empty / n/a, not 0.
    const summary = JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')) as { cells: { scoreStdErr: unknown; curve: { stdErr: unknown }[] }[] };
    for (const c of summary.cells) {
      expect(c.scoreStdErr).toBeNull();
      expect(c.curve[0].stdErr).toBeNull();
    }
    const csv = readFileSync(join(dir, 'run', 'summary.csv'), 'utf8').trim().split('\n');
    const col = csv[0].split(',').indexOf('scoreStdErr');
    expect(csv.slice(1).map((l) => l.split(',')[col])).toEqual(csv.slice(1).map(() => ''));
    expect(readFileSync(join(dir, 'run', 'tables', 'selected.md'), 'utf8')).toMatch(/\| n\/a \|/);
    const pt = ['--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1', '--n', '100', '--m', '3', '--lambda', '1', '--reps', '1', '--seed', '1', '--workers', '1'];
    const one = cli([...pt, '--json']);
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).stdErr).toBeNull();
    expect(cli(pt).stdout).toMatch(/stdErr n\/a/);
  }, 60_000);
});
