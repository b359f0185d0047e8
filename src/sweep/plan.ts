import { existsSync, readFileSync } from 'node:fs';
import { selectImages } from '../data/imageSet.js';
import { nearestReachableDistance } from '../codec/jxlDistance.js';
import { optimalAllocation } from '../optimize/optimalAllocation.js';
import { predictError } from '../fit/lawForms.js';
import type { LawFit } from '../fit/fitLaw.js';
import { createRng, shuffled } from '../util/rng.js';
import { InputError } from '../errors.js';
import type { SweepConfig } from './config.js';
import { openSweepContext, type SweepContext } from './context.js';
import { stratifiedOrder, subsetSizeForFraction } from './stratify.js';
import { largestPrefixWithin, meanBytes } from './budget.js';
import { distanceForTargetBytes } from './distanceSearch.js';
import { randomizedRange, spacedDistances } from './randomized.js';
import { runPaths } from './runDir.js';
import { poolDistances } from './poolDistances.js';

/**
 * A training job described without pixels (THEORY.md section 6; docs/architecture.md): which
 * training images (indices into the loaded training split) at which distance(s), which
 * evaluation sets, which seed. `materializeJob` turns it into decoded pixels from the codec
 * cache; the plan is plain JSON so a job bundle can be trained elsewhere.
 */
export type EvalSetRef = { set: 'test'; distance: null } | { set: 'matrixTest'; distance: number };

export interface PlannedJob {
  key: string;
  phase: 'grid' | 'strategy';
  seed: number;
  train: { split: 'train'; indices: number[]; /** One distance for all images, or one per image (randomized). */ distance: number | number[] };
  validation: { set: 'validation' };
  evaluate: Record<string, EvalSetRef>;
  info: JobInfo;
  trainerOptions: Record<string, unknown>;
}

export interface JobInfo {
  n: number;
  /** Mean compressed bytes per training image (L of the law). */
  bytesPerImage: number;
  /** Total compressed bytes of the training images. */
  storageBytes: number;
  fraction?: number;
  distance?: number;
  strategy?: StrategyName;
  budgetIndex?: number;
  budgetBytes?: number;
  dMin?: number;
  dMax?: number;
  rule?: string;
  /** The law's prediction for this allocation (strategies). */
  predictedError?: number;
}

export type StrategyName = 'scaling-optimal' | 'original' | 'randomized' | `fixed-d=${number}`;

/** Seeded stratified ordering of the usable pool positions for one purpose and seed (THEORY.md section 6). */
function poolOrder(ctx: SweepContext, stream: number, usable: Uint8Array): number[] {
  const order = stratifiedOrder(ctx.poolSet.labels, ctx.poolSet.classNames.length, ctx.config.seed, stream);
  const out: number[] = [];
  for (const k of order) if (usable[k]) out.push(k);
  return out;
}

/** Pool positions usable at every grid distance (failed encodes are dropped, never trained on). */
async function usablePool(ctx: SweepContext, distances: readonly number[]): Promise<Uint8Array> {
  const usable = new Uint8Array(ctx.poolSet.count).fill(1);
  for (const d of distances) for (const f of (await ctx.poolAt(d)).failed) usable[f.index] = 0;
  return usable;
}

export const gridKey = (d: number, seed: number, fraction: number): string => `grid/d=${d}/seed=${seed}/f=${fraction}`;

/**
 * Grid jobs (THEORY.md section 6, Figure 1): every (fraction, distance, seed), nested
 * stratified subsets per seed, ordered so that one (distance, seed) chain runs in increasing
 * size (the ridge trainer then reuses its Gram statistics). The full-pool model of the first
 * seed at each distance is also evaluated on the test subset compressed at every matrix
 * distance (Figure 5).
 */
export async function planGridJobs(ctx: SweepContext): Promise<PlannedJob[]> {
  const c = ctx.config;
  const usable = await usablePool(ctx, c.grid.distances);
  const jobs: PlannedJob[] = [];
  const maxFraction = c.grid.fractions[c.grid.fractions.length - 1];
  for (const d of c.grid.distances) {
    const sizes = (await ctx.poolAt(d)).bytesPerImage;
    for (let s = 0; s < c.grid.seeds; s++) {
      const order = poolOrder(ctx, 1000 + s, usable);
      for (const f of c.grid.fractions) {
        const n = subsetSizeForFraction(f, order.length);
        const positions = order.slice(0, n);
        let total = 0;
        for (const p of positions) total += sizes[p];
        const evaluate: Record<string, EvalSetRef> = { test: { set: 'test', distance: null } };
        if (c.matrix && s === 0 && f === maxFraction) for (const td of c.matrix.testDistances) evaluate[`test@d=${td}`] = { set: 'matrixTest', distance: td };
        jobs.push({
          key: gridKey(d, s, f),
          phase: 'grid',
          seed: s,
          train: { split: 'train', indices: positions.map((p) => ctx.splits.pool[p]), distance: d },
          validation: { set: 'validation' },
          evaluate,
          info: { n, fraction: f, distance: d, bytesPerImage: total / n, storageBytes: total },
          trainerOptions: c.trainerOptions ?? {},
        });
      }
    }
  }
  return jobs;
}

