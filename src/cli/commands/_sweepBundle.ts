import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseStylizedConfig, type StylizedConfig } from '../../config/fig6Config.js';
import type { ImageSet } from '../../data/imageSet.js';
import { InputError, ResourceError } from '../../errors.js';
import { provenance } from '../../provenance.js';
import { aggregate, summaryCsv } from '../../simulate/aggregate.js';
import { analyzeRun as analyzeStylizedRun } from '../../simulate/analyzeRun.js';
import { planFromConfig } from '../../simulate/plan.js';
import type { RepetitionResult } from '../../simulate/repetition.js';
import { openStore, type StoreRow } from '../../store/appendOnlyStore.js';
import { analyzeRun } from '../../sweep/analyze.js';
import { loadSweepConfig, parseSweepConfig, type SweepConfig } from '../../sweep/config.js';
import { openSweepContext } from '../../sweep/context.js';
import { materializeJob } from '../../sweep/materialize.js';
import { planJobs, type PlannedJob } from '../../sweep/plan.js';
import { readResults, recordResult } from '../../sweep/results.js';
import { newRunRecord, readRun, writeRun } from '../../sweep/runDir.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, writeImageArray, writeIndices, writeManifest, type BundleManifest } from '../../trainers/torch/bundle.js';
import { metricsFromResult, trainingOptions, workerPackageDir } from '../../trainers/torch/index.js';
import type { ArrayDescriptor, ClassifyJobSpec, ClassifyResult, DataRef, Hello, JobSpec } from '../../trainers/torch/protocol.js';
import { ridgeMcJob } from '../../trainers/torch/ridgeMc.js';
import { maybeHelp, parseFlags, str, intFlag } from '../args.js';

/**
 * `lossyscale sweep plan|ingest` (THEORY.md sections 5-6): job bundles that a GPU machine with
 * Python and PyTorch (and no Node) runs with `python3 -m lossyscale_worker run-bundle`, and the
 * ingestion of their results into the same run directory, fit, tables and figures as a local
 * run. A sweep config gives classify jobs (the sweep's planJobs/materializeJob); a stylized
 * config (sims/fig6.json) gives ridge-mc jobs (the Figure-6 Monte Carlo).
 */
const planUsage = `
usage: lossyscale sweep plan --config FILE --out BUNDLE [--run DIR] [--reps-per-job K] [--quiet]

Writes a self-contained job bundle: BUNDLE/manifest.json (jobs, array descriptors, the plan),
BUNDLE/arrays/*.u8 (decoded training pools per distance, validation and test sets; raw uint8,
N x H x W x C) with int32 labels, BUNDLE/indices/*.i32 (each job's training subset), and a copy
of the worker package, so the GPU machine needs only Python 3 with torch and numpy:

  cd BUNDLE && python3 -m lossyscale_worker run-bundle . --group 35    # results.jsonl, resumable

  --config FILE       a sweep config (classify jobs; "trainerOptions" hold model, epochs, lr...)
                      or a stylized-model config such as sims/fig6.json (ridge-mc jobs)
  --out BUNDLE        bundle directory (created)
  --run DIR           sweep: a run directory whose law.json exists plans the strategy phase too
  --reps-per-job K    ridge-mc: repetitions per job (default 5)
  --reps N            ridge-mc: repetitions (default: the config's)

examples:
  lossyscale sweep plan --config sims/gpu/fashion-mnist-cnn.json --out runs/bundles/fmnist-cnn
  lossyscale sweep plan --config sims/gpu/fig6-gpu.json --out runs/bundles/fig6
`;

const ingestUsage = `
usage: lossyscale sweep ingest BUNDLE_RESULTS... --run DIR [--bundle BUNDLE] [--no-figures] [--quiet]

Feeds a bundle's results (BUNDLE/results.jsonl, or the bundle directory) into a run directory:
sweep bundles through the sweep's results store (recordResult), then the law fit, strategies,
tables and figures (analyzeRun); ridge-mc bundles into the Monte Carlo run layout (results.jsonl
with one row per repetition, summary, law, tables, figures). Rows already in the run are
skipped, so ingesting a growing results file again is safe.

  --run DIR        run directory (created if missing; must hold a run of the same config)
  --bundle BUNDLE  the bundle directory (default: the directory of BUNDLE_RESULTS)

examples:
  lossyscale sweep ingest runs/bundles/fmnist-cnn/results.jsonl --run results/fashion-mnist-gpu-cnn
  lossyscale sweep ingest runs/bundles/fig6 --run sims/results/fig6-gpu
`;

