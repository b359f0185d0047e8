import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blasMode, linalgBackend, testedBackends } from '../src/linalg/backend.js';
import { loadOpenBlas } from '../src/linalg/openblas.js';
import { lambdaGrid, validatePlan, type SimulationPlan } from '../src/simulate/plan.js';
import { runRepetition } from '../src/simulate/repetition.js';
import { applyQ, applyQt, solveShiftedTridiagonal, symmetricBlock, syrkUpper, tridiagonalize } from '../src/simulate/kernels.js';
import { createRng } from '../src/util/rng.js';

const U = 2 ** -53; // unit roundoff of binary64
const needBlas = testedBackends().includes('openblas');

function plan(over: Partial<SimulationPlan>): SimulationPlan {
  const base: SimulationPlan = {
    params: { p: 2.01, q: 2, r: 0.99, tau: 1 },
    levels: [2, 3, 5, 6],
    n: [20, 90, 400],
    lambda0: [0.01, 0.1, 1, 10],
    schedule: 'theorem1',
    lambdas: [],
    extraLevels: 3,
    features: 'uniform',
    tail: 'coordinates',
    validationSize: 500,
    testSize: 300,
    scoring: 'sampled',
    lambdaSelection: 'validation',
    seed: 11,
    reps: 1,
    blockRows: 64,
  };
  const p = { ...base, ...over };
  p.lambdas = lambdaGrid(p.params, p.schedule, p.lambda0, p.n);
  return validatePlan(p);
}

describe('linear algebra backend selection', () => {
  it('LOSSYSCALE_BLAS takes auto, on or off and names the variable otherwise', () => {
    expect(blasMode({})).toBe('auto');
    expect(blasMode({ LOSSYSCALE_BLAS: 'OFF' })).toBe('off');
    expect(blasMode({ LOSSYSCALE_BLAS: 'on' })).toBe('on');
    expect(() => blasMode({ LOSSYSCALE_BLAS: 'maybe' })).toThrow(/invalid LOSSYSCALE_BLAS: "maybe" \(valid: auto, on or off\)/);
  });

  it('the environment switch decides the backend of a fresh process', () => {
    const probe = "import('./src/linalg/backend.ts').then((m) => console.log(m.linalgBackend().name))";
    const run = (value: string): string => spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { encoding: 'utf8', env: { ...process.env, LOSSYSCALE_BLAS: value } }).stdout.trim();
    expect(run('off')).toBe('wasm');
    if (needBlas) expect(run('on')).toBe('openblas');
  });
});

