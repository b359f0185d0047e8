import { InputError } from '../errors.js';
import { fitLaw, type FitOptions, type LawFit } from './fitLaw.js';
import { predictRaw, type LawObservation, type LawParams } from './lawForms.js';

/**
 * Extrapolation check (THEORY.md section 6: whether to trust the optimum): fit the law on the
 * rows with the smaller n (or L) and predict the held-out rows with the largest values. The
 * storage optimum usually lies beyond the measured grid, so this is the test that matters.
 */
export interface ExtrapolationCell {
  n: number;
  L: number;
  observed: number;
  predicted: number;
  /** (predicted - observed) / observed (null when observed = 0). */
  relativeError: number | null;
}

export interface ExtrapolationCheck {
  axis: 'n' | 'L';
  trainValues: number[];
  heldOutValues: number[];
  trainRows: number;
  heldOutRows: number;
  /** Parameters fitted on the training part and on all rows. */
  trainParams: LawParams;
  fullParams: LawParams;
  cells: ExtrapolationCell[];
  rmse: number;
  meanAbsRelativeError: number | null;
  maxAbsRelativeError: number | null;
  trainWarnings: string[];
}

/** Fit on all but the `holdOut` largest distinct values of `axis`, predict the rest (cell means). */
export function extrapolationCheck(rows: LawObservation[], opts: FitOptions & { axis?: 'n' | 'L'; holdOut?: number; fullFit?: LawFit } = {}): ExtrapolationCheck {
  const axis = opts.axis ?? 'n';
  if (axis !== 'n' && axis !== 'L') throw new InputError('axis', axis, 'n or L');
  const holdOut = opts.holdOut ?? 1;
  const values = [...new Set(rows.map((r) => r[axis]))].sort((a, b) => a - b);
  if (!Number.isInteger(holdOut) || holdOut < 1 || holdOut > values.length - 2) {
    throw new InputError('holdOut', holdOut, `an integer in [1, ${Math.max(values.length - 2, 0)}] (there are ${values.length} distinct ${axis} values; at least 2 must remain for fitting)`);
  }
  const cut = values[values.length - holdOut];
  const train = rows.filter((r) => r[axis] < cut);
  const test = rows.filter((r) => r[axis] >= cut);
  const fitOpts: FitOptions = { form: opts.form, estimator: opts.estimator, huberDelta: opts.huberDelta, startGrid: opts.startGrid };
  const trainFit = fitLaw(train, fitOpts);
  const full = opts.fullFit ?? fitLaw(rows, fitOpts);
  const cellsMap = new Map<string, { n: number; L: number; sum: number; count: number }>();
  for (const r of test) {
    const key = `${r.n}|${r.L}`;
    const c = cellsMap.get(key) ?? { n: r.n, L: r.L, sum: 0, count: 0 };
    c.sum += r.error;
    c.count++;
    cellsMap.set(key, c);
  }
  const cells: ExtrapolationCell[] = [...cellsMap.values()].map((c) => {
    const observed = c.sum / c.count;
    const predicted = predictRaw(trainFit.form, trainFit.params, c.n, c.L);
    return { n: c.n, L: c.L, observed, predicted, relativeError: observed !== 0 ? (predicted - observed) / observed : null };
  });
  cells.sort((a, b) => a.n - b.n || a.L - b.L);
  const rel = cells.map((c) => c.relativeError).filter((x): x is number => x !== null).map(Math.abs);
  return {
    axis,
    trainValues: values.filter((v) => v < cut),
    heldOutValues: values.filter((v) => v >= cut),
    trainRows: train.length,
    heldOutRows: test.length,
    trainParams: trainFit.params,
    fullParams: full.params,
    cells,
    rmse: Math.sqrt(cells.reduce((s, c) => s + (c.predicted - c.observed) ** 2, 0) / Math.max(cells.length, 1)),
    meanAbsRelativeError: rel.length ? rel.reduce((s, x) => s + x, 0) / rel.length : null,
    maxAbsRelativeError: rel.length ? Math.max(...rel) : null,
    trainWarnings: trainFit.warnings,
  };
}
