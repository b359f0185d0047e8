import type { SweepConfig } from './config.js';

/**
 * The distances at which a sweep encodes its whole training pool (THEORY.md section 6): every
 * grid distance and, when the config has storage strategies, lossless (the original format)
 * and the naive fixed levels. Jobs at these distances take their images from the pool
 * encodings; any other distance (a searched scaling-optimal one) is encoded per job.
 */
export function poolDistances(config: Pick<SweepConfig, 'grid' | 'strategies'>): number[] {
  const extra = config.strategies ? [0, ...config.strategies.fixedDistances] : [];
  return [...new Set([...config.grid.distances, ...extra])].sort((a, b) => a - b);
}

/** Whether a job at distance d reads the pool encoding (see poolDistances). */
export function isPoolDistance(config: Pick<SweepConfig, 'grid' | 'strategies'>, d: number): boolean {
  return poolDistances(config).includes(d);
}
