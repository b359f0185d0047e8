import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_SUMMARIES } from '../src/cli/registry.js';
import { parseCsvTable, isCsvIdentifier } from '../src/io/csv.js';
import { repoRoot } from '../src/provenance.js';
import { deterministicRisk } from '../src/theory/deterministicRisk.js';
import { jsonLines } from './jsonLines.js';

/**
 * The machine-output contract (README "Output contract"), command by command, through the
 * real CLI: --json is compact JSON lines that parse, --format csv parses with identifier
 * headers, "-" reads stdin, warnings stay off stdout.
 */
const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-contract-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), ...args], { cwd: repoRoot, encoding: 'utf8', input, timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function csvOf(stdout: string): { header: string[]; rows: string[][] } {
  const t = parseCsvTable(stdout, 'stdout');
  for (const h of t.header) expect(isCsvIdentifier(h), `CSV header ${JSON.stringify(h)} is an identifier`).toBe(true);
  return { header: t.header, rows: t.records.map((r) => r.cells) };
}

/** Observations of a known law Err = 0.1 + 2 n^-0.5 + 3 L^-0.7, with small deterministic wiggles. */
function lawCsv(): string {
  const lines = ['n,L,error'];
  let k = 0;
  for (const n of [100, 300, 1000, 3000, 10000]) {
    for (const L of [10, 30, 100, 300]) lines.push(`${n},${L},${0.1 + 2 * n ** -0.5 + 3 * L ** -0.7 + 1e-4 * Math.sin(++k)}`);
  }
  return lines.join('\n') + '\n';
}

describe('every command: --json lines parse', () => {
  it('the command registry lists exactly the command modules, with their summaries', async () => {
    const files = readdirSync(join(repoRoot, 'src', 'cli', 'commands')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3)).sort();
    expect(Object.keys(COMMAND_SUMMARIES).sort()).toEqual(files);
    for (const name of files) {
      const mod = (await import(`../src/cli/commands/${name}.ts`)) as { summary: string };
      expect(mod.summary).toBe(COMMAND_SUMMARIES[name]);
    }
  });

  it('exponents: one line; csv: one row', () => {
    const [e] = jsonLines(cli(['exponents', '--json']).stdout);
    expect(e.regime).toBe('bias-limited');
    const c = csvOf(cli(['exponents', '--format', 'csv']).stdout);
    expect(c.header).toContain('alphaOptimal');
    expect(c.rows).toHaveLength(1);
  });

  it('risk: one line per point; --grid - streams stdin, quoted header, BOM and CRLF accepted; csv output', () => {
    const [one] = jsonLines(cli(['risk', '--n', '1000', '--m', '5', '--lambda', '2', '--json']).stdout);
    expect(one.risk).toBe(deterministicRisk({ p: 2.01, q: 2, r: 0.99, tau: 1 }, { n: 1000, m: 5, lambda: 2 }).risk);
    const grid = '\uFEFF"p","q","r","tau","n","m","lambda"\r\n2.01,2,0.99,1,1000,5,2\r\n2.01,2,0.99,1,100,3,opt\r\n';
    const r = cli(['risk', '--grid', '-', '--json'], grid);
    expect(r.status, r.stderr).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows.map((x) => x.n)).toEqual([1000, 100]);
    expect(rows[0]).toEqual(one);
    const c = csvOf(cli(['risk', '--grid', '-', '--format', 'csv'], grid).stdout);
    expect(c.header).toEqual(Object.keys(one));
    expect(Number(c.rows[0][c.header.indexOf('risk')])).toBe(one.risk);
  });

  it('risk --grid: a bad row stops with one line naming its row, or --skip-invalid counts it on stderr', () => {
    const grid = 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,100,3,1\n2.01,2,0.99,1,0.5,3,1\n2.01,2,0.99,1,200,3,1\n';
    const stop = cli(['risk', '--grid', '-', '--json'], grid);
    expect(stop.status).toBe(2);
    expect(stop.stderr.trim().split('\n')).toHaveLength(1);
    expect(stop.stderr).toMatch(/stdin row 2 \(line 3\) column n: 0\.5/);
    expect(jsonLines(stop.stdout)).toHaveLength(1);
    const skip = cli(['risk', '--grid', '-', '--json', '--skip-invalid'], grid);
    expect(skip.status).toBe(0);
    expect(jsonLines(skip.stdout).map((x) => x.n)).toEqual([100, 200]);
    expect(skip.stderr).toMatch(/skipped 1 invalid row\(s\) of 3/);
    expect(cli(['risk', '--grid', '-', '--json', '--skip-invalid', '--quiet'], grid).stderr).toBe('');
  });

  it('risk --grid: the byte-level path (plain numbers) and the text path (quoted cells) write identical rows; row numbers hold across the switch', () => {
    const rows = ['2.01,2,0.99,1,1000,5,2', '2.01,2,0.99,1,100,3,opt', '3,2,0.5,0.25,64,4,0', '2.01,2,0.99,1,1e4,9,1.5e-3', '2.01,2,0.99,1,0.5,3,1', '2.01,2,0.99,1,300,6,0.001'];
    const plain = 'p,q,r,tau,n,m,lambda\n' + rows.join('\n'); // no final newline
    const quoted = 'p,q,r,tau,n,m,lambda\r\n' + rows.map((r) => r.split(',').map((c) => `"${c}"`).join(',')).join('\r\n') + '\r\n';
    for (const format of ['json', 'csv']) {
      const a = cli(['risk', '--grid', '-', '--format', format, '--skip-invalid'], plain);
      const b = cli(['risk', '--grid', '-', '--format', format, '--skip-invalid'], quoted);
      expect(a.status, a.stderr).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stderr).toMatch(/skipped 1 invalid row\(s\) of 6 \(first: invalid stdin row 5 \(line 6\) column n: "?0\.5/);
      expect(b.stderr).toBe(a.stderr);
    }
    const one = jsonLines(cli(['risk', '--grid', '-', '--json', '--skip-invalid'], plain).stdout);
    expect(one).toHaveLength(5);
    expect(one[3].risk).toBe(deterministicRisk({ p: 2.01, q: 2, r: 0.99, tau: 1 }, { n: 1e4, m: 9, lambda: 1.5e-3 }).risk);
    // A quote half-way switches to the general reader; the error still names the right row and line.
    const mixed = 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,100,3,1\n"2.01",2,0.99,1,"200",3,1\n# note\n2.01,2,0.99,1,300,x,1\n';
    const stop = cli(['risk', '--grid', '-', '--format', 'csv'], mixed);
    expect(stop.status).toBe(2);
    expect(stop.stderr.trim().split('\n')).toHaveLength(1);
    expect(stop.stderr).toMatch(/stdin row 3 \(line 5\) column m/);
    expect(csvOf(stop.stdout).rows.map((r) => r[4])).toEqual(['100', '200']);
  });

  it('fit --in - reads stdin and prints one compact line per task; optimize --law - reads it back: one line per budget, csv headers are identifiers', () => {
    const fit = cli(['fit', '--in', '-', '--json', '--bootstrap', '0'], lawCsv());
    expect(fit.status, fit.stderr).toBe(0);
    const [law] = jsonLines(fit.stdout);
    expect(law.task).toBe('-');
    expect((law.params as { alpha: number }).alpha).toBeCloseTo(0.5, 1);
    const opt = cli(['optimize', '--law', '-', '--storage', '1e5,1e6', '--original-bytes', '500', '--json'], fit.stdout);
    expect(opt.status, opt.stderr).toBe(0);
    const budgets = jsonLines(opt.stdout);
    expect(budgets.map((b) => b.storage)).toEqual([1e5, 1e6]);
    // A law file saved by a Windows editor (UTF-8 BOM, CRLF) reads the same (was: "not JSON").
    const bom = cli(['optimize', '--law', '-', '--storage', '1e5,1e6', '--original-bytes', '500', '--json'], '\ufeff' + fit.stdout.replace(/\n/g, '\r\n'));
    expect(bom.status, bom.stderr).toBe(0);
    expect(jsonLines(bom.stdout).map((b) => b.n)).toEqual(budgets.map((b) => b.n));
    const c = csvOf(cli(['optimize', '--law', '-', '--storage', '1e5', '--original-bytes', '500', '--format', 'csv'], fit.stdout).stdout);
    expect(c.header).toContain('original_format_n');
    const fitCsv = csvOf(cli(['fit', '--in', '-', '--format', 'csv', '--bootstrap', '0'], lawCsv()).stdout);
    expect(fitCsv.rows).toHaveLength(1);
  });

  it('optimize --stylized: one line; csv: one row per budget', () => {
    const [s] = jsonLines(cli(['optimize', '--stylized', '--storage', '1e4,1e5,1e6', '--json']).stdout);
    expect(Array.isArray(s.rows)).toBe(true);
    expect(csvOf(cli(['optimize', '--stylized', '--storage', '1e4,1e5,1e6', '--format', 'csv']).stdout).rows).toHaveLength(3);
  });

  it('simulate: one line for a point and for a config run (with --set recorded in run.json)', () => {
    const [pt] = jsonLines(cli(['simulate', '--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1', '--n', '50', '--m', '3', '--lambda', '1', '--reps', '4', '--seed', '1', '--workers', '1', '--json']).stdout);
    expect(pt.reps).toBe(4);
    const cfg = JSON.parse(readFileSync(join(repoRoot, 'sims', 'fig6.json'), 'utf8'));
    cfg.levels = [2, 3];
    cfg.simulation = { ...cfg.simulation, n: { from: 50, to: 200, count: 3, floor: true }, reps: 1, validationSize: 200, testSize: 200 };
    cfg.lambda.lambda0.count = 4;
    const out = join(tmp, 'sim');
    const r = cli(['simulate', '--config', '-', '--set', 'simulation.reps=2', '--out', out, '--figures', join(tmp, 'simfigs'), '--workers', '1', '--json'], JSON.stringify(cfg));
    expect(r.status, r.stderr).toBe(0);
    const [o] = jsonLines(r.stdout);
    expect(o.runDir).toBe(out);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.reps).toBe(2);
    expect(run.config.overrides).toEqual(['simulation.reps=2']);
    expect(run.config.$schema).toBe('../schemas/stylized-config.schema.json');
    const bad = cli(['simulate', '--config', 'sims/fig6.json', '--set', 'simulation.rep=2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/config\.simulation\.rep.*unknown field/);
  });

  it('every --set example in the help of simulate, theory and sweep applies to the shipped config (was trainer.kind, not a field)', async () => {
    const { parseOverrides, applyOverrides } = await import('../src/config/overrides.js');
    const { parseStylizedConfig } = await import('../src/config/fig6Config.js');
    const { parseSweepConfig } = await import('../src/sweep/config.js');
    const shipped = (f: string): unknown => JSON.parse(readFileSync(join(repoRoot, 'sims', f), 'utf8'));
    const cases: [string, () => unknown, (j: unknown) => unknown][] = [
      ['simulate', () => shipped('fig6.json'), parseStylizedConfig],
      ['theory', () => shipped('fig6.json'), parseStylizedConfig],
      ['sweep', () => shipped('fashion-mnist-cpu.json'), parseSweepConfig],
    ];
    for (const [command, config, parse] of cases) {
      const examples = [...cli([command, '--help']).stdout.matchAll(/--set ([a-z][\w.]*=\S+)/g)].map((m) => m[1].replace(/[;,]$/, '')).filter((e) => e !== 'key.path=value');
      expect(examples.length, command).toBeGreaterThan(0);
      for (const e of examples) expect(() => parse(applyOverrides(config(), parseOverrides([e]))), `${command} --set ${e}`).not.toThrow();
    }
  });

  it('theory: one line; csv: the curve rows', () => {
    const out = join(tmp, 'theory');
    const [t] = jsonLines(cli(['theory', '--config', 'sims/fig6.json', '--set', 'levels=[2,3]', '--out', out, '--no-figures', '--json']).stdout);
    expect(t.rows).toBe(2 * 46);
    expect(csvOf(cli(['theory', '--config', 'sims/fig6.json', '--set', 'levels=[2]', '--out', out, '--no-figures', '--format', 'csv']).stdout).rows).toHaveLength(46);
  });

  it('codec quality and dataset info: JSON lines and csv', () => {
    const q = jsonLines(cli(['codec', 'quality', '--distances', '0,1,15', '--json']).stdout);
    expect(q.map((x) => x.distance)).toEqual([0, 1, 15]);
    expect(csvOf(cli(['codec', 'quality', '--distances', '0,1', '--format', 'csv']).stdout).rows).toHaveLength(2);
    const info = cli(['dataset', 'info', '--json']);
    if (info.status === 0) {
      const [d] = jsonLines(info.stdout);
      expect(d.classNames).toHaveLength(10);
      expect(csvOf(cli(['dataset', 'info', '--format', 'csv']).stdout).rows).toHaveLength(10);
    } else {
      expect(info.stderr).toMatch(/fashion-mnist|dataset/i);
    }
  });

  it('report: one line, problems on stderr only', () => {
    const r = cli(['report', '--run', join(repoRoot, 'results', 'fashion-mnist-cpu'), '--out', join(tmp, 'report'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [o] = jsonLines(r.stdout);
    expect(typeof o.htmlPath).toBe('string');
  });

  it('sweep plan --config - reads stdin (was: "cannot read config -: ENOENT") and --json is one line', () => {
    const c = JSON.parse(readFileSync(join(repoRoot, 'sims', 'fig6.json'), 'utf8')) as Record<string, unknown>;
    const out = join(tmp, 'stdin-bundle');
    const r = cli(['sweep', 'plan', '--config', '-', '--out', out, '--reps-per-job', '25', '--quiet', '--json'], '\ufeff' + JSON.stringify(c));
    expect(r.status, r.stderr).toBe(0);
    const [b] = jsonLines(r.stdout);
    expect(b).toMatchObject({ bundle: out, jobs: 2 });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('sweep: one line, --set recorded in run.json', () => {
    const config = {
      name: 'contract-tiny',
      dataset: { kind: 'fashion-mnist' },
      trainer: 'ridge',
      trainerOptions: { lambdaGrid: [0.1, 1] },
      seed: 3,
      split: { validationSize: 30, poolSize: 60, testSize: 40 },
      codec: { cacheDir: join(tmp, 'cache'), workers: 1 },
      grid: { fractions: [0.5, 1], distances: [0, 2, 15], seeds: 2 },
      fit: {},
      figures: { prefix: 'tiny-', png: false },
    };
    const path = join(tmp, 'sweep.json');
    writeFileSync(path, JSON.stringify(config));
    const runDir = join(tmp, 'sweep-run');
    const r = cli(['sweep', '--config', path, '--set', 'grid.seeds=1', '--run', runDir, '--quiet', '--json']);
    if (r.status !== 0 && /fashion-mnist/i.test(r.stderr) && /not found|missing|install/i.test(r.stderr)) return; // dataset not installed here
    expect(r.status, r.stderr).toBe(0);
    const [o] = jsonLines(r.stdout);
    expect(o.jobsRun).toBe(2 * 3);
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).config.overrides).toEqual(['grid.seeds=1']);
  });
});
