import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticImages } from './syntheticImages.js';
import { compressImages, dropFailed } from '../src/codec/compressImages.js';
import { loadJxlCodec } from '../src/codec/jxlCodec.js';
import {
  distanceForQuality,
  isReachableDistance,
  MAX_DISTANCE,
  nearestReachableDistance,
  qualityForDistance,
  validateDistance,
} from '../src/codec/jxlDistance.js';
import { sizeStats } from '../src/codec/sizeStats.js';
import type { ImageSet } from '../src/data/imageSet.js';
import { InputError } from '../src/errors.js';


describe('distance <-> quality mapping of the @jsquash/jxl encoder', () => {
  it('matches hand-computed anchor points of the libjxl/squoosh formula', () => {
    // Linear branch: q = 100 - (d - 0.1) / 0.09.
    expect(qualityForDistance(1)).toBeCloseTo(90, 10);
    expect(qualityForDistance(2)).toBeCloseTo(100 - 1.9 / 0.09, 10);
    expect(qualityForDistance(4)).toBeCloseTo(100 - 3.9 / 0.09, 10);
    // Exponential branch: 15 = 6.4 + 2.5^((30-q)/5)/6.25  ->  q = 30 - 5 ln(53.75)/ln(2.5) = 8.2582998... (python math)
    expect(qualityForDistance(15)).toBeCloseTo(8.2582998583, 8);
    expect(qualityForDistance(7)).toBeCloseTo(30 - (5 * Math.log(3.75)) / Math.log(2.5), 10);
    expect(qualityForDistance(0)).toBe(100);
    expect(distanceForQuality(100)).toBe(0);
    expect(distanceForQuality(0)).toBeCloseTo(45.4625, 5);
    expect(distanceForQuality(90)).toBeCloseTo(1, 6);
  });

  it('round-trips distance -> quality -> distance over both branches', () => {
    // The encoder stores quality and distance as float32: a half-ulp of q (<= 3.8e-6 at
    // q < 64) times |dd/dq| (<= 0.09 on the linear branch, <= 7.2 at d = 45.5 on the
    // exponential one) plus a half-ulp of d (<= 1.9e-6) stays below 3e-5.
    const reachable = fc.oneof(fc.double({ min: 0.1001, max: 6.4, noNaN: true }), fc.double({ min: 6.5601, max: 45.46, noNaN: true }));
    fc.assert(
      fc.property(reachable, (d) => {
        expect(isReachableDistance(d)).toBe(true);
        expect(Math.abs(distanceForQuality(qualityForDistance(d)) - d)).toBeLessThan(3e-5);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips quality -> distance -> quality and decreases with quality', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 99.99, noNaN: true }), fc.double({ min: 0, max: 99.99, noNaN: true }), (q1, q2) => {
        const d1 = distanceForQuality(q1);
        // Tolerance: float32 rounding of q (<= 3.8e-6) and of d (<= 1.9e-6 / 0.09 in q units).
        expect(Math.abs(qualityForDistance(d1) - q1)).toBeLessThan(1e-4);
        // Non-increasing; strictly decreasing once the float32 distances can tell q1 and q2 apart.
        if (q1 <= q2) expect(d1).toBeGreaterThanOrEqual(distanceForQuality(q2));
        if (q2 - q1 > 1e-3) expect(d1).toBeGreaterThan(distanceForQuality(q2));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects distances the encoder cannot reach, naming the parameter and the valid range', () => {
    for (const d of [-1, 0.05, 0.1, 6.5, 6.56, 50, Number.NaN]) {
      expect(isReachableDistance(d)).toBe(false);
      expect(() => qualityForDistance(d)).toThrow(InputError);
      expect(() => validateDistance(d)).toThrow(/distance.*valid: 0 \(lossless\)/);
    }
    expect(nearestReachableDistance(6.45)).toBeCloseTo(6.4, 6);
    expect(nearestReachableDistance(6.55)).toBeGreaterThan(6.56);
    expect(isReachableDistance(nearestReachableDistance(6.55))).toBe(true);
    expect(nearestReachableDistance(100)).toBe(MAX_DISTANCE);
    expect(nearestReachableDistance(0.01)).toBe(0);
  });
});

describe('sizeStats', () => {
  it('gives the mean and type-7 quantiles', () => {
    const s = sizeStats([10, 20, 30, 40, 50]);
    expect(s).toMatchObject({ count: 5, mean: 30, median: 30, min: 10, max: 50, q25: 20, q75: 40 });
    expect(s.q05).toBeCloseTo(12, 12); // h = 4 * 0.05 = 0.2 -> 10 + 0.2 * 10
    expect(s.q95).toBeCloseTo(48, 12);
    expect(() => sizeStats([])).toThrow(InputError);
  });

  it('orders its quantiles and matches a direct type-7 computation on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const s = sizeStats(Uint32Array.from(sizes));
        const sorted = [...sizes].sort((a, b) => a - b);
        const n = sorted.length;
        // Type 7 written differently: p-quantile = x[j] + g (x[j+1] - x[j]), j = floor(1 + (n-1)p) (1-based).
        const q7 = (p: number): number => {
          const hp = 1 + (n - 1) * p;
          const j = Math.floor(hp);
          return j >= n ? sorted[n - 1] : sorted[j - 1] + (hp - j) * (sorted[j] - sorted[j - 1]);
        };
        const stats = [s.min, s.q05, s.q25, s.median, s.q75, s.q95, s.max];
        for (let k = 1; k < stats.length; k++) expect(stats[k]).toBeGreaterThanOrEqual(stats[k - 1]);
        for (const [p, v] of [[0.05, s.q05], [0.25, s.q25], [0.5, s.median], [0.75, s.q75], [0.95, s.q95]] as const) {
          expect(Math.abs(v - q7(p))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
        }
        expect(s.mean).toBeCloseTo(sizes.reduce((a, b) => a + b, 0) / n, 9);
      }),
      { numRuns: 500 },
    );
  });
});

