import { existsSync, writeFileSync } from 'node:fs';
import { acquireRunLock } from '../store/runLock.js';
import { isDeepStrictEqual } from 'node:util';
import { InputError, InterruptedError } from '../errors.js';
import { createTrainer } from '../trainers/registry.js';
import type { Trainer } from '../trainers/trainer.js';
import { sizeStats } from '../codec/sizeStats.js';
import { progress, type Progress } from '../util/progress.js';
import { yieldToEventLoop } from '../util/interrupt.js';
import { defaultMaxMemoryBytes, guardMemory } from '../util/limits.js';
import { estimateSweep } from './estimate.js';
import { analyzeRun, fitRunLaw } from './analyze.js';
import type { SweepConfig } from './config.js';
import { openSweepContext, type SweepContext } from './context.js';
import { materializeJob } from './materialize.js';
import { planGridJobs, planStrategyJobs, type PlannedJob } from './plan.js';
import { registeredTargets } from './preRegistration.js';
import { readResults, recordResult } from './results.js';
import { newRunRecord, readRun, runPaths, writeRun, type RunRecord, type RunSession } from './runDir.js';
import { withoutSchemaRef } from '../config/schema.js';
import { poolDistances } from './poolDistances.js';
import { linalgBackend } from '../linalg/backend.js';
import { provenance } from '../provenance.js';

/**
 * The whole real-data chain over one config (THEORY.md sections 6-7): encode the pool and
 * test subsets at the grid distances, train the (n, d) grid, fit the law, plan and train the
 * storage strategies at equal budgets, then tables and Figures 1-5. Each finished job is one
 * row of the run's append-only store: a run killed at any moment and started again skips the
 * finished jobs (no lost rows, no duplicates) and redoes only the unfinished one.
 */
export interface SweepRunOptions {
  runDir: string;
  /** Continue a run dir that already holds results (otherwise such a dir is an error); a dir without run.json is then an error too. */
  resume?: boolean;
  /** With resume: start the run when the directory holds none yet. */
  startIfMissing?: boolean;
  /** Accept a directory holding results but no run.json (its rows are validated; the config given now is recorded). */
  adopt?: boolean;
  quiet?: boolean;
  /** Checked between units of work; throw InterruptedError to stop. */
  checkInterrupt?: () => void;
  /** Aborted on a signal: the training job or encode batch in flight stops at once. */
  signal?: AbortSignal;
  /** Run even when more than maxSkippedFraction of the dataset's files were skipped. */
  allowSkipped?: boolean;
  /** Largest fraction of skipped files (unreadable or empty images, empty class folders) a sweep accepts; default 0.01. */
  maxSkippedFraction?: number;
  /** Refuse a sweep whose estimated memory exceeds this (bytes; default: half the machine's RAM). */
  maxMemoryBytes?: number;
  /** Test hook: stop (throw) after this many newly trained jobs. */
  stopAfterJobs?: number;
  /** A trainer to use instead of creating one from the config. */
  trainer?: Trainer;
  log?: (line: string) => void;
  /**
   * Draws the run's figures after the analysis (timed in the "analyze" phase); the CLI passes
   * src/figures/fashionMnist.ts's writeRunFigures, so this computing layer never draws.
   * Returns the paths of the written figure specs.
   */
  drawFigures?: SweepFigureWriter;
}

/** Writes the figures of an analysed run directory; returns the written .vl.json paths. */
export type SweepFigureWriter = (runDir: string) => Promise<string[]>;

/** Default largest fraction of skipped dataset files a sweep accepts. */
export const DEFAULT_MAX_SKIPPED_FRACTION = 0.01;

export interface SweepRunResult {
  runDir: string;
  jobsRun: number;
  jobsSkipped: number;
  phases: Record<string, number>;
  cpuPhases: Record<string, number>;
}

export async function runSweep(config: SweepConfig, opts: SweepRunOptions): Promise<SweepRunResult> {
  const lock = acquireRunLock(opts.runDir, '--run');
  try {
    return await runSweepLocked(config, opts);
  } finally {
    lock.release();
  }
}

