import { logGridValues, type StylizedConfig } from '../config/fig6Config.js';
import { levelTerms, newFixedPointState } from './fixedPoint.js';
import { exponents, theorem1LambdaExponent } from './exponents.js';
import { gridOptimalRiskFromTerms } from './optimalLambda.js';
import type { RiskParts } from './deterministicRisk.js';

/**
 * One point of a Figure-6 theory line (THEORY.md section 5): the Lemma-1 risk parts at the
 * lambda the grid chose, plus that grid value lambda0 (lambda = lambda0 n^((kappa+1)/(2kappa+1))
 * under the theorem1 schedule, lambda0 itself under the constant one).
 */
export type TheoryPoint = Pick<RiskParts, 'n' | 'm' | 'L' | 'lambda' | 'lambdaStar' | 'bias' | 'variance' | 'compression' | 'risk' | 'excess'> & {
  lambda0: number;
};

/**
 * Figure-6 theory lines (THEORY.md section 5): for every level m in config.levels and every n
 * of config.theory.n, R_det minimised over the config's lambda0 grid with its schedule.
 * Rows are ordered by m, then n.
 */
export function theoryCurves(config: StylizedConfig): TheoryPoint[] {
  const params = config.model;
  const ns = logGridValues(config.theory.n);
  const lambda0s = logGridValues(config.lambda.lambda0);
  const scheduleExp = theorem1LambdaExponent(exponents(params).kappa);
  const st = newFixedPointState();
  const rows: TheoryPoint[] = [];
  for (const m of config.levels) {
    const k = levelTerms(params, m);
    for (const n of ns) {
      const r = gridOptimalRiskFromTerms(k, n, lambda0s, scheduleExp, config.lambda.schedule, st);
      rows.push({
        n,
        m,
        L: r.L,
        lambda0: r.lambda0,
        lambda: r.lambda,
        lambdaStar: r.lambdaStar,
        bias: r.bias,
        variance: r.variance,
        compression: r.compression,
        risk: r.risk,
        excess: r.excess,
      });
    }
  }
  return rows;
}

/**
 * The 'vs L per n' view (THEORY.md section 5): the rows whose n is the theory-grid value
 * nearest to each simulation n (so the lines sit where the Monte Carlo points are).
 */
export function theoryViewVsL(points: TheoryPoint[], config: Pick<StylizedConfig, 'simulation'>): TheoryPoint[] {
  const theoryNs = [...new Set(points.map((p) => p.n))].sort((a, b) => a - b);
  const wanted = new Set<number>();
  for (const ns of logGridValues(config.simulation.n)) {
    let best = theoryNs[0];
    for (const n of theoryNs) if (Math.abs(Math.log(n / ns)) < Math.abs(Math.log(best / ns))) best = n;
    wanted.add(best);
  }
  return points.filter((p) => wanted.has(p.n));
}
