import { describe, expect, it } from 'vitest';
import { Matrix, solve } from 'ml-matrix';
import type { ImageSet } from '../src/data/imageSet.js';
import { createRng } from '../src/util/rng.js';
import {
  accumulateGram,
  centeredSystem,
  createGramAccumulator,
  createRidgeTrainer,
  predictClasses,
  selectLambda,
  solveRidge,
} from '../src/trainers/ridgeClassifier.js';
import { createTrainer } from '../src/trainers/registry.js';
import { linalgBackend, testedBackends } from '../src/linalg/backend.js';

/** Images whose pixels depend on the class (a class-specific bright patch) plus noise, with many zero pixels like Fashion-MNIST borders. */
function syntheticImages(count: number, seed: number, size = 6, classes = 3): ImageSet {
  const rng = createRng(seed, 7);
  const d = size * size;
  const pixels = new Uint8Array(count * d);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const c = rng.below(classes);
    labels[k] = c;
    for (let i = 0; i < d; i++) {
      const border = i % size === 0 || i < size;
      if (border && rng.uniform() < 0.9) continue; // mostly zero, sometimes not
      const signal = i % classes === c ? 90 : 0;
      pixels[k * d + i] = Math.min(255, Math.floor(signal + 120 * rng.uniform()));
    }
  }
  return { width: size, height: size, channels: 1, count, pixels, labels, classNames: Array.from({ length: classes }, (_, c) => `c${c}`) };
}

function designMatrices(set: ImageSet): { X: Matrix; Y: Matrix } {
  const d = set.width * set.height * set.channels;
  const C = set.classNames.length;
  const X = new Matrix(set.count, d);
  const Y = new Matrix(set.count, C);
  for (let k = 0; k < set.count; k++) {
    for (let i = 0; i < d; i++) X.set(k, i, set.pixels[k * d + i] / 255);
    Y.set(k, set.labels[k], 1);
  }
  return { X, Y };
}

function centre(M: Matrix): Matrix {
  const means = M.mean('column');
  return M.clone().subRowVector(means);
}

