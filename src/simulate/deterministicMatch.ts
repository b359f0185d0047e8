import type { ModelParams } from '../model/params.js';
import { tailEnergy } from '../model/populationRisk.js';
import { deterministicRisk, type RiskParts } from '../theory/deterministicRisk.js';

/**
 * Deterministic risk (THEORY.md section 3) for a generator whose tail stops at level
 * `tailLevels - 1`, the simulation's model. The tail beyond the kept m levels enters Lemma 1
 * only as label noise of variance K, so the truncated-tail risk is the same formula with
 * K_m replaced by K_trunc = sum_{m<=l<tailLevels} (r/p)^l; B and V do not depend on K.
 * With tailLevels undefined this is deterministicRisk itself (infinite tail).
 */
export function matchedDeterministicRisk(params: ModelParams, point: { n: number; m: number; lambda: number }, tailLevels?: number): RiskParts {
  const d = deterministicRisk(params, point);
  if (tailLevels === undefined) return d;
  const K = tailEnergy(params, point.m, { tailLevels });
  const tau2 = params.tau ** 2;
  const variance = (tau2 + K) * d.varianceFactor;
  const excess = K + d.bias + variance;
  return { ...d, compression: K, variance, excess, risk: tau2 + excess };
}
