import type { OpenBlas } from '../linalg/openblas.js';
import { bitsPerSample } from '../model/params.js';
import { createSampler, type StylizedSampler } from '../model/sample.js';
import { estimationError, tailEnergy } from '../model/populationRisk.js';
import { solveShiftedTridiagonal } from './kernels.js';
import { levelsGenerated, type SimulationPlan } from './plan.js';
import { argmin, roundSig, useDualRoute, type CellResult, type RepetitionResult } from './repetitionResult.js';

/**
 * One Monte Carlo repetition of the Figure-6 protocol (THEORY.md section 5) on native
 * BLAS/LAPACK (src/linalg/openblas.ts): the algorithm of ./repetition.ts (nested prefixes
 * sharing one Gram, leading blocks for nested levels, one factorisation per (n, m) for every
 * lambda, validation through sufficient statistics, exact excess risk), with the dense work
 * in level-3 calls:
 * - Gram updates G += X_b^T X_b and c += X_b^T y_b per sample block: dsyrk and dgemv on the
 *   feature-major block (a column-major rows x L matrix), lower triangle, column-major;
 * - per (n, m): dsytrd on the leading L x L block, G = Q T Q^T; u = Q^T c (dormtr); one
 *   tridiagonal solve per lambda into the columns of Z (L x |lambda|); W = Q Z in ONE dormtr
 *   for all lambdas (blocked reflectors, level 3). dsytrd plus the tridiagonal solves beat an
 *   eigendecomposition (dsyevd, dsyevr): they skip the eigenvector accumulation
 *   (bench/results/simulate.json, kernels.factorisation);
 * - the dual route (n < L, when cheaper): K = X X^T by dsyrk over the kept first rows,
 *   the same reduction of K, and W = X^T A by one dgemm;
 * - validation errors of all lambdas from G_v W (one dsymm);
 * - sampled test errors of the selected fits: per level m, R = y - X_m W_m by one dgemm per
 *   test block over the |n| selected vectors.
 * Same random streams as ./repetition.ts (the samples are identical); results agree with it
 * to rounding (summation order differs), see test/linalgBackend.test.ts.
 */
const now = (): number => performance.now() / 1000;

interface Moments {
  /** Lower triangle of the Gram, column-major Lmax x Lmax. */
  g: Float64Array;
  c: Float64Array;
  syy: number;
  rows: number;
}

