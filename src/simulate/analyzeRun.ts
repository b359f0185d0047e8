import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StylizedConfig } from '../config/fig6Config.js';
import { fitLaw, type LawFit } from '../fit/fitLaw.js';
import { exponents, type Exponents } from '../theory/exponents.js';
import { gridOptimalRisk } from '../theory/optimalLambda.js';
import { monteCarloPaths, readMonteCarloSummary } from './runDir.js';
import { matchedDeterministicRisk } from './deterministicMatch.js';
import { csvHeader, csvRow } from '../io/csv.js';
import { formatPValue, largestResidualsLine } from '../fit/goodnessOfFit.js';

/**
 * Analysis of a finished Monte Carlo run (THEORY.md section 5): the law a n^-alpha + b L^-beta
 * fitted to the simulated excess errors (law.json), its exponents beside Theorem 1's, tables
 * comparing every point with the deterministic risk (the Figure-6 figures are drawn by
 * src/figures/fig6.ts from the same run directory).
 */
export interface RunAnalysis {
  law: LawFit;
  lawLsq: LawFit;
  /**
   * Least squares weighted by the cells' Monte Carlo standard errors: the goodness-of-fit test of the law
   * (null when a cell has no standard error > 0, e.g. a run of one repetition).
   */
  lawWeighted: LawFit | null;
  exponents: Exponents;
  /** Simulated vs deterministic fixed-lambda risk over the points with n >= 300 (nulls when there is none). */
  fixedLambdaCheck: { points: number; maxAbsZ: number | null; meanZ: number | null; rmsZ: number | null; maxRelDiff: number | null };
  text: string;
}

const fmt = (x: number, d = 4): string => (Number.isFinite(x) ? x.toPrecision(d) : 'n/a');

