import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type DatasetSpec, type LoadedDataset } from '../data/loadDataset.js';
import { selectImages, type ImageSet } from '../data/imageSet.js';
import { compressImages, defaultWorkers, type CompressedImages } from '../codec/compressImages.js';
import { createEncodePool, type EncodePool } from '../codec/encodePool.js';
import { codecVersionFor, loadCodecFor, validateDistanceFor, type JxlBackend } from '../codec/codecBackend.js';
import { DEFAULT_EFFORT } from '../codec/jxlCodec.js';
import { nearestReachableDistance } from '../codec/jxlDistance.js';
import { listFolderDataset } from '../data/folderDataset.js';
import { fitLaw, type LawFit } from '../fit/fitLaw.js';
import { csvTable } from '../fit/tables.js';
import { createTrainer } from '../trainers/registry.js';
import { stratifiedOrder } from '../sweep/stratify.js';
import { distanceForTargetBytes } from '../sweep/distanceSearch.js';
import { meanBytes } from '../sweep/budget.js';
import { InputError, ResourceError } from '../errors.js';
import { provenance, toolVersion, type Provenance } from '../provenance.js';
import { formatBytes } from './size.js';
import type { SizePoint } from './sizeCurve.js';
import { runPilot, type PilotRow } from './pilot.js';
import { lawReplicates } from './replicates.js';
import { constraintsFromCurve, recommend, type Recommendation } from './recommend.js';
import { IMAGES_DIR, inspectOutDir, MANIFEST_FILE, PLAN_FILE, planKey, sha256, STATE_FILE, writeFileAtomic } from './outDir.js';
import { parseCsvTable } from '../io/csv.js';

/**
 * `lossyscale plan` (THEORY.md sections 1 and 6): from a folder of images (or Fashion-MNIST)
 * and a storage budget to the compressed training set. Phases: load and split the data;
 * measure the codec's size curve on a stratified sample; train a small pilot grid; fit the
 * law and bootstrap it; recommend n*, L*, d* at the budget; encode the first n* images of a
 * stratified order at d*, keep the longest prefix that fits the budget together with the
 * manifest and plan.json, and write them (resumable; plan.json last).
 */
export interface PlanOptions {
  dataset: DatasetSpec;
  budgetBytes: number;
  outDir: string;
  trainer?: 'ridge' | 'torch';
  trainerOptions?: Record<string, unknown>;
  /** Share of the training pool the pilot's largest subset uses (default 0.25). */
  pilotFraction?: number;
  seed?: number;
  dryRun?: boolean;
  backend?: JxlBackend;
  effort?: number;
  cacheDir: string;
  /** Images the size curve is measured on (default 300). */
  sizeSampleSize?: number;
  /** Distances of the size curve (0 = lossless is always added). */
  curveDistances?: number[];
  pilotDistances?: number[];
  pilotFractions?: number[];
  replicates?: number;
  workers?: number;
  command?: string;
  hooks?: PlanHooks;
}

export interface PlanHooks {
  log?: (line: string) => void;
  /** A progress bar for one phase: returns the tick function and a done function. */
  phase?: (label: string, total: number) => { tick(done?: number): void; done(): void };
  checkInterrupt?: () => void;
}

export interface ManifestRow {
  path: string;
  class: string;
  bytes: number;
  distance: number;
  source: string;
  sha256: string;
}

export interface PlanResult {
  key: string;
  dryRun: boolean;
  /** 'written': files written now; 'resumed': an interrupted write was completed; 'complete': the directory already held this plan. */
  status: 'dry-run' | 'written' | 'resumed' | 'complete';
  outDir: string;
  budgetBytes: number;
  dataset: { source: string; classes: string[]; trainImages: number; validationImages: number; testImages: number; skipped: number };
  heldOut: { validation: number; test: number; note: string };
  sizeCurve: SizePoint[];
  pilot: { rows: PilotRow[]; trainer: string; poolImages: number };
  fit: Pick<LawFit, 'form' | 'estimator' | 'params' | 'stdErr' | 'intervals' | 'intervalMethod' | 'r2' | 'rmse' | 'nu' | 'warnings'> & { converged: boolean; r2Log: number | null; rmseLog: number | null; dataRange: LawFit['diagnostics']['dataRange'] };
  replicates: { requested: number; used: number; failed: number; resampled: 'seeds' | 'points' };
  recommendation: {
    imageBudgetBytes: number;
    metadataReserveBytes: number;
    n: number;
    L: number;
    distance: number;
    distanceSearch: string;
    predictedError: number;
    band: [number, number] | null;
    predictionInterval: [number, number] | null;
    confidence: number;
    activeConstraints: string[];
    originalFormat: { n: number; L: number; predictedError: number | null } | null;
    bestFixedLevel: { name: string; distance: number; n: number; L: number; predictedError: number | null } | null;
  };
  written: null | { images: number; imageBytes: number; manifestBytes: number; planBytes: number; totalBytes: number; perClass: Record<string, number>; verified: number; encoded: number };
  provenance: Provenance;
}

