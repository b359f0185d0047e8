import { availableParallelism } from 'node:os';
import type { ImageSet } from '../data/imageSet.js';
import { bytesPerImageRaw } from '../data/imageSet.js';
import { InputError } from '../errors.js';
import { integerAtLeast } from '../util/validate.js';
import { openCodecCache, imageKeys, type CacheRecord } from './codecCache.js';
import { createEncodePool, type EncodePool } from './encodePool.js';
import { codecVersionFor, DEFAULT_BACKEND, validateBackend, validateDistanceFor, type JxlBackend } from './codecBackend.js';
import { DEFAULT_EFFORT } from './jxlCodec.js';

/** Images after a JPEG XL round trip at one distance (THEORY.md section 6: L = mean bytes at distance d). */
export interface CompressedImages {
  distance: number;
  /** Compressed size per image in bytes (0 for failed images). */
  bytesPerImage: Uint32Array;
  /** Decoded pixels, aligned with the input (same count and order; failed images are all zeros). */
  decoded: ImageSet;
  /** Images the codec could not handle (indices into the input); drop them with `dropFailed`. */
  failed: { index: number; reason: string }[];
  /** Encoder calls this call made (0 when everything came from the cache). */
  encodedCount: number;
  /** Images served from the cache. */
  cachedCount: number;
  codecVersion: string;
  /** Which JPEG XL implementation produced the sizes (codecBackend.ts). */
  backend: JxlBackend;
  effort: number;
  /** Problems met on the way (corrupt cache packs that were recomputed). */
  warnings: string[];
}

export interface CompressOptions {
  /** Cache directory (created if missing). */
  cacheDir: string;
  /** Worker threads; 0 encodes in this thread. Default: available cores. */
  workers?: number;
  /** libjxl effort 1..9, default 7 (libjxl's default). Part of the cache key. */
  effort?: number;
  /** JPEG XL implementation: 'jsquash' (default, wasm, gray as RGB + alpha) or 'libjxl' (native libjxl 0.7, gray as 1 channel). Part of the cache key. */
  backend?: JxlBackend;
  onProgress?: (done: number, total: number) => void;
  /** Called between batches; throw (e.g. InterruptedError) to stop. Finished batches are already cached. */
  checkInterrupt?: () => void;
  /** Aborted on a signal: stop at once (finished batches are cached, the batch in flight is dropped). */
  signal?: AbortSignal;
  /** Images per cache pack (default: about 32 MiB of pixels, at most 8192 images). */
  packImages?: number;
  /** Reuse a pool across calls (the caller closes it). */
  pool?: EncodePool;
}

/** Default worker count: the machine's cores. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Encode every image at Butteraugli distance `distance` (0 = lossless), decode it back, and
 * report the compressed sizes; results are cached on disk by image content, codec version
 * and settings, so a repeated call never re-encodes (THEORY.md section 6).
 */