/** Budgets in bytes (THEORY.md section 6): absolute, or multiples of the usable pool's total lossless size. */
export async function strategyBudgets(ctx: SweepContext): Promise<number[]> {
  const s = ctx.config.strategies;
  if (!s) return [];
  if (s.storageBytes) return s.storageBytes.slice();
  const lossless = await ctx.poolAt(0);
  const bad = new Set(lossless.failed.map((f) => f.index));
  let total = 0;
  for (let i = 0; i < lossless.bytesPerImage.length; i++) if (!bad.has(i)) total += lossless.bytesPerImage[i];
  // non-null: parseSweepConfig requires exactly one of budgetsRelativeToLossless and storageBytes; storageBytes returned above.
  return s.budgetsRelativeToLossless!.map((r) => Math.round(r * total));
}

/** Round a distance to the randomized strategy's step and then to one the encoder can use. */
export function quantizeDistance(d: number, step: number): number {
  return nearestReachableDistance(Math.round(d / step) * step);
}

/**
 * Strategy jobs at equal storage (THEORY.md section 6, Figures 3-4): for each budget S and
 * seed, scaling-optimal (n*, L* from the law, the distance found by search, trimmed to fit),
 * original format (lossless, largest fitting subset), randomized (the scaling-optimal subset
 * at distances spaced over [d_min, d_max]), and naive fixed levels. Every plan's actual
 * compressed total is at most S.
 */
/** The scaling-optimal allocation the law prescribes at one budget, with the distance that reaches L* (THEORY.md section 6). */
export interface BudgetTarget {
  budgetIndex: number;
  budgetBytes: number;
  /** S as a share of the usable pool's total lossless bytes (null for absolute budgets). */
  budgetFraction: number | null;
  n: number;
  L: number;
  distance: number;
  /** The law's Err*(S) at (n*, L*). */
  error: number;
  activeConstraints: string[];
  searchMeanBytes: number;
  searchStatus: string;
}

async function strategySetup(ctx: SweepContext, s: NonNullable<SweepContext['config']['strategies']>) {
  const c = ctx.config;
  const budgets = await strategyBudgets(ctx);
  const gridDistances = poolDistances(c);
  const usable = await usablePool(ctx, gridDistances);
  const nUsable = usable.reduce((a, b) => a + b, 0);
  const searchOrder = poolOrder(ctx, 3000, usable);
  const sampleSet = selectImages(ctx.poolSet, searchOrder.slice(0, Math.min(s.searchSampleSize, searchOrder.length)));
  const meanCache = new Map<number, Promise<number>>();
  const sampleMean = (d: number): Promise<number> => {
    let p = meanCache.get(d);
    if (!p) {
      p = ctx.compress(sampleSet, d, `search d=${d.toFixed(3)}`).then((r) => {
        const bad = new Set(r.failed.map((f) => f.index));
        return meanBytes(Array.from(r.bytesPerImage).filter((_, i) => !bad.has(i)));
      });
      meanCache.set(d, p);
    }
    return p;
  };
  const [searchLo, searchHi] = s.searchRange;
  const maxBytes = await sampleMean(searchLo);
  const minBytes = await sampleMean(searchHi);
  const lossless = await ctx.poolAt(0);
  const bad = new Set(lossless.failed.map((f) => f.index));
  let losslessTotal = 0;
  for (let i = 0; i < lossless.bytesPerImage.length; i++) if (!bad.has(i)) losslessTotal += lossless.bytesPerImage[i];
  return { budgets, usable, nUsable, sampleMean, searchLo, searchHi, maxBytes, minBytes, losslessTotal };
}