const DEFAULTS = {
  pilotFraction: 0.25,
  sizeSampleSize: 300,
  curveDistances: [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 25],
  pilotDistances: [0.5, 1, 2, 4, 8],
  pilotFractions: [0.125, 0.25, 0.5, 1],
  replicates: 200,
};

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

/** File-system-safe name part. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}

function imageName(id: string | undefined, index: number): string {
  if (!id) return `image-${index}`;
  const base = id.split('/').pop() ?? id;
  return safe(base.replace(/\.(png|jpe?g)$/i, ''));
}

function poolOrderOf(set: ImageSet, seed: number, stream: number): number[] {
  return Array.from(stratifiedOrder(set.labels, set.classNames.length, seed, stream));
}

const MANIFEST_HEADER = ['path', 'class', 'bytes', 'distance', 'source', 'sha256'];
export function manifestCsv(rows: ManifestRow[]): string {
  return csvTable(MANIFEST_HEADER, rows.map((r) => [r.path, r.class, r.bytes, r.distance, r.source, r.sha256]));
}

function summarizeFit(fit: LawFit): PlanResult['fit'] {
  return {
    form: fit.form,
    estimator: fit.estimator,
    params: fit.params,
    stdErr: fit.stdErr,
    intervals: fit.intervals,
    intervalMethod: fit.intervalMethod,
    r2: fit.r2,
    rmse: fit.rmse,
    nu: fit.nu,
    warnings: fit.warnings,
    converged: fit.diagnostics.converged,
    r2Log: fit.diagnostics.r2Log,
    rmseLog: fit.diagnostics.rmseLog,
    dataRange: fit.diagnostics.dataRange,
  };
}

interface PlanState {
  key: string;
  result: PlanResult;
  files: (ManifestRow & { index: number })[];
}

export async function runPlan(opts: PlanOptions): Promise<PlanResult> {
  const log = opts.hooks?.log ?? (() => {});
  const phase = opts.hooks?.phase ?? (() => ({ tick() {}, done() {} }));
  const check = opts.hooks?.checkInterrupt ?? (() => {});
  const seed = opts.seed ?? 0;
  const backend: JxlBackend = opts.backend ?? 'libjxl';
  const effort = opts.effort ?? DEFAULT_EFFORT;
  const pilotFraction = opts.pilotFraction ?? DEFAULTS.pilotFraction;
  if (!(pilotFraction > 0 && pilotFraction <= 1)) throw new InputError('--pilot-fraction', pilotFraction, '0 < F <= 1');
  const snap = backend === 'jsquash' ? nearestReachableDistance : (d: number) => d;
  const curveDistances = [0, ...[...new Set((opts.curveDistances ?? DEFAULTS.curveDistances).map(snap))].sort((a, b) => a - b)].filter((d, i, a) => a.indexOf(d) === i);
  const pilotDistances = [...new Set((opts.pilotDistances ?? DEFAULTS.pilotDistances).map(snap))];
  for (const d of [...curveDistances, ...pilotDistances]) validateDistanceFor(backend, d, 'distance');
  const codecVersion = codecVersionFor(backend);
  const inputs = {
    tool: 'lossyscale plan',
    version: toolVersion(),
    dataset: opts.dataset,
    budgetBytes: opts.budgetBytes,
    trainer: opts.trainer ?? 'ridge',
    trainerOptions: opts.trainerOptions ?? {},
    pilotFraction,
    seed,
    backend,
    codecVersion,
    effort,
    sizeSampleSize: opts.sizeSampleSize ?? DEFAULTS.sizeSampleSize,
    curveDistances,
    pilotDistances,
    pilotFractions: opts.pilotFractions ?? DEFAULTS.pilotFractions,
    replicates: opts.replicates ?? DEFAULTS.replicates,
  };
  const key = planKey(inputs);
  const out = opts.outDir;
  const existing = inspectOutDir<PlanResult, PlanState>(out, key);
  if (existing.kind === 'complete' && !opts.dryRun) {
    const result = existing.plan;
    verifyComplete(out, log);
    return { ...result, status: 'complete' };
  }

  let encodePool: EncodePool | undefined;
  const compress = (set: ImageSet, d: number, label: string): Promise<CompressedImages> => {
    const bar = phase(label, set.count);
    let last = 0;
    return compressImages(set, d, {
      cacheDir: opts.cacheDir,
      backend,
      effort,
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
    let bar: ReturnType<typeof phase> | undefined;
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

  // Streams encoded in this invocation (written without re-encoding); a resumed write re-encodes.
  const fresh = new Map<number, Uint8Array>();
  const encodeOne = (pool: ImageSet, codec: Awaited<ReturnType<typeof loadCodecFor>>, index: number, distance: number): Uint8Array => {
    const per = pool.width * pool.height * pool.channels;
    return codec.encode(pool.pixels.subarray(index * per, (index + 1) * per), pool.width, pool.height, pool.channels, { distance, effort, backend });
  };
  try {
    let state: PlanState;
    let status: PlanResult['status'];
    if (existing.kind === 'in-progress' && !opts.dryRun) {
      state = existing.state;
      status = 'resumed';
      log(`resuming the write of ${state.files.length} images into ${out} (plan ${key})`);
    } else {
      const loaded = await load();
      const pool = loaded.train;
      const C = pool.classNames.length;
      log(`dataset: ${pool.count} training images in ${C} classes (${loaded.source}); held out for the pilot: ${loaded.validation.count} validation and ${loaded.test.count} test images`);

      // 1. Size curve on a stratified sample.
      const order = poolOrderOf(pool, seed, 1);
      const sample = selectImages(pool, order.slice(0, Math.min(inputs.sizeSampleSize, pool.count)));
      const curve: SizePoint[] = [];
      const sampleSizes = new Map<number, Uint32Array>();
      const sampleMean = async (d: number): Promise<number> => {
        const r = await compress(sample, d, `size curve d=${d}`);
        const bad = new Set(r.failed.map((f) => f.index));
        const ok = Array.from(r.bytesPerImage).filter((_, i) => !bad.has(i));
        if (ok.length === 0) throw new ResourceError(`the codec failed on every sample image at distance ${d}: ${r.failed[0]?.reason}`);
        sampleSizes.set(d, r.bytesPerImage);
        return meanBytes(ok);
      };
      for (const d of curveDistances) {
        check();
        curve.push({ distance: d, meanBytes: await sampleMean(d), count: sample.count });
      }
      log(`size curve on ${sample.count} images: ${curve.map((p) => `d=${p.distance}: ${p.meanBytes.toFixed(0)} B`).join(', ')}`);
      // A budget too small for one image per class at the strongest compression measured.
      const strongest = curve.reduce((a, b) => (b.meanBytes < a.meanBytes ? b : a));
      const perClassMin = new Array<number>(C).fill(Infinity);
      const sz = sampleSizes.get(strongest.distance)!;
      for (let k = 0; k < sample.count; k++) perClassMin[sample.labels[k]] = Math.min(perClassMin[sample.labels[k]], sz[k]);
      const floor = perClassMin.reduce((s, v) => s + (Number.isFinite(v) ? v : strongest.meanBytes), 0);
      if (opts.budgetBytes < floor) {
        throw new InputError('--budget', formatBytes(opts.budgetBytes), `at least ${formatBytes(floor)} (${floor} bytes: one image per class for ${C} classes at the strongest compression measured, d=${strongest.distance})`);
      }

      // 2. Pilot grid.
      const pilotOrder = poolOrderOf(pool, seed, 2);
      const pilotCount = Math.max(Math.min(pool.count, 2 * C), Math.round(pilotFraction * pool.count));
      const pilotPool = selectImages(pool, pilotOrder.slice(0, pilotCount));
      const trainer = await createTrainer({ trainer: inputs.trainer, ...inputs.trainerOptions });
      let rows: PilotRow[];
      try {
        const bar = phase(`pilot grid (${inputs.trainer})`, pilotDistances.length * inputs.pilotFractions.length);
        rows = await runPilot({
          pool: pilotPool,
          validation: loaded.validation,
          test: loaded.test,
          distances: pilotDistances,
          fractions: inputs.pilotFractions,
          seed,
          trainer,
          trainerOptions: inputs.trainerOptions,
          compress: (set, d) => compress(set, d, `pilot pool d=${d}`),
          onJob: () => bar.tick(),
          checkInterrupt: check,
        });
        bar.done();
      } finally {
        await trainer.close?.();
      }

      // 3. Fit and bootstrap.
      const fit = fitLaw(rows, { form: 'additive' });
      const fitBar = phase('bootstrap refits', inputs.replicates);
      const reps = lawReplicates(rows, fit, { replicates: inputs.replicates, seed, onProgress: () => fitBar.tick() });
      fitBar.done();
      log(`law: E* = ${fit.params.Estar.toPrecision(4)}, A = ${fit.params.A.toPrecision(4)}, alpha = ${fit.params.alpha.toPrecision(3)}, B = ${fit.params.B.toPrecision(4)}, beta = ${fit.params.beta.toPrecision(3)}; R^2 = ${fit.r2.toFixed(3)}, RMSE = ${fit.rmse.toPrecision(3)}${fit.warnings.length ? `; ${fit.warnings.length} warning(s)` : ''}`);

      // 4. Recommendation at the image budget (budget minus a reserve for manifest.csv and plan.json).
      const constraints = constraintsFromCurve(curve, pool.count);
      // Each image costs its bytes plus its manifest row: the row length is measured on the
      // first images of the write order (names, class, source, a 64-hex hash, a long distance).
      const writeOrder0 = poolOrderOf(pool, seed, 3);
      const probe = writeOrder0.slice(0, Math.min(200, writeOrder0.length)).map((idx) => {
        const cls = safe(pool.classNames[pool.labels[idx]]);
        return manifestCsv([{ path: `${IMAGES_DIR}/${cls}/${imageName(pool.ids?.[idx], idx)}.jxl`, class: pool.classNames[pool.labels[idx]], bytes: Math.round(constraints.originalBytes), distance: 1.2345678901234567, source: pool.ids?.[idx] ?? `train[${idx}]`, sha256: 'f'.repeat(64) }]).length - MANIFEST_HEADER.join(',').length - 1;
      });
      const rowBytes = Math.ceil(probe.reduce((a, b) => a + b, 0) / probe.length) + 2;
      const planReserve = 12_000;
      const spendable = opts.budgetBytes - planReserve - MANIFEST_HEADER.join(',').length - 1;
      // The largest image budget B with B + rowBytes * n*(B) <= spendable (n* grows with B): bisection.
      const costOf = (B: number): { rec: Recommendation; cost: number } => {
        const r = recommend(fit, B, constraints, { replicates: reps.params, residuals: fit.residuals });
        return { rec: r, cost: B + rowBytes * r.n };
      };
      let rec: Recommendation | undefined;
      let imageBudget = floor;
      if (spendable >= floor && costOf(floor).cost <= spendable) {
        let lo = floor;
        let hi = spendable;
        if (costOf(hi).cost <= spendable) lo = hi;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (costOf(mid).cost <= spendable) lo = mid;
          else hi = mid;
        }
        imageBudget = lo;
        rec = costOf(lo).rec;
      }
      if (!rec) {
        throw new InputError('--budget', formatBytes(opts.budgetBytes), `at least ${formatBytes(floor + planReserve + C * rowBytes)} (one image per class at the strongest compression, plus manifest.csv and plan.json)`);
      }
      let distance = 0;
      let searchNote = 'original format (L* at the lossless size)';
      if (rec.L < constraints.originalBytes * (1 - 1e-9)) {
        const lossy = curve.filter((p) => p.distance > 0).map((p) => p.distance);
        const search = await distanceForTargetBytes(rec.L, sampleMean, { lo: Math.min(...lossy), hi: Math.max(...lossy), snap, relTolerance: 0.01 });
        distance = search.distance;
        searchNote = `${search.status}: mean ${search.meanBytes.toFixed(1)} B on the size sample at d=${distance.toPrecision(4)} (${search.probes.length} probes)`;
      }
      const result: PlanResult = {
        key,
        dryRun: opts.dryRun === true,
        status: opts.dryRun ? 'dry-run' : 'written',
        outDir: out,
        budgetBytes: opts.budgetBytes,
        dataset: { source: loaded.source, classes: pool.classNames, trainImages: pool.count, validationImages: loaded.validation.count, testImages: loaded.test.count, skipped: loaded.skipped.length },
        heldOut: {
          validation: loaded.validation.count,
          test: loaded.test.count,
          note: `${loaded.validation.count} validation and ${loaded.test.count} test images were held out to choose the pilot's ridge penalty and score the pilot; they are not in the written training set and not counted in the budget (keep them uncompressed to evaluate models trained on the set)`,
        },
        sizeCurve: curve,
        pilot: { rows, trainer: inputs.trainer, poolImages: pilotPool.count },
        fit: summarizeFit(fit),
        replicates: { requested: reps.requested, used: reps.params.length, failed: reps.failed, resampled: reps.resampled },
        recommendation: {
          imageBudgetBytes: imageBudget,
          metadataReserveBytes: opts.budgetBytes - imageBudget,
          n: rec.n,
          L: rec.L,
          distance,
          distanceSearch: searchNote,
          predictedError: rec.error,
          band: rec.band?.band ?? null,
          predictionInterval: rec.band?.predictionInterval ?? null,
          confidence: rec.band?.confidence ?? 0.95,
          activeConstraints: rec.activeConstraints,
          originalFormat: rec.original ? { n: rec.original.n, L: rec.original.L, predictedError: rec.original.error } : null,
          bestFixedLevel: rec.bestFixed ? { name: rec.bestFixed.name, distance: rec.bestFixed.distance, n: rec.bestFixed.n, L: rec.bestFixed.L, predictedError: rec.bestFixed.error } : null,
        },
        written: null,
        provenance: provenance({ command: opts.command, config: inputs, seed }),
      };
      if (opts.dryRun) return result;

      // 5. Encode the first n* images of a stratified order at d* and keep the longest prefix that fits.
      const writeOrder = writeOrder0.slice(0, rec.n);
      const codec = await loadCodecFor(backend);
      const bar = phase(`encode ${writeOrder.length} images at d=${distance.toPrecision(4)}`, writeOrder.length);
      const per = pool.width * pool.height * pool.channels;
      const names = new Map<string, number>();
      const candidates: (ManifestRow & { index: number })[] = [];
      fresh.clear();
      for (const idx of writeOrder) {
        const px = pool.pixels.subarray(idx * per, (idx + 1) * per);
        let stream: Uint8Array;
        try {
          stream = codec.encode(px, pool.width, pool.height, pool.channels, { distance, effort, backend });
        } catch (e) {
          log(`skipped ${pool.ids?.[idx] ?? idx}: the codec failed (${(e as Error).message})`);
          bar.tick();
          continue;
        }
        const cls = safe(pool.classNames[pool.labels[idx]]);
        let name = imageName(pool.ids?.[idx], idx);
        const k = `${cls}/${name}`;
        const seen = names.get(k) ?? 0;
        names.set(k, seen + 1);
        if (seen) name = `${name}-${seen}`;
        fresh.set(idx, stream);
        candidates.push({ index: idx, path: `${IMAGES_DIR}/${cls}/${name}.jxl`, class: pool.classNames[pool.labels[idx]], bytes: stream.length, distance, source: pool.ids?.[idx] ?? `train[${idx}]`, sha256: sha256(stream) });
        bar.tick();
      }
      bar.done();
      const files = fitFiles(candidates, opts.budgetBytes, result, C);
      const perClass = new Set(files.map((f) => f.class));
      if (perClass.size < C) {
        throw new InputError('--budget', formatBytes(opts.budgetBytes), `a budget that holds at least one image of each of the ${C} classes with manifest.csv and plan.json`, `only ${perClass.size} classes fit`);
      }
      state = { key, result, files };
      status = 'written';
      writeFileAtomic(join(out, STATE_FILE), JSON.stringify(state));
    }

    // 6. Write (or verify) every image, then the manifest, then plan.json.
    const files = state.files;
    let verified = 0;
    let encoded = 0;
    const missing: (ManifestRow & { index: number })[] = [];
    const vbar = phase('verify existing files', files.length);
    for (const f of files) {
      const p = join(out, f.path);
      if (existsSync(p) && statSync(p).size === f.bytes && sha256(readFileSync(p)) === f.sha256) verified++;
      else missing.push(f);
      vbar.tick();
    }
    vbar.done();
    if (missing.length) {
      const needEncode = missing.some((f) => !fresh.has(f.index));
      const pool = needEncode ? (await load()).train : undefined;
      const codec = needEncode ? await loadCodecFor(backend) : undefined;
      const wbar = phase(`write ${missing.length} images`, missing.length);
      for (const f of missing) {
        check();
        const stream = fresh.get(f.index) ?? encodeOne(pool!, codec!, f.index, f.distance);
        fresh.delete(f.index);
        if (sha256(stream) !== f.sha256) throw new ResourceError(`re-encoding ${f.source} gave different bytes than when the plan was made (codec or data changed); remove ${out} and plan again`);
        writeFileAtomic(join(out, f.path), stream);
        encoded++;
        wbar.tick();
      }
      wbar.done();
    }
    const manifest = manifestCsv(files);
    writeFileAtomic(join(out, MANIFEST_FILE), manifest);
    const result = finalResult(state.result, files, manifest.length, verified, encoded);
    const planText = planJson(key, result);
    if (result.written!.totalBytes > opts.budgetBytes) throw new Error(`internal: written total ${result.written!.totalBytes} exceeds the budget ${opts.budgetBytes}`);
    writeFileAtomic(join(out, PLAN_FILE), planText);
    const { rmSync } = await import('node:fs');
    rmSync(join(out, STATE_FILE), { force: true });
    return { ...result, status };
  } finally {
    if (encodePool) await encodePool.close();
  }
}

function finalResult(base: PlanResult, files: ManifestRow[], manifestBytes: number, verified: number, encoded: number): PlanResult {
  const perClass: Record<string, number> = {};
  let imageBytes = 0;
  for (const f of files) {
    perClass[f.class] = (perClass[f.class] ?? 0) + 1;
    imageBytes += f.bytes;
  }
  const written = { images: files.length, imageBytes, manifestBytes, planBytes: 0, totalBytes: 0, perClass, verified, encoded };
  const result: PlanResult = { ...base, written };
  // plan.json's own size is part of the total: fixed point over the digits of planBytes.
  for (let i = 0; i < 4; i++) {
    const bytes = Buffer.byteLength(planJson(base.key, result));
    if (bytes === written.planBytes) break;
    written.planBytes = bytes;
    written.totalBytes = imageBytes + manifestBytes + bytes;
  }
  return result;
}

function planJson(key: string, result: PlanResult): string {
  void key;
  return JSON.stringify(stripRuntime(result), null, 1) + '\n';
}

/** plan.json is the result without what is per invocation (status, dryRun). */
function stripRuntime(r: PlanResult): Omit<PlanResult, 'status' | 'dryRun'> {
  const { status: _s, dryRun: _d, ...rest } = r;
  return rest;
}

