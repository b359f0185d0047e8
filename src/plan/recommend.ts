import { compareAtStorage, type StorageComparison, type StrategyRow } from '../optimize/compareAtStorage.js';
import type { LawLike, LawParams, LawForm } from '../fit/lawForms.js';
import { errorBand, type ErrorBand } from './band.js';
import { lossyBranch, validateSizeCurve, type SizePoint } from './sizeCurve.js';

/**
 * The planner's recommendation at a storage budget (THEORY.md sections 1 and 6): the law's
 * constrained optimum n*, L* (through `compareAtStorage`, the code behind `lossyscale
 * optimize`), with the size curve's range as the L constraints (the strongest compression
 * measured as minBytes, lossless JPEG XL, the original format, as maxBytes), beside the
 * original format and every measured fixed distance, and the error band of the optimum
 * from bootstrap replicates. Pure; the report's planner calls it with the same arguments.
 */
export interface PlanConstraints {
  /** Bytes per image of the original format (lossless, distance 0). */
  originalBytes: number;
  /** Smallest mean bytes per image the codec reached on the sample. */
  minBytes: number;
  nAvailable?: number;
  /** Fixed distances offered as alternatives, at their measured mean sizes. */
  fixedLevels: { name: string; distance: number; bytesPerImage: number }[];
}

export interface Recommendation {
  storage: number;
  n: number;
  L: number;
  error: number;
  band: ErrorBand | null;
  activeConstraints: string[];
  original: StrategyRow | null;
  bestFixed: (StrategyRow & { distance: number }) | null;
  comparison: StorageComparison;
}

/** Constraints from a measured size curve: lossless mean as the original format, smallest lossy mean as minBytes, lossy points as fixed levels. */
export function constraintsFromCurve(curve: readonly SizePoint[], nAvailable?: number): PlanConstraints {
  const pts = validateSizeCurve(curve);
  const lossless = pts.find((p) => p.distance === 0);
  const lossy = lossyBranch(pts);
  const originalBytes = lossless ? lossless.meanBytes : Math.max(...pts.map((p) => p.meanBytes));
  const minBytes = Math.min(...pts.map((p) => p.meanBytes));
  return { originalBytes, minBytes, nAvailable, fixedLevels: lossy.map((p) => ({ name: `d=${p.distance}`, distance: p.distance, bytesPerImage: p.meanBytes })) };
}

export function recommend(
  law: LawLike & { form?: LawForm },
  storageBytes: number,
  constraints: PlanConstraints,
  uncertainty: { replicates?: readonly LawParams[]; residuals?: readonly number[]; confidence?: number } = {},
): Recommendation {
  const comparison = compareAtStorage(law, storageBytes, {
    originalBytes: constraints.originalBytes,
    minBytes: Math.min(constraints.minBytes, constraints.originalBytes),
    nAvailable: constraints.nAvailable,
    fixedLevels: constraints.fixedLevels.map((f) => ({ name: f.name, bytesPerImage: f.bytesPerImage })),
  });
  const o = comparison.optimum;
  const original = comparison.rows.find((r) => r.strategy === 'original') ?? null;
  let bestFixed: Recommendation['bestFixed'] = null;
  for (const r of comparison.rows) {
    if (r.strategy !== 'fixed' || r.error === null) continue;
    if (bestFixed && !(r.error < (bestFixed.error as number))) continue;
    const level = constraints.fixedLevels.find((f) => f.name === r.name);
    if (!level) throw new Error(`recommend: the comparison row "${r.name}" names no fixed level of the constraints`);
    bestFixed = { ...r, distance: level.distance };
  }
  const form = (law as { form?: LawForm }).form ?? 'additive';
  const band = uncertainty.replicates && uncertainty.replicates.length >= 2 ? errorBand(form, uncertainty.replicates, o.n, o.L, { residuals: uncertainty.residuals, confidence: uncertainty.confidence }) : null;
  return { storage: storageBytes, n: o.n, L: o.L, error: o.error, band, activeConstraints: o.activeConstraints, original, bestFixed, comparison };
}
