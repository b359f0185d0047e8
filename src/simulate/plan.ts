import { InputError } from '../errors.js';
import { logGridValues, type StylizedConfig } from '../config/fig6Config.js';
import { bitsPerSample, type ModelParams } from '../model/params.js';
import type { FeatureDistribution, TailMode } from '../model/sample.js';
import { lambdaGrid } from '../theory/optimalLambda.js';

/**
 * Everything one repetition needs, as plain data (it is posted to worker threads): the model,
 * the kept levels, the nested sample sizes, the lambda grid per n, and the protocol
 * (THEORY.md section 5).
 */
export interface SimulationPlan {
  params: ModelParams;
  /** Kept levels m, strictly increasing; the largest is m_max. */
  levels: number[];
  /** Training sizes, strictly increasing; each is a prefix of the largest (nested). */
  n: number[];
  /** lambda0 grid; lambda = lambda0 * n^exponent (theorem1) or lambda0 (constant). */
  lambda0: number[];
  schedule: 'theorem1' | 'constant';
  /** lambdas[i][k] = penalty for n[i] and lambda0[k]. */
  lambdas: number[][];
  extraLevels: number;
  features: FeatureDistribution;
  tail: TailMode;
  validationSize: number;
  testSize: number;
  scoring: 'exact' | 'sampled';
  lambdaSelection: 'validation' | 'oracle';
  seed: number;
  reps: number;
  /** Samples per block of the Gram update (a tuning knob; results do not depend on workers, but do on this). */
  blockRows: number;
}

export { lambdaGrid } from '../theory/optimalLambda.js';

/** Levels present in y: m_max + extraLevels (THEORY.md section 5). */
export function levelsGenerated(plan: Pick<SimulationPlan, 'levels' | 'extraLevels'>): number {
  return plan.levels[plan.levels.length - 1] + plan.extraLevels;
}

/** Check a plan's ranges (sizes that would not fit in memory or time are refused up front). */
export function validatePlan(plan: SimulationPlan): SimulationPlan {
  const mMax = plan.levels[plan.levels.length - 1];
  if (!plan.levels.length) throw new InputError('levels', '[]', 'at least one level');
  for (let i = 0; i < plan.levels.length; i++) {
    const m = plan.levels[i];
    if (!Number.isInteger(m) || m < 1 || (i > 0 && m <= plan.levels[i - 1])) throw new InputError('levels', plan.levels.join(','), 'strictly increasing integers >= 1');
  }
  const Lmax = bitsPerSample(plan.params.q, mMax);
  if (Lmax > 4096) throw new InputError('levels', mMax, `m_max with L(m_max) <= 4096 (got L = ${Lmax})`);
  const M = mMax + plan.extraLevels;
  const generated = bitsPerSample(plan.params.q, M);
  if (generated > 2 ** 21) throw new InputError('extraLevels', plan.extraLevels, `a value with L(m_max + extraLevels) <= 2^21 coordinates (got ${generated})`);
  if (!plan.n.length) throw new InputError('n', '[]', 'at least one sample size');
  for (let i = 0; i < plan.n.length; i++) {
    const n = plan.n[i];
    if (!Number.isInteger(n) || n < 1 || n > 1e7 || (i > 0 && n <= plan.n[i - 1])) throw new InputError('n', plan.n.join(','), 'strictly increasing integers in 1..1e7');
  }
  if (!plan.lambda0.length) throw new InputError('lambda', '[]', 'at least one penalty');
  for (const row of plan.lambdas) {
    for (const l of row) if (!(l >= 0) || !Number.isFinite(l)) throw new InputError('lambda', l, 'finite lambda >= 0');
  }
  plan.lambdas.forEach((row, i) => {
    if (row.some((l) => l === 0) && plan.n[i] <= bitsPerSample(plan.params.q, plan.levels[plan.levels.length - 1])) {
      throw new InputError('lambda', 0, `lambda > 0 when n = ${plan.n[i]} <= L(m_max) (ridgeless needs n > L)`);
    }
  });
  if (plan.lambdaSelection === 'validation' && plan.validationSize < 1) throw new InputError('validationSize', plan.validationSize, 'an integer >= 1 for validation-selected lambda');
  if (plan.scoring === 'sampled' && plan.testSize < 1) throw new InputError('testSize', plan.testSize, 'an integer >= 1 for sampled scoring');
  if (!Number.isInteger(plan.reps) || plan.reps < 1) throw new InputError('reps', plan.reps, 'an integer >= 1');
  if (!Number.isInteger(plan.seed) || plan.seed < 0) throw new InputError('seed', plan.seed, 'an integer >= 0');
  return plan;
}

/** Build the plan of a stylized-model config (THEORY.md section 5); `reps` overrides the config's. */
export function planFromConfig(config: StylizedConfig, overrides: { reps?: number } = {}): SimulationPlan {
  const n = [...new Set(logGridValues(config.simulation.n))].sort((a, b) => a - b);
  const lambda0 = logGridValues(config.lambda.lambda0);
  const sim = config.simulation;
  return validatePlan({
    params: config.model,
    levels: config.levels,
    n,
    lambda0,
    schedule: config.lambda.schedule,
    lambdas: lambdaGrid(config.model, config.lambda.schedule, lambda0, n),
    extraLevels: sim.extraLevels,
    features: sim.features,
    tail: sim.tail,
    validationSize: sim.validationSize,
    testSize: sim.testSize,
    scoring: sim.scoring,
    lambdaSelection: sim.lambdaSelection,
    seed: config.seed,
    reps: overrides.reps ?? sim.reps,
    blockRows: sim.blockRows,
  });
}
