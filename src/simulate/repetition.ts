import { bitsPerSample } from '../model/params.js';
import { createSampler, type StylizedSampler } from '../model/sample.js';
import { estimationError, tailEnergy } from '../model/populationRisk.js';
import { applyQ, applyQt, gemvXty, quadFormUpper, solveShiftedTridiagonal, symmetricBlock, tridiagonalize } from './kernels.js';
import { createSimdArena } from './simdKernels.js';
import { levelsGenerated, type SimulationPlan } from './plan.js';
import { linalgBackend, type LinalgBackend } from '../linalg/backend.js';
import { runRepetitionBlas } from './repetitionBlas.js';
import { argmin, roundSig, useDualRoute, type CellResult, type RepetitionResult } from './repetitionResult.js';

export type { CellResult, RepetitionResult } from './repetitionResult.js';

/**
 * One Monte Carlo repetition of the Figure-6 protocol (THEORY.md section 5), organised so no
 * work is repeated:
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
 * a repetition's result does not depend on which worker runs it.
 */
interface Moments {
  g: Float64Array;
  c: Float64Array;
  syy: number;
  rows: number;
}

const now = (): number => performance.now() / 1000;

/**
 * Run repetition `rep` of the plan (THEORY.md section 5); pure function of (plan, rep) for a
 * given backend: OpenBLAS (./repetitionBlas.ts) when `backend` has it (default: as
 * LOSSYSCALE_BLAS selects, src/linalg/backend.ts), else the WebAssembly/JavaScript kernels.
 */
export function runRepetition(plan: SimulationPlan, rep: number, backend: LinalgBackend = linalgBackend()): RepetitionResult {
  if (backend.blas) return runRepetitionBlas(plan, rep, backend.blas);
  return runRepetitionWasm(plan, rep);
}