/** Run repetition `rep` of the plan (THEORY.md section 5) with OpenBLAS; pure function of (plan, rep) for a given library build. */
export function runRepetitionBlas(plan: SimulationPlan, rep: number, blas: OpenBlas): RepetitionResult {
  const t0 = now();
  const timing = { sampleSeconds: 0, gramSeconds: 0, factorSeconds: 0, solveSeconds: 0 };
  const { params } = plan;
  const mMax = plan.levels[plan.levels.length - 1];
  const M = levelsGenerated(plan);
  const Lmax = bitsPerSample(params.q, mMax);
  const B = plan.blockRows;
  const samplerOpts = { keptLevels: mMax, levelsGenerated: M, features: plan.features, tail: plan.tail };
  const nLambda = plan.lambda0.length;
  const yb = new Float64Array(B);

  const newMoments = (): Moments => ({ g: new Float64Array(Lmax * Lmax), c: new Float64Array(Lmax), syy: 0, rows: 0 });
  const accumulate = (sampler: StylizedSampler, mom: Moments, rows: number, keep?: { x: Float64Array; y: Float64Array; rows: number }): void => {
    // The sampler's own block buffer: its kernel writes the samples in place.
    const xt = sampler.blockBuffer(B);
    let left = rows;
    while (left > 0) {
      const k = Math.min(B, left);
      const ta = now();
      sampler.fill(k, xt, B, yb);
      const tb = now();
      if (keep) {
        // Row-major copy of the first keep.rows samples (the dual route's data matrix).
        for (let i = 0; i < k && mom.rows + i < keep.rows; i++) {
          const r = mom.rows + i;
          for (let j = 0; j < Lmax; j++) keep.x[r * Lmax + j] = xt[j * B + i];
          keep.y[r] = yb[i];
        }
      }
      blas.dsyrk('L', 'T', Lmax, k, 1, xt, B, 1, mom.g, Lmax);
      blas.dgemv('T', k, Lmax, 1, xt, B, yb, 1, mom.c);
      let s = 0;
      for (let i = 0; i < k; i++) s += yb[i] * yb[i];
      mom.syy += s;
      timing.sampleSeconds += tb - ta;
      timing.gramSeconds += now() - tb;
      left -= k;
      mom.rows += k;
    }
  };

  const hasVal = plan.lambdaSelection === 'validation' || plan.validationSize > 0;
  const val = hasVal ? newMoments() : undefined;
  if (val && plan.validationSize > 0) accumulate(createSampler(params, samplerOpts, plan.seed, rep, 1), val, plan.validationSize);
  const sampledTest = plan.scoring === 'sampled';
  const selected: Float64Array[] = [];

  const train = newMoments();
  const trainSampler = createSampler(params, samplerOpts, plan.seed, rep, 0);
  const cells: CellResult[] = [];
  const K = plan.levels.map((m) => tailEnergy(params, m, { tailLevels: M }));
  const dualRows = plan.n.reduce((mx, n) => (plan.levels.some((m) => useDualRoute(n, bitsPerSample(params.q, m))) ? Math.max(mx, n) : mx), 0);
  const kept = dualRows > 0 ? { x: new Float64Array(dualRows * Lmax), y: new Float64Array(dualRows), rows: dualRows } : undefined;
  const dimMax = Math.max(Lmax, dualRows);
  const a = new Float64Array(dimMax * dimMax);
  const d = new Float64Array(dimMax);
  const e = new Float64Array(dimMax);
  const tau = new Float64Array(dimMax);
  const u = new Float64Array(dimMax);
  const piv = new Float64Array(dimMax);
  const z = new Float64Array(dimMax * nLambda);
  const W = new Float64Array(Lmax * nLambda);
  const P = new Float64Array(Lmax * nLambda);

  for (let ni = 0; ni < plan.n.length; ni++) {
    const n = plan.n[ni];
    accumulate(trainSampler, train, n - train.rows, kept);
    const lambdas = plan.lambdas[ni];
    for (let mi = 0; mi < plan.levels.length; mi++) {
      const m = plan.levels[mi];
      const L = bitsPerSample(params.q, m);
      const tf = now();
      const dual = kept !== undefined && useDualRoute(n, L);
      // dim: order of the reduced matrix (L primal, n dual).
      const dim = dual ? n : L;
      const am = a.subarray(0, dim * dim);
      if (dual) {
        // K = X X^T over the first n rows and L(m) features (kept.x read as column-major Lmax x n).
        blas.dsyrk('L', 'T', n, L, 1, (kept as { x: Float64Array }).x, Lmax, 0, am, n);
        u.set((kept as { y: Float64Array }).y.subarray(0, n));
      } else {
        // Leading L x L block of the lower triangle.
        for (let j = 0; j < L; j++) am.set(train.g.subarray(j * Lmax + j, j * Lmax + L), j * L + j);
        u.set(train.c.subarray(0, L));
      }
      const ut = u.subarray(0, dim);
      check(blas.dsytrd('L', dim, am, dim, d, e, tau), 'dsytrd', n, m);
      check(blas.dormtr('L', 'T', dim, 1, am, dim, tau, ut, dim), 'dormtr', n, m);
      const ts = now();
      timing.factorSeconds += ts - tf;
      const diag = d.subarray(0, dim);
      for (let k = 0; k < nLambda; k++) solveShiftedTridiagonal(diag, e, lambdas[k], ut, z.subarray(k * dim, (k + 1) * dim), piv);
      const zm = z.subarray(0, dim * nLambda);
      check(blas.dormtr('L', 'N', dim, nLambda, am, dim, tau, zm, dim), 'dormtr', n, m);
      let wm: Float64Array;
      if (dual) {
        wm = W.subarray(0, L * nLambda);
        blas.dgemm('N', 'N', L, nLambda, n, 1, (kept as { x: Float64Array }).x, Lmax, zm, n, 0, wm, L);
      } else {
        wm = zm; // dim = L
      }
      const excess: number[] = [];
      for (let k = 0; k < nLambda; k++) excess.push(K[mi] + estimationError(params, m, wm.subarray(k * L, (k + 1) * L)));
      const valErr: number[] = [];
      if (val && val.rows > 0) {
        const pm = P.subarray(0, L * nLambda);
        blas.dsymm('L', L, nLambda, 1, val.g, Lmax, wm, L, 0, pm, L);
        for (let k = 0; k < nLambda; k++) {
          const o = k * L;
          let wc = 0;
          let wgw = 0;
          for (let j = 0; j < L; j++) {
            wc += wm[o + j] * val.c[j];
            wgw += wm[o + j] * pm[o + j];
          }
          valErr.push((val.syy - 2 * wc + wgw) / val.rows);
        }
      }
      timing.solveSeconds += now() - ts;
      const oracle = argmin(excess);
      const sel = plan.lambdaSelection === 'validation' ? argmin(valErr) : oracle;
      const cell: CellResult = { n, m, excess: excess.map((x) => roundSig(x, 8)), sel, oracle };
      if (valErr.length) cell.val = valErr.map((x) => roundSig(x, 10));
      if (sampledTest) selected.push(wm.slice(sel * L, (sel + 1) * L));
      cells.push(cell);
    }
  }
  if (sampledTest) {
    const ta = now();
    const s0 = timing.sampleSeconds;
    const sse = directTestErrorsBlas(blas, createSampler(params, samplerOpts, plan.seed, rep, 2), plan, Lmax, selected, timing);
    cells.forEach((cell, i) => (cell.testSel = roundSig(sse[i] / plan.testSize, 10)));
    timing.solveSeconds += now() - ta - (timing.sampleSeconds - s0);
  }
  return { rep, cells, seconds: now() - t0, timing };
}

