import { bytesPerImageRaw, type ImageSet } from '../data/imageSet.js';
import { InputError } from '../errors.js';
import { choleskyInPlace, choleskySolve } from '../linalg/cholesky.js';
import { evalMetrics, type EvalMetrics, type TrainJob, type TrainMetrics, type Trainer, type TrainProgress } from './trainer.js';
import { linalgBackend, type LinalgBackend, type LinalgBackendName } from '../linalg/backend.js';

/**
 * Closed-form multi-output ridge classifier on raw pixels: the real-data twin of the
 * theory's estimator (THEORY.md sections 2 and 6). Features are pixels scaled to [0, 1] and
 * centred on the training mean, targets are centred one-hot class indicators, the penalty
 * is unnormalised (sum of squares + lambda ||W||^2, like THEORY.md section 2), the intercept
 * is the training mean, and the predicted class is the arg-max output.
 *
 * All the work is in the Gram matrix X^T X (n x d^2 / 2 multiply-adds: 18 G for the full
 * 60,000 x 784 Fashion-MNIST training split) and in one d x d Cholesky factorisation per
 * candidate lambda (d^3 / 3, src/linalg/cholesky.ts). Both kernels work on flat Float64Arrays: ml-matrix
 * stores matrices as arrays of row arrays and allocates per call; its X^T X measured 17x
 * slower than the blocked kernel below (bench/results/sweep.json), its Cholesky 0.27 s
 * against 0.12 s here (quiet machine; parity under heavy load), and its symmetric
 * eigendecomposition of a 784 x 784 Gram took 3.7 s, so a grid of 9 lambdas by Cholesky
 * beats one eigendecomposition. ml-matrix is the independent reference in
 * test/ridgeClassifier.test.ts.
 *
 * With native BLAS (src/linalg/backend.ts, the default when OpenBLAS loads) the same three
 * steps are dsyrk over blocks of 256 images, dpotrf + dpotrs for all C outputs at once, and
 * one dgemm per block of images for the predictions; the kernels below are the fallback.
 * Both backends agree to rounding (test/ridgeClassifier.test.ts).
 */

/** Raw (uncentred) sufficient statistics of a training set, extendable sample by sample. */
export interface GramAccumulator {
  dim: number;
  numClasses: number;
  /** Number of samples accumulated. */
  n: number;
  /** Upper triangle (j >= i) of sum_i x_i x_i^T, row-major d x d; the lower triangle is not maintained. */
  xx: Float64Array;
  /** sum_i x_i (length d). */
  sumX: Float64Array;
  /** sum_i x_i y_i^T with one-hot y, row-major d x C. */
  xy: Float64Array;
  /** Class counts (sum_i y_i). */
  sumY: Float64Array;
}

export function createGramAccumulator(dim: number, numClasses: number): GramAccumulator {
  return { dim, numClasses, n: 0, xx: new Float64Array(dim * dim), sumX: new Float64Array(dim), xy: new Float64Array(dim * numClasses), sumY: new Float64Array(numClasses) };
}

export function cloneGramAccumulator(a: GramAccumulator): GramAccumulator {
  return { dim: a.dim, numClasses: a.numClasses, n: a.n, xx: a.xx.slice(), sumX: a.sumX.slice(), xy: a.xy.slice(), sumY: a.sumY.slice() };
}

const BLOCK = 64;
const PIXEL_SCALE = 1 / 255;

/**
 * Add images [from, to) of `set` to the accumulator (THEORY.md section 6, the ridge twin).
 * Kernel: blocks of 64 samples are transposed into a d x 64 panel, pixel rows that are zero
 * across the whole block (image borders) are skipped, and each Gram entry gets a length-64
 * dot product, four columns at a time so each panel row is loaded once per four outputs.
 */
