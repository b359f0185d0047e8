import { bytesPerImageRaw } from '../data/imageSet.js';
import type { JobEstimate } from '../util/limits.js';
import type { SweepContext } from './context.js';

/** Multiply-adds per second of the ridge trainer's blocked Gram kernel on one core (bench/results/sweep.json, rounded down). */
const MULADDS_PER_SECOND = 2e9;
/** Seconds per image and distance of a JPEG XL round trip at effort 7 on a 28 x 28 image, one core (rounded up). */
const ENCODE_SECONDS_PER_KILOPIXEL = 0.01;

/**
 * Memory and CPU-time estimate of a sweep (THEORY.md section 6), from the loaded splits: the
 * dataset, the pool decoded at every distance (memoised for the run) plus its encoder copy,
 * the matrix test subset per test distance, and the ridge trainer's d x d statistics; time from
 * one encode per pool image and distance and one Gram pass per (distance, seed) chain.
 */
export function estimateSweep(ctx: SweepContext): JobEstimate {
  const c = ctx.config;
  const per = bytesPerImageRaw(ctx.poolSet);
  const distances = new Set([...c.grid.distances, ...(c.strategies ? [0, ...c.strategies.fixedDistances] : [])]).size;
  const testDistances = c.matrix?.testDistances.length ?? 0;
  const dataset = ctx.train.pixels.length + ctx.testSplit.pixels.length;
  const decoded = 2 * distances * ctx.poolSet.count * per + testDistances * ctx.matrixTestSet.count * per;
  const gram = 8 * 5 * per * per;
  const memoryBytes = dataset + decoded + gram + 128 * 2 ** 20;
  const encodeSeconds = (distances * ctx.poolSet.count + testDistances * ctx.matrixTestSet.count) * (per / 1000) * ENCODE_SECONDS_PER_KILOPIXEL;
  const chains = c.grid.distances.length * c.grid.seeds;
  const trainSeconds = (chains * ctx.poolSet.count * per * per) / 2 / MULADDS_PER_SECOND;
  return { memoryBytes, seconds: encodeSeconds + trainSeconds, what: `sweep ${c.name} (pool ${ctx.poolSet.count} images of ${per} bytes at ${distances} distances)` };
}
