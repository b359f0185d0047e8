import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicRisk } from '../src/theory/deterministicRisk.js';
import { optimalRisk } from '../src/theory/optimalLambda.js';

/** CLI contracts (docs/architecture.md, output contracts): `node bin/lossyscale.js risk|exponents|theory`. */

const root = join(__dirname, '..');
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'lossyscale.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const RISK_FIELDS = ['n', 'm', 'L', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk'];
const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-theory-cli-'));

describe('lossyscale risk', () => {
  it('prints one JSON object with the contract fields (single point)', () => {
    const r = cli('risk', '--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1', '--n', '7503', '--m', '7', '--lambda', '755.84', '--json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]);
    for (const f of RISK_FIELDS) expect(typeof o[f]).toBe('number');
    const want = deterministicRisk({ p: 2.01, q: 2, r: 0.99, tau: 1 }, { n: 7503, m: 7, lambda: 755.84 });
    expect(o.risk).toBe(want.risk); // same double: JSON round-trips exactly
    expect(o.L).toBe(127);
    expect(o.variance).toBeCloseTo((1 + o.compression) * o.varianceFactor, 15);
  });

  it('--lambda opt reports the minimising lambda', () => {
    const r = cli('risk', '--n', '7503', '--m', '7', '--lambda', 'opt', '--json');
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.lambda).toBeGreaterThan(0);
    expect(o.risk).toBe(optimalRisk({ p: 2.01, q: 2, r: 0.99, tau: 1 }, 7503, 7).risk);
  });

  it('--grid FILE.csv: one JSON object per row, in input order, any column order', () => {
    const file = join(tmp, 'grid.csv');
    writeFileSync(file, 'm,n,lambda,p,q,r,tau\n9,1000,0,2.01,2,0.99,1\n2,100,5,4,2,0.1,0.5\n7,7503,opt,2.01,2,0.99,1\n3,10,1e-300,2.01,2,0.99,0\n');
    const r = cli('risk', '--grid', file, '--json');
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((o) => [o.m, o.n])).toEqual([[9, 1000], [2, 100], [7, 7503], [3, 10]]);
    for (const o of rows) for (const f of RISK_FIELDS) expect(typeof o[f]).toBe('number');
    expect(rows[0].lambdaStar).toBe(0); // ridgeless n > L
    expect(rows[1].p).toBe(4);
    const table = cli('risk', '--grid', file);
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/lambdaStar/);
  });

  it.each([
    [['risk', '--p', '2', '--q', '2', '--r', '1', '--n', '10', '--m', '3', '--lambda', '1'], /invalid p: 2 \(valid: p > q = 2/],
    [['risk', '--r', '2.5', '--n', '10', '--m', '3', '--lambda', '1'], /invalid r: 2.5 \(valid: 0 < r < p = 2.01/],
    [['risk', '--n', '0.5', '--m', '3', '--lambda', '1'], /invalid n: 0.5 \(valid: 1 <= n <= 1e300/],
    [['risk', '--n', '10', '--m', '3', '--lambda=-1'], /invalid --lambda: "-1" \(valid: lambda >= 0/],
    [['risk', '--n', '10', '--m', '3'], /invalid lambda: missing/],
    [['exponents', '--p', '1.5'], /invalid p: 1.5/],
  ])('bad input %j: exit 2 and one stderr line naming parameter, value and range', (args, pattern) => {
    const r = cli(...(args as string[]));
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(lines[0]).toMatch(/valid/);
  });

  it('malformed CSV row: exit 2 naming the line and column', () => {
    const file = join(tmp, 'bad.csv');
    writeFileSync(file, 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,100,3,1\n2.01,2,abc,1,100,3,1\n');
    const r = cli('risk', '--grid', file, '--json');
    expect(r.status).toBe(2);
    // Streaming: the rows before the bad one are written, then one error line names its row.
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).n)).toEqual([100]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.csv row 2 \(line 3\) column r: "abc" \(valid: a decimal number/);
    writeFileSync(file, 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,100,3\n');
    const short = cli('risk', '--grid', file);
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/line 2.*7 comma-separated values/);
  });
});

describe('lossyscale exponents and theory', () => {
  it('exponents --json prints the contract fields', () => {
    const r = cli('exponents', '--p', '2.01', '--q', '2', '--r', '0.99', '--json');
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Object.keys(o)).toEqual(['kappa', 'beta', 's', 'alphaTheorem', 'alphaOptimal', 'nuTheorem', 'nuOptimal', 'regime']);
    expect(o.regime).toBe('bias-limited');
    expect(o.alphaOptimal).toBeCloseTo(0.5054, 4);
  });

  it('theory --config sims/fig6.json writes the curves CSV, run.json and both figures', () => {
    const out = join(tmp, 'theory');
    const figs = join(tmp, 'figs');
    const r = cli('theory', '--config', 'sims/fig6.json', '--out', out, '--figures', figs, '--json');
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.rows).toBe(46 * 8);
    const csv = readFileSync(join(out, 'theory.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('n,m,L,lambda0,lambda,lambdaStar,bias,variance,compression,risk,excess');
    expect(csv).toHaveLength(1 + 46 * 8);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).config.name).toBe('fig6');
    for (const name of ['fig6-theory-vs-n', 'fig6-theory-vs-L']) {
      for (const ext of ['vl.json', 'svg', 'png']) expect(existsSync(join(figs, `${name}.${ext}`))).toBe(true);
    }
    const bad = cli('theory', '--config', join(tmp, 'missing.json'));
    expect(bad.status).toBe(2);
  });

  it('a config whose out is an absolute path outside the repo: curves in <out>-theory, figures in <out>-theory/figures (were: under the repo, tmp/... and the committed figures/)', () => {
    const c = JSON.parse(readFileSync(join(root, 'sims', 'fig6.json'), 'utf8')) as Record<string, unknown>;
    const out = join(tmp, 'abs-out');
    const cfg = join(tmp, 'abs.json');
    writeFileSync(cfg, JSON.stringify({ ...c, name: 'abs', levels: [2, 3], theory: { n: { from: 100, to: 1000, count: 3 } }, out }));
    const r = cli('theory', '--config', cfg, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out + '-theory', 'theory.csv'))).toBe(true);
    expect(existsSync(join(out + '-theory', 'figures', 'abs-theory-vs-n.vl.json'))).toBe(true);
    expect(existsSync(join(root, out.slice(1) + '-theory'))).toBe(false);
    expect(existsSync(join(root, 'figures', 'abs-theory-vs-n.vl.json'))).toBe(false);
  });
});
