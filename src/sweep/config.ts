import { anyOf, arr, bool, configMetaFields, loadConfig, num, obj, oneOf, optional, record, str, summarize, tagged, type Infer, type Schema } from '../config/schema.js';
import type { ConfigOverride } from '../config/overrides.js';
import { InputError } from '../errors.js';
import { isReachableDistance } from '../codec/jxlDistance.js';
import { LIMITS } from '../util/limits.js';

/**
 * Schema of a real-data sweep config such as `sims/fashion-mnist-cpu.json` (THEORY.md
 * section 6): dataset and splits, codec cache, the (n, d) grid, the law fit, the storage
 * strategies at equal budgets, and the test-set compression matrix. One schema, parsed at
 * the CLI boundary; errors name the config path of the bad field.
 */

/** Where the images come from (src/data/loadDataset.ts DatasetSpec; defaults are loadDataset's). */
export const datasetSchema = tagged('kind', {
  'fashion-mnist': obj({
    kind: oneOf(['fashion-mnist'] as const),
    /** Directory of the four IDX files (default: Debian's dataset-fashion-mnist). */
    root: optional(str({ nonEmpty: true })),
    validationFraction: optional(num({ min: 0, max: 1, maxOpen: true })),
    seed: optional(num({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })),
  }),
  folder: obj({
    kind: oneOf(['folder'] as const),
    /** The folder holding one subfolder per class. */
    root: str({ nonEmpty: true }),
    testFraction: optional(num({ min: 0, max: 1, minOpen: true, maxOpen: true })),
    validationFraction: optional(num({ min: 0, max: 1, maxOpen: true })),
    seed: optional(num({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })),
    maxPerClass: optional(num({ integer: true, min: 1 })),
    /** Resize every image to size x size pixels. */
    size: optional(num({ integer: true, min: 1 })),
  }),
});

/** Options of the in-process ridge trainer (src/trainers/ridgeClassifier.ts). */
export const ridgeOptionsSchema = obj({
  /** Candidate lambdas relative to trace(X_c^T X_c) / d. */
  lambdaGrid: optional(arr(num({ min: 0, minOpen: true }), { minLength: 1, maxLength: LIMITS.lambdaGrid })),
});

const jsonScalar: Schema<string | number | boolean> = {
  describe: 'a string, number or boolean',
  parse(v, path) {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
    throw new InputError(path, summarize(v), 'a string, number or boolean');
  },
};

/**
 * Options of the torch trainer (src/trainers/torch/index.ts TorchTrainerOptions): the worker's
 * launch settings and its training options (worker/lossyscale_worker/train.py DEFAULTS; the
 * worker checks their values again and names the field).
 */
export const torchOptionsSchema = obj({
  model: optional(oneOf(['cnn', 'resnet18'] as const)),
  epochs: optional(num({ integer: true, min: 1 })),
  batchSize: optional(num({ integer: true, min: 2 })),
  lr: optional(num({ min: 0, minOpen: true })),
  weightDecay: optional(num({ min: 0 })),
  optimizer: optional(oneOf(['adam', 'sgd'] as const)),
  amp: optional(oneOf(['auto', 'off', 'bf16', 'fp16'] as const)),
  width: optional(num({ min: 0, minOpen: true })),
  evalBatchSize: optional(num({ integer: true, min: 1 })),
  channelsLast: optional(bool()),
  returnPredictions: optional(bool()),
  threads: optional(num({ integer: true, min: 1 })),
  device: optional(str({ nonEmpty: true })),
  group: optional(num({ integer: true, min: 1 })),
  jobTimeoutSeconds: optional(num({ min: 0, minOpen: true })),
  startTimeoutSeconds: optional(num({ min: 0, minOpen: true })),
  maxRetries: optional(num({ integer: true, min: 0 })),
  python: optional(str({ nonEmpty: true })),
  command: optional(anyOf(str({ nonEmpty: true }), arr(str({ nonEmpty: true }), { minLength: 1 }))),
  env: optional(record(str())),
  bundleDir: optional(str({ nonEmpty: true })),
  remoteBundleDir: optional(str({ nonEmpty: true })),
  failuresFile: optional(str({ nonEmpty: true })),
  quiet: optional(bool()),
  /** Training options every job gets (same names as above). */
  training: optional(record(jsonScalar)),
});

