import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fitLaw, type LawFit } from '../fit/fitLaw.js';
import { predictError, type LawForm, type LawObservation, type LawParams } from '../fit/lawForms.js';
import { optimalAllocation } from '../optimize/optimalAllocation.js';
import { provenance, repoRoot } from '../provenance.js';
import { ResourceError } from '../errors.js';
import { parseSweepConfig, type SweepConfig } from './config.js';
import { readResults, type ResultRow } from './results.js';
import { readRun, runPaths } from './runDir.js';
import { formatCsv } from '../io/csv.js';
import { readVerifiedPrediction } from './prediction.js';
import { writeStorageTest, type StorageTestSummary } from './storageReport.js';
import { formatPValue } from '../fit/goodnessOfFit.js';
import { mdTable } from '../fit/tables.js';

/**
 * analyzeRun (THEORY.md sections 1, 6, 7; outputs in docs/architecture.md): from a run's results store, the law
 * fit to the (n, d) grid (law.json, the parameter table), the strategy comparison at equal
 * budgets (budget table), the test-compression matrix and summary.csv|json, from which
 * src/figures/fashionMnist.ts draws Figures 1-5.
 */
export interface GridPoint {
  distance: number;
  fraction: number;
  n: number;
  bytesPerImage: number;
  errorMean: number;
  errorSd: number;
  seeds: number;
  /** Per-seed errors. */
  errors: number[];
  inFit: boolean;
}

export interface StrategyPoint {
  strategy: string;
  budgetIndex: number;
  budgetBytes: number;
  n: number;
  bytesPerImage: number;
  storageBytes: number;
  distance: number | null;
  dMin?: number;
  dMax?: number;
  errorMean: number;
  errorSd: number;
  errors: number[];
  seeds: number;
  predictedError: number | null;
}

export interface MatrixCell {
  trainDistance: number;
  testDistance: number;
  accuracy: number;
}

export interface SweepSummary {
  name: string;
  trainer: string;
  poolSize: number | null;
  grid: GridPoint[];
  strategies: StrategyPoint[];
  matrix: MatrixCell[];
  /** Mean bytes per image at each grid distance over the largest grid subsets. */
  sizes: { distance: number; bytesPerImage: number }[];
  /** Law predictions along the scaling-optimal budget line for Figure 2. */
  allocationCurve: { storageBytes: number; n: number; L: number; error: number; originalN: number | null }[];
  law: null | {
    form: LawForm;
    params: LawParams;
    nu: number | null;
    r2: number;
    rmse: number;
    warnings: string[];
    goodnessOfFit: null | { chi2: number; dof: number; chi2PerDof: number; pValue: number; verdict: string; method: string };
    goodnessOfFitNote: string | null;
    profileIntervals: LawFit['profileIntervals'];
  };
  /** The paired storage test (null before any strategy job has finished). */
  storageTest: StorageTestSummary | null;
  originalBytesPerImage: number | null;
  nAvailable: number | null;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** Group grid rows by (distance, fraction) (THEORY.md section 6: seeds averaged). */
export function summarizeGrid(rows: ResultRow[], config: SweepConfig): GridPoint[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    if (r.phase !== 'grid') continue;
    const k = `${r.info.distance}|${r.info.fraction}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: GridPoint[] = [];
  for (const rs of groups.values()) {
    const errors = rs.map((r) => r.error);
    // non-null: grid rows always carry distance and fraction (sweep/plan.ts planGridJobs).
    const d = rs[0].info.distance!;
    out.push({
      distance: d,
      // non-null: grid rows always carry distance and fraction (sweep/plan.ts planGridJobs).
      fraction: rs[0].info.fraction!,
      n: Math.round(mean(rs.map((r) => r.info.n))),
      bytesPerImage: mean(rs.map((r) => r.info.bytesPerImage)),
      errorMean: mean(errors),
      errorSd: sd(errors),
      seeds: rs.length,
      errors,
      inFit: !(config.fit.excludeLossless && d === 0),
    });
  }
  return out.sort((a, b) => a.distance - b.distance || a.fraction - b.fraction);
}

/** Law observations from the grid rows (one per job, seeds kept for the bootstrap). */
export function lawObservations(rows: ResultRow[], config: SweepConfig): LawObservation[] {
  return rows
    .filter((r) => r.phase === 'grid' && !(config.fit.excludeLossless && r.info.distance === 0))
    .map((r) => ({ n: r.info.n, L: r.info.bytesPerImage, error: r.error, seed: r.seed, cell: `d=${r.info.distance}/f=${r.info.fraction}` }));
}

export function summarizeStrategies(rows: ResultRow[]): StrategyPoint[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    if (r.phase !== 'strategy') continue;
    const k = `${r.info.budgetIndex}|${r.info.strategy}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: StrategyPoint[] = [];
  for (const rs of groups.values()) {
    const i = rs[0].info;
    const errors = rs.map((r) => r.error);
    out.push({
      // non-null: strategy rows always carry strategy, budgetIndex and budgetBytes (sweep/plan.ts planStrategyJobs).
      strategy: i.strategy!,
      // non-null: strategy rows always carry strategy, budgetIndex and budgetBytes (sweep/plan.ts planStrategyJobs).
      budgetIndex: i.budgetIndex!,
      // non-null: strategy rows always carry strategy, budgetIndex and budgetBytes (sweep/plan.ts planStrategyJobs).
      budgetBytes: i.budgetBytes!,
      n: Math.round(mean(rs.map((r) => r.info.n))),
      bytesPerImage: mean(rs.map((r) => r.info.bytesPerImage)),
      storageBytes: mean(rs.map((r) => r.info.storageBytes)),
      distance: i.distance ?? null,
      // non-null: rows of one group share their info fields: dMin and dMax exist when the first row has them.
      ...(i.dMin !== undefined ? { dMin: mean(rs.map((r) => r.info.dMin!)), dMax: mean(rs.map((r) => r.info.dMax!)) } : {}),
      errorMean: mean(errors),
      errorSd: sd(errors),
      errors,
      seeds: rs.length,
      predictedError: i.predictedError ?? null,
    });
  }
  return out.sort((a, b) => a.budgetBytes - b.budgetBytes || a.strategy.localeCompare(b.strategy));
}

export function summarizeMatrix(rows: ResultRow[]): MatrixCell[] {
  const out: MatrixCell[] = [];
  for (const r of rows) {
    if (r.phase !== 'grid') continue;
    for (const [name, ev] of Object.entries(r.evaluations)) {
      const m = /^test@d=(.+)$/.exec(name);
      // non-null: grid rows always carry distance (sweep/plan.ts planGridJobs).
      if (m) out.push({ trainDistance: r.info.distance!, testDistance: Number(m[1]), accuracy: ev.accuracy });
    }
  }
  return out.sort((a, b) => a.trainDistance - b.trainDistance || a.testDistance - b.testDistance);
}

const csvTable = formatCsv;

const g4 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Number(x.toPrecision(4)).toString());