describe.runIf(needBlas)('OpenBLAS kernels against the JavaScript kernels', () => {
  const blas = needBlas ? loadOpenBlas() : undefined;

  it('dsyrk equals syrkUpper within the dot-product bound |dG_ij| <= 2 k u sum_k |x_ik x_jk| (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 0, max: 1e6 }), (dim, rows, seed) => {
        const rng = createRng(seed);
        const dp = Math.ceil(dim / 4) * 4;
        const xt = new Float64Array(dp * rows);
        for (let j = 0; j < dim; j++) for (let i = 0; i < rows; i++) xt[j * rows + i] = rng.normal() * 2 ** -(j / 8);
        const gj = new Float64Array(dp * dp);
        syrkUpper(gj, dp, xt, rows, dp, rows);
        const gb = new Float64Array(dim * dim);
        blas!.dsyrk('L', 'T', dim, rows, 1, xt, rows, 0, gb, dim);
        for (let i = 0; i < dim; i++) {
          for (let j = i; j < dim; j++) {
            let abs = 0;
            for (let k = 0; k < rows; k++) abs += Math.abs(xt[i * rows + k] * xt[j * rows + k]);
            // Both are rounded sums of the same k products: each within k u sum|.| of the exact value.
            expect(Math.abs(gb[j + i * dim] - gj[i * dp + j])).toBeLessThanOrEqual(2 * rows * U * abs);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('dsytrd + dormtr ridge solutions equal the JavaScript tridiagonal route within 50 dim u cond(G + lambda I) (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 1e-3, max: 10, noNaN: true }), (dim, seed, lambda) => {
        const rng = createRng(seed);
        const rows = dim + 5;
        const dp = Math.ceil(dim / 4) * 4;
        const xt = new Float64Array(dp * rows);
        for (let j = 0; j < dim; j++) for (let i = 0; i < rows; i++) xt[j * rows + i] = rng.normal();
        const g = new Float64Array(dp * dp);
        syrkUpper(g, dp, xt, rows, dp, rows);
        const b = Float64Array.from({ length: dim }, () => rng.normal());
        // JavaScript route.
        const a = new Float64Array(dim * dim);
        symmetricBlock(g, dp, dim, a);
        const tri = tridiagonalize(a, dim);
        const ut = b.slice();
        applyQt(tri, ut);
        const wj = new Float64Array(dim);
        solveShiftedTridiagonal(tri.diag, tri.off, lambda, ut, wj, new Float64Array(dim));
        applyQ(tri, wj);
        // LAPACK route on the same (row-major upper = column-major lower) matrix.
        const ab = new Float64Array(dim * dim);
        symmetricBlock(g, dp, dim, ab);
        const d = new Float64Array(dim), e = new Float64Array(dim), tau = new Float64Array(dim);
        expect(blas!.dsytrd('L', dim, ab, dim, d, e, tau)).toBe(0);
        const ub = b.slice();
        expect(blas!.dormtr('L', 'T', dim, 1, ab, dim, tau, ub, dim)).toBe(0);
        const wb = new Float64Array(dim);
        solveShiftedTridiagonal(d, e, lambda, ub, wb, new Float64Array(dim));
        expect(blas!.dormtr('L', 'N', dim, 1, ab, dim, tau, wb, dim)).toBe(0);
        // Backward-stable reductions: each solution is within c dim u cond of the exact one.
        let trace = 0;
        for (let i = 0; i < dim; i++) trace += g[i * dp + i];
        const cond = (trace + lambda) / lambda; // >= lambda_max(G + lambda I) / lambda_min
        let num = 0, den = 0;
        for (let i = 0; i < dim; i++) {
          num = Math.max(num, Math.abs(wb[i] - wj[i]));
          den = Math.max(den, Math.abs(wj[i]));
        }
        expect(num).toBeLessThanOrEqual(50 * dim * U * cond * den);
      }),
      { numRuns: 60 },
    );
  });

  it('runs on one thread and leaves OPENBLAS_NUM_THREADS as it was for child processes', () => {
    expect(blas!.threads()).toBe(1);
    const probe = "import('./src/linalg/openblas.ts').then((m) => { const b = m.loadOpenBlas(); console.log(b.threads(), String(process.env.OPENBLAS_NUM_THREADS)); })";
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '7' };
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { encoding: 'utf8', env }).stdout.trim();
    expect(out).toBe('1 7');
  });

  it('dpotrf + dpotrs solve a symmetric positive definite system (residual within 10 d u ||A|| ||x||)', () => {
    const d = 30;
    const rng = createRng(3);
    const x = new Float64Array(d * 40).map(() => rng.normal());
    const A = new Float64Array(d * d);
    blas!.dsyrk('L', 'T', d, 40, 1, x, 40, 0, A, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) A[j + i * d] = A[i + j * d];
    const F = A.slice();
    const rhs = Float64Array.from({ length: d * 2 }, () => rng.normal());
    const sol = rhs.slice();
    expect(blas!.dpotrf('L', d, F, d)).toBe(0);
    expect(blas!.dpotrs('L', d, 2, F, d, sol, d)).toBe(0);
    let normA = 0;
    for (const v of A) normA = Math.max(normA, Math.abs(v));
    for (let c = 0; c < 2; c++) {
      let normX = 0;
      for (let i = 0; i < d; i++) normX = Math.max(normX, Math.abs(sol[c * d + i]));
      for (let i = 0; i < d; i++) {
        let r = -rhs[c * d + i];
        for (let j = 0; j < d; j++) r += A[i + j * d] * sol[c * d + j];
        expect(Math.abs(r)).toBeLessThanOrEqual(10 * d * d * U * normA * normX);
      }
    }
    const notPd = new Float64Array([1, 2, 2, 1]);
    expect(blas!.dpotrf('L', 2, notPd, 2)).toBe(2);
  });

  it('a whole repetition agrees across backends: primal and dual routes, validation and sampled test errors (relative 1e-9), same selections', () => {
    for (const over of [{}, { lambdaSelection: 'oracle' as const, validationSize: 0 }, { features: 'gaussian' as const, levels: [1, 4, 7] }]) {
      const pl = plan(over);
      const wasm = runRepetition(pl, 0, linalgBackend('wasm'));
      const nat = runRepetition(pl, 0, linalgBackend('openblas'));
      expect(nat.cells.length).toBe(wasm.cells.length);
      const rel = (x: number, y: number): number => Math.abs(x - y) / Math.max(Math.abs(x), 1e-300);
      nat.cells.forEach((c, i) => {
        const w = wasm.cells[i];
        expect([c.n, c.m, c.sel, c.oracle]).toEqual([w.n, w.m, w.sel, w.oracle]);
        // Ridge conditioning here is below 1e4 and both routes are backward stable (about
        // 1e-12 relative); stored values are rounded to 8 and 10 digits, so a difference is at
        // most one unit in the last stored digit.
        c.excess.forEach((x, k) => expect(rel(x, w.excess[k])).toBeLessThanOrEqual(1e-7));
        (c.val ?? []).forEach((x, k) => expect(rel(x, (w.val as number[])[k])).toBeLessThanOrEqual(1e-9));
        expect(rel(c.testSel as number, w.testSel as number)).toBeLessThanOrEqual(1e-9);
      });
    }
  });
});