export function accumulateGram(acc: GramAccumulator, set: ImageSet, from = 0, to = set.count, onBlock?: (done: number) => void, backend: LinalgBackend = linalgBackend()): void {
  const d = acc.dim;
  if (bytesPerImageRaw(set) !== d) throw new InputError('images', `${set.width}x${set.height}x${set.channels}`, `images with ${d} values each (the accumulator's dimension)`);
  if (backend.blas) return accumulateGramBlas(acc, set, from, to, onBlock, backend.blas);
  const C = acc.numClasses;
  const B = BLOCK;
  const panel = new Float64Array(d * B);
  const active = new Int32Array(d);
  const { xx, sumX, xy, sumY } = acc;
  for (let s0 = from; s0 < to; s0 += B) {
    const nb = Math.min(B, to - s0);
    if (nb < B) panel.fill(0);
    for (let b = 0; b < nb; b++) {
      const base = (s0 + b) * d;
      const label = set.labels[s0 + b];
      if (!(label >= 0 && label < C)) throw new InputError('labels', label, `0..${C - 1}`);
      sumY[label]++;
      for (let i = 0; i < d; i++) {
        const v = set.pixels[base + i] * PIXEL_SCALE;
        panel[i * B + b] = v;
        sumX[i] += v;
        xy[i * C + label] += v;
      }
    }
    let na = 0;
    for (let i = 0; i < d; i++) {
      const o = i * B;
      for (let b = 0; b < nb; b++) {
        if (panel[o + b] !== 0) {
          active[na++] = i;
          break;
        }
      }
    }
    for (let ai = 0; ai < na; ai++) {
      const i = active[ai];
      const oi = i * B;
      const gi = i * d;
      let aj = ai;
      for (; aj + 3 < na; aj += 4) {
        const j0 = active[aj], j1 = active[aj + 1], j2 = active[aj + 2], j3 = active[aj + 3];
        const o0 = j0 * B, o1 = j1 * B, o2 = j2 * B, o3 = j3 * B;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let b = 0; b < B; b++) {
          const x = panel[oi + b];
          s0 += x * panel[o0 + b];
          s1 += x * panel[o1 + b];
          s2 += x * panel[o2 + b];
          s3 += x * panel[o3 + b];
        }
        xx[gi + j0] += s0;
        xx[gi + j1] += s1;
        xx[gi + j2] += s2;
        xx[gi + j3] += s3;
      }
      for (; aj < na; aj++) {
        const j = active[aj];
        const oj = j * B;
        let s = 0;
        for (let b = 0; b < B; b++) s += panel[oi + b] * panel[oj + b];
        xx[gi + j] += s;
      }
    }
    acc.n += nb;
    onBlock?.(s0 + nb - from);
  }
}

const BLAS_BLOCK = 256;

/**
 * accumulateGram on OpenBLAS: each block of images is a d x 256 column-major panel of raw
 * pixel values (integers, so the panel is exact) and xx += panel panel^T / 255^2 by one dsyrk
 * (lower triangle column-major = upper triangle row-major, the accumulator's layout).
 */
function accumulateGramBlas(acc: GramAccumulator, set: ImageSet, from: number, to: number, onBlock: ((done: number) => void) | undefined, blas: NonNullable<LinalgBackend['blas']>): void {
  const d = acc.dim;
  const C = acc.numClasses;
  const B = BLAS_BLOCK;
  const panel = new Float64Array(d * B);
  const { sumX, xy, sumY } = acc;
  for (let s0 = from; s0 < to; s0 += B) {
    const nb = Math.min(B, to - s0);
    for (let b = 0; b < nb; b++) {
      const base = (s0 + b) * d;
      const label = set.labels[s0 + b];
      if (!(label >= 0 && label < C)) throw new InputError('labels', label, `0..${C - 1}`);
      sumY[label]++;
      const o = b * d;
      for (let i = 0; i < d; i++) {
        const raw = set.pixels[base + i];
        panel[o + i] = raw;
        if (raw === 0) continue;
        const v = raw * PIXEL_SCALE;
        sumX[i] += v;
        xy[i * C + label] += v;
      }
    }
    blas.dsyrk('L', 'N', d, nb, PIXEL_SCALE * PIXEL_SCALE, panel, d, 1, acc.xx, d);
    acc.n += nb;
    onBlock?.(s0 + nb - from);
  }
}

/** Centred normal equations: A = X_c^T X_c (full symmetric d x d), R = X_c^T Y_c (d x C), and the means. */
export interface CenteredSystem {
  dim: number;
  numClasses: number;
  n: number;
  gram: Float64Array;
  xy: Float64Array;
  meanX: Float64Array;
  meanY: Float64Array;
}

