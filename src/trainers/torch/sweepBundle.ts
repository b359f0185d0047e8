import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseStylizedConfig, type StylizedConfig } from '../../config/fig6Config.js';
import type { ImageSet } from '../../data/imageSet.js';
import { InputError, ResourceError } from '../../errors.js';
import { provenance } from '../../provenance.js';
import { analyzeRun as analyzeStylizedRun } from '../../simulate/analyzeRun.js';
import { planFromConfig } from '../../simulate/plan.js';
import type { RepetitionResult } from '../../simulate/repetition.js';
import { checkPlanIdentity, monteCarloPaths, planIdentity, writeMonteCarloRecord, writeMonteCarloSummary } from '../../simulate/runDir.js';
import { openStore, type StoreRow } from '../../store/appendOnlyStore.js';
import { analyzeRun } from '../../sweep/analyze.js';
import { loadSweepConfig, parseSweepConfig, type SweepConfig } from '../../sweep/config.js';
import { openSweepContext } from '../../sweep/context.js';
import { materializeJob } from '../../sweep/materialize.js';
import { planJobs, type PlannedJob } from '../../sweep/plan.js';
import { isPoolDistance } from '../../sweep/poolDistances.js';
import { readResults, recordResult, resultRow } from '../../sweep/results.js';
import { newRunRecord, readRun, writeRun } from '../../sweep/runDir.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, writeImageArray, writeIndices, writeManifest, type BundleManifest } from './bundle.js';
import { metricsFromResult, trainingOptions, workerPackageDir } from './index.js';
import { isClassifyResult, type ArrayDescriptor, type ClassifyJobSpec, type DataRef, type Hello, type JobSpec } from './protocol.js';
import { ridgeMcJob } from './ridgeMc.js';
import { RowError, validateRepetitionRow, validateResultRow } from '../../io/rowSchemas.js';
import { acquireRunLock } from '../../store/runLock.js';

/**
 * Job bundles and their ingestion (THEORY.md sections 5-6; `lossyscale sweep plan|ingest`):
 * bundles that a GPU machine with Python and PyTorch (and no Node) runs with
 * `python3 -m lossyscale_worker run-bundle`, and the ingestion of their results into the same
 * run directory, fit and tables as a local run. A sweep config gives classify jobs (the
 * sweep's planJobs/materializeJob); a stylized config (sims/fig6.json) gives ridge-mc jobs (the
 * Figure-6 Monte Carlo), ingested through the Monte Carlo run layout (src/simulate/runDir.ts).
 */
export type Log = (line: string) => void;

/** Parse a JSON file; a missing or malformed file is a ResourceError naming it. */
export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ResourceError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ResourceError(`malformed ${what} ${file}: ${(e as Error).message}`);
  }
}

/** Copy the Python worker package into the bundle (the GPU machine then needs no checkout). */
function copyWorker(out: string): void {
  const src = join(workerPackageDir, 'lossyscale_worker');
  const dst = join(out, 'lossyscale_worker');
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src)) if (f.endsWith('.py')) copyFileSync(join(src, f), join(dst, f));
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    total += s.isDirectory() ? dirBytes(p) : s.size;
  }
  return total;
}

/**
 * Plan a sweep into a bundle (THEORY.md section 6): every planned job is materialized (the
 * contract's materializeJob, so seeds, evaluation sets and failed-encode handling are the
 * sweep's own); a single-distance job whose images are rows of the pool decoded at that
 * distance is stored as that pool array plus an index file (checked pixel for pixel), so the
 * full Fashion-MNIST grid needs one 47 MB array per distance instead of one copy per job.
 */