type Log = (line: string) => void;

function readJson(file: string, what: string): unknown {
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
      // Distances whose whole pool the sweep encodes anyway (materializeJob's own rule); any
      // other distance (a searched scaling-optimal one) is encoded for the job's subset only.
      const poolDistance = typeof d === 'number' && (config.grid.distances.includes(d) || d === 0 || (config.strategies?.fixedDistances ?? []).includes(d));
      if (poolDistance) {
        const c = await ctx.poolAt(d);
        const failed = new Set(c.failed.map((f) => f.index));
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
  id: string;
  kind: 'classify' | 'ridge-mc';
  meta?: unknown;
  result: Record<string, unknown>;
  worker?: Hello;
  finishedAt?: string;
}

/** Complete rows of a worker results file (a torn last line from a kill is ignored, the file is not touched). */
function readBundleResults(file: string): BundleRow[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const rows: BundleRow[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line) as BundleRow);
    } catch {
      if (i < lines.length - 1) throw new ResourceError(`results file ${file} is corrupt at line ${i + 1}`);
    }
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

/** Ingest a bundle's results into a run directory, then analyse it (THEORY.md sections 5-6). */
export async function ingestBundle(resultsPath: string, runDir: string, opts: { bundleDir?: string; figures?: boolean; analyze?: boolean; log?: Log } = {}): Promise<IngestSummary> {
  const log = opts.log ?? (() => undefined);
  const results = existsSync(resultsPath) && statSync(resultsPath).isDirectory() ? join(resultsPath, 'results.jsonl') : resultsPath;
  if (!existsSync(results)) throw new InputError('BUNDLE_RESULTS', resultsPath, 'a results.jsonl written by run-bundle, or its bundle directory');
  const bundleDir = opts.bundleDir ?? dirname(results);
  const manifest = readJson(join(bundleDir, 'manifest.json'), 'bundle manifest') as BundleManifest & { plan?: { kind?: string; config?: unknown; codecVersion?: string } };
  if (manifest.format !== BUNDLE_FORMAT || manifest.version !== BUNDLE_VERSION) throw new InputError('--bundle', bundleDir, `a ${BUNDLE_FORMAT} v${BUNDLE_VERSION} bundle`);
  const rows = readBundleResults(results);
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
    for (const row of rows) {
      if (row.kind !== 'classify') continue;
      const planned = row.meta as PlannedJob;
      if (!planned || planned.key !== row.key) throw new ResourceError(`results row ${row.key} carries no planned job (meta); was it written by run-bundle from a lossyscale plan?`);
      if (done.has(row.key)) continue;
      recordResult(runDir, planned, metricsFromResult(row.result as unknown as ClassifyResult, row.worker));
      done.add(row.key);
      ingested++;
    }
    rec.sessions.push({ start: new Date().toISOString(), end: new Date().toISOString(), phases: {}, jobsRun: ingested, status: 'finished' });
    (rec as unknown as Record<string, unknown>).ingested = [...(((rec as unknown as Record<string, unknown>).ingested as unknown[]) ?? []), { from: resolve(results), rows: ingested, devices, time: new Date().toISOString() }];
    writeRun(runDir, rec);
    if (opts.analyze !== false) {
      const a = await analyzeRun(runDir, { log, figures: opts.figures });
      log(`ingest: ${ingested} rows recorded, ${rows.length - ingested} already present; ${a.law ? `law R^2 ${a.law.r2.toPrecision(3)}` : 'no law yet'}; ${a.figures.length} figures`);
    }
    return { kind: 'sweep', ingested, alreadyPresent: rows.length - ingested, failures, runDir, devices };
  }
  if (plan.kind === 'ridge-mc') {
    const config = parseStylizedConfig(plan.config);
    const simPlan = planFromConfig(config, { reps: (plan as { reps?: number }).reps });
    const identity = JSON.stringify({ ...simPlan, reps: undefined });
    const runJson = join(runDir, 'run.json');
    if (existsSync(runJson) && (readJson(runJson, 'run record') as { planIdentity?: string }).planIdentity !== identity) {
      throw new InputError('--run', runDir, 'an empty directory or one holding a run of the same config', 'it holds results of a different plan');
    }
    const store = openStore<StoreRow & RepetitionResult & { engine?: unknown }>(join(runDir, 'results.jsonl'));
    let ingested = 0;
    let present = 0;
    for (const row of rows) {
      if (row.kind !== 'ridge-mc') continue;
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
    writeFileSync(runJson, JSON.stringify({ ...provenance({ config, seed: config.seed }), reps: simPlan.reps, planIdentity: identity, engine: { kind: 'torch', devices }, ingestedFrom: resolve(results) }, null, 1) + '\n');
    const summary = aggregate(simPlan, all);
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ provenance: provenance({ config, seed: config.seed }), ...summary }, null, 1) + '\n');
    writeFileSync(join(runDir, 'summary.csv'), summaryCsv(summary));
    try {
      if (opts.analyze !== false) await analyzeStylizedRun(runDir, { config, figuresDir: join(runDir, 'figures'), figures: opts.figures });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      log(`ingest: analysis skipped (${e.message})`); // too few cells or repetitions for the law fit yet
    }
    log(`ingest: ${ingested} repetitions recorded, ${present} already present, ${all.length} of ${simPlan.reps} in ${runDir}`);
    return { kind: 'ridge-mc', ingested, alreadyPresent: present, failures, runDir, devices };
  }
  throw new InputError('--bundle', bundleDir, 'a bundle written by lossyscale sweep plan (manifest.plan.kind sweep or ridge-mc)');
}