describe('JPEG XL round trips', () => {
  let cacheRoot: string;
  const gray = syntheticImages(24, 1, { seed: 7 });
  const rgb = syntheticImages(6, 3, { seed: 8 });
  beforeAll(() => {
    cacheRoot = mkdtempSync(join(tmpdir(), 'lossyscale-codec-'));
  });
  afterAll(() => rmSync(cacheRoot, { recursive: true, force: true }));

  it('lossless (distance 0) decodes to exactly the input, grayscale and RGB', async () => {
    for (const set of [gray, rgb]) {
      const c = await compressImages(set, 0, { cacheDir: join(cacheRoot, 'lossless'), workers: 0 });
      expect(c.failed).toEqual([]);
      expect(c.decoded.channels).toBe(set.channels);
      expect(Buffer.from(c.decoded.pixels).equals(Buffer.from(set.pixels))).toBe(true);
      expect(Math.min(...c.bytesPerImage)).toBeGreaterThan(0);
    }
  });

  it('lossy decodes close to the input, and mean size does not grow with distance', async () => {
    const distances = [1, 2, 4, 7, 10, 15];
    const means: number[] = [];
    let prevErr = 0;
    for (const d of distances) {
      const c = await compressImages(gray, d, { cacheDir: join(cacheRoot, 'lossy'), workers: 0 });
      expect(c.failed).toEqual([]);
      means.push(sizeStats(c.bytesPerImage).mean);
      let absErr = 0;
      for (let k = 0; k < gray.pixels.length; k++) absErr += Math.abs(c.decoded.pixels[k] - gray.pixels[k]);
      const mae = absErr / gray.pixels.length;
      // Lossy: something changed, but the picture survives (mean error well below the
      // 0..255 range even at d = 15), and error grows with distance up to noise.
      expect(mae).toBeGreaterThan(0);
      expect(mae).toBeLessThan(40);
      expect(mae).toBeGreaterThanOrEqual(prevErr * 0.8);
      prevErr = mae;
    }
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeLessThanOrEqual(means[i - 1]);
    expect(means[means.length - 1]).toBeLessThan(means[0] * 0.8);
  });

  it('a second call is served from the cache with no encoding', async () => {
    const dir = join(cacheRoot, 'hits');
    const first = await compressImages(gray, 2, { cacheDir: dir, workers: 0 });
    expect(first.encodedCount).toBe(gray.count);
    expect(first.cachedCount).toBe(0);
    const second = await compressImages(gray, 2, { cacheDir: dir, workers: 0 });
    expect(second.encodedCount).toBe(0);
    expect(second.cachedCount).toBe(gray.count);
    expect(Array.from(second.bytesPerImage)).toEqual(Array.from(first.bytesPerImage));
    expect(Buffer.from(second.decoded.pixels).equals(Buffer.from(first.decoded.pixels))).toBe(true);
    // A subset in another order hits the same entries (keys are per image content).
    const { selectImages } = await import('../src/data/imageSet.js');
    const sub = selectImages(gray, [5, 3, 11]);
    const third = await compressImages(sub, 2, { cacheDir: dir, workers: 0 });
    expect(third.encodedCount).toBe(0);
    expect(Array.from(third.bytesPerImage)).toEqual([5, 3, 11].map((i) => first.bytesPerImage[i]));
    // Other settings (distance, effort) are other keys.
    expect((await compressImages(sub, 4, { cacheDir: dir, workers: 0 })).encodedCount).toBe(3);
    expect((await compressImages(sub, 2, { cacheDir: dir, workers: 0, effort: 3 })).encodedCount).toBe(3);
  });

  it('a corrupted cache pack is detected, reported and recomputed', async () => {
    const dir = join(cacheRoot, 'corrupt');
    const first = await compressImages(gray, 1, { cacheDir: dir, workers: 0 });
    const sub = readdirSync(dir).find((f) => f.startsWith('jxl-'))!;
    const pack = readdirSync(join(dir, sub)).find((f) => f.startsWith('pack-'))!;
    const path = join(dir, sub, pack);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] ^= 0xff; // one decoded pixel flipped
    writeFileSync(path, bytes);
    const again = await compressImages(gray, 1, { cacheDir: dir, workers: 0 });
    expect(again.encodedCount).toBe(gray.count);
    expect(again.warnings.join('\n')).toMatch(/corrupt \(pixel checksum mismatch\)/);
    expect(Buffer.from(again.decoded.pixels).equals(Buffer.from(first.decoded.pixels))).toBe(true);
    // Truncated index: caught at scan time.
    const pack2 = readdirSync(join(dir, sub)).find((f) => f.startsWith('pack-'))!;
    writeFileSync(join(dir, sub, pack2), readFileSync(join(dir, sub, pack2)).subarray(0, 100));
    const third = await compressImages(gray, 1, { cacheDir: dir, workers: 0 });
    expect(third.encodedCount).toBe(gray.count);
    expect(third.warnings.join('\n')).toMatch(/corrupt/);
    expect((await compressImages(gray, 1, { cacheDir: dir, workers: 0 })).encodedCount).toBe(0);
  });

  it('worker threads give the same results as in-process encoding, and duplicates are encoded once', async () => {
    const doubled: ImageSet = { ...gray, count: gray.count * 2, pixels: new Uint8Array([...gray.pixels, ...gray.pixels]), labels: Int32Array.from([...gray.labels, ...gray.labels]), ids: undefined };
    const inProc = await compressImages(gray, 4, { cacheDir: join(cacheRoot, 'w0'), workers: 0 });
    let lastDone = 0;
    const pooled = await compressImages(doubled, 4, { cacheDir: join(cacheRoot, 'w2'), workers: 2, onProgress: (done) => (lastDone = done) });
    expect(pooled.encodedCount).toBe(gray.count);
    expect(lastDone).toBe(doubled.count);
    expect(Array.from(pooled.bytesPerImage)).toEqual([...inProc.bytesPerImage, ...inProc.bytesPerImage]);
    expect(Buffer.from(pooled.decoded.pixels.subarray(0, gray.pixels.length)).equals(Buffer.from(inProc.decoded.pixels))).toBe(true);
  });

  it('an interrupted call keeps its finished batches; the rerun encodes only the rest', async () => {
    const many = syntheticImages(130, 1, { seed: 11 });
    const dir = join(cacheRoot, 'interrupt');
    let calls = 0;
    await expect(
      compressImages(many, 7, {
        cacheDir: dir,
        workers: 0,
        checkInterrupt: () => {
          if (++calls === 1) throw new Error('stop requested');
        },
      }),
    ).rejects.toThrow('stop requested');
    const resumed = await compressImages(many, 7, { cacheDir: dir, workers: 0 });
    expect(resumed.cachedCount).toBe(64); // the first batch of 64 was flushed before stopping
    expect(resumed.encodedCount).toBe(130 - 64);
    expect((await compressImages(many, 7, { cacheDir: dir, workers: 0 })).encodedCount).toBe(0);
  });

  it('images the codec cannot handle are reported in `failed`, never thrown', async () => {
    const empty: ImageSet = { width: 0, height: 0, channels: 1, count: 2, pixels: new Uint8Array(0), labels: Int32Array.from([0, 1]), classNames: ['a', 'b'] };
    const c = await compressImages(empty, 1, { cacheDir: join(cacheRoot, 'fail'), workers: 0 });
    expect(c.failed.map((f) => f.index)).toEqual([0, 1]);
    expect(c.failed[0].reason).toMatch(/no stream/);
    expect(dropFailed(c).decoded.count).toBe(0);
    // Cached too: the failure is not retried.
    expect((await compressImages(empty, 1, { cacheDir: join(cacheRoot, 'fail'), workers: 0 })).encodedCount).toBe(0);
    const codec = await loadJxlCodec();
    expect(() => codec.decode(new Uint8Array([0xff, 0x0a, 1, 2, 3]), { width: 1, height: 1, channels: 1 })).toThrow(/decoder failed/);
  });

  it('rejects bad arguments with InputErrors', async () => {
    await expect(compressImages(gray, 6.5, { cacheDir: cacheRoot })).rejects.toThrow(InputError);
    await expect(compressImages(gray, 1, { cacheDir: cacheRoot, workers: -1 })).rejects.toThrow(/workers/);
    await expect(compressImages(gray, 1, { cacheDir: cacheRoot, effort: 10 })).rejects.toThrow(/effort/);
    await expect(compressImages({ ...gray, channels: 4 }, 1, { cacheDir: cacheRoot })).rejects.toThrow(/channels/);
  });
});
