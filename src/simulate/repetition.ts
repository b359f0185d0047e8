import { bitsPerSample } from '../model/params.js';
import { createSampler, type StylizedSampler } from '../model/sample.js';
import { estimationError, tailEnergy } from '../model/populationRisk.js';
import { levelsGenerated, type SimulationPlan } from './plan.js';
import { linalgBackend, type LinalgBackend } from '../linalg/backend.js';
import type { KeptRows, RepetitionKernels, RepetitionShape } from './repetitionKernels.js';
import { blasRepetitionKernels } from './repetitionKernelsBlas.js';
import { wasmRepetitionKernels } from './repetitionKernelsWasm.js';
import { argmin, roundSig, useDualRoute, type CellResult, type RepetitionResult } from './repetitionResult.js';

export type { CellResult, RepetitionResult } from './repetitionResult.js';

/**
 * One Monte Carlo repetition of the Figure-6 protocol (THEORY.md section 5), organised so no
 * work is repeated (this driver; the dense kernels come from the backend, ./repetitionKernels.ts):
 * - one training set of size n_max, drawn block by block; the Gram X^T X and X^T y of the
 *   m_max kept levels are accumulated incrementally, so every smaller n is a prefix that
 *   costs nothing extra, and the Gram for m levels is the leading L(m) x L(m) block;
 * - per (n, m) one Householder tridiagonalisation G = Q T Q^T serves every lambda:
 *   w(lambda) = Q (T + lambda I)^{-1} Q^T X^T y (an O(L) tridiagonal solve and O(L^2)
 *   reflections per lambda; equivalent to an eigendecomposition, cheaper by the QL sweep);
 *   when n < L and it is cheaper, the dual n x n kernel K = X X^T is tridiagonalised instead
 *   and w(lambda) = X^T Q (T + lambda I)^{-1} Q^T y (the first rows of the training set are
 *   kept row-major for this);
 * - validation errors (needed for every lambda, to select one) from sufficient statistics: with
 *   G_v = X_v^T X_v, c_v = X_v^T y_v, s_v = y_v^T y_v, the error of w is
 *   (s_v - 2 w.c_v + w^T G_v w)/n_v, O(L^2) per lambda instead of a 10,000-row product;
 * - the sampled test error is only needed at the selected lambda of each (n, m): after all
 *   cells are fitted, the test set is drawn block by block (never stored) and mean (y - X_m w)^2
 *   is evaluated directly for those |n| x |levels| weight vectors, about 2 n_test sum_m L(m)
 *   flops per n instead of an n_test L(m_max)^2 test Gram (10x less for Figure 6);
 * - the exact risk R(w) is O(L) per w.
 *
 * Random streams: training (seed, rep, 0), validation (seed, rep, 1), test (seed, rep, 2), so
 * a repetition's result does not depend on which worker runs it. The two backends draw the
 * same samples and agree to rounding (summation orders differ; test/linalgBackend.test.ts).
 */
interface Moments {
  g: Float64Array;
  c: Float64Array;
  syy: number;
  rows: number;
}

export interface RepetitionOptions {
  /** Clock (seconds) of the per-phase timing; default wall time. A profile on one thread may pass process CPU time. */
  clock?: () => number;
}

const wallClock = (): number => performance.now() / 1000;

/**
 * The kernels (their Grams, sample block and work arrays) and the dual route's kept rows of the
 * last repetition's shape, reused by the next one in this thread: a Figure-6 repetition
 * otherwise allocates about 10 MB of typed arrays, and their garbage collection showed in its
 * profile. Every buffer is overwritten (or zeroed, the Grams) before it is read again.
 */
let reused: { key: string; blas: unknown; kernels: RepetitionKernels; kept: KeptRows | undefined } | undefined;

function kernelsFor(backend: LinalgBackend, shape: RepetitionShape): { kernels: RepetitionKernels; kept: KeptRows | undefined } {
  const key = `${backend.name} ${JSON.stringify(shape)}`;
  if (reused && reused.key === key && reused.blas === backend.blas) return reused;
  const kernels = backend.blas ? blasRepetitionKernels(shape, backend.blas) : wasmRepetitionKernels(shape);
  const { dualRows, Lmax } = shape;
  const kept = dualRows > 0 ? { x: new Float64Array(dualRows * Lmax), y: new Float64Array(dualRows), rows: dualRows } : undefined;
  reused = { key, blas: backend.blas, kernels, kept };
  return reused;
}

/**
 * Run repetition `rep` of the plan (THEORY.md section 5); pure function of (plan, rep) for a
 * given backend (default: as LOSSYSCALE_BLAS selects, src/linalg/backend.ts): OpenBLAS
 * (./repetitionKernelsBlas.ts) when `backend` has it, else the WebAssembly/JavaScript
 * kernels (./repetitionKernelsWasm.ts).
 */