/** Longest prefix of the candidates whose images, manifest and plan.json together fit the budget. */
function fitFiles(candidates: (ManifestRow & { index: number })[], budget: number, result: PlanResult, numClasses: number): (ManifestRow & { index: number })[] {
  void numClasses;
  const rowLen = candidates.map((c) => manifestCsv([c]).length - (MANIFEST_HEADER.join(',').length + 1));
  const headerLen = MANIFEST_HEADER.join(',').length + 1;
  // plan.json size with this many files: measured on a draft (counts only change a few digits).
  const planBound = (files: ManifestRow[]): number => Buffer.byteLength(planJson(result.key, finalResult(result, files, 0, files.length, files.length))) + 256;
  let n = candidates.length;
  let total = headerLen;
  for (let k = 0; k < n; k++) total += candidates[k].bytes + rowLen[k];
  for (let guard = 0; guard < 8; guard++) {
    const bound = planBound(candidates.slice(0, n));
    while (n > 0 && total + bound > budget) {
      n--;
      total -= candidates[n].bytes + rowLen[n];
    }
    if (total + planBound(candidates.slice(0, n)) <= budget) break;
  }
  return candidates.slice(0, n);
}

/** A complete plan directory: every manifest row's file exists with its size and hash. */
function verifyComplete(out: string, log: (line: string) => void): void {
  const plan = JSON.parse(readFileSync(join(out, PLAN_FILE), 'utf8')) as Partial<PlanResult>;
  const text = parseCsvTable(readFileSync(join(out, MANIFEST_FILE), 'utf8'), join(out, MANIFEST_FILE), { comments: false }).records.map((r) => r.cells);
  let bad = 0;
  for (const cells of text) {
    const path = cells[0];
    const hash = cells[cells.length - 1];
    const p = join(out, path);
    if (!existsSync(p) || sha256(readFileSync(p)) !== hash) bad++;
  }
  if (bad) throw new ResourceError(`${out} holds this plan but ${bad} of its files are missing or changed; remove ${join(out, PLAN_FILE)} to rewrite them`);
  log(`${out} already holds this plan (${plan.written?.images ?? text.length} images, every file verified)`);
}