export type RidgeOptionsConfig = Infer<typeof ridgeOptionsSchema>;
export type TorchOptionsConfig = Infer<typeof torchOptionsSchema>;

/** Any object at this stage; parseSweepConfig checks it against the trainer's schema. */
const optionsObject: Schema<object> = {
  describe: 'an object',
  parse(v, path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(path, summarize(v), 'an object');
    return v;
  },
};

const distance = (): Schema<number> => ({
  describe: 'a JPEG XL Butteraugli distance: 0 (lossless), 0.1 < d <= 6.4 or 6.56 < d <= 45.4625',
  parse(v, path) {
    if (typeof v !== 'number' || !isReachableDistance(v)) throw new InputError(path, v, '0 (lossless), 0.1 < d <= 6.4 or 6.56 < d <= 45.4625');
    return v;
  },
});

export const sweepConfigSchema = obj({
  ...configMetaFields,
  name: str({ nonEmpty: true }),
  description: optional(str()),
  /** Passed to loadDataset: { kind: 'fashion-mnist', root? } or { kind: 'folder', root, testFraction?, seed?, maxPerClass?, size? }. */
  dataset: datasetSchema,
  /** 'ridge' (in-process CPU) or 'torch' (PyTorch worker). */
  trainer: oneOf(['ridge', 'torch'] as const),
  /** Options handed to the trainer (ridge: lambdaGrid relative to trace/d; torch: model, epochs...). */
  trainerOptions: optional(optionsObject, {}),
  seed: num({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }),
  split: obj({
    /** Held-out uncompressed images from the training split used to choose lambda / early stopping. */
    validationSize: num({ integer: true, min: 1, max: LIMITS.sweepImages }),
    /** Training pool (stratified subset of the rest of the training split); omit for all of it. */
    poolSize: optional(num({ integer: true, min: 10, max: LIMITS.sweepImages })),
    /** Test images (stratified subset of the test split) for the uncompressed "test" evaluation; omit for all. */
    testSize: optional(num({ integer: true, min: 10, max: LIMITS.sweepImages })),
  }),
  codec: obj({
    /** Codec cache directory (relative to the working directory). */
    cacheDir: optional(str({ nonEmpty: true }), '.cache/codec'),
    /** Encoder worker threads (default: the machine's cores). */
    workers: optional(num({ integer: true, min: 0 })),
    effort: optional(num({ integer: true, min: 1, max: 9 }), 7),
    /** Encoder: 'jsquash' (@jsquash/jxl WebAssembly, the default) or 'libjxl' (the system library; see docs of the codec). */
    backend: optional(oneOf(['jsquash', 'libjxl'] as const)),
  }),
  grid: obj({
    fractions: arr(num({ min: 0, minOpen: true, max: 1 }), { minLength: 1, increasing: true }),
    distances: arr(distance(), { minLength: 1, increasing: true }),
    seeds: num({ integer: true, min: 1, max: LIMITS.sweepSeeds }),
  }),
  fit: obj({
    form: optional(oneOf(['additive', 'excess', 'multiplicative'] as const), 'additive'),
    estimator: optional(oneOf(['lsq', 'huber-log'] as const), 'lsq'),
    bootstrap: optional(num({ integer: true, min: 0, max: 100_000 }), 0),
    /** Leave the lossless (d = 0) points out of the fit (they are the original-format baseline). */
    excludeLossless: optional(bool(), true),
  }),
  strategies: optional(
    obj({
      /** Budgets as multiples of the pool's total lossless size (e.g. 0.3 = 30% of the pool stored losslessly). */
      budgetsRelativeToLossless: optional(arr(num({ min: 0, minOpen: true }), { minLength: 1, increasing: true })),
      /** Budgets in bytes (alternative to the relative form). */
      storageBytes: optional(arr(num({ min: 1 }), { minLength: 1, increasing: true })),
      seeds: num({ integer: true, min: 1, max: LIMITS.sweepSeeds }),
      /** Naive fixed-level baselines: every image at this distance, the largest subset that fits. */
      fixedDistances: arr(distance(), { minLength: 0 }),
      randomized: optional(
        obj({
          /** Smallest distance that still shrinks the original: 0 (lossless) for PNG/raw sources, 0.5 for JPEG. */
          dMin: optional(num({ min: 0, max: 45 }), 0),
          /** Cap of d_max (THEORY.md: 15). */
          dMaxCap: optional(num({ min: 0.2, max: 45 }), 15),
          /** Distances are rounded to this step so images share encoder calls. */
          step: optional(num({ min: 0.01, max: 5 }), 0.25),
        }),
        { dMin: 0, dMaxCap: 15, step: 0.25 },
      ),
      /** Least/most compressed lossy distance the scaling-optimal search may use. */
      searchRange: optional(arr(distance(), { minLength: 2, maxLength: 2, increasing: true }), [0.5, 25]),
      /** Images (stratified, from the pool) used to probe mean size during the distance search. */
      searchSampleSize: optional(num({ integer: true, min: 10, max: LIMITS.sweepImages }), 500),
    }),
  ),
  matrix: optional(
    obj({
      /** Test distances; models are the grid's full-pool models of the first seed at each grid distance. */
      testDistances: arr(distance(), { minLength: 1, increasing: true }),
      /** Test images compressed for the matrix (stratified subset of the test split). */
      testSize: optional(num({ integer: true, min: 10, max: LIMITS.sweepImages })),
    }),
  ),
  figures: optional(
    obj({
      /** Prefix of figure file names, e.g. "fmnist-cpu-". */
      prefix: optional(str(), ''),
      png: optional(bool(), true),
    }),
    { prefix: '', png: true },
  ),
});