/** Centre the raw statistics: X_c^T X_c = sum x x^T - n mu mu^T, X_c^T Y_c = sum x y^T - n mu ybar^T. */
export function centeredSystem(acc: GramAccumulator): CenteredSystem {
  const { dim: d, numClasses: C, n } = acc;
  if (n < 1) throw new InputError('training images', n, 'at least 1 image');
  const meanX = new Float64Array(d);
  const meanY = new Float64Array(C);
  for (let i = 0; i < d; i++) meanX[i] = acc.sumX[i] / n;
  for (let c = 0; c < C; c++) meanY[c] = acc.sumY[c] / n;
  const gram = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const mi = meanX[i] * n;
    for (let j = i; j < d; j++) {
      const v = acc.xx[i * d + j] - mi * meanX[j];
      gram[i * d + j] = v;
      gram[j * d + i] = v;
    }
  }
  const xy = new Float64Array(d * C);
  for (let i = 0; i < d; i++) for (let c = 0; c < C; c++) xy[i * C + c] = acc.xy[i * C + c] - n * meanX[i] * meanY[c];
  return { dim: d, numClasses: C, n, gram, xy, meanX, meanY };
}

/** A fitted linear classifier: scores = (x - meanX) W + meanY over pixels scaled to [0, 1]. */
export interface RidgeModel {
  dim: number;
  numClasses: number;
  /** d x C row-major. */
  weights: Float64Array;
  meanX: Float64Array;
  meanY: Float64Array;
  lambda: number;
}

/** Ridge weights W = (X_c^T X_c + lambda I)^-1 X_c^T Y_c by one Cholesky factorisation (THEORY.md section 2 estimator, multi-output). */
export function solveRidge(sys: CenteredSystem, lambda: number, backend: LinalgBackend = linalgBackend()): RidgeModel {
  const d = sys.dim;
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new InputError('lambda', lambda, 'a finite number > 0');
  const a = sys.gram.slice();
  for (let i = 0; i < d; i++) a[i * d + i] += lambda;
  if (backend.blas) {
    // dpotrf + dpotrs for all C outputs; the right-hand sides go column-major (d x C) and back.
    const C = sys.numClasses;
    if (backend.blas.dpotrf('L', d, a, d) !== 0) throw new InputError('lambda', lambda, 'a value large enough that X^T X + lambda I is numerically positive definite');
    const rhs = new Float64Array(d * C);
    for (let i = 0; i < d; i++) for (let c = 0; c < C; c++) rhs[c * d + i] = sys.xy[i * C + c];
    const info = backend.blas.dpotrs('L', d, C, a, d, rhs, d);
    if (info !== 0) throw new Error(`LAPACK dpotrs failed with info ${info}`);
    const weights = new Float64Array(d * C);
    for (let i = 0; i < d; i++) for (let c = 0; c < C; c++) weights[i * C + c] = rhs[c * d + i];
    return { dim: d, numClasses: C, weights, meanX: sys.meanX, meanY: sys.meanY, lambda };
  }
  if (!choleskyInPlace(a, d)) throw new InputError('lambda', lambda, 'a value large enough that X^T X + lambda I is numerically positive definite');
  return { dim: d, numClasses: sys.numClasses, weights: choleskySolve(a, d, sys.xy, sys.numClasses), meanX: sys.meanX, meanY: sys.meanY, lambda };
}

