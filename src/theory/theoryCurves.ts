import { readFileSync, writeFileSync } from 'node:fs';
import { ResourceError } from '../errors.js';
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

export const THEORY_CSV_COLUMNS = ['n', 'm', 'L', 'lambda0', 'lambda', 'lambdaStar', 'bias', 'variance', 'compression', 'risk', 'excess'] as const;

/** Write theory points as CSV (full double precision, shortest round-trip form). */
export function writeTheoryCsv(path: string, points: TheoryPoint[]): void {
  const lines = [THEORY_CSV_COLUMNS.join(',')];
  for (const p of points) lines.push(THEORY_CSV_COLUMNS.map((c) => String(p[c])).join(','));
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Read a CSV written by writeTheoryCsv. */
export function readTheoryCsv(path: string): TheoryPoint[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ResourceError(`cannot read theory curves ${path} (run: lossyscale theory --config sims/fig6.json)`);
  }
  const [header, ...body] = text.trim().split(/\r?\n/);
  const cols = header.split(',');
  for (const c of THEORY_CSV_COLUMNS) {
    if (!cols.includes(c)) throw new ResourceError(`${path}: missing column ${c} (expected ${THEORY_CSV_COLUMNS.join(',')})`);
  }
  return body.map((line, i) => {
    const cells = line.split(',');
    const row = {} as Record<string, number>;
    cols.forEach((c, j) => {
      const v = Number(cells[j]);
      if (!Number.isFinite(v)) throw new ResourceError(`${path}: row ${i + 2}, column ${c}: not a finite number (${JSON.stringify(cells[j])})`);
      row[c] = v;
    });
    return row as unknown as TheoryPoint;
  });
}