export async function writeSweepBundle(config: SweepConfig, out: string, opts: { runDir?: string; configPath?: string; log?: Log } = {}): Promise<{ jobs: number; bytes: number }> {
  const log = opts.log ?? (() => undefined);
  mkdirSync(out, { recursive: true });
  const ctx = await openSweepContext(config);
  try {
    const all = await planJobs(config, opts.runDir ?? join(out, 'no-run'), ctx, log);
    // Jobs the run already holds (the grid, when planning the strategy phase) are left out.
    const finished = opts.runDir && existsSync(join(opts.runDir, 'results.jsonl')) ? new Set(readResults(opts.runDir).map((r) => r.key)) : new Set<string>();
    const planned = all.filter((j) => !finished.has(j.key));
    if (finished.size) log(`plan: ${all.length - planned.length} of ${all.length} jobs already in ${opts.runDir}, left out`);
    const arrays: Record<string, ArrayDescriptor> = {};
    const memo = new WeakMap<ImageSet, { name: string; desc: ArrayDescriptor }>();
    const add = (set: ImageSet, distance?: number): string => {
      const { name, desc } = writeImageArray(out, set, distance === undefined ? {} : { distance }, memo);
      arrays[name] = desc;
      return name;
    };
    const jobs: ClassifyJobSpec[] = [];
    let viaPool = 0;
    for (const [k, job] of planned.entries()) {
      const t = await materializeJob(job, ctx);
      let train: DataRef | undefined;
      const d = job.train.distance;
      // Pool distances (src/sweep/poolDistances.ts) are read from the pool encodings; any other
      // distance (a searched scaling-optimal one) is encoded for the job's subset only.
      if (typeof d === 'number' && isPoolDistance(config, d)) {
        const c = await ctx.poolAt(d);
        const failed = new Set(c.failed.map((f) => f.index));
        // non-null: planned training indices are pool images, all of which have a position.
        const positions = job.train.indices.map((i) => ctx.poolPosition.get(i)!).filter((p) => !failed.has(p));
        if (positions.length === t.train.count && positions.every((p, j) => c.decoded.labels[p] === t.train.labels[j])) {
          const ref: DataRef = { array: add(c.decoded, d), indices: writeIndices(out, positions) };
          const per = t.train.width * t.train.height * t.train.channels;
          const view = (a: Uint8Array, i: number): Buffer => Buffer.from(a.buffer, a.byteOffset + i * per, per); // no copy
          const same = positions.every((p, j) => Buffer.compare(view(c.decoded.pixels, p), view(t.train.pixels, j)) === 0);
          if (same) {
            train = ref;
            viaPool++;
          }
        }
      }
      train ??= { array: add(t.train) };
      const evaluate: Record<string, DataRef> = {};
      for (const [name, set] of Object.entries(t.evaluate)) evaluate[name] = { array: add(set) };
      const data: ClassifyJobSpec['data'] = { train, evaluate };
      if (t.validation.count > 0) data.validation = { array: add(t.validation) };
      // The planned job rides along for ingestion (recordResult reads its key, phase, seed and
      // info); its per-image lists are left out: the index file holds the images, and 58,000
      // numbers per job would make the manifest and every result line megabytes long.
      const meta = { ...job, train: { split: job.train.split, indices: [], distance: Array.isArray(job.train.distance) ? [] : job.train.distance, omitted: 'indices and per-image distances: see data.train' } };
      jobs.push({ id: job.key, kind: 'classify', seed: t.seed, data, options: trainingOptions(config.trainerOptions ?? {}, t.options ?? {}), meta });
      if ((k + 1) % 25 === 0) log(`plan: ${k + 1}/${planned.length} jobs written`);
    }
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      arrays,
      jobs,
      plan: { kind: 'sweep', config, configPath: opts.configPath ?? null, codecVersion: ctx.codecVersion, phases: [...new Set(planned.map((j) => j.phase))], provenance: provenance({ config, seed: config.seed }) },
    };
    writeManifest(out, manifest);
    copyWorker(out);
    log(`plan: ${jobs.length} jobs (${viaPool} as pool rows), ${Object.keys(arrays).length} arrays`);
    return { jobs: jobs.length, bytes: dirBytes(out) };
  } finally {
    await ctx.close();
  }
}

/** Plan the Figure-6 Monte Carlo of a stylized config into ridge-mc jobs (THEORY.md section 5). */
export function writeRidgeMcBundle(config: StylizedConfig, out: string, opts: { repsPerJob?: number; reps?: number; configPath?: string } = {}): { jobs: number; bytes: number } {
  const plan = planFromConfig(config, { reps: opts.reps });
  const per = opts.repsPerJob ?? 5;
  const jobs: JobSpec[] = [];
  for (let r = 0; r < plan.reps; r += per) {
    const reps = Array.from({ length: Math.min(per, plan.reps - r) }, (_, i) => r + i);
    jobs.push(ridgeMcJob(`ridge-mc/rep=${reps[0]}..${reps[reps.length - 1]}`, plan, reps));
  }
  mkdirSync(out, { recursive: true });
  writeManifest(out, { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, arrays: {}, jobs, plan: { kind: 'ridge-mc', config, configPath: opts.configPath ?? null, reps: plan.reps, provenance: provenance({ config, seed: config.seed }) } });
  copyWorker(out);
  return { jobs: jobs.length, bytes: dirBytes(out) };
}

interface BundleRow extends StoreRow {
  /** The job id the worker echoes (not read back: rows are matched by key). */
  id?: string;
  kind: 'classify' | 'ridge-mc';
  meta?: unknown;
  result: Record<string, unknown>;
  worker?: Hello;
  finishedAt?: string;
}