/** Per budget, the law's optimum (n*, L*, Err*) and the distance d* that reaches L* on the search sample (THEORY.md section 6). */
export async function scalingOptimalTargets(ctx: SweepContext, law: LawFit, log: (line: string) => void = () => {}): Promise<BudgetTarget[]> {
  const strategies = ctx.config.strategies;
  if (!strategies) return [];
  const st = await strategySetup(ctx, strategies);
  const out: BudgetTarget[] = [];
  for (let b = 0; b < st.budgets.length; b++) {
    const S = st.budgets[b];
    let alloc;
    try {
      alloc = optimalAllocation(law, S, { nAvailable: st.nUsable, minBytes: st.minBytes, maxBytes: st.maxBytes, integerN: true });
    } catch (e) {
      if (e instanceof InputError) {
        log(`budget ${S} B: no feasible scaling-optimal allocation (${e.message}); skipped`);
        continue;
      }
      throw e;
    }
    const search = await distanceForTargetBytes(alloc.L, st.sampleMean, { lo: st.searchLo, hi: st.searchHi, snap: nearestReachableDistance, relTolerance: 0.01 });
    out.push({
      budgetIndex: b, budgetBytes: S, budgetFraction: strategies.budgetsRelativeToLossless ? S / st.losslessTotal : null,
      n: alloc.n, L: alloc.L, distance: search.distance, error: alloc.error, activeConstraints: alloc.activeConstraints,
      searchMeanBytes: search.meanBytes, searchStatus: search.status,
    });
  }
  return out;
}

export async function planStrategyJobs(ctx: SweepContext, law: LawFit, log: (line: string) => void = () => {}, preRegistered?: BudgetTarget[]): Promise<PlannedJob[]> {
  const c = ctx.config;
  const s = c.strategies;
  if (!s) return [];
  const { usable, sampleMean } = await strategySetup(ctx, s);
  const targets = preRegistered ?? (await scalingOptimalTargets(ctx, law, log));
  const rnd = s.randomized;
  const jobs: PlannedJob[] = [];
  const base = (key: string, seed: number, indices: number[], distance: number | number[], info: JobInfo): PlannedJob => ({
    key,
    phase: 'strategy',
    seed,
    train: { split: 'train', indices, distance },
    validation: { set: 'validation' },
    evaluate: { test: { set: 'test', distance: null } },
    info,
    trainerOptions: c.trainerOptions ?? {},
  });
  const toIdx = (positions: number[]): number[] => positions.map((p) => ctx.splits.pool[p]);

  for (const target of targets) {
    const b = target.budgetIndex;
    const S = target.budgetBytes;
    const alloc = { n: target.n, L: target.L, error: target.error, activeConstraints: target.activeConstraints };
    const dStar = target.distance;
    const search = { meanBytes: target.searchMeanBytes, status: target.searchStatus };
    log(`budget ${S} B: law optimum n*=${alloc.n}, L*=${alloc.L.toFixed(1)} B (${alloc.activeConstraints.join(',') || 'interior'}); distance ${dStar.toFixed(3)} gives ${search.meanBytes.toFixed(1)} B on the search sample (${search.status})`);
    for (let seed = 0; seed < s.seeds; seed++) {
      const order = poolOrder(ctx, 2000 + seed, usable);
      const tag = `strategy/S=${S}`;
      // Scaling-optimal: the first n* images of the stratified order at d*, trimmed to fit S.
      const cand = order.slice(0, Math.min(alloc.n, order.length));
      const comp = await ctx.compress(selectImages(ctx.poolSet, cand), dStar, `optimal S=${S} d=${dStar.toFixed(2)}`);
      const failed = new Set(comp.failed.map((f) => f.index));
      const okPos: number[] = [];
      const okSizes: number[] = [];
      cand.forEach((p, k) => {
        if (!failed.has(k)) {
          okPos.push(p);
          okSizes.push(comp.bytesPerImage[k]);
        }
      });
      const fitOpt = largestPrefixWithin(okSizes, S);
      const optPos = okPos.slice(0, fitOpt.n);
      if (fitOpt.n >= 2) {
        jobs.push(base(`${tag}/scaling-optimal/seed=${seed}`, seed, toIdx(optPos), dStar, {
          strategy: 'scaling-optimal', budgetIndex: b, budgetBytes: S, n: fitOpt.n, distance: dStar,
          bytesPerImage: fitOpt.totalBytes / fitOpt.n, storageBytes: fitOpt.totalBytes, predictedError: alloc.error,
        }));
      }
      // Original format and naive fixed levels: the largest stratified prefix that fits at d.
      for (const [name, d] of [['original', 0] as const, ...s.fixedDistances.map((fd) => [`fixed-d=${fd}`, fd] as const)]) {
        const sizes = (await ctx.poolAt(d)).bytesPerImage;
        const fit = largestPrefixWithin(order.map((p) => sizes[p]), S);
        if (fit.n < 2) continue;
        const L = fit.totalBytes / fit.n;
        jobs.push(base(`${tag}/${name}/seed=${seed}`, seed, toIdx(order.slice(0, fit.n)), d, {
          strategy: name as StrategyName, budgetIndex: b, budgetBytes: S, n: fit.n, distance: d, bytesPerImage: L, storageBytes: fit.totalBytes,
          predictedError: predictError(law, fit.n, L),
        }));
      }
      // Randomized: the scaling-optimal subset in random order at distances spaced over [d_min, d_max].
      if (optPos.length >= 2) {
        const perm = shuffled(optPos, createRng(c.seed, 4000 + seed, b));
        const q = (d: number): number => quantizeDistance(d, rnd.step);
        const predictedTotal = async (dMin: number, dMax: number, scale: number): Promise<number> => {
          const ds = spacedDistances(perm.length, dMin, dMax, q);
          const counts = new Map<number, number>();
          for (const d of ds) counts.set(d, (counts.get(d) ?? 0) + 1);
          let t = 0;
          for (const [d, k] of counts) t += k * (await sampleMean(d));
          return t * scale;
        };
        let scale = 1;
        let chosen: { ds: Float64Array; positions: number[]; total: number; dMin: number; dMax: number; rule: string } | undefined;
        for (let attempt = 0; attempt < 4 && !chosen; attempt++) {
          const range = await randomizedRange((a, z) => predictedTotal(a, z, scale), S, { dMin0: rnd.dMin, cap: rnd.dMaxCap, tolerance: rnd.step / 2 });
          const ds = spacedDistances(perm.length, range.dMin, range.dMax, q);
          const { sizes, failedK } = await encodeAssignment(ctx, perm, ds, S);
          let total = 0;
          const keep: number[] = [];
          for (let k = 0; k < perm.length; k++) if (!failedK.has(k)) {
            total += sizes[k];
            keep.push(k);
          }
          if (total <= S || attempt === 3) {
            // Last resort (never needed when the size prediction is close): drop images from the end of the random order until it fits.
            let kept = keep;
            while (total > S && kept.length > 0) {
              total -= sizes[kept[kept.length - 1]];
              kept = kept.slice(0, -1);
            }
            chosen = { ds: Float64Array.from(kept, (k) => ds[k]), positions: kept.map((k) => perm[k]), total, dMin: range.dMin, dMax: range.dMax, rule: attempt === 3 && kept.length < keep.length ? `${range.rule}+trimmed` : range.rule };
          } else {
            // The sample's mean sizes under-predicted this subset: rescale and aim slightly under.
            scale = (total / (await predictedTotal(range.dMin, range.dMax, 1))) * 1.002;
          }
        }
        if (chosen && chosen.positions.length >= 2) {
          const n = chosen.positions.length;
          jobs.push(base(`${tag}/randomized/seed=${seed}`, seed, toIdx(chosen.positions), Array.from(chosen.ds), {
            strategy: 'randomized', budgetIndex: b, budgetBytes: S, n, bytesPerImage: chosen.total / n, storageBytes: chosen.total,
            dMin: chosen.dMin, dMax: chosen.dMax, rule: chosen.rule,
          }));
        }
      }
    }
  }
  return jobs;
}

