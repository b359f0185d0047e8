import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, textLines, expectExit2 } from './cliHarness.js';

/**
 * User-caused failures exit 2 with one line naming the file or parameter (exit 1 is left for
 * bugs): the cases of the bad-input audit that exited 1, printed two lines or took a wrong
 * value.
 */
const tmp = mkdtempSync(join(tmpdir(), 'exitcodes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const aFile = join(tmp, 'a-file');
writeFileSync(aFile, 'x');
const fitCsv = join(tmp, 'obs.csv');
writeFileSync(fitCsv, ['n,L,error', ...[100, 200, 400, 800].flatMap((n) => [10, 20, 40].map((L) => `${n},${L},${(0.1 + 2 * n ** -0.5 + 0.5 * L ** -0.7).toFixed(6)}`))].join('\n') + '\n');


describe('exit 2 and one line for user-caused failures', () => {
  it('--out is a file', async () => {
    await expectExit2(['simulate', '--config', 'sims/fig6.json', '--out', aFile], /invalid --out: ".*a-file".*it is a file/);
    await expectExit2(['optimize', '--stylized', '--storage-grid', '1e3,1e6,3', '--out', aFile], /a-file/);
  });
  it('optimize --stylized with fewer than 3 budgets names the flag (was "invalid storages")', async () => {
    await expectExit2(['optimize', '--stylized', '--storage', '1e4,1e5'], /^lossyscale: invalid --storage: "1e4,1e5" \(valid: at least 3 budgets with --stylized\)/);
  });
  it('fit --out is a directory', async () => {
    await expectExit2(['fit', '--in', fitCsv, '--out', tmp], new RegExp(`cannot (open|write --out) ${tmp}`));
  });
  it('the codec cache directory is a file', async () => {
    await expectExit2(['codec', 'sizes', '--limit', '3', '--distances', '1', '--cache', aFile], /cannot create the folder .*a-file.*a part of the path is a file/);
  });
  it('a config starting with a UTF-8 BOM is read; a malformed config is one line naming it', async () => {
    const bom = join(tmp, 'bom.json');
    const c = JSON.parse(readFileSync('sims/fig6.json', 'utf8')) as Record<string, unknown>;
    writeFileSync(bom, '\ufeff' + JSON.stringify({ ...c, out: join(tmp, 'bom-out') }, null, 2));
    const r = await runCli(['theory', '--config', bom, '--no-figures']);
    expect(r.code, r.stderr).toBe(0);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '\ufeff{\n  "name": "x",\n  oops\n}\n');
    await expectExit2(['theory', '--config', bad, '--no-figures'], /malformed config .*bad\.json/);
  });
  it('--lambda -1 with a space gets the valid range (was: the whole argv and "argument is ambiguous")', async () => {
    await expectExit2(['risk', '--n', '10', '--m', '3', '--lambda', '-1'], /^lossyscale: invalid --lambda: "-1" \(valid: lambda >= 0/);
    const ok = await runCli(['optimize', '--stylized', '--storage-grid', '1e3,1e5,3', '--json']);
    expect(ok.code).toBe(0);
    // A negative value is still a value, not a flag, wherever a number goes.
    await expectExit2(['simulate', '--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1', '--n', '-5', '--m', '3', '--lambda', '1'], /invalid --n: "-5"/);
  });
  it('numbers are decimal only: 0x10, 0b11, 1_000 and Infinity are refused, 1e3 and .5 accepted', async () => {
    for (const v of ['0x10', '0b11', '0o7', '1_000', 'Infinity', '1e', '--']) {
      await expectExit2(['risk', '--n', v, '--m', '3', '--lambda', '1'], /invalid --n/);
    }
    expect((await runCli(['risk', '--n', '1e3', '--m', '3', '--lambda', '.5', '--json'])).code).toBe(0);
    const hexCsv = join(tmp, 'hex.csv');
    writeFileSync(hexCsv, 'n,L,error\n0x10,10,0.5\n');
    await expectExit2(['fit', '--in', hexCsv], /hex\.csv line 2 column "n": "0x10"/);
  });
  it('no command: one stderr line naming the commands, nothing on stdout (was: the whole help on stdout, nothing on stderr)', async () => {
    const r = await expectExit2([], /^lossyscale: invalid command: missing \(valid: one of codec, dataset, .*lossyscale --help for usage\)$/m);
    expect(r.stdout).toBe('');
    expect((await runCli(['--help'])).stdout).toMatch(/commands:/);
  });
  it('unknown options and switches given values are named', async () => {
    await expectExit2(['risk', '--bogus', '1'], /invalid option: "--bogus" \(valid: --p, /);
    await expectExit2(['risk', '--json=yes', '--n', '10', '--m', '3', '--lambda', '1'], /invalid --json: missing \(valid: no value/);
  });
  it('a value flag given twice is refused, not "last one wins" (which hid a bad first value); a repeated switch or a repeatable flag is fine', async () => {
    await expectExit2(['risk', '--n', '100', '--m', '3', '--lambda', '1', '--n', '200'], /^lossyscale: invalid --n: "100 and 200" \(valid: --n once\); given twice/);
    await expectExit2(['risk', '--n=100', '--n=100', '--m', '3', '--lambda', '1'], /invalid --n: "100 and 100"/);
    await expectExit2(['fit', '--in', fitCsv, '--bootstrap', '-1', '--bootstrap', '0'], /invalid --bootstrap: "-1 and 0"/);
    expect((await runCli(['risk', '--n', '100', '--m', '3', '--lambda', '1', '--quiet', '--quiet', '--json'])).code).toBe(0);
    const twice = await runCli(['fit', '--in', fitCsv, '--in', fitCsv, '--bootstrap', '0', '--json']);
    expect(twice.code, twice.stderr).toBe(0);
    expect(textLines(twice.stdout)).toHaveLength(2);
  });
  it('seeds are exact integers, at most 2^53 - 1 (was: fit --seed 1e20 and dataset --seed 1e20 accepted; above 2^53 two seeds are one double)', async () => {
    await expectExit2(['fit', '--in', fitCsv, '--bootstrap', '0', '--seed', '1e20'], /invalid --seed: "1e20" \(valid: an integer 0\.\.9007199254740991\)/);
    await expectExit2(['dataset', 'info', '--seed', '9007199254740993'], /invalid --seed: "9007199254740993" \(valid: an integer 0\.\.9007199254740991\)/);
    expect((await runCli(['fit', '--in', fitCsv, '--bootstrap', '0', '--seed', '9007199254740991', '--quiet'])).code).toBe(0);
  });
  it('risk --threads names its whole range for words too (was: "a decimal number" for AUTO or nan)', async () => {
    const grid = join(tmp, 'grid.csv');
    writeFileSync(grid, 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,100,3,1\n');
    for (const v of ['AUTO', 'nan', '0x2', '0', '17']) await expectExit2(['risk', '--grid', grid, '--threads', v], /invalid --threads: ".*" \(valid: an integer 1\.\.16, or "auto"\)$/m);
    expect((await runCli(['risk', '--grid', grid, '--threads', '2', '--json'])).code).toBe(0);
    expect((await runCli(['risk', '--grid', grid, '--threads', '1e1', '--json'])).code).toBe(0);
  });
  it('a slurm.json or bundle manifest.json holding null is exit 2 naming it (was: exit 1, "Cannot read properties of null")', async () => {
    const run = join(tmp, 'slurm-null');
    mkdirSync(join(run, 'slurm'), { recursive: true });
    writeFileSync(join(run, 'slurm', 'slurm.json'), 'null');
    await expectExit2(['slurm', 'status', run, '--json'], /slurm-null\/slurm\/slurm\.json is not a lossyscale-slurm-run v1 record/);
    await expectExit2(['slurm', 'collect', run], /slurm\.json is not a lossyscale-slurm-run/);
    const bundle = join(tmp, 'bundle-null');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'manifest.json'), 'null');
    writeFileSync(join(bundle, 'results.jsonl'), '{"key":"a","kind":"ridge-mc","result":{}}\n');
    await expectExit2(['sweep', 'ingest', bundle, '--run', join(tmp, 'ingest-null')], /invalid --bundle: ".*bundle-null" \(valid: a lossyscale-bundle v1 bundle\)/);
  });
  it('slurm submit --config: "-" is refused by name (was: "ENOENT"); a config with a UTF-8 BOM is read (was: "not JSON")', async () => {
    await expectExit2(['slurm', 'submit', '--config', '-', '--dry-run'], /invalid --config: "-" \(valid: a config file \(a cluster run records its path; stdin has none\)\)/);
    const bom = join(tmp, 'slurm-bom.json');
    const c = JSON.parse(readFileSync('sims/fig6.json', 'utf8')) as Record<string, unknown>;
    writeFileSync(bom, '\ufeff' + JSON.stringify(c));
    const r = await runCli(['slurm', 'submit', '--config', bom, '--run', join(tmp, 'slurm-bom'), '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'monte-carlo', dryRun: true });
  });
  it('sweep --resume with --resume-or-start is refused (was: silently --resume-or-start, which starts where --resume refuses)', async () => {
    await expectExit2(['sweep', '--config', 'sims/fashion-mnist-cpu.json', '--resume', '--resume-or-start'], /invalid --resume-or-start: true \(valid: either --resume/);
  });
  it('"-" for a directory flag is refused (was: a folder named "-" was created, e.g. report --out -, theory --out -)', async () => {
    const dirHint = /\(valid: a directory \("-" means stdin\/stdout, which cannot hold files\)\)$/m;
    for (const argv of [
      ['report', '--out', '-'], ['report', '--run', aFile, '--run', '-'], ['theory', '--config', 'sims/fig6.json', '--out', '-', '--no-figures'],
      ['theory', '--config', 'sims/fig6.json', '--figures', '-'], ['simulate', '--config', 'sims/fig6.json', '--out', '-'], ['sweep', '--config', 'sims/fashion-mnist-cpu.json', '--run', '-'],
      ['codec', 'sizes', '--cache', '-'], ['dataset', 'info', '--dataset', 'folder', '--root', '-'], ['optimize', '--stylized', '--out', '-'],
      ['fit', '--in', fitCsv, '--residual-figure', '-'], ['sweep', 'plan', '--config', 'sims/fig6.json', '--out', '-'], ['sweep', 'ingest', aFile, '--run', '-'],
      ['plan', '--budget', '1MB', '--out', '-'], ['slurm', 'submit', '--config', 'sims/fig6.json', '--run', '-', '--dry-run'],
    ]) {
      const r = await expectExit2(argv, dirHint);
      expect(r.stderr, argv.join(' ')).toMatch(/invalid --[a-z-]+: "-"/);
    }
    expect(existsSync('-')).toBe(false);
  });
  it('report --run given twice is refused (was: its figures and tables twice in the report)', async () => {
    await expectExit2(['report', '--run', tmp, '--run', `${tmp}/`, '--out', join(tmp, 'rep')], /invalid --run: ".*" \(valid: each run directory once\); given twice/);
  });
  it('an empty flag value is refused (was: --out "" and --figures "" wrote into the current directory, report --run "" read it)', async () => {
    await expectExit2(['theory', '--config', 'sims/fig6.json', '--out', '', '--no-figures'], /^lossyscale: invalid --out: "" \(valid: a non-empty value\)$/m);
    await expectExit2(['theory', '--config', 'sims/fig6.json', '--out', join(tmp, 'th'), '--figures', ''], /invalid --figures: ""/);
    await expectExit2(['report', '--run', '', '--out', join(tmp, 'rep')], /invalid --run: ""/);
    await expectExit2(['fit', '--in', fitCsv, '--task', ' ', '--bootstrap', '0'], /invalid --task: " "/);
    await expectExit2(['risk', '--n', '100', '--m', '3', '--lambda='], /invalid --lambda: ""/);
  });
  it('a read-only output directory (as an unprivileged user, where the machine allows it)', () => {
    const ro = join(tmp, 'ro');
    mkdirSync(ro);
    chmodSync(tmp, 0o755);
    chmodSync(ro, 0o555);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, ['bin/lossyscale.js', 'optimize', '--stylized', '--storage-grid', '1e3,1e5,3', '--out', join(ro, 'study')], { encoding: 'utf8', ...asNobody, env: { ...process.env, HOME: tmp } });
    expect(r.status, r.stderr).toBe(2);
    expect(textLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot create the folder .*ro\/study: permission denied/);
  }, 60_000);
});
