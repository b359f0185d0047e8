import { InputError } from '../errors.js';
import { chiSquareSurvival, fSurvival } from '../stats/distributions.js';
import type { LawObservation } from './lawForms.js';

/**
 * Goodness of fit of the storage law (THEORY.md section 1) at the precision of the data.
 *
 * - Known standard errors (a `stdErr` on every row): the fit is weighted by 1/stdErr^2 and
 *   chi^2 = sum ((observed - predicted) / stdErr)^2 on m - k degrees of freedom.
 * - Replicated cells (no stdErr, every cell with >= 3 seeds): the classical lack-of-fit test
 *   (Draper & Smith, Applied Regression Analysis, sec. 2.1). The pure error is the spread of
 *   the residuals around their cell mean, pooled over cells; each cell mean's standard error
 *   is s_pure / sqrt(seeds). chi^2 = sum seeds_c rbar_c^2 / s_pure^2 on C - k degrees of
 *   freedom, and the p-value is the F(C - k, N - C) tail of chi^2 / dof. A cell's own 3-seed
 *   standard deviation is not used as its weight: its t^2 term has infinite mean at 3 seeds.
 *   A cell whose replicates gave exactly the same error (the same training set through a
 *   deterministic trainer, e.g. every seed's full pool) holds one independent value: it counts
 *   as one replicate, with no pure-error degrees of freedom.
 *
 * The verdict is "rejected" at p < 0.01, else "consistent".
 */
export const GOF_REJECT_P = 0.01;
export const MIN_SEEDS_PER_CELL = 3;

export interface StandardizedResidual {
  n: number;
  L: number;
  cell: string;
  /** Observed minus predicted (cell mean in the replicated mode). */
  residual: number;
  stdErr: number;
  /** residual / stdErr. */
  z: number;
  rows: number;
}

export interface GoodnessOfFit {
  chi2: number;
  dof: number;
  chi2PerDof: number;
  pValue: number;
  verdict: 'consistent' | 'rejected';
  method: 'chi2-stdErr' | 'lack-of-fit-seeds';
  /** Pure-error degrees of freedom (replicated mode), else null. */
  pureErrorDof: number | null;
  /** Standardized residual per row (stdErr mode) or per cell (replicated mode), input order. */
  standardized: StandardizedResidual[];
}

/** Which goodness-of-fit route the rows allow, or why none (THEORY.md section 1). */
export type GofMode = { mode: 'stdErr' } | { mode: 'seeds'; cells: Map<string, number[]> } | { mode: 'none'; reason: string };

/** Cell label of a row: its `cell` field, else its exact (n, L). */
export function cellOf(row: LawObservation): string {
  return row.cell ?? `n=${row.n},L=${row.L}`;
}

/** Decide the goodness-of-fit route; throws InputError when stdErr is present on only some rows or is not > 0. */
export function gofMode(rows: LawObservation[]): GofMode {
  const withSe = rows.filter((r) => r.stdErr !== undefined).length;
  if (withSe > 0 && withSe < rows.length) {
    const i = rows.findIndex((r) => r.stdErr === undefined);
    throw new InputError(`rows[${i}].stdErr`, undefined, 'a finite number > 0 on every row, or on none', `${withSe} of ${rows.length} rows have one`);
  }
  if (withSe === rows.length) {
    rows.forEach((r, i) => {
      if (typeof r.stdErr !== 'number' || !Number.isFinite(r.stdErr) || !(r.stdErr > 0)) throw new InputError(`rows[${i}].stdErr`, r.stdErr, 'a finite number > 0');
    });
    return { mode: 'stdErr' };
  }
  const cells = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const k = cellOf(r);
    const list = cells.get(k);
    if (list) list.push(i);
    else cells.set(k, [i]);
  });
  const thin = [...cells.values()].filter((c) => c.length < MIN_SEEDS_PER_CELL).length;
  if (thin > 0) return { mode: 'none', reason: `${thin} of ${cells.size} cells have fewer than ${MIN_SEEDS_PER_CELL} seeds and no stdErr column was given` };
  return { mode: 'seeds', cells };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Goodness of fit from the residuals (observed - predicted, row order) of a fit with k free
 * parameters; null with a reason when the data do not allow a test.
 */
