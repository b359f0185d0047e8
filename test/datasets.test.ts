import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/data/decodeImage.js';
import { FASHION_MNIST_DEFAULT_ROOT, readFashionMnistSplit } from '../src/data/fashionMnist.js';
import { loadFolderDataset, loadFolderDatasetParallel } from '../src/data/folderDataset.js';
import { parseIdx } from '../src/data/idx.js';
import { loadDataset } from '../src/data/loadDataset.js';
import { resampleCrop, resizeCenterCrop } from '../src/data/resize.js';
import { samplePerClass, stratifiedSplit } from '../src/data/split.js';
import { InputError, ResourceError } from '../src/errors.js';

function idxBuffer(dims: number[], data: Uint8Array, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function pngBytes(width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(rgba(x, y), (y * width + x) * 4);
  return PNG.sync.write(png);
}

function jpegBytes(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...rgb(x, y), 255], (y * width + x) * 4);
  return jpeg.encode({ data, width, height }, 95).data;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lossyscale-data-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('IDX reader', () => {
  it('parses uint8 IDX, plain and gzipped', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    for (const buf of [idxBuffer([2, 3, 4], data), gzipSync(idxBuffer([2, 3, 4], data))]) {
      const a = parseIdx(buf, 'x.idx');
      expect(a.dims).toEqual([2, 3, 4]);
      expect(Array.from(a.data)).toEqual(Array.from(data));
    }
  });

  it('rejects a bad magic number, other types, and wrong lengths with clear errors', () => {
    const good = idxBuffer([4], Uint8Array.from([1, 2, 3, 4]));
    const bad = Buffer.from(good);
    bad[0] = 0x12;
    expect(() => parseIdx(bad, 'bad.idx')).toThrow(ResourceError);
    expect(() => parseIdx(bad, 'bad.idx')).toThrow(/bad\.idx: bad IDX magic number 12 00 08 01/);
    expect(() => parseIdx(idxBuffer([1], new Uint8Array(4), 0x0d), 'f.idx')).toThrow(/0xd \(float32\) is not supported/);
    expect(() => parseIdx(idxBuffer([5], Uint8Array.from([1, 2, 3])), 't.idx')).toThrow(/need 5 data bytes, file has 3 \(truncated\?\)/);
    expect(() => parseIdx(Buffer.from([0x1f, 0x8b, 0, 0]), 'g.gz')).toThrow(/not a valid gzip file/);
    expect(() => parseIdx(Buffer.from([0, 0]), 's.idx')).toThrow(/too short/);
  });

  it('reads a Fashion-MNIST-shaped folder, and a missing one says how to install it', () => {
    const root = join(tmp, 'fmnist');
    mkdirSync(root);
    const px = Uint8Array.from({ length: 3 * 28 * 28 }, (_, i) => i % 251);
    writeFileSync(join(root, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBuffer([3, 28, 28], px)));
    writeFileSync(join(root, 't10k-labels-idx1-ubyte'), idxBuffer([3], Uint8Array.from([9, 0, 4])));
    const set = readFashionMnistSplit(root, 't10k');
    expect(set).toMatchObject({ width: 28, height: 28, channels: 1, count: 3 });
    expect(Array.from(set.labels)).toEqual([9, 0, 4]);
    expect(set.classNames[9]).toBe('Ankle boot');
    expect(set.ids?.[2]).toBe('fashion-mnist/test/2');
    expect(Buffer.from(set.pixels).equals(Buffer.from(px))).toBe(true);
    expect(() => readFashionMnistSplit(root, 'train')).toThrow(/sudo apt-get install dataset-fashion-mnist/);
    expect(() => readFashionMnistSplit(join(tmp, 'nope'), 'train')).toThrow(ResourceError);
    writeFileSync(join(root, 'train-images-idx3-ubyte'), idxBuffer([1, 28, 28], new Uint8Array(784)));
    writeFileSync(join(root, 'train-labels-idx1-ubyte'), idxBuffer([2], new Uint8Array(2)));
    expect(() => readFashionMnistSplit(root, 'train')).toThrow(/2 labels for 1 images/);
  });

  it.skipIf(!existsSync(FASHION_MNIST_DEFAULT_ROOT))('loads the installed Fashion-MNIST with a stratified validation split', async () => {
    const d = await loadDataset({ kind: 'fashion-mnist', validationFraction: 0.1, seed: 3 });
    expect(d.test.count).toBe(10000);
    expect(d.train.count + d.validation.count).toBe(60000);
    expect(d.validation.count).toBe(6000); // 6000 per class -> exactly 600 per class
    const perClass = new Array(10).fill(0);
    for (const l of d.validation.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(600));
  });
});