export async function compressImages(images: ImageSet, distance: number, opts: CompressOptions): Promise<CompressedImages> {
  const backend = opts.backend === undefined ? DEFAULT_BACKEND : validateBackend(opts.backend);
  validateDistanceFor(backend, distance);
  const workers = opts.pool ? opts.pool.workers : opts.workers === undefined ? defaultWorkers() : integerAtLeast('workers', opts.workers, 0);
  const effort = opts.effort === undefined ? DEFAULT_EFFORT : integerAtLeast('effort', opts.effort, 1);
  if (effort > 9) throw new InputError('effort', effort, 'an integer 1..9');
  if (images.channels !== 1 && images.channels !== 3) throw new InputError('images.channels', images.channels, '1 (grayscale) or 3 (RGB)');
  const recordBytes = bytesPerImageRaw(images);
  if (images.pixels.length !== images.count * recordBytes) {
    throw new InputError('images.pixels.length', images.pixels.length, `count * width * height * channels = ${images.count * recordBytes}`);
  }
  // Loads the backend here, in this thread, so a missing library is a ResourceError before any worker starts.
  const codecVersion = codecVersionFor(backend);
  const shape = { width: images.width, height: images.height, channels: images.channels };
  // The jsquash settings object is unchanged from before the libjxl backend existed, so existing caches stay valid;
  // the libjxl backend has its own codec version and gray scheme, so the two never share a cache directory.
  const settings =
    backend === 'jsquash'
      ? { codec: 'jpeg-xl', codecVersion, distance, effort, ...shape, grayAs: 'rgb-replicated' }
      : { codec: 'jpeg-xl', backend, codecVersion, distance, effort, ...shape, grayAs: 'gray-1-channel' };
  const cache = openCodecCache(opts.cacheDir, settings, recordBytes);
  const total = images.count;
  const keys = imageKeys(images.pixels, images.count, recordBytes);
  const hex = keys.map((k) => k.toString('hex'));

  const bytesPerImage = new Uint32Array(total);
  const decodedPixels = new Uint8Array(total * recordBytes);
  const failedReason = new Map<number, string>();
  let done = 0;

  // 1. Cache hits, pack by pack (a corrupt pack is deleted and its images become misses).
  const byPack = new Map<string, number[]>();
  for (let i = 0; i < total; i++) {
    const e = cache.entries.get(hex[i]);
    if (!e) continue;
    const list = byPack.get(e.pack) ?? [];
    list.push(i);
    byPack.set(e.pack, list);
  }
  let cachedCount = 0;
  const served = new Uint8Array(total);
  for (const [pack, idx] of byPack) {
    const px = cache.readPixels(pack);
    if (!px) continue; // corrupt: deleted, its images are encoded below
    for (const i of idx) {
      // non-null: hex[i] was looked up in cache.entries above (a hit).
      const e = cache.entries.get(hex[i])!;
      bytesPerImage[i] = e.sizeBytes;
      decodedPixels.set(px.subarray(e.record * recordBytes, (e.record + 1) * recordBytes), i * recordBytes);
      if (e.failedReason !== undefined) failedReason.set(i, e.failedReason);
      served[i] = 1;
      cachedCount++;
    }
  }
  done = cachedCount;
  opts.onProgress?.(done, total);

  // 2. Misses: encode each distinct image once.
  const firstOf = new Map<string, number>();
  const todo: number[] = [];
  const duplicates: number[] = [];
  for (let i = 0; i < total; i++) {
    if (served[i]) continue;
    if (firstOf.has(hex[i])) duplicates.push(i);
    else {
      firstOf.set(hex[i], i);
      todo.push(i);
    }
  }
  let encodedCount = 0;
  if (todo.length > 0) {
    const batchImages = Math.max(1, Math.min(64, Math.floor((1 << 20) / recordBytes)));
    const packImages = opts.packImages ?? Math.max(1, Math.min(8192, Math.floor((32 << 20) / recordBytes)));
    const pool = opts.pool ?? createEncodePool(workers);
    let pending: CacheRecord[] = [];
    const flush = (): void => {
      if (pending.length) cache.writePack(pending);
      pending = [];
    };
    try {
      const batches: number[][] = [];
      for (let s = 0; s < todo.length; s += batchImages) batches.push(todo.slice(s, s + batchImages));
      // Keep every worker busy with two batches in flight, and process results in order.
      const inFlight = Math.max(2, 2 * pool.workers);
      const started: Promise<{ idx: number[]; r: Awaited<ReturnType<EncodePool['run']>> }>[] = [];
      const start = (b: number): void => {
        const idx = batches[b];
        const px = new Uint8Array(idx.length * recordBytes);
        idx.forEach((i, k) => px.set(images.pixels.subarray(i * recordBytes, (i + 1) * recordBytes), k * recordBytes));
        const p = pool.run({ width: images.width, height: images.height, channels: images.channels, count: idx.length, pixels: px, settings: { distance, effort, backend } }, opts.signal);
        started[b] = p.then((r) => ({ idx, r }));
        started[b].catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
      };
      for (let b = 0; b < Math.min(inFlight, batches.length); b++) start(b);
      for (let b = 0; b < batches.length; b++) {
        let got: Awaited<(typeof started)[number]>;
        try {
          got = await started[b];
        } catch (e) {
          flush();
          throw e;
        }
        const { idx, r } = got;
        delete started[b];
        if (b + inFlight < batches.length) start(b + inFlight);
        encodedCount += r.encodes;
        const failedHere = new Map(r.failed.map((f) => [f.index, f.reason]));
        idx.forEach((i, k) => {
          bytesPerImage[i] = r.sizes[k];
          const dec = r.decoded.subarray(k * recordBytes, (k + 1) * recordBytes);
          decodedPixels.set(dec, i * recordBytes);
          const reason = failedHere.get(k);
          if (reason !== undefined) failedReason.set(i, reason);
          pending.push({ key: keys[i], sizeBytes: r.sizes[k], decoded: dec, ...(reason !== undefined ? { failedReason: reason } : {}) });
        });
        done += idx.length;
        opts.onProgress?.(done, total);
        if (pending.length >= packImages) flush();
        if (opts.checkInterrupt) {
          try {
            opts.checkInterrupt();
          } catch (e) {
            flush();
            throw e;
          }
        }
      }
      flush();
    } finally {
      if (!opts.pool) await pool.close();
    }
  }
  for (const i of duplicates) {
    // non-null: firstOf holds every hex of the batch (filled in the loop above).
    const j = firstOf.get(hex[i])!;
    bytesPerImage[i] = bytesPerImage[j];
    decodedPixels.copyWithin(i * recordBytes, j * recordBytes, (j + 1) * recordBytes);
    const reason = failedReason.get(j);
    if (reason !== undefined) failedReason.set(i, reason);
    done++;
  }
  if (duplicates.length) opts.onProgress?.(done, total);

  const failed = [...failedReason].map(([index, reason]) => ({ index, reason })).sort((a, b) => a.index - b.index);
  return {
    distance,
    bytesPerImage,
    decoded: { ...images, pixels: decodedPixels, labels: images.labels.slice(), ids: images.ids?.slice() },
    failed,
    encodedCount,
    cachedCount,
    codecVersion,
    backend,
    effort,
    warnings: [...cache.warnings],
  };
}

/** The compressed images without the failed ones: decoded set, sizes, and the kept input indices. */
export function dropFailed(c: CompressedImages): { decoded: ImageSet; bytesPerImage: Uint32Array; indices: Int32Array } {
  const bad = new Set(c.failed.map((f) => f.index));
  const keep: number[] = [];
  for (let i = 0; i < c.decoded.count; i++) if (!bad.has(i)) keep.push(i);
  const per = bytesPerImageRaw(c.decoded);
  const pixels = new Uint8Array(keep.length * per);
  const labels = new Int32Array(keep.length);
  const sizes = new Uint32Array(keep.length);
  keep.forEach((i, k) => {
    pixels.set(c.decoded.pixels.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = c.decoded.labels[i];
    sizes[k] = c.bytesPerImage[i];
  });
  // non-null: c.decoded.ids was just tested.
  const ids = c.decoded.ids ? keep.map((i) => c.decoded.ids![i]) : undefined;
  return { decoded: { ...c.decoded, count: keep.length, pixels, labels, ids }, bytesPerImage: sizes, indices: Int32Array.from(keep) };
}