/** Fit the law to the grid and write law.json and tables/law.md|csv; returns undefined when the grid cannot identify it yet. */
export function fitRunLaw(runDir: string, config: SweepConfig, rows: ResultRow[]): LawFit | undefined {
  const obs = lawObservations(rows, config);
  const distinctN = new Set(obs.map((o) => o.n)).size;
  const distinctL = new Set(obs.map((o) => o.L)).size;
  if (obs.length < 6 || distinctN < 2 || distinctL < 2) return undefined;
  const fit = fitLaw(obs, { form: config.fit.form, estimator: config.fit.estimator, bootstrap: config.fit.bootstrap, seed: config.seed });
  const p = runPaths(runDir);
  const obsCsv = join(p.tables, 'grid-observations.csv');
  mkdirSync(p.tables, { recursive: true });
  writeFileSync(obsCsv, csvTable(['n', 'L', 'error', 'seed', 'cell'], obs.map((o) => [o.n, o.L, o.error, o.seed ?? null, o.cell ?? null])));
  writeFileSync(p.law, JSON.stringify({ ...fit, input: { file: relPath(obsCsv), task: config.name }, provenance: provenance({ config: config.fit, seed: config.seed }) }, null, 2) + '\n');
  const names = ['Estar', 'A', 'alpha', 'B', 'beta'] as const;
  const g = fit.goodnessOfFit;
  const rejected = g?.verdict === 'rejected';
  const headline = g
    ? `Goodness of fit (${g.method === 'chi2-stdErr' ? 'chi^2 with known standard errors' : `lack-of-fit F test against the seed-to-seed spread, ${g.pureErrorDof} pure-error dof`}): chi^2/dof = ${g4(g.chi2PerDof)} on ${g.dof} dof, p = ${formatPValue(g.pValue)}: **${g.verdict}**.` +
      (rejected ? ` The ${fit.form} law does not fit the grid at its own precision; the parameters describe the best-fitting curve, and the intervals below are not the precision of a law that holds.` : '')
    : `Goodness of fit: not tested (${fit.goodnessOfFitNote}).`;
  const cellOf = (k: (typeof names)[number]): string => {
    const pi = fit.profileIntervals?.[k];
    return `${g4(fit.params[k])}${pi ? ` [${g4(pi[0])}, ${g4(pi[1])}]` : rejected ? '' : ` ± ${g4(fit.stdErr[k])}`}`;
  };
  writeFileSync(
    join(p.tables, 'law.md'),
    `${headline}\n\nParameters with 95% profile-likelihood intervals${fit.profile?.open.length ? ` (open at a bound: ${fit.profile.open.join(', ')})` : ''}:\n\n` +
      mdTable(
        ['task', 'form', 'E*', 'A', 'alpha', 'B', 'beta', 'nu', 'R^2', 'RMSE', 'rows'],
        [[config.name, `${fit.form} (${fit.estimator})`, ...names.map(cellOf), g4(fit.nu), g4(fit.r2), g4(fit.rmse), obs.length]],
      ) + (fit.warnings.length ? `\nWarnings:\n${fit.warnings.map((w) => `- ${w}`).join('\n')}\n` : ''),
  );
  writeFileSync(
    join(p.tables, 'law.csv'),
    csvTable(['param', 'value', 'stdErr', 'lo', 'hi', 'profileLo', 'profileHi'], names.map((k) => [k, fit.params[k], fit.stdErr[k], fit.intervals[k]?.[0] ?? null, fit.intervals[k]?.[1] ?? null, fit.profileIntervals?.[k]?.[0] ?? null, fit.profileIntervals?.[k]?.[1] ?? null])),
  );
  return fit;
}

