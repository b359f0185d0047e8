import { loadDataset } from '../data/loadDataset.js';
import { selectImages, type ImageSet } from '../data/imageSet.js';
import { compressImages, type CompressedImages } from '../codec/compressImages.js';
import { createEncodePool, type EncodePool } from '../codec/encodePool.js';
import { defaultWorkers } from '../codec/compressImages.js';
import { codecVersionFor, DEFAULT_BACKEND } from '../codec/codecBackend.js';
import { InputError } from '../errors.js';
import type { SweepConfig } from './config.js';
import { stratifiedOrder } from './stratify.js';

/**
 * Everything a sweep needs in memory (THEORY.md section 6): the dataset, the run's splits
 * (validation held out of the training split, the training pool, the evaluation subsets of
 * the test split), one encoder pool shared by all codec calls, and the compressed pool and
 * test images per distance, memoised so each distance is fetched from the codec cache once.
 */
export interface SweepSplits {
  /** Indices into the loaded training split. */
  validation: number[];
  pool: number[];
  /** Indices into the loaded test split. */
  test: number[];
  matrixTest: number[];
}

export interface SweepContext {
  config: SweepConfig;
  train: ImageSet;
  testSplit: ImageSet;
  splits: SweepSplits;
  poolSet: ImageSet;
  validationSet: ImageSet;
  testSet: ImageSet;
  matrixTestSet: ImageSet;
  /** Position in the pool of a training-split index. */
  poolPosition: Map<number, number>;
  codecVersion: string;
  /** Files and class folders the dataset loader left out (unreadable, empty), with why. */
  skipped: { path: string; reason: string }[];
  /** Images the loader kept (all splits). */
  imagesLoaded: number;
  /** Compress a set at one distance through the shared encoder pool and the disk cache. */
  compress(set: ImageSet, distance: number, label?: string): Promise<CompressedImages>;
  /** The whole pool at one distance (memoised). */
  poolAt(distance: number): Promise<CompressedImages>;
  /** The matrix test subset at one distance (memoised). */
  matrixTestAt(distance: number): Promise<CompressedImages>;
  /** Hook for progress lines of codec work. */
  onCodecProgress?: (label: string, done: number, total: number) => void;
  checkInterrupt?: () => void;
  signal?: AbortSignal;
  close(): Promise<void>;
}

/** First `size` images of a seeded stratified order of `indices` (by their labels), as sorted indices. */
function stratifiedSample(labels: ArrayLike<number>, indices: number[], size: number | undefined, numClasses: number, seed: number, stream: number): number[] {
  if (size === undefined || size >= indices.length) return indices.slice();
  const sub = indices.map((i) => labels[i]);
  const order = stratifiedOrder(sub, numClasses, seed, stream);
  return Array.from(order.subarray(0, size), (k) => indices[k]).sort((a, b) => a - b);
}

/** Load the dataset and derive the run's splits (THEORY.md section 6; seeded by config.seed). */
export async function openSweepContext(
  config: SweepConfig,
  opts: { onCodecProgress?: (label: string, done: number, total: number) => void; checkInterrupt?: () => void; signal?: AbortSignal } = {},
): Promise<SweepContext> {
  const loaded = await loadDataset(config.dataset);
  const train = loaded.train;
  const testSplit = loaded.test;
  const C = train.classNames.length;
  const all = Array.from({ length: train.count }, (_, i) => i);
  let validation: number[];
  let validationSet: ImageSet;
  let rest: number[];
  if (loaded.validation.count > 0) {
    // The dataset carved its own validation split; use a stratified subset of it of the configured size.
    const vIdx = stratifiedSample(loaded.validation.labels, Array.from({ length: loaded.validation.count }, (_, i) => i), config.split.validationSize, C, config.seed, 11);
    validation = [];
    validationSet = selectImages(loaded.validation, vIdx);
    rest = all;
  } else {
    if (config.split.validationSize >= train.count) throw new InputError('config.split.validationSize', config.split.validationSize, `< the ${train.count} training images`);
    validation = stratifiedSample(train.labels, all, config.split.validationSize, C, config.seed, 11);
    const held = new Set(validation);
    rest = all.filter((i) => !held.has(i));
    validationSet = selectImages(train, validation);
  }
  if (config.split.poolSize !== undefined && config.split.poolSize > rest.length) {
    throw new InputError('config.split.poolSize', config.split.poolSize, `<= ${rest.length} (training images left after the validation split)`);
  }
  const pool = stratifiedSample(train.labels, rest, config.split.poolSize, C, config.seed, 12);
  const testAll = Array.from({ length: testSplit.count }, (_, i) => i);
  const test = stratifiedSample(testSplit.labels, testAll, config.split.testSize, C, config.seed, 13);
  const matrixTest = stratifiedSample(testSplit.labels, testAll, config.matrix?.testSize, C, config.seed, 14);
  const poolSet = selectImages(train, pool);
  const poolPosition = new Map<number, number>();
  pool.forEach((i, k) => poolPosition.set(i, k));
  const workers = config.codec.workers ?? defaultWorkers();
  let encodePool: EncodePool | undefined;
  const getPool = (): EncodePool => (encodePool ??= createEncodePool(workers));
  const compress = async (set: ImageSet, distance: number, label = `encode d=${distance}`): Promise<CompressedImages> =>
    compressImages(set, distance, {
      cacheDir: config.codec.cacheDir,
      effort: config.codec.effort,
      ...(config.codec.backend ? { backend: config.codec.backend } : {}),
      pool: getPool(),
      // non-null: opts.onCodecProgress was just tested.
      onProgress: opts.onCodecProgress ? (done, total) => opts.onCodecProgress!(label, done, total) : undefined,
      checkInterrupt: opts.checkInterrupt,
      signal: opts.signal,
    });
  const poolMemo = new Map<number, Promise<CompressedImages>>();
  const testMemo = new Map<number, Promise<CompressedImages>>();
  const matrixTestSet = selectImages(testSplit, matrixTest);
  const memo = (m: Map<number, Promise<CompressedImages>>, set: ImageSet, d: number, label: string): Promise<CompressedImages> => {
    let p = m.get(d);
    if (!p) {
      p = compress(set, d, label);
      p.catch(() => m.delete(d));
      m.set(d, p);
    }
    return p;
  };
  return {
    config,
    train,
    testSplit,
    splits: { validation, pool, test, matrixTest },
    poolSet,
    validationSet,
    testSet: selectImages(testSplit, test),
    matrixTestSet,
    poolPosition,
    codecVersion: codecVersionFor(config.codec.backend ?? DEFAULT_BACKEND),
    skipped: loaded.skipped,
    imagesLoaded: train.count + loaded.validation.count + testSplit.count,
    compress,
    poolAt: (d) => memo(poolMemo, poolSet, d, `pool d=${d}`),
    matrixTestAt: (d) => memo(testMemo, matrixTestSet, d, `test d=${d}`),
    onCodecProgress: opts.onCodecProgress,
    checkInterrupt: opts.checkInterrupt,
    signal: opts.signal,
    async close() {
      if (encodePool) await encodePool.close();
      encodePool = undefined;
    },
  };
}