function check(info: number, routine: string, n: number, m: number): void {
  if (info !== 0) throw new Error(`LAPACK ${routine} failed with info ${info} at n = ${n}, m = ${m}`);
}

/**
 * Sums of squared test residuals of the selected weight vectors (cell order n-major, m-minor)
 * over `plan.testSize` fresh samples drawn block by block (THEORY.md section 5): per level m
 * one dgemm per block, R = y 1^T - X_m [w_(n_1,m) ... w_(n_k,m)].
 */
function directTestErrorsBlas(blas: OpenBlas, sampler: StylizedSampler, plan: SimulationPlan, Lmax: number, ws: Float64Array[], timing: { sampleSeconds: number }): Float64Array {
  const B = plan.blockRows;
  const nN = plan.n.length;
  const nM = plan.levels.length;
  const xt = sampler.blockBuffer(B);
  const yb = new Float64Array(B);
  const R = new Float64Array(B * nN);
  // Per level: its selected vectors side by side (L x |n|, column-major).
  const perLevel = plan.levels.map((m, mi) => {
    const L = bitsPerSample(plan.params.q, m);
    const wm = new Float64Array(L * nN);
    for (let ni = 0; ni < nN; ni++) wm.set(ws[ni * nM + mi], ni * L);
    return { L, wm };
  });
  const sse = new Float64Array(ws.length);
  let left = plan.testSize;
  while (left > 0) {
    const k = Math.min(B, left);
    const ta = now();
    sampler.fill(k, xt, B, yb);
    timing.sampleSeconds += now() - ta;
    for (let mi = 0; mi < nM; mi++) {
      const { L, wm } = perLevel[mi];
      for (let c = 0; c < nN; c++) R.set(yb.subarray(0, k), c * k);
      blas.dgemm('N', 'N', k, nN, L, -1, xt, B, wm, L, 1, R, k);
      for (let c = 0; c < nN; c++) {
        let s = 0;
        for (let i = c * k; i < (c + 1) * k; i++) s += R[i] * R[i];
        sse[c * nM + mi] += s;
      }
    }
    left -= k;
  }
  return sse;
}
