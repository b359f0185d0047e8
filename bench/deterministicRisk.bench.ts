import { loadStylizedConfig, logGridValues } from '../src/config/fig6Config.js';
import { join } from 'node:path';
import { repoRoot } from '../src/provenance.js';
import { levelTerms, newFixedPointState, solveFixedPoint } from '../src/theory/fixedPoint.js';
import { deterministicRisk, emptyRiskParts, riskFromState } from '../src/theory/deterministicRisk.js';
import { exponents, theorem1LambdaExponent } from '../src/theory/exponents.js';
import type { ModelParams } from '../src/model/params.js';
import { timeMedian, writeBenchResult } from './benchResult.js';

/**
 * Deterministic-risk evaluations per second on the Figure-6 grid (THEORY.md section 5):
 * 46 n x 8 m x 20 lambda = 7,360 evaluations of R_det(n, m, lambda), one core.
 *
 * Variants measured in the same run:
 *  - kernel, cold: precomputed level terms per m, no initial guess (each point solved from scratch);
 *  - kernel, warm: the same, warm-started from the neighbouring lambda's lambda_* (as gridOptimalRisk does);
 *  - public API: deterministicRisk(params, point) with full validation and allocation per call;
 *  - naive JS peer: a plain implementation a newcomer would write (fixed log bracket
 *    [1e-30, 1e30], 60 bisections, Math.pow per level per iteration, THEORY.md formulas verbatim).
 *    Its ratio is machine-independent.
 * Reference (quoted, NOT measured here): the authors' public Python implementation evaluates the
 * same grid in about 1.06 s, i.e. ~7,000 evaluations/s (the figure the project's speed target was set against).
 */
const PYTHON_REFERENCE_EVALS_PER_S = 7360 / 1.06;

const config = loadStylizedConfig(join(repoRoot, 'sims', 'fig6.json'));
const params: ModelParams = config.model;
const ns = logGridValues(config.theory.n);
const lambda0s = logGridValues(config.lambda.lambda0);
const levels = config.levels;
const scheduleExp = theorem1LambdaExponent(exponents(params).kappa);
const total = ns.length * levels.length * lambda0s.length;

const terms = levels.map((m) => levelTerms(params, m));
const st = newFixedPointState();
const out = emptyRiskParts();
let sink = 0;

function kernelCold(): void {
  for (const k of terms) {
    for (const n of ns) {
      const e = n ** scheduleExp;
      for (const l0 of lambda0s) {
        solveFixedPoint(k, n, l0 * e, st);
        sink += riskFromState(k, n, l0 * e, st, out).risk;
      }
    }
  }
}

function kernelWarm(): void {
  for (const k of terms) {
    for (const n of ns) {
      const e = n ** scheduleExp;
      let guess = NaN;
      for (const l0 of lambda0s) {
        solveFixedPoint(k, n, l0 * e, st, guess);
        guess = st.y;
        sink += riskFromState(k, n, l0 * e, st, out).risk;
      }
    }
  }
}

function publicApi(): void {
  for (const m of levels) {
    for (const n of ns) {
      const e = n ** scheduleExp;
      for (const l0 of lambda0s) sink += deterministicRisk(params, { n, m, lambda: l0 * e }).risk;
    }
  }
}

/** The naive peer: THEORY.md section 3 typed in directly. */
function naiveRisk(P: ModelParams, n: number, m: number, lambda: number): number {
  const F = (x: number): number => {
    let s = 0;
    for (let l = 0; l < m; l++) s += (P.q ** l * P.p ** -l) / (P.p ** -l + x);
    return s + lambda / x - n;
  };
  let lo = Math.log(1e-30);
  let hi = Math.log(1e30);
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (F(Math.exp(mid)) > 0) lo = mid;
    else hi = mid;
  }
  const x = Math.exp(0.5 * (lo + hi));
  let D = 0;
  let sb = 0;
  for (let l = 0; l < m; l++) {
    const v = P.p ** -l;
    D += (P.q ** l * v * v) / (v + x) ** 2;
    sb += (P.r ** l * v) / (v + x) ** 2;
  }
  const K = (P.r / P.p) ** m / (1 - P.r / P.p);
  const B = ((n * x * x) / (n - D)) * sb;
  const V = D / (n - D);
  return P.tau ** 2 + K + B + (P.tau ** 2 + K) * V;
}