/** `lossyscale sweep plan` (CONTRACTS.md). */
export async function runPlan(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, out: { type: 'string' }, run: { type: 'string' }, 'reps-per-job': { type: 'string' }, reps: { type: 'string' }, quiet: { type: 'boolean' } });
  if (maybeHelp(values, planUsage)) return 0;
  const configPath = str(values, 'config');
  const out = str(values, 'out');
  if (!configPath) throw new InputError('--config', undefined, 'a sweep config or a stylized-model config file');
  if (!out) throw new InputError('--out', undefined, 'a directory for the bundle');
  if (existsSync(join(out, 'manifest.json'))) throw new InputError('--out', out, 'a new directory', 'it already holds a bundle (results would no longer match its jobs)');
  const log: Log = values.quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`);
  const raw = readJson(configPath, 'config') as Record<string, unknown>;
  const t0 = performance.now();
  let r: { jobs: number; bytes: number };
  if (raw && typeof raw === 'object' && 'simulation' in raw) {
    r = writeRidgeMcBundle(parseStylizedConfig(raw), out, { repsPerJob: intFlag(values, 'reps-per-job', 1), reps: intFlag(values, 'reps', 1), configPath });
  } else {
    const config = loadSweepConfig(configPath);
    if (config.trainer !== 'torch') log(`plan: note: config.trainer is "${config.trainer}"; the bundle is trained by the torch worker with config.trainerOptions as its training options`);
    r = await writeSweepBundle(config, out, { runDir: str(values, 'run'), configPath, log });
  }
  console.log(`bundle ${out}: ${r.jobs} jobs, ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`run it on a machine with Python 3 + torch + numpy:  cd ${out} && python3 -m lossyscale_worker run-bundle . [--group K] [--device cuda]`);
  console.log(`then here:  lossyscale sweep ingest ${join(out, 'results.jsonl')} --run DIR`);
  return 0;
}

/** `lossyscale sweep ingest` (CONTRACTS.md). */
export async function runIngest(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { run: { type: 'string' }, bundle: { type: 'string' }, 'no-figures': { type: 'boolean' }, quiet: { type: 'boolean' } }, true);
  if (maybeHelp(values, ingestUsage)) return 0;
  if (positionals.length < 1) throw new InputError('BUNDLE_RESULTS', undefined, 'a results.jsonl (or bundle directory); several for shards');
  const runDir = str(values, 'run');
  if (!runDir) throw new InputError('--run', undefined, 'the run directory to record into');
  const log: Log = values.quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`);
  let s: IngestSummary | undefined;
  for (const [i, file] of positionals.entries()) {
    // Shards of one bundle: record them all, analyse once at the end.
    s = await ingestBundle(file, runDir, { bundleDir: str(values, 'bundle'), figures: values['no-figures'] ? false : undefined, analyze: i === positionals.length - 1, log });
    if (positionals.length > 1) console.log(`${file}: ${s.ingested} ingested, ${s.alreadyPresent} already there`);
  }
  if (!s) return 2;
  console.log(`ingested ${s.ingested} ${s.kind === 'sweep' ? 'jobs' : 'repetitions'} into ${s.runDir} (${s.alreadyPresent} already there${s.failures ? `, ${s.failures} failed jobs listed in the bundle's results.failures.jsonl: rerun run-bundle to retry them` : ''}); devices: ${s.devices.join('; ') || 'none'}`);
  return 0;
}
