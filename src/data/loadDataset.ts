import { InputError } from '../errors.js';
import { FASHION_MNIST_DEFAULT_ROOT, readFashionMnistSplit } from './fashionMnist.js';
import { loadFolderDatasetParallel } from './folderDataset.js';
import { selectImages, type ImageSet } from './imageSet.js';
import { stratifiedSplit } from './split.js';

/** Which dataset to read (THEORY.md section 6). */
export type DatasetSpec =
  | { kind: 'fashion-mnist'; root?: string; validationFraction?: number; seed?: number }
  | { kind: 'folder'; root: string; testFraction?: number; validationFraction?: number; seed?: number; maxPerClass?: number; size?: number };

export interface LoadedDataset {
  train: ImageSet;
  /** Carved from the training images (stratified, seeded); empty when validationFraction is 0. */
  validation: ImageSet;
  /** Fashion-MNIST: the official test split; folders: a stratified seeded split. */
  test: ImageSet;
  spec: DatasetSpec;
  /** Where the images were read from. */
  source: string;
  /** Files skipped as unreadable (folder datasets), with why. */
  skipped: { path: string; reason: string }[];
}

/** The default test fraction of a folder dataset. */
export const DEFAULT_TEST_FRACTION = 0.2;

/**
 * Load a dataset with explicit, seeded, stratified train / validation / test splits
 * (THEORY.md section 6). A missing Fashion-MNIST is a ResourceError saying how to install it.
 */
export async function loadDataset(
  spec: DatasetSpec,
  hooks: { onSkip?: (path: string, reason: string) => void; onProgress?: (done: number, total: number) => void; decodeWorkers?: number } = {},
): Promise<LoadedDataset> {
  const seed = spec.seed ?? 0;
  if (!(Number.isInteger(seed) && seed >= 0)) throw new InputError('seed', spec.seed, 'an integer >= 0');
  const validationFraction = spec.validationFraction ?? 0;
  if (spec.kind === 'fashion-mnist') {
    const root = spec.root ?? FASHION_MNIST_DEFAULT_ROOT;
    const full = readFashionMnistSplit(root, 'train');
    const test = readFashionMnistSplit(root, 't10k');
    const split = stratifiedSplit(full.labels, { validation: validationFraction }, seed);
    const train = validationFraction > 0 ? selectImages(full, split.train) : full;
    return { train, validation: selectImages(full, split.validation), test, spec, source: root, skipped: [] };
  }
  if (spec.kind === 'folder') {
    const folder = await loadFolderDatasetParallel({ root: spec.root, size: spec.size, maxPerClass: spec.maxPerClass, seed, onSkip: hooks.onSkip, onProgress: hooks.onProgress, workers: hooks.decodeWorkers });
    const testFraction = spec.testFraction ?? DEFAULT_TEST_FRACTION;
    const split = stratifiedSplit(folder.images.labels, { test: testFraction, validation: validationFraction }, seed);
    const total = folder.images.count;
    // Each share is rounded per class, so an extreme fraction can leave a part empty.
    if (testFraction > 0 && split.test.length === 0) throw new InputError('testFraction', testFraction, `a larger share: each class sends round(testFraction x its size) images to test (${total} images in all)`, 'the test split would be empty');
    if (split.train.length === 0) {
      const name = validationFraction > 0 ? 'testFraction + validationFraction' : 'testFraction';
      throw new InputError(name, testFraction + validationFraction, `a share that leaves training images (all ${total} went to ${validationFraction > 0 ? 'test and validation' : 'test'})`, 'the training split would be empty');
    }
    return {
      train: selectImages(folder.images, split.train),
      validation: selectImages(folder.images, split.validation),
      test: selectImages(folder.images, split.test),
      spec,
      source: folder.root,
      skipped: folder.skipped,
    };
  }
  throw new InputError('dataset.kind', (spec as { kind?: unknown }).kind, 'fashion-mnist or folder');
}