export function runRepetition(plan: SimulationPlan, rep: number, backend: LinalgBackend = linalgBackend(), opts: RepetitionOptions = {}): RepetitionResult {
  const now = opts.clock ?? wallClock;
  const t0 = now();
  const timing = { sampleSeconds: 0, gramSeconds: 0, factorSeconds: 0, solveSeconds: 0 };
  const { params } = plan;
  const mMax = plan.levels[plan.levels.length - 1];
  const M = levelsGenerated(plan);
  const Lmax = bitsPerSample(params.q, mMax);
  const B = plan.blockRows;
  const samplerOpts = { keptLevels: mMax, levelsGenerated: M, features: plan.features, tail: plan.tail };
  const hasVal = plan.lambdaSelection === 'validation' || plan.validationSize > 0;
  // Dual route (kernel form) for n < L when cheaper: needs the first rows of the training set.
  const dualRows = plan.n.reduce((mx, n) => (plan.levels.some((m) => useDualRoute(n, bitsPerSample(params.q, m))) ? Math.max(mx, n) : mx), 0);
  const shape: RepetitionShape = { Lmax, blockRows: B, lambdas: plan.lambda0.length, dualRows, validation: hasVal };
  const { kernels, kept } = kernelsFor(backend, shape);
  const yb = new Float64Array(B);
  const [trainGram, valGram] = kernels.grams(hasVal ? 2 : 1);

  const newMoments = (g: Float64Array): Moments => ({ g, c: new Float64Array(kernels.ldg), syy: 0, rows: 0 });
  const accumulate = (sampler: StylizedSampler, mom: Moments, rows: number, keep?: KeptRows): void => {
    const xt = kernels.block(sampler);
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
      kernels.rankUpdate(mom.g, mom.c, xt, yb, k);
      let s = 0;
      for (let i = 0; i < k; i++) s += yb[i] * yb[i];
      mom.syy += s;
      timing.sampleSeconds += tb - ta;
      timing.gramSeconds += now() - tb;
      left -= k;
      mom.rows += k;
    }
  };

  const val = hasVal ? newMoments(valGram) : undefined;
  if (val && plan.validationSize > 0) accumulate(createSampler(params, samplerOpts, plan.seed, rep, 1), val, plan.validationSize);
  const sampledTest = plan.scoring === 'sampled';
  /** Selected weight vectors (one per cell, in cell order) for the direct test evaluation. */
  const selected: Float64Array[] = [];

  const train = newMoments(trainGram);
  const trainSampler = createSampler(params, samplerOpts, plan.seed, rep, 0);
  const cells: CellResult[] = [];
  const K = plan.levels.map((m) => tailEnergy(params, m, { tailLevels: M }));
  const quad = new Float64Array(plan.lambda0.length);

  for (let ni = 0; ni < plan.n.length; ni++) {
    const n = plan.n[ni];
    accumulate(trainSampler, train, n - train.rows, kept);
    const lambdas = plan.lambdas[ni];
    for (let mi = 0; mi < plan.levels.length; mi++) {
      const m = plan.levels[mi];
      const L = bitsPerSample(params.q, m);
      const tf = now();
      kernels.factorise({ n, L, dual: kept !== undefined && useDualRoute(n, L), g: train.g, c: train.c, kept });
      const ts = now();
      timing.factorSeconds += ts - tf;
      const W = kernels.solve(lambdas);
      const excess: number[] = [];
      for (let k = 0; k < lambdas.length; k++) excess.push(K[mi] + estimationError(params, m, W.subarray(k * L, (k + 1) * L)));
      const valErr: number[] = [];
      if (val && val.rows > 0) {
        kernels.quadForms(val.g, W, L, lambdas.length, quad);
        for (let k = 0; k < lambdas.length; k++) {
          const o = k * L;
          let wc = 0;
          for (let j = 0; j < L; j++) wc += W[o + j] * val.c[j];
          valErr.push((val.syy - 2 * wc + quad[k]) / val.rows);
        }
      }
      timing.solveSeconds += now() - ts;
      const oracle = argmin(excess);
      const sel = plan.lambdaSelection === 'validation' ? argmin(valErr) : oracle;
      const cell: CellResult = { n, m, excess: excess.map((x) => roundSig(x, 8)), sel, oracle };
      if (valErr.length) cell.val = valErr.map((x) => roundSig(x, 10));
      if (sampledTest) selected.push(W.slice(sel * L, (sel + 1) * L));
      cells.push(cell);
    }
  }
  if (sampledTest) {
    const ta = now();
    const s0 = timing.sampleSeconds;
    // Sums of squared test residuals of the selected fits over fresh samples drawn block by
    // block and discarded after use (THEORY.md section 5: the sampled test error of the selected fit).
    const sampler = createSampler(params, samplerOpts, plan.seed, rep, 2);
    const xt = kernels.block(sampler);
    const addBlock = kernels.testBlock(selected, plan.levels.length);
    const sse = new Float64Array(selected.length);
    let left = plan.testSize;
    while (left > 0) {
      const k = Math.min(B, left);
      const tb = now();
      sampler.fill(k, xt, B, yb);
      timing.sampleSeconds += now() - tb;
      addBlock(xt, yb, k, sse);
      left -= k;
    }
    cells.forEach((cell, i) => (cell.testSel = roundSig(sse[i] / plan.testSize, 10)));
    timing.solveSeconds += now() - ta - (timing.sampleSeconds - s0); // evaluation only; drawing the test rows counts as sampling
  }
  return { rep, cells, seconds: now() - t0, timing };
}
