import { InputError } from '../errors.js';

/**
 * For the additive law the optimum is a power law of storage (THEORY.md section 1):
 * L*(S) = G S^gamma with gamma = alpha/(alpha+beta), n*(S) = S^(1-gamma)/G. Given published
 * optima (the paper's Table 2) this recovers G and gamma by least squares on ln L* vs ln S,
 * which is all Figure 2 needs, and reports how well the points follow one power law.
 */
export interface AllocationPowerLaw {
  G: number;
  gamma: number;
  /** Largest |ln L_i - ln(G S_i^gamma)| over the points. */
  maxLogResidual: number;
  /** Largest |n_i L_i / S_i - 1| (consistency of the table with n* L* = S). */
  maxBudgetMismatch: number | null;
}

/** Least-squares G, gamma of L* = G S^gamma through published optima (THEORY.md section 1). */
export function fitAllocationPowerLaw(points: { storage: number; L: number; n?: number }[]): AllocationPowerLaw {
  if (points.length < 2) throw new InputError('points', points.length, 'at least 2 (storage, L*) pairs');
  points.forEach((p, i) => {
    if (!(p.storage > 0) || !(p.L > 0)) throw new InputError(`points[${i}]`, `${p.storage}, ${p.L}`, 'storage > 0 and L > 0');
  });
  const x = points.map((p) => Math.log(p.storage));
  const y = points.map((p) => Math.log(p.L));
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  if (!(sxx > 0)) throw new InputError('points', 'one storage value', 'at least 2 distinct storage values');
  const gamma = sxy / sxx;
  const lnG = my - gamma * mx;
  const maxLogResidual = Math.max(...x.map((xi, i) => Math.abs(y[i] - lnG - gamma * xi)));
  const withN = points.filter((p) => p.n !== undefined);
  const maxBudgetMismatch = withN.length ? Math.max(...withN.map((p) => Math.abs(((p.n as number) * p.L) / p.storage - 1))) : null;
  return { G: Math.exp(lnG), gamma, maxLogResidual, maxBudgetMismatch };
}
