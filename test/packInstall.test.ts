import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/provenance.js';
import { probePython } from '../src/trainers/torch/python.js';

/**
 * The package as a stranger gets it: `npm pack` (dist/ is built by the global setup), the
 * tarball installed with production dependencies only into an empty project, then used there
 * without tsx and without this repository: imported from plain Node, type-checked by a strict
 * consumer under `tsc --init` defaults, the installed CLI run, the report built from the
 * installed copy's figures, and the torch worker's hello through the installed launcher.
 * npm installs from its cache (--offline, as CI after `npm ci`), falling back to the registry.
 */
const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-pack-'));
const proj = join(tmp, 'consumer');
let tarball = '';
let files: string[] = [];
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? proj, encoding: 'utf8', input: opts.input, timeout: 600_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function duMiB(dir: string): number {
  return Number(execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0]);
}

beforeAll(() => {
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repoRoot });
  expect(pack.status, pack.stderr).toBe(0);
  const info = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, info[0].filename);
  files = info[0].files.map((f) => f.path);
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const base = ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tarball];
  let inst = run('npm', [...base, '--offline']);
  if (inst.status !== 0 && /ENOTCACHED/.test(inst.stderr)) inst = run('npm', [...base, '--prefer-offline']);
  expect(inst.status, inst.stderr).toBe(0);
}, 900_000);

describe('the npm package, installed from its tarball', () => {
  it('ships dist (JS + declarations + wasm), worker/, LICENSE, docs, schemas and configs, not sources or committed results', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/simulate/wasm/kernels.wasm', 'dist/model/wasm/sampler.wasm', 'dist/cli/commands/wasm/riskGridBatch.wasm', 'bin/lossyscale.js', 'LICENSE', 'README.md', 'docs/THEORY.md', 'worker/lossyscale_worker/serve.py', 'schemas/sweep-config.schema.json', 'sims/fig6.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.endsWith('.vl.json')), 'figure specs for the report').toBe(true);
    for (const f of files) {
      expect(f.startsWith('src/') || f.startsWith('test/') || f.startsWith('sims/results/') || f.startsWith('results/') || f.endsWith('.map') || f.includes('tsbuildinfo'), f).toBe(false);
    }
  });

  it('the production install is at most 150 MB', () => {
    const mib = duMiB(join(proj, 'node_modules'));
    expect(mib).toBeLessThanOrEqual(150);
    expect(readdirSync(join(proj, 'node_modules'))).not.toContain('tsx');
  });

  it('plain node imports the root entry and a subpath', () => {
    writeFileSync(
      join(proj, 'use.mjs'),
      `import { deterministicRisk, exponents, optimalLambda, solveFixedPoint, simulate, fitLaw, optimalAllocation, InputError } from 'lossyscale';
import { optimalRisk } from 'lossyscale/theory';
const p = { p: 2.01, q: 2, r: 0.99, tau: 1 };
let bad = '';
try { deterministicRisk(p, { n: 0, m: 3, lambda: 1 }); } catch (e) { bad = e instanceof InputError ? e.param : 'other'; }
console.log(JSON.stringify({ risk: deterministicRisk(p, { n: 1000, m: 5, lambda: 2 }).risk, regime: exponents(p).regime, lambda: optimalLambda(p, 1000, 5), opt: optimalRisk(p, 1000, 5).lambda, fns: [solveFixedPoint, simulate, fitLaw, optimalAllocation].map((f) => typeof f), bad }));
`,
    );
    const r = run(process.execPath, ['use.mjs']);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.regime).toBe('bias-limited');
    expect(o.lambda).toBe(o.opt);
    expect(o.fns).toEqual(['function', 'function', 'function', 'function']);
    expect(o.bad).toBe('n');
  });

  it('a strict consumer type-checks under `tsc --init` defaults', () => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(run(process.execPath, [tsc, '--init']).status).toBe(0);
    writeFileSync(
      join(proj, 'consumer.mts'),
      `import { deterministicRisk, exponents, fitLaw, optimalAllocation, simulate, InputError, type ModelParams, type RiskParts, type LawFit, type Allocation, type Exponents, type SimulateResult } from 'lossyscale';
const p: ModelParams = { p: 2.01, q: 2, r: 0.99, tau: 1 };
const r: RiskParts = deterministicRisk(p, { n: 1000, m: 5, lambda: 2 });
const e: Exponents = exponents(p);
const rows = [100, 1000, 10000].flatMap((n) => [10, 100, 1000].map((L) => ({ n, L, error: 0.1 + n ** -0.5 + L ** -0.7 })));
const fit: LawFit = fitLaw(rows, { bootstrap: 0 });
const a: Allocation = optimalAllocation(fit, 1e6);
const later: (c: Parameters<typeof simulate>[0]) => Promise<SimulateResult> = simulate;
if (new InputError('x', 1, 'y') instanceof Error) console.log(r.risk.toFixed(3), e.regime, a.n, typeof later);
`,
    );
    const r = run(process.execPath, [tsc, '--noEmit', '-p', '.']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('the installed CLI runs without tsx: help, exponents, risk from stdin, and a report that finds its figures', () => {
    const bin = join(proj, 'node_modules', '.bin', 'lossyscale');
    expect(run(bin, ['--help']).stdout).toMatch(/commands:/);
    expect(JSON.parse(run(bin, ['exponents', '--json']).stdout).regime).toBe('bias-limited');
    // Rows of one (model, m) after the first go through the WebAssembly kernel: the same bytes as this checkout's CLI.
    const grid = 'p,q,r,tau,n,m,lambda\n' + Array.from({ length: 50 }, (_, i) => `2.01,2,0.99,1,${1000 + i},5,${(0.5 + i / 7).toFixed(4)}\n`).join('');
    const risk = run(bin, ['risk', '--grid', '-', '--format', 'csv'], { input: grid });
    expect(risk.status, risk.stderr).toBe(0);
    expect(risk.stdout.split('\n')[0]).toMatch(/^p,q,r,tau,n,m,L,lambda,/);
    const here = run(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), 'risk', '--grid', '-', '--format', 'csv'], { input: grid });
    expect(risk.stdout === here.stdout && risk.stdout.split('\n').length === 52).toBe(true);
    expect(risk.stderr).toBe(''); // the kernel loaded (else a warning says so)
    const rep = run(bin, ['report', '--out', join(tmp, 'report'), '--json']);
    expect(rep.status, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout).figures.length).toBeGreaterThanOrEqual(5);
  });

  it("the torch worker's hello through the installed launcher (where python3 has torch)", async () => {
    const py = probePython('/usr/bin/python3');
    if (!('torch' in py)) return; // no torch on this machine: nothing to start
    writeFileSync(
      join(proj, 'hello.mjs'),
      `import { launchWorker, workerPackageDir } from 'lossyscale/torch';
const w = await launchWorker({ device: 'cpu', python: '/usr/bin/python3' });
console.log(JSON.stringify({ dir: workerPackageDir, device: w.hello.device, torch: w.hello.torch }));
await w.shutdown();
`,
    );
    const r = run(process.execPath, ['hello.mjs']);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(o.dir).toBe(join(proj, 'node_modules', 'lossyscale', 'worker'));
    expect(o.device).toBe('cpu');
    expect(o.torch).toMatch(/^\d+\.\d+/);
  });
});
