import { InputError } from '../errors.js';
import { validateModel, type ModelParams } from '../model/params.js';
import { parseNumber } from '../util/validate.js';
import { emptyRiskParts, riskFromState, type RiskParts } from './deterministicRisk.js';
import { levelTerms, newFixedPointState, solveFixedPoint, validateRiskInput, type LevelTerms } from './fixedPoint.js';
import { optimalRiskFromTerms } from './optimalLambda.js';

/** The columns of a risk grid, in their canonical order. */
export const RISK_GRID_COLUMNS = ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda'] as const;

/** One row of a risk grid as text cells (lambda may be "opt"). */
export interface RiskGridCells {
  p: string;
  q: string;
  r: string;
  tau: string;
  n: string;
  m: string;
  lambda: string;
}

/**
 * Evaluates R_det (Lemma 1, THEORY.md section 3) row by row for a stream of text rows, with
 * the same validation and the same numbers as `deterministicRisk` / `optimalRisk`, but
 * without per-row allocation: the model is re-validated only when its cells change, and the
 * level terms are cached per (model, m). `evaluate` returns a result object that is reused
 * by the next call.
 */
export class RiskGridEvaluator {
  private modelKey: [string, string, string, string] = ['', '', '', ''];
  private model: ModelParams | null = null;
  private maxM = 0;
  private terms = new Map<number, LevelTerms>();
  private readonly st = newFixedPointState();
  private readonly out = emptyRiskParts();
  /** Whether the last row asked for lambda = "opt". */
  lastOpt = false;

  /** The validated model of the last row. */
  get params(): ModelParams {
    if (!this.model) throw new Error('no row evaluated yet');
    return this.model;
  }

  evaluate(c: RiskGridCells): RiskParts {
    const key = this.modelKey;
    if (this.model === null || c.p !== key[0] || c.q !== key[1] || c.r !== key[2] || c.tau !== key[3]) {
      this.model = null;
      const model = validateModel({ p: parseNumber('p', c.p), q: parseNumber('q', c.q), r: parseNumber('r', c.r), tau: parseNumber('tau', c.tau) });
      this.model = model;
      this.modelKey = [c.p, c.q, c.r, c.tau];
      this.maxM = Math.floor(Math.log(1e300) / Math.log(model.q));
      this.terms.clear();
    }
    const n = parseNumber('n', c.n);
    const m = parseNumber('m', c.m);
    const opt = c.lambda.trim() === 'opt';
    this.lastOpt = opt;
    const lambda = opt ? 1 : parseNumber('lambda', c.lambda);
    if (!(n >= 1 && Number.isInteger(m) && m >= 1 && m <= this.maxM && lambda >= 0)) {
      validateRiskInput(this.model, n, m, lambda);
      throw new InputError('row', [n, m, lambda].join(','), 'a valid (n, m, lambda)');
    }
    let k = this.terms.get(m);
    if (k === undefined) {
      k = levelTerms(this.model, m);
      this.terms.set(m, k);
    }
    if (opt) return optimalRiskFromTerms(k, n, this.st);
    if (lambda === 0 && n === k.L) validateRiskInput(this.model, n, m, lambda);
    solveFixedPoint(k, n, lambda, this.st);
    return riskFromState(k, n, lambda, this.st, this.out);
  }
}
