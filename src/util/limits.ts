import { totalmem } from 'node:os';
import { InputError } from '../errors.js';

/**
 * Documented maxima of every count, grid size and memory-scaling input (docs/reliability.md, "Limits and memory"), checked
 * before anything is allocated, and the memory guard: jobs whose estimated peak memory exceeds
 * `--max-memory` (default: half of this machine's RAM) are refused with exit 2.
 */
export const LIMITS = {
  /** Points of a log-spaced grid in a config (theory.n.count, lambda.lambda0.count). */
  logGridCount: 10_000,
  /** Fixed-point solves of `theory` (theory.n.count x lambda.lambda0.count x levels): about 40 s of CPU at the limit. */
  theoryEvaluations: 100_000_000,
  /** Sample sizes of the Monte Carlo grid (simulation.n.count): each is a stage of every repetition. */
  simulationNCount: 1_000,
  /** Monte Carlo repetitions (simulation.reps, --reps). */
  reps: 1_000_000,
  /** Validation and test samples per Monte Carlo repetition. */
  simulationSamples: 10_000_000,
  /** Storage budgets of `optimize` (--storage list, --storage-grid COUNT). */
  storagePoints: 10_000,
  /** Candidate lambdas of the ridge trainer (trainerOptions.lambdaGrid). */
  lambdaGrid: 1_000,
  /** Images of a sweep's validation, pool and test subsets (split.*, matrix.testSize). */
  sweepImages: 10_000_000,
  /** Seeds of a sweep grid or strategy phase. */
  sweepSeeds: 1_000,
  /** Result files (shards) of one `sweep ingest`. */
  bundleShards: 10_000,
  /** Repetitions per ridge-mc bundle job (--reps-per-job). */
  repsPerJob: 100_000,
} as const;

/** Fraction of physical memory a job may plan to use by default. */
export const DEFAULT_MEMORY_FRACTION = 0.5;

/** Default --max-memory: half the machine's physical memory, in bytes. */
export function defaultMaxMemoryBytes(): number {
  return Math.floor(totalmem() * DEFAULT_MEMORY_FRACTION);
}

/** An integer count in 1..max (or min..max); InputError naming `param` otherwise. */
export function checkCount(param: string, value: unknown, max: number, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(param, value, `an integer ${min}..${max}`);
  }
  return value;
}

/** A list length at most `max`. */
export function checkLength(param: string, length: number, max: number): void {
  if (length > max) throw new InputError(param, `${length} items`, `at most ${max} items`);
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40 };

/** Parse a byte size such as 512M, 4G, 1.5GiB or 1000000 (binary units). */
export function parseByteSize(param: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!(bytes >= 2 ** 20) || !Number.isFinite(bytes)) throw new InputError(param, text, 'a size >= 1M such as 512M, 4G or 16GiB');
  return Math.floor(bytes);
}

/** Human size, e.g. 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Human duration, e.g. 3 min, 2.5 h. */
export function formatSeconds(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

export interface JobEstimate {
  /** Peak memory of the job, bytes. */
  memoryBytes: number;
  /** Rough wall time on one core, seconds (order of magnitude). */
  seconds: number;
  /** What dominates, for the message. */
  what: string;
}

/**
 * Print the estimate of a large job (memory above 1 GiB or time above a minute) on stderr,
 * and refuse (exit 2) a job whose memory estimate exceeds `maxMemoryBytes`.
 */
export function guardMemory(estimate: JobEstimate, maxMemoryBytes: number, opts: { log?: (line: string) => void; quiet?: boolean } = {}): void {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (estimate.memoryBytes > maxMemoryBytes) {
    throw new InputError('--max-memory', formatBytes(maxMemoryBytes), `a limit above the estimated ${formatBytes(estimate.memoryBytes)} of ${estimate.what} (or make the job smaller)`);
  }
  if (!opts.quiet && (estimate.memoryBytes > 2 ** 30 || estimate.seconds > 60)) {
    log(`lossyscale: estimate for ${estimate.what}: about ${formatBytes(estimate.memoryBytes)} of memory, ${formatSeconds(estimate.seconds)} of CPU time`);
  }
}
