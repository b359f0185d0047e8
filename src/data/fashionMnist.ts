import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';
import type { ImageSet } from './imageSet.js';
import { parseIdx } from './idx.js';

/**
 * Fashion-MNIST (Xiao et al. 2017) from the IDX files that Debian's `dataset-fashion-mnist`
 * installs (THEORY.md section 6): 60,000 training and 10,000 test images, 28x28 grayscale,
 * 10 classes.
 */
export const FASHION_MNIST_DEFAULT_ROOT = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const INSTALL_HINT = 'install it with `sudo apt-get install dataset-fashion-mnist` (or `bash scripts/setup.sh`), or pass the folder holding the IDX files';

function findFile(root: string, base: string): string | undefined {
  for (const name of [`${base}.gz`, base]) {
    const p = join(root, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Read one split ('train' or 't10k') of Fashion-MNIST from `root`; THEORY.md section 6. */
export function readFashionMnistSplit(root: string, split: 'train' | 't10k'): ImageSet {
  if (!existsSync(root)) throw new ResourceError(`Fashion-MNIST not found: ${root} does not exist; ${INSTALL_HINT}`);
  const imgPath = findFile(root, `${split}-images-idx3-ubyte`);
  const lblPath = findFile(root, `${split}-labels-idx1-ubyte`);
  if (!imgPath || !lblPath) {
    throw new ResourceError(`Fashion-MNIST not found: ${join(root, `${split}-images-idx3-ubyte.gz`)} or its labels file is missing; ${INSTALL_HINT}`);
  }
  const images = parseIdx(readFileSync(imgPath), imgPath);
  const labels = parseIdx(readFileSync(lblPath), lblPath);
  if (images.dims.length !== 3) throw new ResourceError(`${imgPath}: expected 3 dimensions (count, rows, cols), found ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new ResourceError(`${lblPath}: expected 1 dimension (count), found ${labels.dims.length}`);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) throw new ResourceError(`${lblPath}: ${labels.dims[0]} labels for ${count} images in ${imgPath}`);
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= FASHION_MNIST_CLASSES.length) throw new ResourceError(`${lblPath}: label ${labels.data[i]} at index ${i} outside 0..9`);
  }
  const part = split === 'train' ? 'train' : 'test';
  return {
    width,
    height,
    channels: 1,
    count,
    pixels: new Uint8Array(images.data), // own copy, not a view into the gunzipped buffer
    labels: Int32Array.from(labels.data),
    classNames: FASHION_MNIST_CLASSES.slice(),
    ids: Array.from({ length: count }, (_, i) => `fashion-mnist/${part}/${i}`),
  };
}