export function goodnessOfFit(rows: LawObservation[], residuals: number[], k: number, mode: GofMode = gofMode(rows)): { gof: GoodnessOfFit | null; reason: string | null } {
  if (mode.mode === 'none') return { gof: null, reason: mode.reason };
  if (mode.mode === 'stdErr') {
    const dof = rows.length - k;
    if (dof < 1) return { gof: null, reason: `${rows.length} rows leave no degrees of freedom for ${k} parameters` };
    const standardized = rows.map((r, i) => ({ n: r.n, L: r.L, cell: cellOf(r), residual: residuals[i], stdErr: r.stdErr as number, z: residuals[i] / (r.stdErr as number), rows: 1 }));
    const chi2 = standardized.reduce((s, x) => s + x.z * x.z, 0);
    const pValue = chiSquareSurvival(chi2, dof);
    return { gof: { chi2, dof, chi2PerDof: chi2 / dof, pValue, verdict: pValue < GOF_REJECT_P ? 'rejected' : 'consistent', method: 'chi2-stdErr', pureErrorDof: null, standardized }, reason: null };
  }
  const cells = [...mode.cells.entries()];
  const dof = cells.length - k;
  // Replicates per cell: 1 where every row of the cell has the identical error.
  const reps = cells.map(([, idx]) => (idx.every((i) => rows[i].error === rows[idx[0]].error) ? 1 : idx.length));
  const pureDof = reps.reduce((a, r) => a + r - 1, 0);
  if (pureDof < 1) return { gof: null, reason: 'the seeds of every cell gave identical errors (no pure error to compare the lack of fit with)' };
  if (dof < 1) return { gof: null, reason: `${cells.length} cells leave no degrees of freedom for ${k} parameters` };
  let ssPure = 0;
  const cellMeans = cells.map(([, idx]) => {
    const rbar = mean(idx.map((i) => residuals[i]));
    for (const i of idx) ssPure += (residuals[i] - rbar) ** 2;
    return rbar;
  });
  const s2 = ssPure / pureDof;
  if (!(s2 > 0)) return { gof: null, reason: 'the seeds of every cell gave identical errors (no pure error to compare the lack of fit with)' };
  const standardized = cells.map(([name, idx], c) => {
    const se = Math.sqrt(s2 / reps[c]);
    return { n: mean(idx.map((i) => rows[i].n)), L: mean(idx.map((i) => rows[i].L)), cell: name, residual: cellMeans[c], stdErr: se, z: cellMeans[c] / se, rows: idx.length };
  });
  const chi2 = standardized.reduce((s, x) => s + x.z * x.z, 0);
  const pValue = fSurvival(chi2 / dof, dof, pureDof);
  return { gof: { chi2, dof, chi2PerDof: chi2 / dof, pValue, verdict: pValue < GOF_REJECT_P ? 'rejected' : 'consistent', method: 'lack-of-fit-seeds', pureErrorDof: pureDof, standardized }, reason: null };
}

/** One line naming the largest standardized residuals (at most `count`), e.g. for the CLI's text output. */
export function largestResidualsLine(gof: GoodnessOfFit, count = 3): string {
  const top = [...gof.standardized].sort((a, b) => Math.abs(b.z) - Math.abs(a.z)).slice(0, count);
  const f = (x: number): string => Number(x.toPrecision(3)).toString();
  return `largest standardized residuals: ${top.map((t) => `${t.cell.startsWith('n=') ? `n=${f(t.n)}, L=${f(t.L)}` : `${t.cell} (n=${f(t.n)}, L=${f(t.L)})`}: ${t.z >= 0 ? '+' : ''}${t.z.toFixed(2)}`).join('; ')}`;
}

/** A p-value for display: "< 1e-15" where the survival function bottoms out. */
export function formatPValue(p: number): string {
  return p < 1e-15 ? '< 1e-15' : p < 1e-3 ? p.toExponential(1) : p.toPrecision(2);
}
