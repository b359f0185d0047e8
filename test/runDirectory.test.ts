import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock } from '../src/store/runLock.js';
import { runCli, textLines, expectExit2 } from './cliHarness.js';

/**
 * One writer per run directory (an exclusive lock with pid and host, stale locks taken over),
 * results without run.json refused unless --adopt, and every row read back validated: the
 * breaks of the bad-input audit (two simulate processes writing every key twice, a seed-8
 * config adopting seed-7 rows, `cells: []` counted as a repetition, `excess: ["abc"]`
 * silently changing a score).
 */
const tmp = mkdtempSync(join(tmpdir(), 'rundir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function simConfig(name: string, edit: (c: Record<string, Record<string, unknown>>) => void = () => {}, file = name): string {
  const c: Record<string, Record<string, unknown>> = {
    name: 'rd' as never,
    model: { p: 2.01, q: 2, r: 0.99, tau: 1 },
    levels: [2, 3, 4] as never,
    lambda: { schedule: 'theorem1', lambda0: { from: 0.1, to: 10, count: 3 } },
    theory: { n: { from: 100, to: 1000, count: 3 } },
    simulation: { n: { from: 300, to: 2000, count: 3, floor: true }, reps: 4, extraLevels: 2, validationSize: 300, testSize: 300 },
    seed: 7 as never,
    out: join(tmp, name) as never,
  };
  edit(c);
  const p = join(tmp, `${file}.json`);
  writeFileSync(p, JSON.stringify(c));
  return p;
}

function rows(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}


describe('run directory lock', () => {
  it('a second writer is refused while the first holds the lock; a stale lock (dead pid) is taken over; release removes it', () => {
    const dir = join(tmp, 'lock');
    const a = acquireRunLock(dir, '--out');
    const held = JSON.parse(readFileSync(a.path, 'utf8')) as { pid: number; host: string };
    expect(held).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireRunLock(dir, '--out')).toThrow(new RegExp(`invalid --out.*locked by pid ${process.pid}`));
    a.release();
    expect(existsSync(a.path)).toBe(false);
    // A lock left by a process that is gone (kill -9): taken over.
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), time: 'then' }));
    const b = acquireRunLock(dir, '--out');
    expect((JSON.parse(readFileSync(b.path, 'utf8')) as { pid: number }).pid).toBe(process.pid);
    b.release();
    // A lock of a live process on another host cannot be checked: refused, naming it.
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', time: 'now' }));
    expect(() => acquireRunLock(dir, '--out')).toThrow(/locked by pid 1 on elsewhere/);
    unlinkSync(join(dir, '.lock'));
  });

  it('two simulate processes on one --out: the second exits 2 at once while the first runs, no key is written twice, the lock goes with the first', async () => {
    const cfg = simConfig('two', (c) => (c.simulation.reps = 100_000));
    const results = join(tmp, 'two', 'results.jsonl');
    let firstChild: ReturnType<typeof spawn> | undefined;
    const start = () => {
      const ch = spawn(process.execPath, ['bin/lossyscale.js', 'simulate', '--config', cfg, '--workers', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      ch.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      firstChild ??= ch;
      return new Promise<{ code: number | null; stderr: string }>((res) => ch.on('exit', (code) => res({ code, stderr })));
    };
    const first = start();
    while (!(existsSync(results) && readFileSync(results, 'utf8').length > 0)) await new Promise((r) => setTimeout(r, 50));
    const second = await start();
    expect(second.code, second.stderr).toBe(2);
    expect(textLines(second.stderr)).toHaveLength(1);
    expect(second.stderr).toMatch(/invalid --out.*locked by pid \d+/);
    firstChild!.kill('SIGINT');
    const done = await first;
    expect(done.code, done.stderr).toBe(130);
    const keys = rows(results).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThan(0);
    expect(existsSync(join(tmp, 'two', '.lock'))).toBe(false);
  }, 120_000);
});