function naive(): void {
  for (const m of levels) {
    for (const n of ns) {
      const e = n ** scheduleExp;
      for (const l0 of lambda0s) sink += naiveRisk(params, n, m, l0 * e);
    }
  }
}

// Agreement check between the kernel and the naive peer (they are independent routes).
let maxRel = 0;
let iterSum = 0;
for (const k of terms) {
  for (const n of ns) {
    for (const l0 of lambda0s) {
      const lambda = l0 * n ** scheduleExp;
      solveFixedPoint(k, n, lambda, st);
      iterSum += st.iterations;
      const r = riskFromState(k, n, lambda, st, out).risk;
      maxRel = Math.max(maxRel, Math.abs(r - naiveRisk(params, n, k.m, lambda)) / r);
    }
  }
}

// Each timing runs the grid GRIDS_PER_TIMING times (tens of ms) and the median of 7 is kept,
// which damps interference from other jobs on the shared machine.
const GRIDS_PER_TIMING = 20;
const batch = (fn: () => void, times: number) => (): void => {
  for (let i = 0; i < times; i++) fn();
};
const repeats = 7;
const tCold = timeMedian(batch(kernelCold, GRIDS_PER_TIMING), repeats) / GRIDS_PER_TIMING;
const tWarm = timeMedian(batch(kernelWarm, GRIDS_PER_TIMING), repeats) / GRIDS_PER_TIMING;
const tApi = timeMedian(batch(publicApi, GRIDS_PER_TIMING), repeats) / GRIDS_PER_TIMING;
const tNaive = timeMedian(naive, 3);
const rate = (t: number): number => total / t;
const results = {
  grid: { n: ns.length, m: levels.length, lambda: lambda0s.length, evaluations: total },
  kernelColdEvalsPerS: Math.round(rate(tCold)),
  kernelWarmEvalsPerS: Math.round(rate(tWarm)),
  publicApiEvalsPerS: Math.round(rate(tApi)),
  naivePeerEvalsPerS: Math.round(rate(tNaive)),
  speedupVsNaivePeerSameRun: { cold: rate(tCold) / rate(tNaive), warm: rate(tWarm) / rate(tNaive) },
  pythonReferenceEvalsPerS_quoted: Math.round(PYTHON_REFERENCE_EVALS_PER_S),
  ratioVsPythonReference_quotedNotMeasured: { cold: rate(tCold) / PYTHON_REFERENCE_EVALS_PER_S, warm: rate(tWarm) / PYTHON_REFERENCE_EVALS_PER_S },
  meanNewtonIterationsCold: iterSum / total,
  maxRelativeDifferenceVsNaivePeer: maxRel,
  targetEvalsPerS: 1_000_000,
  meetsTarget: rate(tCold) >= 1_000_000,
  note: 'timings on a shared 2-core machine may be inflated by other jobs; the Python figure is quoted, not measured in this run',
};
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`Figure-6 grid: ${ns.length} n x ${levels.length} m x ${lambda0s.length} lambda = ${total} evaluations of R_det`);
console.log(`  kernel, cold start : ${fmt(rate(tCold))} evals/s  (${(tCold * 1e3).toFixed(2)} ms per grid, mean ${(iterSum / total).toFixed(2)} Newton iterations)`);
console.log(`  kernel, warm start : ${fmt(rate(tWarm))} evals/s  (${(tWarm * 1e3).toFixed(2)} ms per grid)`);
console.log(`  public API         : ${fmt(rate(tApi))} evals/s  (validation + allocation per call)`);
console.log(`  naive JS peer      : ${fmt(rate(tNaive))} evals/s  (same run; cold kernel is ${(rate(tCold) / rate(tNaive)).toFixed(1)}x faster)`);
console.log(`  vs quoted Python reference (~${fmt(PYTHON_REFERENCE_EVALS_PER_S)}/s, not measured here): cold ${(rate(tCold) / PYTHON_REFERENCE_EVALS_PER_S).toFixed(0)}x, warm ${(rate(tWarm) / PYTHON_REFERENCE_EVALS_PER_S).toFixed(0)}x`);
console.log(`  max relative difference kernel vs naive peer: ${maxRel.toExponential(2)}; target 1,000,000/s ${results.meetsTarget ? 'met' : 'NOT met'} (checksum ${sink.toExponential(3)})`);
console.log(`  wrote ${writeBenchResult('deterministicRisk', results)}`);