/** Complete rows of a worker results file with their line numbers (a torn last line from a kill is ignored, the file is not touched). */
function readBundleResults(file: string): (BundleRow & { line: number })[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError('BUNDLE_RESULTS', file, 'a readable results.jsonl', (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  const lines = text.split('\n');
  const rows: (BundleRow & { line: number })[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      if (i < lines.length - 1) throw new ResourceError(`results file ${file} is corrupt at line ${i + 1}`);
      return;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new RowError(file, i + 1, '(row)', row, 'a JSON object');
    const r = row as Record<string, unknown>;
    if (typeof r.key !== 'string') throw new RowError(file, i + 1, 'key', r.key, 'a string');
    if (r.kind !== 'classify' && r.kind !== 'ridge-mc') throw new RowError(file, i + 1, 'kind', r.kind, '"classify" or "ridge-mc"');
    if (typeof r.result !== 'object' || r.result === null) throw new RowError(file, i + 1, 'result', r.result, 'an object');
    const checked: BundleRow & { line: number } = { ...r, key: r.key, kind: r.kind, result: { ...r.result }, line: i + 1 };
    rows.push(checked);
  });
  return rows;
}

export interface IngestSummary {
  kind: 'sweep' | 'ridge-mc';
  ingested: number;
  alreadyPresent: number;
  failures: number;
  runDir: string;
  devices: string[];
}

/**
 * Draws the figures of a run after ingestion (the CLI passes the figures layer's writers, so
 * this module never draws); returns the written .vl.json paths.
 */
export type IngestFigureWriter = (run: { kind: 'sweep' } | { kind: 'ridge-mc'; config: StylizedConfig }, runDir: string) => Promise<string[]>;

/** Ingest a bundle's results into a run directory, then analyse it (THEORY.md sections 5-6). */
export async function ingestBundle(resultsPath: string, runDir: string, opts: { bundleDir?: string; analyze?: boolean; log?: Log; drawFigures?: IngestFigureWriter } = {}): Promise<IngestSummary> {
  const lock = acquireRunLock(runDir, '--run');
  try {
    return await ingestLocked(resultsPath, runDir, opts);
  } finally {
    lock.release();
  }
}

async function ingestLocked(resultsPath: string, runDir: string, opts: { bundleDir?: string; analyze?: boolean; log?: Log; drawFigures?: IngestFigureWriter }): Promise<IngestSummary> {
  const log = opts.log ?? (() => undefined);
  const results = existsSync(resultsPath) && statSync(resultsPath).isDirectory() ? join(resultsPath, 'results.jsonl') : resultsPath;
  if (!existsSync(results)) throw new InputError('BUNDLE_RESULTS', resultsPath, 'a results.jsonl written by run-bundle, or its bundle directory');
  const bundleDir = opts.bundleDir ?? dirname(results);
  const manifest = readJson(join(bundleDir, 'manifest.json'), 'bundle manifest') as BundleManifest & { plan?: { kind?: string; config?: unknown; codecVersion?: string } };
  if (manifest?.format !== BUNDLE_FORMAT || manifest.version !== BUNDLE_VERSION) throw new InputError('--bundle', bundleDir, `a ${BUNDLE_FORMAT} v${BUNDLE_VERSION} bundle`);
  const rows = readBundleResults(results);
  if (rows.length === 0) throw new InputError('BUNDLE_RESULTS', results, 'a results file with at least one finished job', 'it holds no rows yet (run run-bundle first)');
  const expectedKind = manifest.plan?.kind === 'sweep' ? 'classify' : manifest.plan?.kind === 'ridge-mc' ? 'ridge-mc' : undefined;
  const jobIds = new Set((manifest.jobs ?? []).map((j) => (j as { id: string }).id));
  for (const row of rows) {
    if (expectedKind && row.kind !== expectedKind) throw new RowError(results, row.line, 'kind', row.kind, `"${expectedKind}" (the bundle ${bundleDir} plans ${manifest.plan?.kind} jobs; is --bundle the bundle these results came from?)`);
    if (jobIds.size && !jobIds.has(row.key)) throw new RowError(results, row.line, 'key', row.key, `a job of the bundle ${bundleDir} (is --bundle the bundle these results came from?)`);
  }
  const failuresFile = results.replace(/\.jsonl$/, '') + '.failures.jsonl';
  const failures = existsSync(failuresFile) ? readBundleResults(failuresFile).length : 0;
  const devices = [...new Set(rows.map((r) => (r.worker ? `${r.worker.device} (${r.worker.deviceName}), torch ${r.worker.torch}` : 'unknown')))];
  const plan = manifest.plan ?? {};
  mkdirSync(runDir, { recursive: true });
  if (plan.kind === 'sweep') {
    const config = parseSweepConfig(plan.config);
    const existing = readRun(runDir);
    if (existing && !isDeepStrictEqual(existing.config, config)) throw new InputError('--run', runDir, 'a new directory, or one holding a run of the same config', 'its run.json records a different config');
    const rec = existing ?? newRunRecord(config, plan.codecVersion ?? 'unknown');
    const done = new Set(readResults(runDir).map((r) => r.key));
    let ingested = 0;
    let present = 0;
    for (const row of rows) {
      const planned = row.meta as PlannedJob;
      if (!planned || planned.key !== row.key) throw new RowError(results, row.line, 'meta', row.meta === undefined ? undefined : 'a different job', `the planned job ${row.key} (rows written by run-bundle from a lossyscale plan carry it)`);
      if (done.has(row.key)) {
        present++;
        continue;
      }
      if (!isClassifyResult(row.result)) throw new RowError(results, row.line, 'result', 'not a classify result', 'an object with evaluations, trainSeconds and details');
      const metrics = metricsFromResult(row.result, row.worker);
      validateResultRow(JSON.parse(JSON.stringify(resultRow(planned, metrics))), results, row.line);
      recordResult(runDir, planned, metrics);
      done.add(row.key);
      ingested++;
    }
    rec.sessions.push({ start: new Date().toISOString(), end: new Date().toISOString(), phases: {}, jobsRun: ingested, status: 'finished' });
    rec.ingested = [...(rec.ingested ?? []), { from: resolve(results), rows: ingested, devices, time: new Date().toISOString() }];
    writeRun(runDir, rec);
    if (opts.analyze !== false) {
      const a = analyzeRun(runDir);
      const figures = opts.drawFigures ? await opts.drawFigures({ kind: 'sweep' }, runDir) : [];
      log(`ingest: ${ingested} rows recorded, ${present} already present; ${a.law ? `law R^2 ${a.law.r2.toPrecision(3)}` : 'no law yet'}; ${figures.length} figures`);
    }
    return { kind: 'sweep', ingested, alreadyPresent: present, failures, runDir, devices };
  }
  if (plan.kind === 'ridge-mc') {
    const config = parseStylizedConfig(plan.config);
    const simPlan = planFromConfig(config, { reps: (plan as { reps?: number }).reps });
    const identity = planIdentity(simPlan);
    checkPlanIdentity(runDir, identity, '--run', 'an empty directory or one holding a run of the same config');
    const store = openStore<StoreRow & RepetitionResult & { engine?: unknown }>(monteCarloPaths(runDir).results);
    let ingested = 0;
    let present = 0;
    for (const row of rows) {
      const reps = (row.result as { repetitions?: unknown }).repetitions;
      if (!Array.isArray(reps)) throw new RowError(results, row.line, 'result.repetitions', reps, 'a list of repetition results');
      for (const r of reps) validateRepetitionRow(r, simPlan, results, row.line);
      const engine = { kind: 'torch', device: row.worker?.device, deviceName: row.worker?.deviceName, torch: row.worker?.torch, cuda: row.worker?.cuda, rng: (row.result as { rng?: string }).rng };
      for (const r of (row.result as { repetitions: RepetitionResult[] }).repetitions) {
        if (store.has(`rep-${r.rep}`)) {
          present++;
          continue;
        }
        store.append({ key: `rep-${r.rep}`, ...r, engine });
        ingested++;
      }
    }
    const all = store.rows().map(({ key: _k, engine: _e, ...r }) => r as RepetitionResult).filter((r) => r.rep < simPlan.reps);
    writeMonteCarloRecord(runDir, { ...provenance({ config, seed: config.seed }), reps: simPlan.reps, planIdentity: identity, engine: { kind: 'torch', devices }, ingestedFrom: resolve(results) });
    writeMonteCarloSummary(runDir, config, simPlan, all);
    try {
      if (opts.analyze !== false) {
        analyzeStylizedRun(runDir, { config });
        if (opts.drawFigures) await opts.drawFigures({ kind: 'ridge-mc', config }, runDir);
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      log(`ingest: analysis skipped (${e.message})`); // too few cells or repetitions for the law fit yet
    }
    log(`ingest: ${ingested} repetitions recorded, ${present} already present, ${all.length} of ${simPlan.reps} in ${runDir}`);
    return { kind: 'ridge-mc', ingested, alreadyPresent: present, failures, runDir, devices };
  }
  throw new InputError('--bundle', bundleDir, 'a bundle written by lossyscale sweep plan (manifest.plan.kind sweep or ridge-mc)');
}