describe('stratified splits', () => {
  it('put exactly round(f * n_c) of each class in each part, disjoint and complete', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.nat(1000),
        (labels, test, validation, seed) => {
          const s = stratifiedSplit(labels, { test, validation }, seed);
          const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
          expect(all).toEqual(labels.map((_, i) => i));
          for (let c = 0; c <= 6; c++) {
            const n = labels.filter((l) => l === c).length;
            const count = (part: Int32Array): number => Array.from(part).filter((i) => labels[i] === c).length;
            const nTest = Math.round(test * n);
            expect(count(s.test)).toBe(nTest);
            expect(count(s.validation)).toBe(Math.min(n - nTest, Math.round(validation * n)));
          }
          // Same seed, same split.
          expect(stratifiedSplit(labels, { test, validation }, seed)).toEqual(s);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('depend on the seed, and reject bad fractions', () => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 4);
    const a = stratifiedSplit(labels, { test: 0.3 }, 1);
    const b = stratifiedSplit(labels, { test: 0.3 }, 2);
    expect(Array.from(a.test)).not.toEqual(Array.from(b.test));
    expect(() => stratifiedSplit(labels, { test: 1 }, 1)).toThrow(InputError);
    expect(() => stratifiedSplit(labels, { test: 0.6, validation: 0.5 }, 1)).toThrow(/sum < 1/);
    expect(() => stratifiedSplit(labels, { test: 0.2 }, -1)).toThrow(/seed/);
    const sample = samplePerClass(labels, 7, 5);
    expect(sample.length).toBe(28);
    for (let c = 0; c < 4; c++) expect(Array.from(sample).filter((i) => labels[i] === c).length).toBe(7);
  });
});

describe('resizing', () => {
  it('keeps a constant image constant and shrinks 2x by block means', () => {
    const c = new Uint8Array(7 * 5 * 3).fill(77);
    expect(Array.from(resizeCenterCrop(c, 7, 5, 3, 4)).every((v) => v === 77)).toBe(true);
    expect(Array.from(resizeCenterCrop(c, 7, 5, 3, 13)).every((v) => v === 77)).toBe(true);
    const src = Uint8Array.from({ length: 16 }, (_, i) => i * 10); // 4x4, 1 channel
    const out = resampleCrop(src, 4, 4, 1, { x0: 0, y0: 0, width: 4, height: 4 }, 2, 2);
    const mean = (...v: number[]): number => Math.round(v.reduce((a, b) => a + b) / v.length);
    expect(Array.from(out)).toEqual([mean(0, 10, 40, 50), mean(20, 30, 60, 70), mean(80, 90, 120, 130), mean(100, 110, 140, 150)]);
    // Centre crop of a 6x4 image to 4x4 (then identity size): columns 1..4.
    const wide = Uint8Array.from({ length: 24 }, (_, i) => i);
    expect(Array.from(resizeCenterCrop(wide, 6, 4, 1, 4))).toEqual([1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22]);
  });
});