/** Predicted class per image: arg-max of the C ridge outputs. */
export function predictClasses(model: RidgeModel, set: ImageSet, backend: LinalgBackend = linalgBackend()): Int32Array {
  const d = model.dim;
  const C = model.numClasses;
  if (bytesPerImageRaw(set) !== d) throw new InputError('images', `${set.width}x${set.height}x${set.channels}`, `images with ${d} values each (the model's dimension)`);
  // Fold the centring into a bias: scores = x W + (meanY - meanX W).
  const bias = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = model.meanY[c];
    for (let i = 0; i < d; i++) s -= model.meanX[i] * model.weights[i * C + c];
    bias[c] = s;
  }
  const W = model.weights;
  const out = new Int32Array(set.count);
  if (backend.blas) {
    // Scores of a block of images, S (C x nb) = W^T X_b / 255 + bias: one dgemm (W row-major d x C is W^T column-major).
    const B = BLAS_BLOCK;
    const xb = new Float64Array(d * B);
    const S = new Float64Array(C * B);
    for (let s0 = 0; s0 < set.count; s0 += B) {
      const nb = Math.min(B, set.count - s0);
      for (let i = 0; i < nb * d; i++) xb[i] = set.pixels[s0 * d + i];
      for (let b = 0; b < nb; b++) S.set(bias, b * C);
      backend.blas.dgemm('N', 'N', C, nb, d, PIXEL_SCALE, W, C, xb, d, 1, S, C);
      for (let b = 0; b < nb; b++) {
        const o = b * C;
        let best = 0;
        for (let c = 1; c < C; c++) if (S[o + c] > S[o + best]) best = c;
        out[s0 + b] = best;
      }
    }
    return out;
  }
  const scores = new Float64Array(C);
  for (let k = 0; k < set.count; k++) {
    scores.set(bias);
    const base = k * d;
    for (let i = 0; i < d; i++) {
      const v = set.pixels[base + i];
      if (v === 0) continue;
      const x = v * PIXEL_SCALE;
      const wi = i * C;
      for (let c = 0; c < C; c++) scores[c] += x * W[wi + c];
    }
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[c] > scores[best]) best = c;
    out[k] = best;
  }
  return out;
}

/**
 * Default lambda grid, relative to the mean eigenvalue trace(X_c^T X_c) / d: 10^-3 .. 10^1 in
 * 9 half-decade steps. On Fashion-MNIST pixels the validation split picked 10^-1.5 .. 10^0 for
 * every subset from 1,200 to 6,000 images (committed run), so the grid has room on both sides.
 */
export const DEFAULT_RELATIVE_LAMBDAS: readonly number[] = Array.from({ length: 9 }, (_, i) => 10 ** (-3 + i * 0.5));

export interface LambdaChoice {
  model: RidgeModel;
  /** Selected lambda relative to trace / d. */
  relativeLambda: number;
  /** Validation error per candidate (NaN where the factorisation failed). */
  validationErrors: { relativeLambda: number; lambda: number; error: number }[];
}

/**
 * Choose lambda on the validation split (THEORY.md section 6: "lambda chosen on the
 * validation split"): fit at each lambda = rel * trace(A) / d and keep the lowest validation
 * error (ties go to the larger lambda, the simpler model).
 */
export function selectLambda(sys: CenteredSystem, validation: ImageSet, relativeLambdas: readonly number[] = DEFAULT_RELATIVE_LAMBDAS, backend: LinalgBackend = linalgBackend()): LambdaChoice {
  if (relativeLambdas.length === 0) throw new InputError('lambdaGrid', '[]', 'a non-empty list of positive numbers');
  let trace = 0;
  for (let i = 0; i < sys.dim; i++) trace += sys.gram[i * sys.dim + i];
  const scale = trace > 0 ? trace / sys.dim : 1;
  let best: { model: RidgeModel; rel: number; err: number } | undefined;
  const validationErrors: LambdaChoice['validationErrors'] = [];
  for (const rel of relativeLambdas) {
    if (!(rel > 0) || !Number.isFinite(rel)) throw new InputError('lambdaGrid', rel, 'positive finite numbers');
    const lambda = rel * scale;
    let model: RidgeModel;
    try {
      model = solveRidge(sys, lambda, backend);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      validationErrors.push({ relativeLambda: rel, lambda, error: NaN });
      continue;
    }
    const err = validation.count > 0 ? evalMetrics(predictClasses(model, validation, backend), validation.labels, sys.numClasses).error : 0;
    validationErrors.push({ relativeLambda: rel, lambda, error: err });
    if (!best || err <= best.err) best = { model, rel, err };
  }
  if (!best) throw new InputError('lambdaGrid', JSON.stringify(relativeLambdas), 'values large enough that X^T X + lambda I is positive definite');
  return { model: best.model, relativeLambda: best.rel, validationErrors };
}

