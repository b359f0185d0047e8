import { readdirSync } from 'node:fs';
import { loadDataset, type DatasetSpec, type LoadedDataset } from '../data/loadDataset.js';
import type { ImageSet } from '../data/imageSet.js';
import { listFolderDataset } from '../data/folderDataset.js';
import { compressImages, defaultWorkers, type CompressedImages } from '../codec/compressImages.js';
import { createEncodePool, type EncodePool } from '../codec/encodePool.js';
import { InputError, ResourceError } from '../errors.js';
import type { PlanHooks, PlanInputs, PlanOptions } from './planConfig.js';

type Phase = NonNullable<PlanHooks['phase']>;

/** What every phase of a plan shares (THEORY.md section 6): hooks, the dataset (loaded once) and the encode pool. */
export interface PlanSession {
  log: (line: string) => void;
  phase: Phase;
  check: () => void;
  /** Compresses a set at distance d through the cache, with a progress bar. */
  compress: (set: ImageSet, d: number, label: string) => Promise<CompressedImages>;
  /** The dataset with its splits, checked; loaded on the first call. */
  load: () => Promise<LoadedDataset>;
  /** Closes the encode pool if one was started. */
  close: () => Promise<void>;
}

/** Folder datasets: an empty class folder or an unreadable image is an input error, not a silent skip. */
function checkFolder(root: string, loaded: LoadedDataset): void {
  const listed = listFolderDataset(root);
  const dirs = readdirSync(listed.root, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  const empty = dirs.filter((d) => !listed.classNames.includes(d));
  if (empty.length) throw new InputError('--root', root, 'class folders that each hold at least one .png/.jpg image', `class folder ${JSON.stringify(empty[0])} is empty`);
  const unreadable = loaded.skipped.filter((s) => !/^empty class folder/.test(s.reason));
  if (unreadable.length) {
    const s = unreadable[0];
    throw new ResourceError(`unreadable image ${s.path}: ${s.reason}${unreadable.length > 1 ? ` (and ${unreadable.length - 1} more)` : ''}; remove or replace it`);
  }
}

export function createPlanSession(opts: PlanOptions, inputs: PlanInputs): PlanSession {
  const log = opts.hooks?.log ?? (() => {});
  const phase: Phase = opts.hooks?.phase ?? (() => ({ tick() {}, done() {} }));
  const check = opts.hooks?.checkInterrupt ?? (() => {});

  let encodePool: EncodePool | undefined;
  const compress = (set: ImageSet, d: number, label: string): Promise<CompressedImages> => {
    const bar = phase(label, set.count);
    let last = 0;
    return compressImages(set, d, {
      cacheDir: opts.cacheDir,
      backend: inputs.backend,
      effort: inputs.effort,
      pool: (encodePool ??= createEncodePool(opts.workers ?? defaultWorkers())),
      onProgress: (done) => {
        bar.tick(done - last);
        last = done;
      },
      checkInterrupt: check,
    }).then((r) => {
      bar.done();
      return r;
    });
  };

  let loadedCache: LoadedDataset | undefined;
  const load = async (): Promise<LoadedDataset> => {
    if (loadedCache) return loadedCache;
    const spec: DatasetSpec = { ...opts.dataset, validationFraction: opts.dataset.validationFraction ?? 0.1 } as DatasetSpec;
    let bar: ReturnType<Phase> | undefined;
    let last = 0;
    const loaded = await loadDataset(spec, {
      onProgress: (done, total) => {
        bar ??= phase('decode images', total);
        bar.tick(done - last);
        last = done;
      },
    });
    bar?.done();
    if (spec.kind === 'folder') checkFolder(spec.root, loaded);
    const counts = new Array<number>(loaded.train.classNames.length).fill(0);
    for (const l of loaded.train.labels) counts[l]++;
    const emptyClass = counts.findIndex((c) => c === 0);
    if (emptyClass >= 0) throw new InputError('--root', opts.dataset.root ?? '', 'at least one training image per class after the test and validation splits', `class ${JSON.stringify(loaded.train.classNames[emptyClass])} has none`);
    loadedCache = loaded;
    return loaded;
  };

  const close = async (): Promise<void> => {
    if (encodePool) await encodePool.close();
  };
  return { log, phase, check, compress, load, close };
}
