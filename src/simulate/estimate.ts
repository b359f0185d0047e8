import { bitsPerSample } from '../model/params.js';
import type { JobEstimate } from '../util/limits.js';
import type { SimulationPlan } from './plan.js';

/** Multiply-adds per second of one core in the SIMD Gram kernel, calibrated on the Figure-6 run (50 repetitions, 118 CPU s). */
const MULADDS_PER_SECOND = 6e9;

/**
 * Memory and CPU-time estimate of a Monte Carlo run (THEORY.md section 5), from the shapes of
 * src/simulate/repetitionKernels*.ts: per worker the sample block, the training and validation Grams,
 * the matrix being factorised and the dual route's kept rows; time from the Gram updates over
 * every sample and one eigendecomposition per (n, m) cell. An order of magnitude, used to warn
 * about and refuse jobs that cannot fit.
 */
export function estimateSimulation(plan: SimulationPlan, workers: number): JobEstimate {
  const mMax = plan.levels[plan.levels.length - 1];
  const Lmax = bitsPerSample(plan.params.q, mMax);
  const Lp = Math.ceil(Lmax / 4) * 4;
  const nMax = plan.n[plan.n.length - 1];
  const dualRows = Math.min(nMax, Lmax);
  const perRepDoubles = Lp * plan.blockRows + 3 * Lp * Lp + Lmax * Lmax + dualRows * Lmax + 8 * Lmax;
  const samples = nMax + plan.validationSize + (plan.scoring === 'sampled' ? plan.testSize : 0);
  const gram = (samples * Lp * Lp) / 2;
  const factor = plan.n.length * plan.levels.reduce((a, m) => a + (4 / 3) * bitsPerSample(plan.params.q, m) ** 3, 0);
  const seconds = (plan.reps * (gram + factor)) / MULADDS_PER_SECOND;
  return { memoryBytes: 8 * perRepDoubles * Math.max(1, workers) + 64 * 2 ** 20, seconds, what: `${plan.reps} repetitions (L = ${Lmax}, n up to ${nMax})` };
}
