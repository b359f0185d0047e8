import type { DatasetSpec } from '../data/loadDataset.js';
import { validateDistanceFor, codecVersionFor, type JxlBackend } from '../codec/codecBackend.js';
import { DEFAULT_EFFORT } from '../codec/jxlCodec.js';
import { nearestReachableDistance } from '../codec/jxlDistance.js';
import { InputError } from '../errors.js';
import { toolVersion } from '../provenance.js';

/** Options of `lossyscale plan` (THEORY.md sections 1 and 6). */
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

export const PLAN_DEFAULTS = {
  pilotFraction: 0.25,
  sizeSampleSize: 300,
  curveDistances: [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 25],
  pilotDistances: [0.5, 1, 2, 4, 8],
  pilotFractions: [0.125, 0.25, 0.5, 1],
  replicates: 200,
};

/** Everything that determines a plan (THEORY.md section 6): its key, recorded in the provenance config. */
export interface PlanInputs {
  tool: 'lossyscale plan';
  version: string;
  dataset: DatasetSpec;
  budgetBytes: number;
  trainer: 'ridge' | 'torch';
  trainerOptions: Record<string, unknown>;
  pilotFraction: number;
  seed: number;
  backend: JxlBackend;
  codecVersion: string;
  effort: number;
  sizeSampleSize: number;
  curveDistances: number[];
  pilotDistances: number[];
  pilotFractions: number[];
  replicates: number;
}

/** The options with their defaults, validated; `snap` maps a distance to one the backend reaches. */
export function resolvePlanInputs(opts: PlanOptions): { inputs: PlanInputs; snap: (d: number) => number } {
  const seed = opts.seed ?? 0;
  const backend: JxlBackend = opts.backend ?? 'libjxl';
  const effort = opts.effort ?? DEFAULT_EFFORT;
  const pilotFraction = opts.pilotFraction ?? PLAN_DEFAULTS.pilotFraction;
  if (!(pilotFraction > 0 && pilotFraction <= 1)) throw new InputError('--pilot-fraction', pilotFraction, '0 < F <= 1');
  const snap = backend === 'jsquash' ? nearestReachableDistance : (d: number) => d;
  const curveDistances = [0, ...[...new Set((opts.curveDistances ?? PLAN_DEFAULTS.curveDistances).map(snap))].sort((a, b) => a - b)].filter((d, i, a) => a.indexOf(d) === i);
  const pilotDistances = [...new Set((opts.pilotDistances ?? PLAN_DEFAULTS.pilotDistances).map(snap))];
  for (const d of [...curveDistances, ...pilotDistances]) validateDistanceFor(backend, d, 'distance');
  const codecVersion = codecVersionFor(backend);
  const inputs: PlanInputs = {
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
    sizeSampleSize: opts.sizeSampleSize ?? PLAN_DEFAULTS.sizeSampleSize,
    curveDistances,
    pilotDistances,
    pilotFractions: opts.pilotFractions ?? PLAN_DEFAULTS.pilotFractions,
    replicates: opts.replicates ?? PLAN_DEFAULTS.replicates,
  };
  return { inputs, snap };
}