/** Run repetition `rep` of the plan with the WebAssembly SIMD and JavaScript kernels (the fallback backend). */
export function runRepetitionWasm(plan: SimulationPlan, rep: number): RepetitionResult {
  const t0 = now();
  const timing = { sampleSeconds: 0, gramSeconds: 0, factorSeconds: 0, solveSeconds: 0 };
  const { params } = plan;
  const mMax = plan.levels[plan.levels.length - 1];
  const M = levelsGenerated(plan);
  const Lmax = bitsPerSample(params.q, mMax);
  const Lp = Math.ceil(Lmax / 4) * 4;
  const B = plan.blockRows;
  const samplerOpts = { keptLevels: mMax, levelsGenerated: M, features: plan.features, tail: plan.tail };
  // The Gram update runs in WebAssembly (./simdKernels.ts): the sample block and the two Grams
  // (training, validation) live in its memory.
  const hasVal = plan.lambdaSelection === 'validation' || plan.validationSize > 0;
  const arena = createSimdArena(Lp * B + (hasVal ? 2 : 1) * Lp * Lp + Lmax * Lmax + 4 * Lmax);
  const xt = arena.f64(Lp * B); // padding rows stay zero
  const yb = new Float64Array(B);

  const newMoments = (): Moments => ({ g: arena.f64(Lp * Lp), c: new Float64Array(Lp), syy: 0, rows: 0 });
  const accumulate = (sampler: StylizedSampler, mom: Moments, rows: number, keep?: { x: Float64Array; y: Float64Array; rows: number }): void => {
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
      arena.syrkUpper(mom.g, Lp, xt, B, Lp, k);
      gemvXty(mom.c, xt, B, Lmax, yb, k);
      let s = 0;
      for (let i = 0; i < k; i++) s += yb[i] * yb[i];
      mom.syy += s;
      timing.sampleSeconds += tb - ta;
      timing.gramSeconds += now() - tb;
      left -= k;
      mom.rows += k;
    }
  };

  const val = hasVal ? newMoments() : undefined;
  if (val && plan.validationSize > 0) accumulate(createSampler(params, samplerOpts, plan.seed, rep, 1), val, plan.validationSize);
  const sampledTest = plan.scoring === 'sampled';
  /** Selected weight vectors (one per cell, in cell order) for the direct test evaluation. */
  const selected: Float64Array[] = [];

  const train = newMoments();
  const trainSampler = createSampler(params, samplerOpts, plan.seed, rep, 0);
  const cells: CellResult[] = [];
  // The matrix being tridiagonalised and its work vectors live in the arena too (the fused
  // pass of the tridiagonalisation runs in WebAssembly).
  const a = arena.f64(Lmax * Lmax);
  const work = { v: arena.f64(Lmax), p: arena.f64(Lmax), v2: arena.f64(Lmax), p2: arena.f64(Lmax) };
  const u = new Float64Array(Lmax);
  const w = new Float64Array(Lmax);
  const piv = new Float64Array(Lmax);
  const K = plan.levels.map((m) => tailEnergy(params, m, { tailLevels: M }));
  // Dual route (kernel form) for n < L when cheaper: needs the first rows of the training set.
  const useDual = useDualRoute;
  const dualRows = plan.n.reduce((mx, n) => (plan.levels.some((m) => useDual(n, bitsPerSample(params.q, m))) ? Math.max(mx, n) : mx), 0);
  const kept = dualRows > 0 ? { x: new Float64Array(dualRows * Lmax), y: new Float64Array(dualRows), rows: dualRows } : undefined;
  const alpha = new Float64Array(Lmax);

  for (let ni = 0; ni < plan.n.length; ni++) {
    const n = plan.n[ni];
    accumulate(trainSampler, train, n - train.rows, kept);
    const lambdas = plan.lambdas[ni];
    for (let mi = 0; mi < plan.levels.length; mi++) {
      const m = plan.levels[mi];
      const L = bitsPerSample(params.q, m);
      const tf = now();
      const dual = kept !== undefined && useDual(n, L);
      let tri;
      let ut;
      if (dual) {
        // Kernel form: w = X^T (X X^T + lambda I)^{-1} y with X the n x L(m) training block;
        // the n x n kernel is tridiagonalised once for every lambda ((4/3) n^3 + n^2 L flops
        // instead of (4/3) L^3; the same w up to rounding).
        const km = a.subarray(0, n * n);
        const xs = kept.x;
        for (let i = 0; i < n; i++) {
          const oi = i * Lmax;
          for (let j = 0; j <= i; j++) {
            const oj = j * Lmax;
            let s0 = 0, s1 = 0;
            let f = 0;
            for (; f + 1 < L; f += 2) {
              s0 += xs[oi + f] * xs[oj + f];
              s1 += xs[oi + f + 1] * xs[oj + f + 1];
            }
            if (f < L) s0 += xs[oi + f] * xs[oj + f];
            const kij = s0 + s1;
            km[i * n + j] = kij;
            km[j * n + i] = kij;
          }
        }
        tri = tridiagonalize(km, n, work, arena.fusedSweep);
        ut = u.subarray(0, n);
        ut.set(kept.y.subarray(0, n));
      } else {
        const am = a.subarray(0, L * L);
        symmetricBlock(train.g, Lp, L, am);
        tri = tridiagonalize(am, L, work, arena.fusedSweep);
        ut = u.subarray(0, L);
        ut.set(train.c.subarray(0, L));
      }
      applyQt(tri, ut);
      const ts = now();
      timing.factorSeconds += ts - tf;
      const wl = w.subarray(0, L);
      const excess: number[] = [];
      const valErr: number[] = [];
      let wSel: Float64Array | undefined;
      let valBest = Infinity;
      for (let k = 0; k < lambdas.length; k++) {
        const lambda = lambdas[k];
        if (dual && kept) {
          const al = alpha.subarray(0, n);
          solveShiftedTridiagonal(tri.diag, tri.off, lambda, ut, al, piv);
          applyQ(tri, al);
          wl.fill(0);
          const xs = kept.x;
          for (let i = 0; i < n; i++) {
            const ai = al[i];
            const oi = i * Lmax;
            for (let f = 0; f < L; f++) wl[f] += ai * xs[oi + f];
          }
        } else {
          solveShiftedTridiagonal(tri.diag, tri.off, lambda, ut, wl, piv);
          applyQ(tri, wl);
        }
        excess.push(K[mi] + estimationError(params, m, wl));
        if (val && val.rows > 0) valErr.push(sampledError(val, Lp, wl, L));
        if (sampledTest) {
          // Keep the w of the running selection (strict < : the first minimum, as argmin).
          const score = plan.lambdaSelection === 'validation' ? valErr[k] : excess[k];
          if (k === 0 || score < valBest) {
            valBest = score;
            wSel = wSel ?? new Float64Array(L);
            wSel.set(wl);
          }
        }
      }
      timing.solveSeconds += now() - ts;
      const oracle = argmin(excess);
      const sel = plan.lambdaSelection === 'validation' ? argmin(valErr) : oracle;
      const cell: CellResult = { n, m, excess: excess.map((x) => roundSig(x, 8)), sel, oracle };
      if (valErr.length) cell.val = valErr.map((x) => roundSig(x, 10));
      if (sampledTest) selected.push(wSel as Float64Array);
      cells.push(cell);
    }
  }
  if (sampledTest) {
    const ta = now();
    const s0 = timing.sampleSeconds;
    const sse = directTestErrors(createSampler(params, samplerOpts, plan.seed, rep, 2), plan.testSize, B, Lp, selected, timing);
    cells.forEach((cell, i) => (cell.testSel = roundSig(sse[i] / plan.testSize, 10)));
    timing.solveSeconds += now() - ta - (timing.sampleSeconds - s0); // evaluation only; drawing the test rows counts as sampling
  }
  return { rep, cells, seconds: now() - t0, timing };
}

