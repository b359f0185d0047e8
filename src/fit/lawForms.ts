import { InputError } from '../errors.js';

/**
 * The storage scaling law and its variants (THEORY.md section 1):
 *
 *   additive        Err = E* + A n^-alpha + B L^-beta        (the paper's law)
 *   excess          Err =      A n^-alpha + B L^-beta        (no constant: fits excess error, THEORY.md section 5)
 *   multiplicative  Err = E* + A n^-alpha L^-beta            (B unused, reported as 0)
 *
 * Fitting works in internal coordinates theta (log A, log B instead of A, B, which keeps them
 * positive and makes the curvature better conditioned); everything exported to users is in
 * the natural parameters { Estar, A, alpha, B, beta }.
 */
export type LawForm = 'additive' | 'excess' | 'multiplicative';
export const LAW_FORMS: readonly LawForm[] = ['additive', 'excess', 'multiplicative'];

/** One measured point: test error of a model trained on n samples stored at L bytes each. */
export interface LawObservation {
  n: number;
  L: number;
  error: number;
  /** Repetition / training seed; when every row has one the bootstrap resamples seeds. */
  seed?: number;
  /** Known standard error of `error` (on every row or none): the fit is weighted and gets a chi^2 test. */
  stdErr?: number;
  /** Cell label grouping replicate rows (default: the exact (n, L)) for the lack-of-fit test. */
  cell?: string;
}

/** Natural parameters of the law (THEORY.md section 1). */
export interface LawParams {
  Estar: number;
  A: number;
  alpha: number;
  B: number;
  beta: number;
}

