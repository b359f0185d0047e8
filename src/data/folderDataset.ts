import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../util/worker.js';
import { InputError, ResourceError } from '../errors.js';
import { decodeImage } from './decodeImage.js';
import type { ImageSet } from './imageSet.js';
import { resizeCenterCrop } from './resize.js';
import { samplePerClass } from './split.js';

/**
 * A folder-per-class image dataset (THEORY.md section 6, "bring your own data"):
 * `root/<class>/*.png|jpg|jpeg`, class names = folder names in sorted order. Food-101's
 * layout (`food-101/images/<class>/*.jpg`) works as is: pass `food-101/images`, or
 * `food-101` itself (a root whose class folders hold no images but which has an `images/`
 * folder is read from there).
 */
export interface FolderDatasetOptions {
  root: string;
  /** Scale the shorter side to `size` and centre-crop to size x size; required when images differ in size. */
  size?: number;
  /** At most this many images per class (a seeded stratified sample, chosen before decoding). */
  maxPerClass?: number;
  seed?: number;
  /** Called with each skipped file (corrupt, unreadable, not an image). */
  onSkip?: (path: string, reason: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface FolderDataset {
  images: ImageSet;
  /** Path of each image in `images`. */
  paths: string[];
  /** Files that could not be used, with why. */
  skipped: { path: string; reason: string }[];
  /** The folder the classes were read from. */
  root: string;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** List `root/<class>/<file>` image files; THEORY.md section 6. */
export function listFolderDataset(root: string): { root: string; classNames: string[]; files: string[]; labels: number[]; emptyClasses: string[] } {
  if (!existsSync(root)) throw new ResourceError(`image folder not found: ${root}`);
  if (!statSync(root).isDirectory()) throw new ResourceError(`not a folder: ${root} (expected root/<class>/*.png|jpg)`);
  const list = (dir: string): import('node:fs').Dirent[] => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new ResourceError(`cannot read image folder ${dir}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
    }
  };
  const scan = (dir: string): { classNames: string[]; files: string[]; labels: number[]; emptyClasses: string[] } => {
    const classDirs = list(dir)
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
    const classNames: string[] = [];
    const files: string[] = [];
    const labels: number[] = [];
    const emptyClasses: string[] = [];
    for (const name of classDirs) {
      const imgs = list(join(dir, name))
        .filter((f) => f.isFile() && IMAGE_EXT.test(f.name) && !f.name.startsWith('.'))
        .map((f) => f.name)
        .sort();
      if (imgs.length === 0) {
        emptyClasses.push(join(dir, name));
        continue;
      }
      const label = classNames.length;
      classNames.push(name);
      for (const f of imgs) {
        files.push(join(dir, name, f));
        labels.push(label);
      }
    }
    return { classNames, files, labels, emptyClasses };
  };
  let found = scan(root);
  if (found.files.length === 0 && existsSync(join(root, 'images')) && statSync(join(root, 'images')).isDirectory()) {
    root = join(root, 'images');
    found = scan(root);
  }
  if (found.files.length === 0) throw new ResourceError(`no images found under ${root} (expected root/<class>/*.png|jpg|jpeg)`);
  return { root, ...found };
}

/** One file decoded (and resized) for a folder dataset, or why it could not be. */
export type FolderImageResult = { ok: true; width: number; height: number; rgb: Uint8Array; gray: boolean } | { ok: false; reason: string };

/** Decode one file, resized and centre-cropped to size x size when given; never throws. THEORY.md section 6. */
export function decodeFolderImage(path: string, size: number | undefined, read: (path: string) => Uint8Array): FolderImageResult {
  try {
    const img = decodeImage(read(path));
    if (size === undefined) return { ok: true, ...img };
    return { ok: true, width: size, height: size, rgb: resizeCenterCrop(img.rgb, img.width, img.height, 3, size), gray: img.gray };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

interface Plan {
  listed: ReturnType<typeof listFolderDataset>;
  pick: number[];
}

function planFolder(opts: FolderDatasetOptions): Plan {
  if (opts.size !== undefined && !(Number.isInteger(opts.size) && opts.size >= 1 && opts.size <= 4096)) {
    throw new InputError('size', opts.size, 'an integer 1..4096 (pixels)');
  }
  const listed = listFolderDataset(opts.root);
  let pick = Array.from({ length: listed.files.length }, (_, i) => i);
  if (opts.maxPerClass !== undefined) pick = Array.from(samplePerClass(listed.labels, opts.maxPerClass, opts.seed ?? 0));
  return { listed, pick };
}

/** Read a folder-per-class dataset into one ImageSet in this thread; corrupt files are reported and skipped. THEORY.md section 6. */
export function loadFolderDataset(opts: FolderDatasetOptions): FolderDataset {
  const plan = planFolder(opts);
  const results = plan.pick.map((fi, k) => {
    const r = decodeFolderImage(plan.listed.files[fi], opts.size, readFileSync);
    opts.onProgress?.(k + 1, plan.pick.length);
    return r;
  });
  return assemble(plan, results, opts);
}

/**
 * The same as loadFolderDataset, decoding in `workers` worker threads (default: the
 * machine's cores when there are more than 256 files); same result for any worker count.
 */
export async function loadFolderDatasetParallel(opts: FolderDatasetOptions & { workers?: number }): Promise<FolderDataset> {
  const plan = planFolder(opts);
  const workers = opts.workers ?? (plan.pick.length > 256 ? availableParallelism() : 0);
  if (workers <= 0) return assemble(plan, plan.pick.map((fi, k) => {
    const r = decodeFolderImage(plan.listed.files[fi], opts.size, readFileSync);
    opts.onProgress?.(k + 1, plan.pick.length);
    return r;
  }), opts);
  const paths = plan.pick.map((fi) => plan.listed.files[fi]);
  const results = new Array<FolderImageResult>(paths.length);
  const batch = 16;
  let next = 0;
  let done = 0;
  const threads = Array.from({ length: Math.min(workers, Math.ceil(paths.length / batch)) }, () => startWorker(import.meta.url, 'decodeWorker'));
  try {
    await Promise.all(
      threads.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next >= paths.length) return resolve();
              const start = next;
              next += batch;
              w.postMessage({ id: start, paths: paths.slice(start, start + batch), size: opts.size });
            };
            w.on('message', (msg: { id: number; results: FolderImageResult[] }) => {
              msg.results.forEach((r, k) => (results[msg.id + k] = r));
              done += msg.results.length;
              opts.onProgress?.(done, paths.length);
              send();
            });
            w.on('error', reject);
            w.on('exit', (code) => (next < paths.length || code !== 0 ? reject(new Error(`image decode worker exited with status ${code}`)) : undefined));
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
  return assemble(plan, results, opts);
}

function assemble(plan: Plan, results: FolderImageResult[], opts: FolderDatasetOptions): FolderDataset {
  const { listed, pick } = plan;
  const skipped: { path: string; reason: string }[] = [];
  for (const dir of listed.emptyClasses) {
    const reason = 'empty class folder (no .png, .jpg or .jpeg files): the class is left out';
    skipped.push({ path: dir, reason });
    opts.onSkip?.(dir, reason);
  }
  const kept: { path: string; label: number; width: number; height: number; rgb: Uint8Array; gray: boolean }[] = [];
  pick.forEach((fi, k) => {
    const path = listed.files[fi];
    const r = results[k];
    if (r.ok) kept.push({ path, label: listed.labels[fi], width: r.width, height: r.height, rgb: r.rgb, gray: r.gray });
    else {
      skipped.push({ path, reason: r.reason });
      opts.onSkip?.(path, r.reason);
    }
  });
  if (kept.length === 0) throw new ResourceError(`no readable images under ${listed.root} (${skipped.length} skipped; first: ${skipped[0]?.path}: ${skipped[0]?.reason})`);
  const { width, height } = kept[0];
  const other = kept.find((k) => k.width !== width || k.height !== height);
  if (other) {
    throw new InputError('size', undefined, 'an integer number of pixels', `images differ in size (${width}x${height} in ${kept[0].path}, ${other.width}x${other.height} in ${other.path}); pass a size to resize and centre-crop`);
  }
  const gray = kept.every((k) => k.gray);
  const channels = gray ? 1 : 3;
  const per = width * height * channels;
  const pixels = new Uint8Array(kept.length * per);
  kept.forEach((k, i) => {
    if (gray) for (let p = 0; p < width * height; p++) pixels[i * per + p] = k.rgb[3 * p];
    else pixels.set(k.rgb, i * per);
  });
  // Classes whose every image was skipped keep their index (labels stay folder-aligned).
  return {
    images: {
      width,
      height,
      channels,
      count: kept.length,
      pixels,
      labels: Int32Array.from(kept.map((k) => k.label)),
      classNames: listed.classNames,
      ids: kept.map((k) => k.path.slice(listed.root.length + 1)),
    },
    paths: kept.map((k) => k.path),
    skipped,
    root: listed.root,
  };
}