/** Encode pool positions at per-image distances (grouped by distance); sizes aligned with `positions`. */
async function encodeAssignment(ctx: SweepContext, positions: number[], distances: ArrayLike<number>, S: number): Promise<{ sizes: Float64Array; failedK: Set<number> }> {
  const groups = new Map<number, number[]>();
  for (let k = 0; k < positions.length; k++) {
    const list = groups.get(distances[k]) ?? [];
    list.push(k);
    groups.set(distances[k], list);
  }
  const sizes = new Float64Array(positions.length);
  const failedK = new Set<number>();
  for (const [d, ks] of groups) {
    const r = await ctx.compress(selectImages(ctx.poolSet, ks.map((k) => positions[k])), d, `randomized S=${S} d=${d}`);
    ks.forEach((k, j) => (sizes[k] = r.bytesPerImage[j]));
    for (const f of r.failed) failedK.add(ks[f.index]);
  }
  return { sizes, failedK };
}

/** The fitted law of a run, if the grid phase has been analysed (law.json of the run dir). */
export function readLaw(runDir: string): LawFit | undefined {
  const p = runPaths(runDir).law;
  if (!existsSync(p)) return undefined;
  const j = JSON.parse(readFileSync(p, 'utf8')) as LawFit & { fit?: LawFit };
  return j.fit ?? j;
}

/**
 * planJobs (docs/architecture.md, sweep run): grid and matrix jobs always; strategy jobs once the run's law has
 * been fitted (they depend on it). Planning uses the codec (sizes decide budgets) but the
 * plan holds no pixels.
 */
export async function planJobs(config: SweepConfig, runDir: string, ctx?: SweepContext, log?: (line: string) => void): Promise<PlannedJob[]> {
  if (ctx && ctx.config !== config) throw new InputError('ctx', 'a context of another config', 'the context opened for this config');
  const own = ctx ?? (await openSweepContext(config));
  try {
    const jobs = await planGridJobs(own);
    const law = readLaw(runDir);
    if (law && config.strategies) jobs.push(...(await planStrategyJobs(own, law, log)));
    return jobs;
  } finally {
    if (!ctx) await own.close();
  }
}
