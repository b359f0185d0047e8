import type { ImageSet } from '../src/data/imageSet.js';
import { createRng } from '../src/util/rng.js';

/**
 * Synthetic but image-like test pictures (smooth gradient, a blob and mild noise), so codec
 * tests depend on no installed dataset. 28x28 like Fashion-MNIST by default; labels cycle
 * through `classes` classes.
 */
export function syntheticImages(count: number, channels: 1 | 3, opts: { seed?: number; size?: number; classes?: number } = {}): ImageSet {
  const { seed = 1, size = 28, classes = 3 } = opts;
  const rng = createRng(seed);
  const per = size * size * channels;
  const pixels = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) {
    const cx = 6 + rng.uniform() * 16;
    const cy = 6 + rng.uniform() * 16;
    const r = 4 + rng.uniform() * 6;
    const base = rng.uniform() * 80;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
        for (let c = 0; c < channels; c++) {
          const v = base + (x + y) * 2 + (inside ? 120 + 20 * c : 0) + rng.normal() * 6;
          pixels[i * per + (y * size + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return {
    width: size,
    height: size,
    channels,
    count,
    pixels,
    labels: Int32Array.from({ length: count }, (_, i) => i % classes),
    classNames: Array.from({ length: classes }, (_, c) => String.fromCharCode(97 + c)),
    ids: Array.from({ length: count }, (_, i) => `synthetic/${i}`),
  };
}
