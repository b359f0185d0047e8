/**
 * The tiny real sweep of the end-to-end tests (Fashion-MNIST, real codec, ridge trainer):
 * a 2-fraction x 3-distance grid, one strategy budget at half the lossless pool with the
 * fixed level d = 2, and a small matrix evaluation. Sizes, seeds and the codec cache vary
 * per test; the field order is fixed, so a config written twice is byte-identical.
 */
export interface TinySweepOptions {
  name: string;
  cacheDir: string;
  split: { validationSize: number; poolSize: number; testSize: number };
  gridSeeds: number;
  matrixTestSize: number;
}

export function tinySweepConfig(o: TinySweepOptions) {
  return {
    name: o.name,
    dataset: { kind: 'fashion-mnist' },
    trainer: 'ridge',
    trainerOptions: { lambdaGrid: [0.01, 0.1, 1] },
    seed: 5,
    split: o.split,
    codec: { cacheDir: o.cacheDir, workers: 1 },
    grid: { fractions: [0.5, 1], distances: [0, 2, 15], seeds: o.gridSeeds },
    fit: {},
    strategies: { budgetsRelativeToLossless: [0.5], seeds: 2, fixedDistances: [2], randomized: { step: 1 }, searchSampleSize: 30 },
    matrix: { testDistances: [0, 15], testSize: o.matrixTestSize },
    figures: { prefix: 'tiny-', png: false },
  };
}