/** Fit and tables of a run directory holding summary.json (THEORY.md section 5). */
export function analyzeRun(runDir: string, opts: { config: StylizedConfig }): RunAnalysis {
  const { config } = opts;
  const summary = readMonteCarloSummary(runDir);
  const paths = monteCarloPaths(runDir);
  const params = config.model;
  const rows = summary.cells.map((c) => ({ n: c.n, L: c.L, error: c.score }));
  // Log-scale (relative) residuals: the points span three decades, a linear least-squares fit
  // would be decided by the n = 100 points alone. The plain least-squares fit is reported too.
  const law = fitLaw(rows, { form: 'excess', estimator: 'huber-log' });
  const lawLsq = fitLaw(rows, { form: 'excess', estimator: 'lsq' });
  // The law at the simulation's precision (THEORY.md section 1): least squares weighted by the
  // Monte Carlo standard errors of the cell means minimises chi^2, so if that fit is rejected
  // every parameter value is, whatever the estimator. The verdict goes into law.json.
  // A single repetition (or a cell whose repetitions agree exactly) has no standard error: no test.
  const weighable = summary.cells.every((c) => Number.isFinite(c.scoreStdErr) && c.scoreStdErr > 0);
  const lawWeighted = weighable ? fitLaw(summary.cells.map((c) => ({ n: c.n, L: c.L, error: c.score, stdErr: c.scoreStdErr })), { form: 'excess', estimator: 'lsq' }) : null;
  const test = lawWeighted?.goodnessOfFit ?? null;
  const untestedNote = lawWeighted ? lawWeighted.goodnessOfFitNote : `a cell has no Monte Carlo standard error > 0 (${summary.reps} repetition${summary.reps === 1 ? '' : 's'}; the test needs at least 2)`;
  const lawOut: LawFit = {
    ...law,
    goodnessOfFit: test,
    goodnessOfFitNote: test ? 'chi^2 of the least-squares fit weighted by the cells\' Monte Carlo standard errors (the minimum chi^2 over all parameter values of this form)' : untestedNote,
    warnings: test?.verdict === 'rejected' ? [...law.warnings, `the excess law is rejected at the simulation's precision (chi^2/dof ${fmt(test.chi2PerDof, 3)} on ${test.dof} dof, p ${formatPValue(test.pValue)}): the exponents describe the best-fitting curve under this estimator, and their standard errors are not the precision of a law that holds; ${largestResidualsLine(test)}`] : law.warnings,
  };
  writeFileSync(paths.law, JSON.stringify(lawOut, null, 1) + '\n');
  const ex = exponents(params);

  const tables = paths.tables;
  mkdirSync(tables, { recursive: true });
  // Selected-lambda points vs the deterministic risk minimised over the same grid (infinite tail).
  const lambda0s = summary.cells[0].curve.map((c) => c.lambda0);
  const sel = ['| n | m | L | simulated excess | s.e. | deterministic (grid-min) | z | selected lambda0 |', '|---|---|---|---|---|---|---|---|'];
  const selCsv = [csvHeader(['n', 'm', 'L', 'score', 'stdErr', 'deterministic', 'z', 'lambda0Selected'])];
  for (const c of summary.cells) {
    const det = config.lambda.schedule === 'theorem1' ? gridOptimalRisk(params, c.n, c.m, lambda0s).excess : NaN;
    const z = (c.score - det) / c.scoreStdErr;
    sel.push(`| ${c.n} | ${c.m} | ${c.L} | ${fmt(c.score)} | ${fmt(c.scoreStdErr, 2)} | ${fmt(det)} | ${fmt(z, 2)} | ${fmt(c.lambda0Selected, 3)} |`);
    selCsv.push(csvRow([c.n, c.m, c.L, c.score, c.scoreStdErr, det, z, c.lambda0Selected]));
  }
  writeFileSync(join(tables, 'selected.md'), sel.join('\n') + '\n');
  writeFileSync(join(tables, 'selected.csv'), selCsv.join('\n') + '\n');

  // Fixed lambda: every (n, m, lambda) of the grid against the truncated-tail deterministic risk.
  const fixCsv = [csvHeader(['n', 'm', 'L', 'lambda0', 'lambda', 'simulatedExcess', 'stdErr', 'deterministicExcess', 'z', 'relDiff'])];
  let k = 0, maxZ = 0, sumZ = 0, sumZ2 = 0, maxRel = 0;
  for (const c of summary.cells) {
    for (const pt of c.curve) {
      const det = matchedDeterministicRisk(params, { n: c.n, m: c.m, lambda: pt.lambda }, summary.levelsGenerated).excess;
      const z = (pt.excess - det) / pt.stdErr;
      const rel = (pt.excess - det) / det;
      fixCsv.push(csvRow([c.n, c.m, c.L, pt.lambda0, pt.lambda, pt.excess, pt.stdErr, det, z, rel]));
      if (c.n >= 300 && Number.isFinite(z) && Number.isFinite(rel)) {
        k++;
        maxZ = Math.max(maxZ, Math.abs(z));
        sumZ += z;
        sumZ2 += z * z;
        maxRel = Math.max(maxRel, Math.abs(rel));
      }
    }
  }
  writeFileSync(join(tables, 'fixed-lambda.csv'), fixCsv.join('\n') + '\n');
  // No point with n >= 300 and a finite z (every n below 300, or a single repetition): the check is undefined.
  const fixedLambdaCheck = k > 0 ? { points: k, maxAbsZ: maxZ, meanZ: sumZ / k, rmsZ: Math.sqrt(sumZ2 / k), maxRelDiff: maxRel } : { points: 0, maxAbsZ: null, meanZ: null, rmsZ: null, maxRelDiff: null };

  const rejected = test?.verdict === 'rejected';
  // Where the law is rejected the +- would read as precision of a law that does not hold: none shown.
  const pm = (f: LawFit, k: 'alpha' | 'beta'): string => (rejected ? fmt(f.params[k]) : `${fmt(f.params[k])} +- ${fmt(f.stdErr[k] ?? NaN, 2)}`);
  const lawRow = (name: string, f: LawFit): string => `| ${name} | ${fmt(f.params.A)} | ${pm(f, 'alpha')} | ${fmt(f.params.B)} | ${pm(f, 'beta')} | ${fmt(f.r2, 5)} |`;
  const verdictLine = test
    ? rejected
      ? `**The law is rejected at the simulation's precision**: weighted by the cells' Monte Carlo standard errors, chi^2/dof = ${fmt(test.chi2PerDof, 3)} on ${test.dof} dof (p ${formatPValue(test.pValue)}). The exponents below describe the best-fitting curve of each estimator (they move with the estimator), not parameters of a law that holds, so no +- is shown. ${largestResidualsLine(test)}.`
      : `Goodness of fit: weighted by the cells' Monte Carlo standard errors, chi^2/dof = ${fmt(test.chi2PerDof, 3)} on ${test.dof} dof (p ${formatPValue(test.pValue)}): consistent.`
    : `Goodness of fit: not tested (${untestedNote}).`;
  const lawMd = [
    `Law a n^-alpha + b L^-beta fitted to the ${rows.length} simulated points (THEORY.md section 5), beside Theorem 1 (section 4).`,
    '',
    verdictLine,
    '',
    '| fit | a | alpha | b | beta | R^2 |',
    '|---|---|---|---|---|---|',
    lawRow('huber-log (law.json)', law),
    lawRow('least squares', lawLsq),
    ...(lawWeighted ? [lawRow('least squares weighted by the Monte Carlo s.e.', lawWeighted)] : []),
    `| Theorem 1 | | alpha_T = ${fmt(ex.alphaTheorem)}, alpha_opt = ${fmt(ex.alphaOptimal)} | | ${fmt(ex.beta)} | |`,
    '',
    `Regime: ${ex.regime} (kappa = ${fmt(ex.kappa)}, s = ${fmt(ex.s)}).`,
  ];
  writeFileSync(join(tables, 'law.md'), lawMd.join('\n') + '\n');

  const text = [
    ...lawMd,
    '',
    k > 0
      ? `Fixed-lambda check (n >= 300, ${k} (n, m, lambda) points): max |z| = ${fmt(maxZ, 3)}, mean z = ${fmt(sumZ / k, 2)}, rms z = ${fmt(Math.sqrt(sumZ2 / k), 3)}, max relative difference ${fmt(maxRel, 2)}.`
      : 'Fixed-lambda check: n/a (no (n, m, lambda) point with n >= 300 and a standard error; it needs n >= 300 and at least 2 repetitions).',
    `Tables: ${tables}`,
  ].join('\n');
  return { law, lawLsq, lawWeighted, exponents: ex, fixedLambdaCheck, text };
}
