import { DEFAULT_BACKEND, loadCodecFor, recoverCodec } from './codecBackend.js';
import type { JxlSettings } from './jxlCodec.js';

/**
 * One unit of codec work: `count` images of one shape, encoded at one setting and decoded
 * back (THEORY.md section 6). The same function runs in worker threads and in-process.
 */
export interface EncodeBatch {
  width: number;
  height: number;
  channels: number;
  count: number;
  /** count * width * height * channels bytes, HWC per image. */
  pixels: Uint8Array;
  settings: JxlSettings;
}

export interface EncodeBatchResult {
  /** Compressed size in bytes per image (0 where failed). */
  sizes: Uint32Array;
  /** Decoded pixels, same layout as the input (zeros where failed). */
  decoded: Uint8Array;
  /** Images (indices within the batch) the codec could not handle. */
  failed: { index: number; reason: string }[];
  /** Encoder calls made. */
  encodes: number;
}

/**
 * Encode and decode every image of a batch; a codec failure is recorded, never thrown.
 * `beforeImage` runs before each image (in-process batches yield there so a signal is seen
 * and may throw to stop the batch).
 */
export async function encodeBatch(batch: EncodeBatch, beforeImage?: () => Promise<void>): Promise<EncodeBatchResult> {
  const { width, height, channels, count, settings } = batch;
  const per = width * height * channels;
  const sizes = new Uint32Array(count);
  const decoded = new Uint8Array(count * per);
  const failed: { index: number; reason: string }[] = [];
  const backend = settings.backend ?? DEFAULT_BACKEND;
  let codec = await loadCodecFor(backend);
  let encodes = 0;
  for (let k = 0; k < count; k++) {
    await beforeImage?.();
    const px = batch.pixels.subarray(k * per, (k + 1) * per);
    try {
      encodes++;
      const stream = codec.encode(px, width, height, channels, settings);
      const back = codec.decode(stream, { width, height, channels });
      if (settings.distance === 0 && !equalBytes(back, px)) throw new Error('lossless round trip changed pixels');
      sizes[k] = stream.length;
      decoded.set(back, k * per);
    } catch (e) {
      failed.push({ index: k, reason: e instanceof Error ? e.message : String(e) });
      // A wasm abort leaves the emscripten instance unusable: start a fresh one.
      codec = await recoverCodec(backend, codec, e);
    }
  }
  return { sizes, decoded, failed, encodes };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
