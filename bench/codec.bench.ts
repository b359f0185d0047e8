import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codecVersionFor, loadCodecFor, type JxlBackend } from '../src/codec/codecBackend.js';
import { compressImages, defaultWorkers } from '../src/codec/compressImages.js';
import { encodeBatch } from '../src/codec/encodeBatch.js';
import { createEncodePool } from '../src/codec/encodePool.js';
import { jxlCodecVersion, loadJxlCodec } from '../src/codec/jxlCodec.js';
import { sizeStats } from '../src/codec/sizeStats.js';
import { readFashionMnistSplit } from '../src/data/fashionMnist.js';
import { selectImages } from '../src/data/imageSet.js';
import { writeBenchResult } from './benchResult.js';

/**
 * JPEG XL throughput on Fashion-MNIST 28x28 images (THEORY.md section 6), encode + decode
 * per image, images per second:
 *  - codec, in-process: encodeBatch in this thread, no cache (the codec's single-thread rate);
 *  - compressImages with 1 worker thread and with all cores, for each backend (threads started and warmed
 *    first), empty cache (includes hashing, messaging and cache writes): the ratios to the in-process rate are machine-independent
 *    measures of the pool's overhead and parallel speed-up;
 *  - compressImages again, everything from the cache.
 * Distances 0 (lossless), 1, 2, 4, 7, 10, 15 at libjxl's default effort 7, and effort 3 for
 * comparison (smaller effort: faster, larger files). BENCH_IMAGES overrides the image count.
 *
 * Backends: the native libjxl 0.7 backend (gray as 1 channel, no alpha) against the
 * @jsquash/jxl wasm backend (gray as RGB + opaque alpha) on the first BENCH_COMPARE_IMAGES
 * (default 2,000) test images, effort 7, in this thread, measured in the same run with the
 * two backends interleaved per distance: mean bytes, encode-only and decode-only rates, and
 * the native/wasm rate ratio (machine-independent). BENCH_CODEC_PART=backends runs only this part.
 */
const N = Number(process.env.BENCH_IMAGES ?? 1000);
const distances = [0, 1, 2, 4, 7, 10, 15];
const test = readFashionMnistSplit('/usr/share/datasets/fashion-mnist', 't10k');
const onlyBackends = process.env.BENCH_CODEC_PART === 'backends';

/** Encode-only and decode-only timing of one backend over `count` images at one distance. */
async function timeBackend(backend: JxlBackend, count: number, distance: number): Promise<{ meanBytes: number; encodePerSecond: number; decodePerSecond: number }> {
  const codec = await loadCodecFor(backend);
  let bytes = 0;
  let encMs = 0;
  let decMs = 0;
  for (let i = 0; i < count; i++) {
    const px = test.pixels.subarray(i * 784, (i + 1) * 784);
    const t0 = performance.now();
    const stream = codec.encode(px, 28, 28, 1, { distance, effort: 7 });
    const t1 = performance.now();
    codec.decode(stream, { width: 28, height: 28, channels: 1 });
    decMs += performance.now() - t1;
    encMs += t1 - t0;
    bytes += stream.length;
  }
  return { meanBytes: bytes / count, encodePerSecond: (1000 * count) / encMs, decodePerSecond: (1000 * count) / decMs };
}

const NB = Number(process.env.BENCH_COMPARE_IMAGES ?? 2000);
const backendRows: Record<string, unknown>[] = [];
await timeBackend('jsquash', 20, 1); // instantiate both codecs outside the timings
await timeBackend('libjxl', 20, 1);
for (const d of distances) {
  const wasm = await timeBackend('jsquash', NB, d);
  const native = await timeBackend('libjxl', NB, d);
  const row = {
    distance: d,
    effort: 7,
    images: NB,
    jsquashMeanBytes: wasm.meanBytes,
    libjxlMeanBytes: native.meanBytes,
    bytesSavedPerImage: wasm.meanBytes - native.meanBytes,
    jsquashEncodePerSecond: wasm.encodePerSecond,
    libjxlEncodePerSecond: native.encodePerSecond,
    encodeRateRatioNativeToWasm: native.encodePerSecond / wasm.encodePerSecond,
    jsquashDecodePerSecond: wasm.decodePerSecond,
    libjxlDecodePerSecond: native.decodePerSecond,
    decodeRateRatioNativeToWasm: native.decodePerSecond / wasm.decodePerSecond,
  };
  backendRows.push(row);
  console.log(
    `backends d=${d}: jsquash ${wasm.meanBytes.toFixed(1)} B, libjxl ${native.meanBytes.toFixed(1)} B; encode ${wasm.encodePerSecond.toFixed(0)} vs ${native.encodePerSecond.toFixed(0)} images/s (x${row.encodeRateRatioNativeToWasm.toFixed(2)}), decode ${wasm.decodePerSecond.toFixed(0)} vs ${native.decodePerSecond.toFixed(0)} images/s`,
  );
}
const backends = { codecVersions: { jsquash: codecVersionFor('jsquash'), libjxl: codecVersionFor('libjxl') }, imageShape: '28x28x1 (Fashion-MNIST test split, first N)', rows: backendRows };
if (onlyBackends) {
  const path = writeBenchResult('codec-backends', { ...backends });
  console.log(`wrote ${path}`);
  process.exit(0);
}
const images = selectImages(test, Array.from({ length: N }, (_, i) => i));
await loadJxlCodec(); // compile + instantiate the wasm outside the timings