export interface RidgeTrainerOptions {
  /** Candidate lambdas relative to trace(X_c^T X_c) / d. */
  lambdaGrid?: number[];
  /** Dense linear algebra backend (default: as LOSSYSCALE_BLAS selects, src/linalg/backend.ts). */
  backend?: LinalgBackendName;
}

/**
 * The in-process CPU trainer (THEORY.md section 6). It keeps the Gram statistics of the last
 * job: when the next job's training set starts with the previous one's images (the sweep
 * runs nested subsets of one (distance, seed) in increasing size), only the new images are
 * accumulated, so a whole nested chain costs one Gram pass over its largest subset.
 */
export function createRidgeTrainer(options: RidgeTrainerOptions = {}): Trainer {
  const grid = options.lambdaGrid ?? [...DEFAULT_RELATIVE_LAMBDAS];
  const backend = linalgBackend(options.backend);
  let last: { set: ImageSet; acc: GramAccumulator } | undefined;

  const isPrefix = (prev: ImageSet, next: ImageSet): boolean => {
    if (prev.count > next.count || bytesPerImageRaw(prev) !== bytesPerImageRaw(next) || prev.width !== next.width) return false;
    const per = bytesPerImageRaw(prev);
    if (Buffer.compare(Buffer.from(prev.pixels.buffer, prev.pixels.byteOffset, prev.count * per), Buffer.from(next.pixels.buffer, next.pixels.byteOffset, prev.count * per)) !== 0) return false;
    for (let i = 0; i < prev.count; i++) if (prev.labels[i] !== next.labels[i]) return false;
    return true;
  };

  return {
    name: 'ridge',
    async train(job: TrainJob, hooks: { onProgress?: (p: TrainProgress) => void; signal?: AbortSignal } = {}): Promise<TrainMetrics> {
      const t0 = performance.now();
      const train = job.train;
      const C = train.classNames.length;
      const d = bytesPerImageRaw(train);
      if (train.count < 2) throw new InputError(`job ${job.id} training images`, train.count, 'at least 2 images');
      const jobGrid = Array.isArray(job.options?.lambdaGrid) ? (job.options.lambdaGrid as number[]) : grid;
      let acc: GramAccumulator;
      let reused = 0;
      if (last && last.acc.numClasses === C && last.acc.dim === d && isPrefix(last.set, train)) {
        acc = last.acc;
        reused = last.set.count;
      } else {
        acc = createGramAccumulator(d, C);
      }
      const todo = train.count - reused;
      last = undefined; // an interrupted accumulation leaves acc partial: never reuse it
      accumulateGram(
        acc,
        train,
        reused,
        train.count,
        (done) => {
          if (hooks.signal?.aborted) throw new Error('aborted');
          hooks.onProgress?.({ jobId: job.id, fraction: (0.8 * done) / Math.max(todo, 1), message: 'gram' });
        },
        backend,
      );
      last = { set: train, acc };
      const sys = centeredSystem(acc);
      const choice = selectLambda(sys, job.validation, jobGrid, backend);
      hooks.onProgress?.({ jobId: job.id, fraction: 0.95, message: 'evaluate' });
      const evaluations: Record<string, EvalMetrics> = {};
      for (const [name, set] of Object.entries(job.evaluate)) evaluations[name] = evalMetrics(predictClasses(choice.model, set, backend), set.labels, C);
      const test = evaluations.test;
      if (!test) throw new InputError(`job ${job.id} evaluate`, Object.keys(job.evaluate).join(','), 'evaluation sets including "test"');
      return {
        evaluations,
        accuracy: test.accuracy,
        error: test.error,
        perClassAccuracy: test.perClassAccuracy,
        trainSeconds: (performance.now() - t0) / 1000,
        details: {
          trainer: 'ridge',
          n: train.count,
          dim: d,
          lambda: choice.model.lambda,
          relativeLambda: choice.relativeLambda,
          validationErrors: choice.validationErrors.map((v) => ({ relativeLambda: v.relativeLambda, error: v.error })),
          gramSamplesReused: reused,
          linalgBackend: backend.name,
        },
      };
    },
    async close() {
      last = undefined;
    },
  };
}