type BaseSweepConfig = Infer<typeof sweepConfigSchema>;
/** A parsed sweep config: trainerOptions typed by the trainer it belongs to. */
export type SweepConfig = Omit<BaseSweepConfig, 'trainer' | 'trainerOptions'> &
  ({ trainer: 'ridge'; trainerOptions: RidgeOptionsConfig } | { trainer: 'torch'; trainerOptions: TorchOptionsConfig });

/** Validate a sweep config object; cross-field rules get the same error format (THEORY.md section 6). */
export function parseSweepConfig(json: unknown): SweepConfig {
  const base = sweepConfigSchema.parse(json, 'config');
  const c: SweepConfig = base.trainer === 'ridge'
    ? { ...base, trainer: 'ridge', trainerOptions: ridgeOptionsSchema.parse(base.trainerOptions, 'config.trainerOptions') }
    : { ...base, trainer: 'torch', trainerOptions: torchOptionsSchema.parse(base.trainerOptions, 'config.trainerOptions') };
  if (c.strategies) {
    const s = c.strategies;
    if (!s.budgetsRelativeToLossless === !s.storageBytes) {
      throw new InputError('config.strategies', 'budgets', 'exactly one of budgetsRelativeToLossless or storageBytes');
    }
    if (s.seeds < 2) throw new InputError('config.strategies.seeds', s.seeds, 'an integer >= 2 (the paired storage test needs at least 2 paired seeds)');
    if (s.randomized.dMin > s.randomized.dMaxCap) throw new InputError('config.strategies.randomized.dMin', s.randomized.dMin, `<= dMaxCap = ${s.randomized.dMaxCap}`);
    if (c.fit.excludeLossless && c.grid.distances.filter((d) => d > 0).length < 2) {
      throw new InputError('config.grid.distances', JSON.stringify(c.grid.distances), 'at least two lossy distances (> 0) to fit the law');
    }
  }
  return c;
}

/** Read and validate a sweep config file. */
export function loadSweepConfig(file: string, overrides: readonly ConfigOverride[] = []): SweepConfig {
  return parseSweepConfig(loadConfig(file, { describe: 'a sweep config', parse: (v) => v }, overrides));
}
