import { selectImages, type ImageSet } from '../data/imageSet.js';
import { fitLaw, type LawFit } from '../fit/fitLaw.js';
import { createTrainer } from '../trainers/registry.js';
import { stratifiedOrder } from '../sweep/stratify.js';
import { distanceForTargetBytes } from '../sweep/distanceSearch.js';
import { meanBytes } from '../sweep/budget.js';
import { InputError, ResourceError } from '../errors.js';
import { provenance } from '../provenance.js';
import { formatBytes } from './size.js';
import type { SizePoint } from './sizeCurve.js';
import { runPilot, type PilotRow } from './pilot.js';
import { lawReplicates } from './replicates.js';
import { constraintsFromCurve, recommend, type Recommendation } from './recommend.js';
import { IMAGES_DIR } from './outDir.js';
import { imageName, manifestCsv, MANIFEST_HEADER_BYTES, safeName } from './manifest.js';
import type { PlanInputs, PlanOptions } from './planConfig.js';
import type { PlanResult } from './planResult.js';
import type { PlanSession } from './planSession.js';

/** A stratified order of the pool (one stream per purpose: 1 size sample, 2 pilot pool, 3 write order). */
export function poolOrderOf(set: ImageSet, seed: number, stream: number): number[] {
  return Array.from(stratifiedOrder(set.labels, set.classNames.length, seed, stream));
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

export interface PlanAnalysis {
  /** The plan without `written`. */
  result: PlanResult;
  /** The training pool the set is drawn from. */
  pool: ImageSet;
  /** The stratified write order of the whole pool; the set is its first n* images (that fit). */
  writeOrder: number[];
}

/**
 * The analysis phases of `lossyscale plan` (THEORY.md sections 1 and 6): the codec's size
 * curve on a stratified sample, the pilot grid, the law fit with its bootstrap, and the
 * recommendation n*, L*, d* at the budget less a reserve for manifest.csv and plan.json.
 */
export async function analysePlan(session: PlanSession, opts: PlanOptions, inputs: PlanInputs, key: string, snap: (d: number) => number): Promise<PlanAnalysis> {
  const { log, phase, check, compress } = session;
  const { seed, curveDistances, pilotDistances, pilotFraction } = inputs;
  const loaded = await session.load();
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
  // non-null: sampleMean stored the sizes of every distance on the curve, strongest among them.
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
  const writeOrder = poolOrderOf(pool, seed, 3);
  const probe = writeOrder.slice(0, Math.min(200, writeOrder.length)).map((idx) => {
    const cls = safeName(pool.classNames[pool.labels[idx]]);
    return manifestCsv([{ path: `${IMAGES_DIR}/${cls}/${imageName(pool.ids?.[idx], idx)}.jxl`, class: pool.classNames[pool.labels[idx]], bytes: Math.round(constraints.originalBytes), distance: 1.2345678901234567, source: pool.ids?.[idx] ?? `train[${idx}]`, sha256: 'f'.repeat(64) }]).length - MANIFEST_HEADER_BYTES;
  });
  const rowBytes = Math.ceil(probe.reduce((a, b) => a + b, 0) / probe.length) + 2;
  const planReserve = 12_000;
  const spendable = opts.budgetBytes - planReserve - MANIFEST_HEADER_BYTES;
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
    outDir: opts.outDir,
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
  return { result, pool, writeOrder };
}