const perDistance: Record<string, unknown>[] = [];
for (const effort of [7, 3]) {
  for (const d of distances) {
    const t0 = performance.now();
    const r = await encodeBatch({ width: 28, height: 28, channels: 1, count: N, pixels: images.pixels, settings: { distance: d, effort } });
    const s = (performance.now() - t0) / 1000;
    const stats = sizeStats(r.sizes);
    perDistance.push({ effort, distance: d, imagesPerSecond: N / s, msPerImage: (1000 * s) / N, meanBytes: stats.mean, medianBytes: stats.median, failed: r.failed.length });
    console.log(`in-process effort ${effort} d=${d}: ${(N / s).toFixed(0)} images/s (${((1000 * s) / N).toFixed(2)} ms/image), mean ${stats.mean.toFixed(1)} B`);
  }
}

// In-process encode + decode rate at d = 2 per backend: the reference for the pool ratios.
const inProcessD2: Record<JxlBackend, number> = {
  jsquash: perDistance.find((r) => r.effort === 7 && r.distance === 2)!.imagesPerSecond as number,
  libjxl: 0,
};
{
  const t0 = performance.now();
  await encodeBatch({ width: 28, height: 28, channels: 1, count: N, pixels: images.pixels, settings: { distance: 2, effort: 7, backend: 'libjxl' } });
  inProcessD2.libjxl = N / ((performance.now() - t0) / 1000);
  console.log(`in-process libjxl effort 7 d=2: ${inProcessD2.libjxl.toFixed(0)} images/s (encode + decode)`);
}
const all = defaultWorkers();
const pooled: Record<string, unknown>[] = [];
for (const [backend, workers] of (['jsquash', 'libjxl'] as const).flatMap((b) => [1, all].map((w) => [b, w] as const))) {
  const dir = mkdtempSync(join(tmpdir(), 'lossyscale-bench-codec-'));
  // Start and warm the threads first (tsx + wasm compile, ~1 s), so the rate is steady-state.
  const pool = createEncodePool(workers);
  try {
    await Promise.all(Array.from({ length: workers }, () => pool.run({ width: 28, height: 28, channels: 1, count: 1, pixels: images.pixels.subarray(0, 784), settings: { distance: 1, effort: 7, backend } })));
    const t0 = performance.now();
    const c = await compressImages(images, 2, { cacheDir: dir, pool, backend });
    const cold = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const again = await compressImages(images, 2, { cacheDir: dir, pool, backend });
    const warm = (performance.now() - t1) / 1000;
    if (c.encodedCount !== N || again.encodedCount !== 0) throw new Error('cache did not behave');
    const row = { backend, workers, distance: 2, effort: 7, imagesPerSecond: N / cold, ratioToInProcess: N / cold / inProcessD2[backend], inProcessImagesPerSecond: inProcessD2[backend], cachedImagesPerSecond: N / warm };
    pooled.push(row);
    console.log(`compressImages ${backend} d=2 workers=${workers}: ${(N / cold).toFixed(0)} images/s (x${row.ratioToInProcess.toFixed(2)} of in-process), from cache ${(N / warm).toFixed(0)} images/s`);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const e7 = perDistance.filter((r) => r.effort === 7);
const meanMs = e7.reduce((a, r) => a + (r.msPerImage as number), 0) / e7.length;
const path = writeBenchResult('codec', {
  codecVersion: jxlCodecVersion(),
  images: N,
  imageShape: '28x28x1 (Fashion-MNIST test split, first N)',
  inProcess: perDistance,
  pooled,
  backends,
  estimate: {
    note: 'single-core ms per encode+decode averaged over the 7 distances at effort 7; divide by cores for the pool',
    msPerImageAllDistancesMean: meanMs,
    secondsFor70kImagesTimes7Distances2Cores: (70000 * 7 * meanMs) / 1000 / 2,
  },
});
console.log(`wrote ${path}`);
