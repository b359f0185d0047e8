import { InputError } from '../errors.js';
import { predictRaw, toLaw, type LawLike } from '../fit/lawForms.js';
import { optimalAllocation, type Allocation, type AllocationConstraints } from './optimalAllocation.js';

/**
 * Strategies at equal storage S (THEORY.md section 6), as predicted by a fitted law:
 * - scaling-optimal: the (constrained, integer-n) optimum of the law;
 * - original format: every sample at its original size, the largest subset that fits,
 *   n = min(floor(S / originalBytes), nAvailable);
 * - naive fixed levels: for each compression level (name, bytes per image), the largest subset
 *   that fits, n = min(floor(S / bytesPerImage), nAvailable).
 */
export interface FixedLevel {
  name: string;
  bytesPerImage: number;
}

export interface CompareOptions {
  originalBytes?: number;
  fixedLevels?: FixedLevel[];
  nAvailable?: number;
  minBytes?: number;
  maxBytes?: number;
  /** Round the scaling-optimal n to an integer (default true); the other rows are always whole samples. */
  integerN?: boolean;
}

export interface StrategyRow {
  strategy: 'scaling-optimal' | 'original' | 'fixed';
  name: string;
  storage: number;
  n: number;
  /** Bytes per sample. */
  L: number;
  storageUsed: number;
  /** Predicted error; null when the budget holds no whole sample at this size. */
  error: number | null;
  /** error - error of the scaling-optimal row. */
  excessOverOptimal: number | null;
  /** True when (n, L) lies outside the range the law was fitted on (when known). */
  extrapolated: boolean;
  activeConstraints: string[];
}

export interface StorageComparison {
  storage: number;
  optimum: Allocation;
  rows: StrategyRow[];
}

/** Fitted data range if the law carries one (a LawFit's diagnostics.dataRange). */
function dataRangeOf(law: LawLike): { n: [number, number]; L: [number, number] } | null {
  const d = (law as { diagnostics?: { dataRange?: { n: [number, number]; L: [number, number] } } }).diagnostics?.dataRange;
  return d && Array.isArray(d.n) && Array.isArray(d.L) ? d : null;
}

/** Compare the scaling-optimal allocation with the original format and fixed levels at storage S (THEORY.md section 6). */
export function compareAtStorage(law: LawLike, storageBytes: number, opts: CompareOptions = {}): StorageComparison {
  const l = toLaw(law);
  if (opts.originalBytes !== undefined && !(opts.originalBytes > 0 && Number.isFinite(opts.originalBytes))) {
    throw new InputError('originalBytes', opts.originalBytes, 'a finite number of bytes > 0');
  }
  const levels = opts.fixedLevels ?? [];
  levels.forEach((lv, i) => {
    if (!lv || typeof lv.name !== 'string') throw new InputError(`fixedLevels[${i}].name`, lv?.name, 'a string');
    if (!(lv.bytesPerImage > 0 && Number.isFinite(lv.bytesPerImage))) throw new InputError(`fixedLevels[${i}].bytesPerImage`, lv.bytesPerImage, 'a finite number > 0');
  });
  const constraints: AllocationConstraints = { integerN: opts.integerN ?? true };
  if (opts.nAvailable !== undefined) constraints.nAvailable = opts.nAvailable;
  if (opts.minBytes !== undefined) constraints.minBytes = opts.minBytes;
  // The original size is the largest a sample can be stored at.
  const maxBytes = opts.maxBytes ?? opts.originalBytes;
  if (maxBytes !== undefined) constraints.maxBytes = maxBytes;
  const optimum = optimalAllocation(l, storageBytes, constraints);
  const range = dataRangeOf(law);
  const outside = (n: number, L: number): boolean =>
    range !== null && (n < range.n[0] * (1 - 1e-9) || n > range.n[1] * (1 + 1e-9) || L < range.L[0] * (1 - 1e-9) || L > range.L[1] * (1 + 1e-9));

  const rows: StrategyRow[] = [
    {
      strategy: 'scaling-optimal',
      name: 'scaling-optimal',
      storage: storageBytes,
      n: optimum.n,
      L: optimum.L,
      storageUsed: optimum.storageUsed,
      error: optimum.error,
      excessOverOptimal: 0,
      extrapolated: outside(optimum.n, optimum.L),
      activeConstraints: optimum.activeConstraints,
    },
  ];
  const fixedRow = (strategy: 'original' | 'fixed', name: string, bytes: number): StrategyRow => {
    // Largest whole number of samples with n * bytes <= S, exact despite rounding of S / bytes.
    let nFit = Math.floor(storageBytes / bytes);
    while (nFit > 0 && nFit * bytes > storageBytes) nFit--;
    while ((nFit + 1) * bytes <= storageBytes) nFit++;
    const cap = opts.nAvailable !== undefined ? Math.floor(opts.nAvailable) : Infinity;
    const n = Math.min(nFit, cap);
    const active = n === cap && cap < nFit ? ['nAvailable'] : [];
    const error = n >= 1 ? predictRaw(l.form, l.params, n, bytes) : null;
    return {
      strategy,
      name,
      storage: storageBytes,
      n,
      L: bytes,
      storageUsed: n * bytes,
      error,
      excessOverOptimal: error === null ? null : error - optimum.error,
      extrapolated: n >= 1 && outside(n, bytes),
      activeConstraints: active,
    };
  };
  if (opts.originalBytes !== undefined) rows.push(fixedRow('original', 'original format', opts.originalBytes));
  for (const lv of levels) rows.push(fixedRow('fixed', lv.name, lv.bytesPerImage));
  return { storage: storageBytes, optimum, rows };
}
