/**
 * A labelled set of images held as raw pixels: the currency between datasets, the codec,
 * subsets and trainers (THEORY.md section 6). Pixels are uint8, row-major, channels last
 * (index = ((i * height + y) * width + x) * channels + c).
 */
export interface ImageSet {
  width: number;
  height: number;
  /** 1 for grayscale, 3 for RGB. */
  channels: number;
  /** Number of images. */
  count: number;
  pixels: Uint8Array;
  /** Class index per image, 0 <= label < classNames.length. */
  labels: Uint8Array | Int32Array;
  classNames: string[];
  /** Stable identifier per image within its dataset (used for codec cache keys), optional. */
  ids?: string[];
}

export function bytesPerImageRaw(set: Pick<ImageSet, 'width' | 'height' | 'channels'>): number {
  return set.width * set.height * set.channels;
}

/** The images at the given indices, as a new ImageSet (pixels copied). */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = bytesPerImageRaw(set);
  const pixels = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  const ids = set.ids ? new Array<string>(indices.length) : undefined;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < set.count)) throw new RangeError(`image index ${i} outside 0..${set.count - 1}`);
    pixels.set(set.pixels.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = set.labels[i];
    // non-null: ids is allocated only when set.ids exists.
    if (ids) ids[k] = set.ids![i];
  }
  return { width: set.width, height: set.height, channels: set.channels, count: indices.length, pixels, labels, classNames: set.classNames, ids };
}
