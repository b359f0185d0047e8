import { InputError } from '../errors.js';
import { finite } from '../util/validate.js';

/** Parameters of the stylized multiscale model (THEORY.md section 2). */
export interface ModelParams {
  /** Feature variance decay per level: Var(x_{l,j}) = p^-l. Requires p > q. */
  p: number;
  /** Branching: level l holds q^l coordinates (q = 2^d). Integer >= 2. */
  q: number;
  /** Signal energy per level: ||theta_l||^2 = r^l. Requires 0 < r < p. */
  r: number;
  /** Label noise standard deviation. tau >= 0. */
  tau: number;
}

/**
 * Largest label-noise standard deviation accepted (THEORY.md section 3): tau^2 (1 + V) must stay a
 * finite double; the variance factor V = D/(n - D) stays below about 1e16 in double arithmetic
 * (n - D resolves to about n 2^-52), so tau^2 <= 1e200 leaves room. Larger tau made `risk` print
 * null and the theory table NaN.
 */
export const MAX_TAU = 1e100;

/** The paper's Figure-6 model (THEORY.md section 5; sims/fig6.json): the default of every command that takes a model. */
export const FIGURE6_MODEL: Readonly<ModelParams> = { p: 2.01, q: 2, r: 0.99, tau: 1 };

/** Validate model parameters (THEORY.md section 2); throws InputError naming the parameter and range. */
export function validateModel(x: { p: unknown; q: unknown; r: unknown; tau: unknown }): ModelParams {
  const q = finite('q', x.q);
  if (!Number.isInteger(q) || q < 2) throw new InputError('q', x.q, 'an integer q >= 2');
  const p = finite('p', x.p);
  if (!(p > q)) throw new InputError('p', x.p, `p > q = ${q} (finite feature energy)`);
  const r = finite('r', x.r);
  if (!(r > 0 && r < p)) throw new InputError('r', x.r, `0 < r < p = ${p} (finite signal energy)`);
  const tau = finite('tau', x.tau);
  if (!(tau >= 0 && tau <= MAX_TAU)) throw new InputError('tau', x.tau, "0 <= tau <= 1e100 (tau^2 and the risk's variance term must stay finite)");
  return { p, q, r, tau };
}

/** Validate a number of kept levels m (THEORY.md section 2): an integer >= 1. */
export function validateLevels(m: unknown, param = 'm'): number {
  const v = finite(param, m);
  if (!Number.isInteger(v) || v < 1) throw new InputError(param, m, `an integer ${param} >= 1`);
  return v;
}

/** Number of coordinates at level l: q^l (THEORY.md section 2). */
export function levelSize(q: number, l: number): number {
  return q ** l;
}

/** Variance of each coordinate at level l: p^-l (THEORY.md section 2). */
export function levelVariance(p: number, l: number): number {
  return p ** -l;
}

/** Target coefficient at level l: theta_{l,j} = sqrt(r^l / q^l), so ||theta_l||^2 = r^l (THEORY.md section 2). */
export function levelCoefficient(r: number, q: number, l: number): number {
  return Math.sqrt((r / q) ** l);
}

/** Bits per sample after keeping m levels: L(m) = (q^m - 1)/(q - 1) (THEORY.md section 2). */
export function bitsPerSample(q: number, m: number): number {
  return (q ** m - 1) / (q - 1);
}

/** Compression error K_m = sum_{l>=m} (r/p)^l = (r/p)^m / (1 - r/p) (THEORY.md section 2). */
export function compressionError(params: Pick<ModelParams, 'p' | 'r'>, m: number): number {
  const ratio = params.r / params.p;
  return ratio ** m / (1 - ratio);
}

/** Total signal energy sum_l (r/p)^l = 1/(1 - r/p): the risk of the zero estimator minus tau^2. */
export function signalEnergy(params: Pick<ModelParams, 'p' | 'r'>): number {
  return 1 / (1 - params.r / params.p);
}

/** Offset of level l's first coordinate in the flattened feature vector: (q^l - 1)/(q - 1). */
export function levelOffset(q: number, l: number): number {
  return bitsPerSample(q, l);
}