/**
 * Sums of squared test residuals sum_i (y_i - x_i[0..L) . w)^2 for every weight vector in
 * `ws` (L = its length), over `rows` fresh samples drawn block by block from `sampler` and
 * discarded after use (THEORY.md section 5: the sampled test error of the selected fit).
 */
function directTestErrors(
  sampler: StylizedSampler,
  rows: number,
  B: number,
  Lp: number,
  ws: Float64Array[],
  timing: { sampleSeconds: number },
): Float64Array {
  const xt = new Float64Array(Lp * B);
  const yb = new Float64Array(B);
  const r = new Float64Array(B);
  const sse = new Float64Array(ws.length);
  let left = rows;
  while (left > 0) {
    const k = Math.min(B, left);
    const ta = now();
    sampler.fill(k, xt, B, yb);
    timing.sampleSeconds += now() - ta;
    for (let c = 0; c < ws.length; c++) {
      const w = ws[c];
      const L = w.length;
      for (let i = 0; i < k; i++) r[i] = yb[i];
      // Four features per sweep over the block: a quarter of the loads and stores of r.
      let j = 0;
      for (; j + 3 < L; j += 4) {
        const w0 = w[j], w1 = w[j + 1], w2 = w[j + 2], w3 = w[j + 3];
        const o0 = j * B, o1 = o0 + B, o2 = o1 + B, o3 = o2 + B;
        for (let i = 0; i < k; i++) r[i] -= w0 * xt[o0 + i] + w1 * xt[o1 + i] + w2 * xt[o2 + i] + w3 * xt[o3 + i];
      }
      for (; j < L; j++) {
        const wj = w[j];
        const o = j * B;
        for (let i = 0; i < k; i++) r[i] -= wj * xt[o + i];
      }
      let s = 0;
      for (let i = 0; i < k; i++) s += r[i] * r[i];
      sse[c] += s;
    }
    left -= k;
  }
  return sse;
}

/** Mean squared error of w on a sampled set from its sufficient statistics: (s - 2 w.c + w^T G w)/rows. */
function sampledError(mom: Moments, ld: number, w: Float64Array, L: number): number {
  let wc = 0;
  for (let j = 0; j < L; j++) wc += w[j] * mom.c[j];
  return (mom.syy - 2 * wc + quadFormUpper(mom.g, ld, w, L)) / mom.rows;
}