async function runSweepLocked(config: SweepConfig, opts: SweepRunOptions): Promise<SweepRunResult> {
  const log = opts.log ?? ((line: string) => { if (!opts.quiet) process.stderr.write(`${line}\n`); });
  const paths = runPaths(opts.runDir);
  const existing = readRun(opts.runDir);
  const hasRows = existsSync(paths.results) && readResults(opts.runDir).length > 0;
  if (existing && !isDeepStrictEqual(withoutSchemaRef(existing.config), withoutSchemaRef(config))) {
    throw new InputError('--run', opts.runDir, 'a new directory, or one holding a run of the same config', 'its run.json records a different config');
  }
  if (hasRows && !existing && !opts.adopt) {
    throw new InputError('--run', opts.runDir, 'a new directory, or a run directory with its run.json (pass --adopt to take over these results)', `it holds ${paths.results} but no run.json, so the config of its rows is unknown`);
  }
  if (hasRows && !opts.resume) throw new InputError('--run', opts.runDir, 'a new directory (or pass --resume to continue this run)', 'it already holds results');
  if (opts.resume && !existing && !hasRows && !opts.startIfMissing) {
    throw new InputError('--run', opts.runDir, 'a run directory to resume (it has no run.json); drop --resume to start a new run there, or use --resume-or-start');
  }
  const phases: Record<string, number> = {};
  // CPU seconds of this process (all threads, encoder workers included) per phase: with the
  // machine shared, wall time depends on the load and CPU time does not.
  const cpuPhases: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await f();
    } finally {
      phases[name] = (phases[name] ?? 0) + (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      cpuPhases[name] = (cpuPhases[name] ?? 0) + (c.user + c.system) / 1e6;
    }
  };
  let ctx: SweepContext | undefined;
  const codecBars = new Map<string, { p: Progress; last: number }>();
  const rec: RunRecord = existing ?? newRunRecord(config, 'pending');
  // A new run's record was made just now: its provenance is this session's code.
  const code = existing ? provenance() : rec.provenance;
  const session: RunSession = {
    start: new Date().toISOString(),
    phases,
    cpuPhases,
    jobsRun: 0,
    status: 'running',
    linalgBackend: linalgBackend().description,
    code: { version: code.version, gitCommit: code.gitCommit, gitDirty: code.gitDirty, command: code.command },
  };
  rec.sessions.push(session);
  const save = (): void => writeRun(opts.runDir, rec);
  let jobsRun = 0;
  let jobsSkipped = 0;
  let trainer: Trainer | undefined = opts.trainer;
  try {
    ctx = await timed('load', () =>
      openSweepContext(config, {
        checkInterrupt: opts.checkInterrupt,
        signal: opts.signal,
        onCodecProgress: opts.quiet
          ? undefined
          : (label, done, total) => {
              let bar = codecBars.get(label);
              if (!bar) {
                if (total < 1000) return; // small calls (search probes, groups): no line of their own
                bar = { p: progress(`codec ${label}`, total, { initial: done }), last: done };
                codecBars.set(label, bar);
                if (done >= total) {
                  codecBars.delete(label); // all from the cache: no line
                  return;
                }
              }
              if (done < total) bar.p.tick(done - bar.last);
              bar.last = done;
              if (done >= total) {
                bar.p.done();
                codecBars.delete(label);
              }
            },
      }),
    );
    const sweepCtx = ctx; // the opened context, for the closures below (ctx itself is closed in finally)
    // Skipped data is never silent: each item on stderr and in run.json, and too many fail the sweep.
    const warn = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    for (const s of ctx.skipped) warn(`lossyscale: skipped ${s.path}: ${s.reason}`);
    rec.skipped = ctx.skipped;
    const skippedFraction = ctx.skipped.length / Math.max(1, ctx.skipped.length + ctx.imagesLoaded);
    const maxSkipped = opts.maxSkippedFraction ?? DEFAULT_MAX_SKIPPED_FRACTION;
    if (skippedFraction > maxSkipped && !opts.allowSkipped) {
      const root = (config.dataset as { root?: string }).root ?? config.dataset.kind;
      throw new InputError('config.dataset.root', root, `a dataset with at most ${100 * maxSkipped}% skipped files, or --allow-skipped`, `${ctx.skipped.length} of ${ctx.skipped.length + ctx.imagesLoaded} skipped (${(100 * skippedFraction).toFixed(1)}%; each listed above and in run.json)`);
    }
    guardMemory(estimateSweep(ctx), opts.maxMemoryBytes ?? defaultMaxMemoryBytes(), { log, quiet: opts.quiet });
    rec.codecVersion = ctx.codecVersion;
    save();
    log(`sweep ${config.name}: pool ${ctx.poolSet.count} images, validation ${ctx.validationSet.count}, test ${ctx.testSet.count}, matrix test ${ctx.matrixTestSet.count}; run dir ${opts.runDir}`);

    // 1. Encode: the pool at every grid distance (and lossless), the matrix test subset.
    await timed('encode', async () => {
      const ds = poolDistances(config);
      const sizes: Record<string, unknown> = {};
      for (const d of ds) {
        opts.checkInterrupt?.();
        const c = await sweepCtx.poolAt(d);
        const ok = Array.from(c.bytesPerImage).filter((_, i) => !c.failed.some((f) => f.index === i));
        sizes[`pool d=${d}`] = { ...sizeStats(ok), failed: c.failed.length, encoded: c.encodedCount, cached: c.cachedCount };
      }
      for (const d of config.matrix?.testDistances ?? []) {
        opts.checkInterrupt?.();
        const c = await sweepCtx.matrixTestAt(d);
        sizes[`test d=${d}`] = { ...sizeStats(c.bytesPerImage), failed: c.failed.length, encoded: c.encodedCount, cached: c.cachedCount };
      }
      writeFileSync(paths.sizes, JSON.stringify({ codecVersion: sweepCtx.codecVersion, effort: config.codec.effort, sizes }, null, 1) + '\n');
      for (const [k, v] of Object.entries(sizes)) log(`  ${k}: mean ${(v as { mean: number }).mean.toFixed(1)} B/image`);
    });

    trainer ??= await createTrainer({ trainer: config.trainer, ...(config.trainerOptions ?? {}) });
    const runJobs = async (phase: string, jobs: PlannedJob[]): Promise<void> => {
      const done = new Set(readResults(opts.runDir).map((r) => r.key));
      const todo = jobs.filter((j) => !done.has(j.key));
      jobsSkipped += jobs.length - todo.length;
      if (jobs.length - todo.length) log(`${phase}: ${jobs.length - todo.length} of ${jobs.length} jobs already finished (resumed)`);
      const bar = opts.quiet ? undefined : progress(phase, jobs.length, { initial: jobs.length - todo.length });
      for (const job of todo) {
        await yieldToEventLoop(); // a pending signal handler runs here
        opts.checkInterrupt?.();
        if (opts.stopAfterJobs !== undefined && jobsRun >= opts.stopAfterJobs) throw new InterruptedError(`stopped after ${jobsRun} jobs (test hook)`);
        const t = await materializeJob(job, sweepCtx);
        // non-null: trainer is set before the first job runs.
        const m = await trainer!.train(t, opts.signal ? { signal: opts.signal } : {});
        recordResult(opts.runDir, job, m);
        jobsRun++;
        session.jobsRun = jobsRun;
        bar?.tick(1, `${job.key} error ${(100 * m.error).toFixed(2)}%`);
      }
      bar?.done();
    };

    // 2. The (n, d) grid (and the matrix evaluations of the full-pool models).
    const gridJobs = await timed('plan-grid', () => planGridJobs(sweepCtx));
    await timed('train-grid', () => runJobs('grid', gridJobs));

    // 3. Law fit, then the storage strategies that depend on it.
    if (config.strategies) {
      const rows = readResults(opts.runDir);
      const law = await timed('fit', async () => fitRunLaw(opts.runDir, config, rows));
      if (!law) {
        log('strategies skipped: the grid does not identify the law (need >= 6 lossy grid points with 2 sizes and 2 distances)');
      } else {
        log(`law: E*=${law.params.Estar.toPrecision(4)} A=${law.params.A.toPrecision(4)} alpha=${law.params.alpha.toPrecision(4)} B=${law.params.B.toPrecision(4)} beta=${law.params.beta.toPrecision(4)} (R^2 ${law.r2.toPrecision(3)})`);
        // Pre-registration: the prediction is fixed (prediction.json, its hash in run.json)
        // before any strategy model is trained; a resumed run reuses it.
        const registered = await registeredTargets(sweepCtx, opts.runDir, rec, config, law, rows, log, (f) => timed('plan-strategies', f));
        const sJobs = await timed('plan-strategies', () => planStrategyJobs(sweepCtx, law, log, registered));
        await timed('train-strategies', () => runJobs('strategies', sJobs));
      }
    }

    // 4. Tables and figures.
    await timed('analyze', async () => {
      analyzeRun(opts.runDir);
      const figures = opts.drawFigures ? await opts.drawFigures(opts.runDir) : [];
      log(`wrote ${paths.summaryJson}, ${paths.tables}/, ${figures.length} figures in ${paths.figures}/`);
    });
    session.status = 'finished';
    return { runDir: opts.runDir, jobsRun, jobsSkipped, phases, cpuPhases };
  } catch (e) {
    session.status = e instanceof InterruptedError ? 'interrupted' : 'failed';
    throw e;
  } finally {
    session.end = new Date().toISOString();
    session.jobsRun = jobsRun;
    try {
      save();
    } catch {
      /* the run dir may be gone (tests); nothing to save */
    }
    if (!opts.trainer) await trainer?.close?.();
    await ctx?.close();
  }
}