// Every kernel test runs on both dense backends (OpenBLAS and the JavaScript fallback).
describe.each(testedBackends())('ridge classifier (%s)', (backendName) => {
  const backend = linalgBackend(backendName);
  it('Gram statistics match ml-matrix X^T X (blocked kernel, zero-row skipping, ragged last block)', () => {
    const set = syntheticImages(150, 1); // 150 = 2 full blocks of 64 + a ragged 22
    const acc = createGramAccumulator(36, 3);
    accumulateGram(acc, set, 0, set.count, undefined, backend);
    const { X } = designMatrices(set);
    const ref = X.transpose().mmul(X);
    let maxErr = 0;
    for (let i = 0; i < 36; i++) for (let j = i; j < 36; j++) maxErr = Math.max(maxErr, Math.abs(acc.xx[i * 36 + j] - ref.get(i, j)));
    // Sums of 150 products of numbers in [0, 1] in a different order: rounding ~1e-13.
    expect(maxErr).toBeLessThan(1e-10);
    expect(acc.n).toBe(150);
  });

  it('weights equal a direct ml-matrix solve of (Xc^T Xc + lambda I) W = Xc^T Yc', () => {
    const set = syntheticImages(200, 2);
    const acc = createGramAccumulator(36, 3);
    accumulateGram(acc, set, 0, 90, undefined, backend);
    accumulateGram(acc, set, 90, 200, undefined, backend); // incremental accumulation is the same as one pass
    const sys = centeredSystem(acc);
    const { X, Y } = designMatrices(set);
    const Xc = centre(X);
    const Yc = centre(Y);
    for (const lambda of [1e-3, 0.5, 40]) {
      const model = solveRidge(sys, lambda, backend);
      const A = Xc.transpose().mmul(Xc).add(Matrix.eye(36).mul(lambda));
      const W = solve(A, Xc.transpose().mmul(Yc));
      let maxErr = 0;
      let maxW = 0;
      for (let i = 0; i < 36; i++) {
        for (let c = 0; c < 3; c++) {
          maxErr = Math.max(maxErr, Math.abs(model.weights[i * 3 + c] - W.get(i, c)));
          maxW = Math.max(maxW, Math.abs(W.get(i, c)));
        }
      }
      // Two factorisations (Cholesky vs LU) of a matrix with condition number up to ~1e5 at
      // lambda = 1e-3: agreement to ~1e-10 relative is what double precision allows.
      expect(maxErr / maxW).toBeLessThan(1e-8);
      // Predictions: the intercept folding must give the centred model's arg-max.
      const scores = Xc.mmul(W).addRowVector(Y.mean('column'));
      const pred = predictClasses(model, set, backend);
      let agree = 0;
      for (let k = 0; k < set.count; k++) if (scores.maxRowIndex(k)[1] === pred[k]) agree++;
      expect(agree).toBe(set.count);
    }
  });

  it('selects the lambda with the lowest validation error, and learns the synthetic classes', () => {
    const train = syntheticImages(300, 3);
    const val = syntheticImages(200, 4);
    const acc = createGramAccumulator(36, 3);
    accumulateGram(acc, train, 0, train.count, undefined, backend);
    const sys = centeredSystem(acc);
    const choice = selectLambda(sys, val, undefined, backend);
    const errs = choice.validationErrors.map((v) => v.error);
    expect(Math.min(...errs)).toBe(choice.validationErrors.find((v) => v.relativeLambda === choice.relativeLambda)!.error);
    expect(Math.min(...errs)).toBeLessThan(0.2); // classes differ by a 90-level patch: easy
  });

  it('reuses the Gram of a nested previous job and gets exactly what a fresh trainer gets', async () => {
    const all = syntheticImages(260, 5);
    const val = syntheticImages(100, 6);
    const test = syntheticImages(100, 8);
    const prefix = (n: number): ImageSet => ({ ...all, count: n, pixels: all.pixels.slice(0, n * 36), labels: all.labels.slice(0, n) });
    const shared = createRidgeTrainer({ backend: backendName });
    const small = await shared.train({ id: 'a', seed: 0, train: prefix(120), validation: val, evaluate: { test } });
    const big = await shared.train({ id: 'b', seed: 0, train: prefix(260), validation: val, evaluate: { test, again: test } });
    expect(small.details!.gramSamplesReused).toBe(0);
    expect(big.details!.gramSamplesReused).toBe(120);
    const fresh = await createRidgeTrainer({ backend: backendName }).train({ id: 'c', seed: 0, train: prefix(260), validation: val, evaluate: { test } });
    expect(fresh.details!.gramSamplesReused).toBe(0);
    expect(big.error).toBe(fresh.error);
    expect(big.details!.lambda).toBeCloseTo(fresh.details!.lambda as number, 12);
    expect(big.evaluations.again.accuracy).toBe(big.accuracy);
    expect(big.perClassAccuracy).toHaveLength(3);
    // A non-nested job after that starts from scratch.
    const other = await shared.train({ id: 'd', seed: 0, train: syntheticImages(130, 9), validation: val, evaluate: { test } });
    expect(other.details!.gramSamplesReused).toBe(0);
  });

  it('rejects bad input with the parameter named', async () => {
    const set = syntheticImages(50, 10);
    const acc = createGramAccumulator(36, 3);
    accumulateGram(acc, set, 0, set.count, undefined, backend);
    expect(() => solveRidge(centeredSystem(acc), 0, backend)).toThrow(/invalid lambda: 0/);
    expect(() => selectLambda(centeredSystem(acc), set, [])).toThrow(/lambdaGrid/);
    await expect(createTrainer({ trainer: 'svm' })).rejects.toThrow(/invalid trainer: "svm" \(valid: ridge or torch\)/);
    const wrongDim = createGramAccumulator(49, 3);
    expect(() => accumulateGram(wrongDim, set, 0, set.count, undefined, backend)).toThrow(/images/);
  });
});

describe.runIf(testedBackends().includes('openblas'))('ridge classifier across backends', () => {
  it('OpenBLAS and the JavaScript kernels give the same Gram (within 2 n u sum|x_i x_j|), weights (relative 1e-9) and predictions', () => {
    const set = syntheticImages(700, 12, 8, 4); // 700 = 2 BLAS blocks of 256 + 188, 10 blocks of 64 + 60
    const [js, nat] = [linalgBackend('wasm'), linalgBackend('openblas')].map((b) => {
      const acc = createGramAccumulator(64, 4);
      accumulateGram(acc, set, 0, 300, undefined, b);
      accumulateGram(acc, set, 300, 700, undefined, b);
      const model = solveRidge(centeredSystem(acc), 0.3, b);
      return { acc, model, pred: predictClasses(model, set, b) };
    });
    for (let i = 0; i < 64; i++) {
      for (let j = i; j < 64; j++) {
        let abs = 0;
        for (let k = 0; k < 700; k++) abs += (set.pixels[k * 64 + i] / 255) * (set.pixels[k * 64 + j] / 255);
        // Each is a sum of 700 rounded products (a different order, the BLAS one scaled once per block): 2 n u bounds the gap.
        expect(Math.abs(js.acc.xx[i * 64 + j] - nat.acc.xx[i * 64 + j])).toBeLessThanOrEqual(2 * 700 * 2 ** -53 * abs + 1e-300);
      }
    }
    let maxW = 0, maxD = 0;
    js.model.weights.forEach((w, i) => {
      maxW = Math.max(maxW, Math.abs(w));
      maxD = Math.max(maxD, Math.abs(w - nat.model.weights[i]));
    });
    // cond(Xc^T Xc + 0.3 I) is below 1e5 here; Cholesky is backward stable: 1e-9 relative has a wide margin.
    expect(maxD / maxW).toBeLessThan(1e-9);
    expect(Array.from(nat.pred)).toEqual(Array.from(js.pred));
  });
});
