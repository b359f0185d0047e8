import { InputError } from '../errors.js';
import { validateModel, type ModelParams } from '../model/params.js';
import { parseNumber } from '../util/validate.js';
import { emptyRiskParts, riskFromState, type RiskParts } from './deterministicRisk.js';
import { levelTerms, MAX_SAMPLES, newFixedPointState, solveFixedPoint, validateRiskInput, type LevelTerms } from './fixedPoint.js';
import { optimalRiskFromTerms } from './optimalLambda.js';

/** How many distinct models RiskGridEvaluator keeps validated, with their level terms. */
export const MODEL_CACHE = 8;

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

/** A validated model, its largest level count (q^m stays below 1e300) and its level terms by m. */
interface ModelEntry {
  model: ModelParams;
  maxM: number;
  terms: (LevelTerms | undefined)[];
}

/**
 * Evaluates R_det (Lemma 1, THEORY.md section 3) row by row for a stream of rows, with the
 * same validation and the same numbers as `deterministicRisk` / `optimalRisk`, but without
 * per-row allocation: a model is validated once (the last MODEL_CACHE distinct models are kept),
 * and the level terms are cached per (model, m). Rows come as text cells (`evaluate`, which throws an InputError naming
 * the bad cell) or as parsed numbers (`evaluateNumbers`, which returns null for a row that
 * `evaluate` would reject, so the caller can report it through `evaluate`). The result object
 * is reused by the next call.
 */
export class RiskGridEvaluator {
  /** Text cells of the current model (null: compare numbers instead). */
  private modelKey: [string, string, string, string] | null = null;
  private keyP = NaN;
  private keyQ = NaN;
  private keyR = NaN;
  private keyTau = NaN;
  private model: ModelParams | null = null;
  private maxM = 0;
  private terms: (LevelTerms | undefined)[] = [];
  /** The last MODEL_CACHE distinct models with their level terms, oldest first (the one dropped when a new model comes): a grid may interleave a few models. */
  private readonly recent: ModelEntry[] = [];
  private readonly st = newFixedPointState();
  private readonly out = emptyRiskParts();
  /** Whether the last row asked for lambda = "opt". */
  lastOpt = false;

  /** The validated model of the last row. */
  get params(): ModelParams {
    if (!this.model) throw new Error('no row evaluated yet');
    return this.model;
  }

  /** Make `model` current, with its cached terms when it is one of the recent models. */
  private setModel(model: ModelParams): void {
    this.use(this.cached(model.p, model.q, model.r, model.tau) ?? this.remember(model));
  }

  /** Make a recent model current (its numbers become the keys the next rows are compared with). */
  private use(e: ModelEntry): void {
    this.model = e.model;
    this.maxM = e.maxM;
    this.terms = e.terms;
    this.keyP = e.model.p;
    this.keyQ = e.model.q;
    this.keyR = e.model.r;
    this.keyTau = e.model.tau;
  }

  /** The recent entry of a model with these numbers (only validated models are kept). */
  private cached(p: number, q: number, r: number, tau: number): ModelEntry | undefined {
    for (const e of this.recent) if (e.model.p === p && e.model.q === q && e.model.r === r && e.model.tau === tau) return e;
    return undefined;
  }

  private remember(model: ModelParams): ModelEntry {
    const e: ModelEntry = { model, maxM: Math.floor(Math.log(1e300) / Math.log(model.q)), terms: [] };
    if (this.recent.length >= MODEL_CACHE) this.recent.shift();
    this.recent.push(e);
    return e;
  }

  evaluate(c: RiskGridCells): RiskParts {
    const key = this.modelKey;
    if (this.model === null || key === null || c.p !== key[0] || c.q !== key[1] || c.r !== key[2] || c.tau !== key[3]) {
      this.model = null;
      this.modelKey = null;
      const model = validateModel({ p: parseNumber('p', c.p), q: parseNumber('q', c.q), r: parseNumber('r', c.r), tau: parseNumber('tau', c.tau) });
      // Equal numbers written differently ("2.01", "2.010") find the same cached model and terms.
      this.setModel(model);
      this.modelKey = [c.p, c.q, c.r, c.tau];
    }
    const n = parseNumber('n', c.n);
    const m = parseNumber('m', c.m);
    const opt = c.lambda.trim() === 'opt';
    this.lastOpt = opt;
    const lambda = opt ? 1 : parseNumber('lambda', c.lambda);
    const model = this.model as ModelParams;
    if (!(n >= 1 && n <= MAX_SAMPLES && Number.isInteger(m) && m >= 1 && m <= this.maxM && lambda >= 0)) {
      validateRiskInput(model, n, m, lambda);
      throw new InputError('row', [n, m, lambda].join(','), 'a valid (n, m, lambda)');
    }
    const k = this.levelTerms(model, m);
    if (opt) return optimalRiskFromTerms(k, n, this.st);
    if (lambda === 0 && n === k.L) validateRiskInput(model, n, m, lambda);
    solveFixedPoint(k, n, lambda, this.st);
    return riskFromState(k, n, lambda, this.st, this.out);
  }

  /**
   * The same evaluation for parsed numbers (a numeric lambda; "opt" rows go through
   * `evaluate`); null when the row is invalid (then `evaluate` on its cells gives the error).
   */
  evaluateNumbers(p: number, q: number, r: number, tau: number, n: number, m: number, lambda: number): RiskParts | null {
    if (this.model === null || p !== this.keyP || q !== this.keyQ || r !== this.keyR || tau !== this.keyTau) {
      const e = this.cached(p, q, r, tau);
      if (e !== undefined) this.use(e);
      else {
        try {
          this.use(this.remember(validateModel({ p, q, r, tau })));
        } catch {
          return null;
        }
      }
    }
    this.modelKey = null;
    this.lastOpt = false;
    if (!(n >= 1 && n <= MAX_SAMPLES && Number.isInteger(m) && m >= 1 && m <= this.maxM && lambda >= 0)) return null;
    const model = this.model as ModelParams;
    const k = this.levelTerms(model, m);
    if (lambda === 0 && n === k.L) return null;
    solveFixedPoint(k, n, lambda, this.st);
    return riskFromState(k, n, lambda, this.st, this.out);
  }

  /** The (cached) level terms of the last row's model for m; m must be valid for it (a row with this m was evaluated). */
  levelTermsOf(m: number): LevelTerms {
    return this.levelTerms(this.params, m);
  }

  private levelTerms(model: ModelParams, m: number): LevelTerms {
    let k = this.terms[m];
    if (k === undefined) {
      k = levelTerms(model, m);
      this.terms[m] = k;
    }
    return k;
  }
}
