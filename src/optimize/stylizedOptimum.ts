import { InputError } from '../errors.js';
import { bitsPerSample, validateModel, type ModelParams } from '../model/params.js';
import { exponents, type Exponents } from '../theory/exponents.js';
import { levelTerms, newFixedPointState } from '../theory/fixedPoint.js';
import { optimalRiskFromTerms } from '../theory/optimalLambda.js';
import { fitLaw, type Estimator, type LawFit } from '../fit/fitLaw.js';
import { predictRaw, type LawObservation } from '../fit/lawForms.js';
import { optimalAllocation } from './optimalAllocation.js';

/**
 * The stylized model's own storage optimum (THEORY.md sections 1-4): minimise the deterministic
 * risk R_det(n, m, lambda*) with lambda tuned optimally, subject to n L(m) <= S, over integer
 * m (L(m) = (q^m - 1)/(q - 1)) and integer n = floor(S / L(m)). Compared with (a) the
 * optimum a law fitted to the model's own risk surface recommends, and (b) the storage
 * exponent nu = alpha_opt beta/(alpha_opt + beta) of Theorem 1 (optimal lambda).
 */
export interface StylizedPoint {
  m: number;
  L: number;
  n: number;
  risk: number;
  /** risk - tau^2. */
  excess: number;
  lambda: number;
}

export interface StylizedOptimum {
  storage: number;
  best: StylizedPoint;
  /** The best n for every feasible m (n = floor(S / L(m)) >= 1). */
  perLevel: StylizedPoint[];
}

/** Risk-minimising (m, n) at storage S for the stylized model with optimal lambda (THEORY.md sections 2-4). */
export function stylizedOptimum(params: ModelParams, storage: number, opts: { mMax?: number } = {}): StylizedOptimum {
  const model = validateModel(params);
  if (!(storage >= 1) || !Number.isFinite(storage)) throw new InputError('storage', storage, 'a finite storage >= 1 (units of L: kept coordinates)');
  const mMax = opts.mMax ?? 60;
  if (!Number.isInteger(mMax) || mMax < 1 || mMax > 60) throw new InputError('mMax', mMax, 'an integer in [1, 60]');
  const st = newFixedPointState();
  const perLevel: StylizedPoint[] = [];
  for (let m = 1; m <= mMax; m++) {
    const L = bitsPerSample(model.q, m);
    const n = Math.floor(storage / L + 1e-9);
    if (n < 1) break;
    const r = optimalRiskFromTerms(levelTerms(model, m), n, st);
    perLevel.push({ m, L, n, risk: r.risk, excess: r.risk - model.tau ** 2, lambda: r.lambda });
  }
  if (perLevel.length === 0) throw new InputError('storage', storage, `storage >= L(1) = 1`);
  const best = perLevel.reduce((a, b) => (b.risk < a.risk ? b : a));
  return { storage, best, perLevel };
}

/** Deterministic risk (optimal lambda) on an (n, m) grid as law observations (excess error). */
export function stylizedRiskGrid(params: ModelParams, ns: number[], ms: number[]): (LawObservation & { m: number; risk: number })[] {
  const model = validateModel(params);
  const st = newFixedPointState();
  const out: (LawObservation & { m: number; risk: number })[] = [];
  for (const m of ms) {
    const k = levelTerms(model, m);
    for (const n of ns) {
      const r = optimalRiskFromTerms(k, n, st);
      out.push({ n, L: k.L, m, risk: r.risk, error: r.risk - model.tau ** 2 });
    }
  }
  return out;
}

export interface StylizedStudyRow {
  storage: number;
  /** The model's own optimum. */
  trueM: number;
  trueL: number;
  trueN: number;
  trueExcess: number;
  /** The fitted law's continuous optimum. */
  lawN: number;
  lawL: number;
  lawPredictedExcess: number;
  /** The level the law's L* maps to (the neighbour of L* the law predicts better), with the model's true excess there. */
  lawM: number;
  lawMN: number;
  lawMExcess: number;
  /** lawMExcess / trueExcess - 1: the price of following the fitted law. */
  regret: number;
}

