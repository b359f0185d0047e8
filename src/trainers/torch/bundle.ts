import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSet } from '../../data/imageSet.js';
import type { ArrayDescriptor, JobSpec } from './protocol.js';

/**
 * Data bundles (worker/README.md, protocol v1): images as raw uint8 files (N x H x W x C,
 * channels last, exactly ImageSet.pixels), labels as little-endian int32, row subsets as
 * int32 index files, and a manifest.json listing arrays and jobs. Arrays are named by a hash
 * of their content, so the same test set used by a hundred jobs is written once.
 */
export const BUNDLE_FORMAT = 'lossyscale-bundle';
export const BUNDLE_VERSION = 1;

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  arrays: Record<string, ArrayDescriptor>;
  jobs: JobSpec[];
  /** Anything the planner wants to carry to ingestion (run config, provenance). */
  plan?: unknown;
}

/** Content hash of an image set (pixels, labels, shape, class names), hex. */
export function imageSetHash(set: ImageSet): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([set.count, set.height, set.width, set.channels, set.classNames]));
  h.update(set.pixels);
  h.update(Buffer.from(Int32Array.from(set.labels).buffer));
  return h.digest('hex');
}

function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function int32Bytes(values: ArrayLike<number>): Uint8Array {
  const a = Int32Array.from(values);
  // Int32Array is platform-endian; every platform Node supports is little-endian, checked here.
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('big-endian platforms are not supported by the bundle format');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Write an image set into bundleDir/arrays (skipped when the same content is already there);
 * returns its name and descriptor. `memo` avoids re-hashing the same ImageSet object.
 */
export function writeImageArray(bundleDir: string, set: ImageSet, extra: { distance?: number } = {}, memo?: WeakMap<ImageSet, { name: string; desc: ArrayDescriptor }>): { name: string; desc: ArrayDescriptor } {
  const known = memo?.get(set);
  if (known && existsSync(join(bundleDir, known.desc.pixels))) return known;
  if (set.pixels.length !== set.count * set.width * set.height * set.channels) {
    throw new RangeError(`image set has ${set.pixels.length} pixel bytes, expected count*height*width*channels = ${set.count * set.width * set.height * set.channels}`);
  }
  const sha256 = imageSetHash(set);
  const name = sha256.slice(0, 20);
  mkdirSync(join(bundleDir, 'arrays'), { recursive: true });
  const pixels = `arrays/${name}.u8`;
  const labels = `arrays/${name}.labels.i32`;
  const pPath = join(bundleDir, pixels);
  if (!(existsSync(pPath) && statSync(pPath).size === set.pixels.length)) writeAtomic(pPath, set.pixels);
  const lPath = join(bundleDir, labels);
  if (!(existsSync(lPath) && statSync(lPath).size === set.count * 4)) writeAtomic(lPath, int32Bytes(set.labels));
  const desc: ArrayDescriptor = { pixels, labels, count: set.count, height: set.height, width: set.width, channels: set.channels, classNames: set.classNames, sha256, ...(extra.distance !== undefined ? { distance: extra.distance } : {}) };
  const out = { name, desc };
  memo?.set(set, out);
  return out;
}

/** Write a row-index file (int32) into bundleDir/indices; returns its bundle-relative path. */
export function writeIndices(bundleDir: string, indices: ArrayLike<number>): string {
  const bytes = int32Bytes(indices);
  const name = createHash('sha256').update(bytes).digest('hex').slice(0, 20);
  mkdirSync(join(bundleDir, 'indices'), { recursive: true });
  const rel = `indices/${name}.i32`;
  const path = join(bundleDir, rel);
  if (!(existsSync(path) && statSync(path).size === bytes.length)) writeAtomic(path, bytes);
  return rel;
}

/** Write bundleDir/manifest.json (atomically). */
export function writeManifest(bundleDir: string, manifest: BundleManifest): string {
  mkdirSync(bundleDir, { recursive: true });
  const path = join(bundleDir, 'manifest.json');
  writeAtomic(path, Buffer.from(JSON.stringify(manifest, null, 1)));
  return path;
}