export const PARAM_NAMES = ['Estar', 'A', 'alpha', 'B', 'beta'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/** A law as accepted by predictError / optimalAllocation: flat params with a form, or a LawFit-like { form, params }. */
export type LawLike = (LawParams & { form?: LawForm }) | { form?: LawForm; params: LawParams };

/** A law normalised to { form, params } with every parameter validated. */
export interface Law {
  form: LawForm;
  params: LawParams;
}

/** Normalise and validate a law object (THEORY.md section 1); throws InputError naming the bad field. */
export function toLaw(law: LawLike, where = 'law'): Law {
  if (law === null || typeof law !== 'object') throw new InputError(where, law, 'an object with form and params { Estar, A, alpha, B, beta }');
  const raw = 'params' in law && law.params && typeof law.params === 'object' ? law.params : (law as LawParams);
  const formRaw = (law as { form?: unknown }).form ?? 'additive';
  if (typeof formRaw !== 'string' || !(LAW_FORMS as readonly string[]).includes(formRaw)) {
    throw new InputError(`${where}.form`, formRaw, `one of ${LAW_FORMS.join(', ')}`);
  }
  const form = formRaw as LawForm;
  const params = {} as LawParams;
  for (const k of PARAM_NAMES) {
    const v: unknown = Reflect.get(raw, k);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${where}.params.${k}`, v, 'a finite number');
    params[k] = v;
  }
  if (!(params.A >= 0)) throw new InputError(`${where}.params.A`, params.A, 'A >= 0');
  if (form !== 'multiplicative' && !(params.B >= 0)) throw new InputError(`${where}.params.B`, params.B, 'B >= 0');
  if (!(params.alpha > 0)) throw new InputError(`${where}.params.alpha`, params.alpha, 'alpha > 0');
  if (!(params.beta > 0)) throw new InputError(`${where}.params.beta`, params.beta, 'beta > 0');
  return { form, params };
}

/** Predicted error of a law at (n, L) (THEORY.md section 1). */
export function predictError(law: LawLike, n: number, L: number): number {
  const { form, params } = toLaw(law);
  return predictRaw(form, params, n, L);
}

/** predictError without validation (hot loops over already validated laws). */
export function predictRaw(form: LawForm, p: LawParams, n: number, L: number): number {
  if (form === 'multiplicative') return p.Estar + p.A * n ** -p.alpha * L ** -p.beta;
  const e = form === 'excess' ? 0 : p.Estar;
  return e + p.A * n ** -p.alpha + p.B * L ** -p.beta;
}

/**
 * Internal coordinates per form. Index layout:
 *   additive:       [Estar, logA, alpha, logB, beta]
 *   excess:         [logA, alpha, logB, beta]
 *   multiplicative: [Estar, logA, alpha, beta]
 */
export interface FormSpec {
  form: LawForm;
  /** Names of the internal coordinates. */
  names: string[];
  /** Which natural parameter each internal coordinate maps to. */
  natural: ParamName[];
  /** Number of free parameters. */
  k: number;
}

/** Internal coordinates of a form (THEORY.md section 1). */
export function formSpec(form: LawForm): FormSpec {
  switch (form) {
    case 'additive':
      return { form, names: ['Estar', 'logA', 'alpha', 'logB', 'beta'], natural: ['Estar', 'A', 'alpha', 'B', 'beta'], k: 5 };
    case 'excess':
      return { form, names: ['logA', 'alpha', 'logB', 'beta'], natural: ['A', 'alpha', 'B', 'beta'], k: 4 };
    case 'multiplicative':
      return { form, names: ['Estar', 'logA', 'alpha', 'beta'], natural: ['Estar', 'A', 'alpha', 'beta'], k: 4 };
  }
}

/** Exponent bounds used by the fit; an estimate at a bound is reported as not identified. */
export const EXPONENT_BOUNDS: [number, number] = [1e-3, 8];
/** Bounds on log A, log B: wide enough for any real error scale, finite so exp never overflows. */
export const LOG_COEF_BOUNDS: [number, number] = [-300, 300];

/** Box bounds of the internal coordinates: E* >= 0, exponents in EXPONENT_BOUNDS, log-coefficients in LOG_COEF_BOUNDS. */
export function internalBounds(form: LawForm): { lower: number[]; upper: number[] } {
  const spec = formSpec(form);
  const lower: number[] = [];
  const upper: number[] = [];
  for (const name of spec.names) {
    if (name === 'Estar') {
      lower.push(0);
      upper.push(Infinity);
    } else if (name === 'alpha' || name === 'beta') {
      lower.push(EXPONENT_BOUNDS[0]);
      upper.push(EXPONENT_BOUNDS[1]);
    } else {
      lower.push(LOG_COEF_BOUNDS[0]);
      upper.push(LOG_COEF_BOUNDS[1]);
    }
  }
  return { lower, upper };
}

/** Internal coordinates -> natural parameters. */
export function toNatural(form: LawForm, theta: ArrayLike<number>): LawParams {
  switch (form) {
    case 'additive':
      return { Estar: theta[0], A: Math.exp(theta[1]), alpha: theta[2], B: Math.exp(theta[3]), beta: theta[4] };
    case 'excess':
      return { Estar: 0, A: Math.exp(theta[0]), alpha: theta[1], B: Math.exp(theta[2]), beta: theta[3] };
    case 'multiplicative':
      return { Estar: theta[0], A: Math.exp(theta[1]), alpha: theta[2], B: 0, beta: theta[3] };
  }
}

/** Natural parameters -> internal coordinates (A, B must be > 0 where used). */
export function toInternal(form: LawForm, p: LawParams): number[] {
  const lg = (x: number): number => Math.log(Math.max(x, 1e-300));
  switch (form) {
    case 'additive':
      return [p.Estar, lg(p.A), p.alpha, lg(p.B), p.beta];
    case 'excess':
      return [lg(p.A), p.alpha, lg(p.B), p.beta];
    case 'multiplicative':
      return [p.Estar, lg(p.A), p.alpha, p.beta];
  }
}

/**
 * Model value and its gradient with respect to the internal coordinates at one point.
 * `lnN = ln n`, `lnL = ln L` are precomputed by the caller; `grad` has length k.
 */
export function evalModel(form: LawForm, theta: ArrayLike<number>, lnN: number, lnL: number, grad: Float64Array): number {
  switch (form) {
    case 'additive': {
      const tA = Math.exp(theta[1] - theta[2] * lnN);
      const tB = Math.exp(theta[3] - theta[4] * lnL);
      grad[0] = 1;
      grad[1] = tA;
      grad[2] = -lnN * tA;
      grad[3] = tB;
      grad[4] = -lnL * tB;
      return theta[0] + tA + tB;
    }
    case 'excess': {
      const tA = Math.exp(theta[0] - theta[1] * lnN);
      const tB = Math.exp(theta[2] - theta[3] * lnL);
      grad[0] = tA;
      grad[1] = -lnN * tA;
      grad[2] = tB;
      grad[3] = -lnL * tB;
      return tA + tB;
    }
    case 'multiplicative': {
      const t = Math.exp(theta[1] - theta[2] * lnN - theta[3] * lnL);
      grad[0] = 1;
      grad[1] = t;
      grad[2] = -lnN * t;
      grad[3] = -lnL * t;
      return theta[0] + t;
    }
  }
}

/** Storage exponent nu = alpha beta / (alpha + beta) (THEORY.md section 1). */
export function storageExponent(alpha: number, beta: number): number {
  return (alpha * beta) / (alpha + beta);
}