export interface StylizedStudy {
  params: ModelParams;
  exponents: Exponents;
  fitGrid: { n: number[]; m: number[] };
  estimator: Estimator;
  law: LawFit;
  rows: StylizedStudyRow[];
  /** A fixed-resolution strategy for comparison: every sample at level fixedM (the finest Figure-6 level), n = floor(S / L). */
  fixedLevel: { m: number; L: number; storage: number; n: number; excess: number }[];
  /** Least-squares slope of ln(excess*) on ln S over the whole range and over its upper half, negated. */
  measuredNu: { all: number; upperHalf: number; localSlopes: { fromStorage: number; toStorage: number; nu: number }[] };
}

function olsSlope(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * Study of the stylized optimum over storage budgets (THEORY.md section 4):
 * true optimum per S, the optimum of an excess-form law fitted to R_det on (fitN x fitM),
 * the regret of following the law, and the measured storage exponent vs nu from Theorem 1.
 */
export function stylizedStudy(
  params: ModelParams,
  storages: number[],
  opts: { fitN?: number[]; fitM?: number[]; estimator?: Estimator; fixedM?: number; onProgress?: (done: number, total: number) => void } = {},
): StylizedStudy {
  const model = validateModel(params);
  if (!Array.isArray(storages) || storages.length < 3) throw new InputError('storages', storages, 'at least 3 budgets');
  const fitN = opts.fitN ?? Array.from({ length: 10 }, (_, i) => Math.floor(10 ** (2 + (3 * i) / 9) + 1e-9));
  const fitM = opts.fitM ?? [2, 3, 4, 5, 6, 7, 8, 9];
  const estimator = opts.estimator ?? 'huber-log';
  const grid = stylizedRiskGrid(model, fitN, fitM);
  const law = fitLaw(grid, { form: 'excess', estimator });
  const rows: StylizedStudyRow[] = [];
  const fixedM = opts.fixedM ?? 9;
  const fixedLevel: StylizedStudy['fixedLevel'] = [];
  const sorted = [...storages].sort((a, b) => a - b);
  sorted.forEach((S, i) => {
    const opt = stylizedOptimum(model, S);
    const alloc = optimalAllocation(law, S);
    // Map L* to a level: of the two levels around L*, the one the law predicts lower at n = floor(S/L).
    const cands = opt.perLevel.filter((p) => p.L <= alloc.L * model.q && p.L >= alloc.L / model.q);
    const pick = (cands.length ? cands : opt.perLevel).reduce((a, b) => (predictRaw('excess', law.params, b.n, b.L) < predictRaw('excess', law.params, a.n, a.L) ? b : a));
    rows.push({
      storage: S,
      trueM: opt.best.m,
      trueL: opt.best.L,
      trueN: opt.best.n,
      trueExcess: opt.best.excess,
      lawN: alloc.n,
      lawL: alloc.L,
      lawPredictedExcess: alloc.error,
      lawM: pick.m,
      lawMN: pick.n,
      lawMExcess: pick.excess,
      regret: pick.excess / opt.best.excess - 1,
    });
    const fixed = opt.perLevel.find((p) => p.m === fixedM);
    if (fixed) fixedLevel.push({ m: fixedM, L: fixed.L, storage: S, n: fixed.n, excess: fixed.excess });
    opts.onProgress?.(i + 1, sorted.length);
  });
  const lx = rows.map((r) => Math.log(r.storage));
  const ly = rows.map((r) => Math.log(r.trueExcess));
  const half = Math.floor(rows.length / 2);
  const localSlopes: StylizedStudy['measuredNu']['localSlopes'] = [];
  // Local slopes over windows of about one decade of S (the envelope over integer m is wavy).
  for (let i = 0; i < rows.length; i++) {
    let j = i;
    while (j < rows.length - 1 && rows[j].storage < rows[i].storage * 10 * (1 - 1e-9)) j++;
    if (rows[j].storage < rows[i].storage * 10 * (1 - 1e-9)) break;
    localSlopes.push({ fromStorage: rows[i].storage, toStorage: rows[j].storage, nu: -olsSlope(lx.slice(i, j + 1), ly.slice(i, j + 1)) });
  }
  return {
    params: model,
    exponents: exponents(model),
    fitGrid: { n: fitN, m: fitM },
    estimator,
    law,
    rows,
    fixedLevel,
    measuredNu: { all: -olsSlope(lx, ly), upperHalf: -olsSlope(lx.slice(half), ly.slice(half)), localSlopes },
  };
}