/** The full analysis of a run directory (THEORY.md sections 6-7). */
export function analyzeRun(runDir: string): { summary: SweepSummary; law?: LawFit } {
  const run = readRun(runDir);
  if (!run) throw new ResourceError(`${runDir} is not a sweep run directory (no run.json)`);
  const config = parseSweepConfig(run.config);
  const rows = readResults(runDir);
  const p = runPaths(runDir);
  mkdirSync(p.tables, { recursive: true });
  const law = fitRunLaw(runDir, config, rows);
  const grid = summarizeGrid(rows, config);
  const strategies = summarizeStrategies(rows);
  const matrix = summarizeMatrix(rows);
  const maxF = Math.max(...grid.map((g) => g.fraction));
  const sizes = grid.filter((g) => g.fraction === maxF).map((g) => ({ distance: g.distance, bytesPerImage: g.bytesPerImage }));
  const original = sizes.find((s) => s.distance === 0)?.bytesPerImage ?? null;
  const nAvailable = grid.length ? Math.max(...grid.map((g) => g.n)) : null;
  const lossy = sizes.filter((s) => s.distance > 0).map((s) => s.bytesPerImage);
  const allocationCurve: SweepSummary['allocationCurve'] = [];
  if (law && lossy.length && nAvailable) {
    const lo = Math.min(...lossy);
    const hi = Math.max(...lossy);
    const sMin = 2 * lo * 100;
    const sMax = nAvailable * hi * 2;
    for (let k = 0; k <= 40; k++) {
      const S = sMin * (sMax / sMin) ** (k / 40);
      try {
        const a = optimalAllocation(law, S, { nAvailable, minBytes: lo, maxBytes: hi, integerN: false });
        allocationCurve.push({ storageBytes: S, n: a.n, L: a.L, error: a.error, originalN: original ? Math.min(S / original, nAvailable) : null });
      } catch {
        /* infeasible budget for these constraints: no point */
      }
    }
  }
  const summary: SweepSummary = {
    name: config.name,
    trainer: config.trainer,
    poolSize: nAvailable,
    grid,
    strategies,
    matrix,
    sizes,
    allocationCurve,
    law: law
      ? {
          form: law.form, params: { ...law.params }, nu: law.nu, r2: law.r2, rmse: law.rmse, warnings: law.warnings,
          goodnessOfFit: law.goodnessOfFit ? { chi2: law.goodnessOfFit.chi2, dof: law.goodnessOfFit.dof, chi2PerDof: law.goodnessOfFit.chi2PerDof, pValue: law.goodnessOfFit.pValue, verdict: law.goodnessOfFit.verdict, method: law.goodnessOfFit.method } : null,
          goodnessOfFitNote: law.goodnessOfFitNote,
          profileIntervals: law.profileIntervals,
        }
      : null,
    storageTest: writeStorageTest(p.tables, rows, readVerifiedPrediction(runDir, run), run.prediction?.sha256 ?? null, config.seed),
    originalBytesPerImage: original,
    nAvailable,
  };
  writeFileSync(p.summaryJson, JSON.stringify(summary, null, 1) + '\n');
  writeFileSync(
    p.summaryCsv,
    csvTable(
      ['phase', 'strategy', 'distance', 'fraction', 'budgetBytes', 'n', 'bytesPerImage', 'storageBytes', 'errorMean', 'errorSd', 'seeds', 'predictedError'],
      [
        ...grid.map((g) => ['grid', '', g.distance, g.fraction, null, g.n, g.bytesPerImage, g.n * g.bytesPerImage, g.errorMean, g.errorSd, g.seeds, law ? predictError(law, g.n, g.bytesPerImage) : null]),
        ...strategies.map((s) => ['strategy', s.strategy, s.distance, null, s.budgetBytes, s.n, s.bytesPerImage, s.storageBytes, s.errorMean, s.errorSd, s.seeds, s.predictedError]),
      ],
    ),
  );
  // Budget table (paper: (S, n*, L*) per budget) with every strategy's measured error.
  if (strategies.length) {
    const budgets = [...new Set(strategies.map((s) => s.budgetBytes))].sort((a, b) => a - b);
    const names = [...new Set(strategies.map((s) => s.strategy))].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    const header = ['S (bytes)', 'n*', 'L* (B)', 'd*', ...names.map((n) => `${n} error (n, L)`)];
    const mdRows = budgets.map((S) => {
      const opt = strategies.find((s) => s.budgetBytes === S && s.strategy === 'scaling-optimal');
      return [
        Math.round(S).toLocaleString('en-US'),
        opt ? opt.n : 'n/a',
        opt ? g4(opt.bytesPerImage) : 'n/a',
        opt?.distance !== null && opt?.distance !== undefined ? g4(opt.distance) : 'n/a',
        ...names.map((n) => {
          const s = strategies.find((x) => x.budgetBytes === S && x.strategy === n);
          return s ? `${(100 * s.errorMean).toFixed(2)}% ± ${(100 * s.errorSd).toFixed(2)} (${s.n}, ${g4(s.bytesPerImage)})` : 'n/a';
        }),
      ];
    });
    writeFileSync(join(p.tables, 'budgets.md'), mdTable(header, mdRows));
    writeFileSync(
      join(p.tables, 'budgets.csv'),
      csvTable(
        ['budgetBytes', 'strategy', 'n', 'bytesPerImage', 'storageBytes', 'distance', 'dMin', 'dMax', 'errorMean', 'errorSd', 'seeds', 'predictedError'],
        strategies.map((s) => [s.budgetBytes, s.strategy, s.n, s.bytesPerImage, s.storageBytes, s.distance, s.dMin ?? null, s.dMax ?? null, s.errorMean, s.errorSd, s.seeds, s.predictedError]),
      ),
    );
  }
  if (matrix.length) {
    const tr = [...new Set(matrix.map((m) => m.trainDistance))];
    const te = [...new Set(matrix.map((m) => m.testDistance))];
    writeFileSync(
      join(p.tables, 'matrix.md'),
      mdTable(['train d \\ test d', ...te.map(String)], tr.map((a) => [a, ...te.map((b) => { const c = matrix.find((m) => m.trainDistance === a && m.testDistance === b); return c ? (100 * c.accuracy).toFixed(2) + '%' : 'n/a'; })])),
    );
    writeFileSync(join(p.tables, 'matrix.csv'), csvTable(['trainDistance', 'testDistance', 'accuracy'], matrix.map((m) => [m.trainDistance, m.testDistance, m.accuracy])));
  }
  writeFileSync(
    join(p.tables, 'grid.md'),
    mdTable(['d', 'fraction', 'n', 'L (B/image)', 'error (mean ± sd over seeds)', 'law'], grid.map((g) => [g.distance, g.fraction, g.n, g4(g.bytesPerImage), `${(100 * g.errorMean).toFixed(2)}% ± ${(100 * g.errorSd).toFixed(2)}`, law && g.inFit ? `${(100 * predictError(law, g.n, g.bytesPerImage)).toFixed(2)}%` : law ? `${(100 * predictError(law, g.n, g.bytesPerImage)).toFixed(2)}% (not fitted)` : 'n/a'])),
  );
  return { summary, law };
}

function order(strategy: string): number {
  return ['scaling-optimal', 'original', 'randomized'].indexOf(strategy) >= 0 ? ['scaling-optimal', 'original', 'randomized'].indexOf(strategy) : 3;
}

/** A path relative to the repository root when it lies inside it (committed results stay portable). */
function relPath(p: string): string {
  const r = relative(repoRoot, p);
  return r.startsWith('..') ? p : r;
}
