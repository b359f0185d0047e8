import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { syntheticImages } from './syntheticImages.js';

/** A small folder dataset root/<class>/<i>.png of synthetic grayscale pictures (three classes unless told). */
export function writeSyntheticFolder(root: string, opts: { perClass?: number; classes?: number; size?: number; seed?: number } = {}): { root: string; classNames: string[] } {
  const { perClass = 40, classes = 3, size = 16, seed = 3 } = opts;
  const set = syntheticImages(perClass * classes, 1, { seed, size, classes });
  const per = size * size;
  for (let i = 0; i < set.count; i++) {
    const cls = set.classNames[set.labels[i]];
    mkdirSync(join(root, cls), { recursive: true });
    const png = new PNG({ width: size, height: size, colorType: 0, inputColorType: 0, bitDepth: 8 });
    for (let k = 0; k < per; k++) {
      // Class-dependent brightness so the classes can be told apart by a linear model.
      const v = Math.min(255, set.pixels[i * per + k] + 30 * set.labels[i]);
      png.data[4 * k] = png.data[4 * k + 1] = png.data[4 * k + 2] = v;
      png.data[4 * k + 3] = 255;
    }
    writeFileSync(join(root, cls, `img${String(i).padStart(4, '0')}.png`), PNG.sync.write(png, { colorType: 0 }));
  }
  return { root, classNames: set.classNames };
}