describe('folder datasets', () => {
  let root: string;
  beforeAll(() => {
    root = join(tmp, 'folder');
    for (const c of ['cat', 'dog', 'eel']) mkdirSync(join(root, c), { recursive: true });
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(root, 'cat', `c${i}.png`), pngBytes(8, 8, (x, y) => [x * 30, y * 30, 100 + i, 255]));
      writeFileSync(join(root, 'dog', `d${i}.jpg`), jpegBytes(8, 8, (x, y) => [200, x * 20, y * 20 + i]));
      writeFileSync(join(root, 'eel', `e${i}.JPEG`), jpegBytes(8, 8, (x) => [x * 30, 50, 200]));
    }
    writeFileSync(join(root, 'dog', 'broken.png'), Buffer.concat([pngBytes(8, 8, () => [1, 2, 3, 255]).subarray(0, 40), Buffer.from('garbage')]));
    writeFileSync(join(root, 'eel', 'notes.txt'), 'not an image');
  });

  it('reads root/<class>/*.png|jpg, skips and reports a corrupt file with its path', async () => {
    const skipped: string[] = [];
    const d = await loadDataset({ kind: 'folder', root, testFraction: 0.4, seed: 1 }, { onSkip: (p) => skipped.push(p) });
    expect(d.train.classNames).toEqual(['cat', 'dog', 'eel']);
    expect(d.skipped.map((s) => s.path)).toEqual([join(root, 'dog', 'broken.png')]);
    expect(skipped).toEqual([join(root, 'dog', 'broken.png')]);
    expect(d.train.count + d.test.count).toBe(15);
    expect(d.test.count).toBe(6); // round(0.4 * 5) = 2 per class
    expect(d.train).toMatchObject({ width: 8, height: 8, channels: 3 });
    // The PNG pixels come back exactly (lossless source), wherever the split put the image.
    const set = d.train.ids!.includes(join('cat', 'c0.png')) ? d.train : d.test;
    const i = set.ids!.indexOf(join('cat', 'c0.png'));
    expect(i).toBeGreaterThanOrEqual(0);
    const o = (i * 64 + 2 * 8 + 3) * 3; // x = 3, y = 2
    expect(Array.from(set.pixels.subarray(o, o + 3))).toEqual([90, 60, 100]);
    expect(set.labels[i]).toBe(0);
  });

  it('refuses a split that rounds a part to nothing: no training images, or no test images although a test share was asked for', async () => {
    // 5 readable images per class: round(0.95 x 5) = 5 go to test, round(0.05 x 5) = 0.
    await expect(loadDataset({ kind: 'folder', root, testFraction: 0.95, seed: 1 })).rejects.toThrow(/^invalid testFraction: 0\.95 \(valid: a share that leaves training images \(all 15 went to test\)\); the training split would be empty$/);
    await expect(loadDataset({ kind: 'folder', root, testFraction: 0.5, validationFraction: 0.45, seed: 1 })).rejects.toThrow(/^invalid testFraction \+ validationFraction: 0\.95 .*all 15 went to test and validation/);
    await expect(loadDataset({ kind: 'folder', root, testFraction: 0.05, seed: 1 })).rejects.toThrow(/^invalid testFraction: 0\.05 \(valid: a larger share: .*15 images in all\)\); the test split would be empty$/);
    // Just inside: one image per class left for training, one for test; testFraction 0 asks for no test split.
    expect((await loadDataset({ kind: 'folder', root, testFraction: 0.85, seed: 1 })).train.count).toBe(3);
    expect((await loadDataset({ kind: 'folder', root, testFraction: 0.15, seed: 1 })).test.count).toBe(3);
    expect((await loadDataset({ kind: 'folder', root, testFraction: 0, seed: 1 })).test.count).toBe(0);
  });

  it('decodes in worker threads with the same result as in one thread', async () => {
    const one = loadFolderDataset({ root, size: 6 });
    const progress: number[] = [];
    const two = await loadFolderDatasetParallel({ root, size: 6, workers: 2, onProgress: (d) => progress.push(d) });
    expect(two.images.ids).toEqual(one.images.ids);
    expect(Buffer.from(two.images.pixels).equals(Buffer.from(one.images.pixels))).toBe(true);
    expect(Array.from(two.images.labels)).toEqual(Array.from(one.images.labels));
    expect(two.skipped).toEqual(one.skipped);
    expect(progress[progress.length - 1]).toBe(16);
  });

  it('keeps grayscale as one channel, resizes on request, and asks for a size when images differ', () => {
    const g = join(tmp, 'gray');
    mkdirSync(join(g, 'a'), { recursive: true });
    mkdirSync(join(g, 'b'), { recursive: true });
    writeFileSync(join(g, 'a', '1.png'), pngBytes(6, 4, (x) => [x * 40, x * 40, x * 40, 255]));
    writeFileSync(join(g, 'b', '2.png'), pngBytes(6, 4, () => [9, 9, 9, 255]));
    const d = loadFolderDataset({ root: g });
    expect(d.images).toMatchObject({ width: 6, height: 4, channels: 1, count: 2 });
    expect(Array.from(d.images.pixels.subarray(0, 6))).toEqual([0, 40, 80, 120, 160, 200]);
    writeFileSync(join(g, 'b', '3.png'), pngBytes(5, 5, () => [9, 9, 9, 255]));
    expect(() => loadFolderDataset({ root: g })).toThrow(/images differ in size \(6x4 in .*, 5x5 in .*3\.png\); pass a size/);
    const r = loadFolderDataset({ root: g, size: 4 });
    expect(r.images).toMatchObject({ width: 4, height: 4, channels: 1, count: 3 });
    expect(() => loadFolderDataset({ root: g, size: 0 })).toThrow(InputError);
  });

  it('works on a Food-101-style root with images/ and meta/, and samples maxPerClass', async () => {
    const food = join(tmp, 'food-101');
    mkdirSync(join(food, 'meta'), { recursive: true });
    writeFileSync(join(food, 'meta', 'classes.txt'), 'apple_pie\nbibimbap\n');
    for (const c of ['apple_pie', 'bibimbap']) {
      mkdirSync(join(food, 'images', c), { recursive: true });
      for (let i = 0; i < 4; i++) writeFileSync(join(food, 'images', c, `${100 + i}.jpg`), jpegBytes(12, 9, (x, y) => [x * 20, y * 20, i * 50]));
    }
    const d = await loadDataset({ kind: 'folder', root: food, size: 8, maxPerClass: 3, testFraction: 1 / 3, seed: 2 });
    expect(d.source).toBe(join(food, 'images'));
    expect(d.train.classNames).toEqual(['apple_pie', 'bibimbap']);
    expect(d.train.count).toBe(4);
    expect(d.test.count).toBe(2);
    expect(d.test).toMatchObject({ width: 8, height: 8, channels: 3 });
  });

  it('reports unreadable roots and empty folders as ResourceErrors', () => {
    expect(() => loadFolderDataset({ root: join(tmp, 'absent') })).toThrow(/image folder not found/);
    mkdirSync(join(tmp, 'empty', 'x'), { recursive: true });
    expect(() => loadFolderDataset({ root: join(tmp, 'empty') })).toThrow(/no images found/);
    expect(() => decodeImage(Buffer.from('hello'))).toThrow(/not a PNG or JPEG/);
  });
});