describe('adopting and resuming', () => {
  it('results without run.json are refused unless --adopt; adopted rows of other levels are refused naming file, line and field', async () => {
    const cfg = simConfig('adopt');
    const out = join(tmp, 'adopt');
    expect((await runCli(['simulate', '--config', cfg, '--workers', '1', '--quiet'])).code).toBe(0);
    unlinkSync(join(out, 'run.json'));
    const cfg8 = simConfig('adopt', (c) => ((c as Record<string, unknown>).seed = 8), 'adopt-seed8');
    await expectExit2(['simulate', '--config', cfg8, '--quiet'], /invalid --out.*--adopt.*no run\.json/);
    const cfgLevels = simConfig('adopt', (c) => ((c as Record<string, unknown>).levels = [2, 3, 5]), 'adopt-levels');
    await expectExit2(['simulate', '--config', cfgLevels, '--adopt', '--quiet'], /results\.jsonl line 1: field cells\[\d\]\.m = 4/);
    expect((await runCli(['simulate', '--config', cfg, '--adopt', '--workers', '1', '--quiet'])).code).toBe(0);
    expect(existsSync(join(out, 'run.json'))).toBe(true);
  }, 120_000);

  it('a corrupt run.json is exit 2 naming the file (was "unexpected error: Unexpected token")', async () => {
    const cfg = simConfig('corrupt');
    expect((await runCli(['simulate', '--config', cfg, '--workers', '1', '--quiet'])).code).toBe(0);
    writeFileSync(join(tmp, 'corrupt', 'run.json'), '{"planIdentity": \n');
    await expectExit2(['simulate', '--config', cfg, '--quiet'], /malformed JSON in .*corrupt\/run\.json/);
    const sweepRun = join(tmp, 'sweep-corrupt');
    mkdirSync(sweepRun, { recursive: true });
    writeFileSync(join(sweepRun, 'run.json'), 'not json');
    await expectExit2(['sweep', '--config', 'sims/fashion-mnist-cpu.json', '--run', sweepRun, '--resume', '--quiet'], /malformed JSON in .*sweep-corrupt\/run\.json/);
  }, 120_000);

  it('sweep --resume on a --run that holds no run is refused (was: silently started afresh)', async () => {
    await expectExit2(['sweep', '--config', 'sims/fashion-mnist-cpu.json', '--run', join(tmp, 'nothing-here'), '--resume', '--quiet'], /invalid --run.*no run\.json.*--resume-or-start/);
  });
});

describe('rows read back are validated', () => {
  const base = 'rows';
  it('cells: [] (was counted as a repetition: summary 5, stdout 6) and excess: ["abc"] (was a silently changed score) are refused', async () => {
    const cfg = simConfig(base);
    const file = join(tmp, base, 'results.jsonl');
    const first = await runCli(['simulate', '--config', cfg, '--workers', '1', '--quiet']);
    expect(first.code).toBe(0);
    const good = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
    const bad = (row: Record<string, unknown>): void => writeFileSync(file, [...good.slice(0, 2), JSON.stringify(row), ...good.slice(3)].join('\n') + '\n');
    const third = JSON.parse(good[2]) as { key: string; rep: number; cells: { excess: unknown[] }[] };
    bad({ ...third, cells: [] });
    await expectExit2(['simulate', '--config', cfg, '--quiet'], /results\.jsonl line 3: field cells = "0 cells" \(valid: 9 cells/);
    const withText = structuredClone(third);
    withText.cells[1].excess[0] = 'abc';
    bad(withText);
    await expectExit2(['simulate', '--config', cfg, '--quiet'], /line 3: field cells\[1\]\.excess\[0\] = "abc" \(valid: a finite number\)/);
    // Restored: stdout's count equals the summary's.
    writeFileSync(file, good.join('\n') + '\n');
    const ok = await runCli(['simulate', '--config', cfg, '--quiet']);
    expect(ok.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(tmp, base, 'summary.json'), 'utf8')) as { reps: number; cells: { reps: number }[] };
    expect(ok.stdout).toMatch(new RegExp(`simulate: ${summary.reps} repetitions`));
    expect(summary.cells.every((c) => c.reps === summary.reps)).toBe(true);
  }, 120_000);
});
