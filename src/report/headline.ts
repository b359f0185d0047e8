/**
 * The paper's main practical claim (THEORY.md sections 1 and 6), read from a sweep's
 * summary.json: at equal storage S, does the scaling-optimal allocation (more, more
 * compressed images) beat keeping the original format? Read defensively: only the fields
 * strategy, budgetBytes, errorMean, n, bytesPerImage of `strategies[]` are used.
 */
export interface StrategyComparison {
  budgetBytes: number;
  optimal: { error: number; n: number; bytesPerImage: number };
  original: { error: number; n: number; bytesPerImage: number };
}

export interface StrategyHeadline {
  comparisons: StrategyComparison[];
  /** Budgets where scaling-optimal had the lower mean error. */
  wins: number;
}

/** Pair scaling-optimal and original-format rows by budget; null when the summary has none. */
export function strategyHeadline(summary: unknown): StrategyHeadline | null {
  const rows = (summary as { strategies?: unknown } | null)?.strategies;
  if (!Array.isArray(rows)) return null;
  type Row = { strategy: string; budgetBytes: number; errorMean: number; n: number; bytesPerImage: number };
  const ok = (r: unknown): r is Row => {
    const o = r as Record<string, unknown>;
    return !!o && typeof o.strategy === 'string' && [o.budgetBytes, o.errorMean, o.n, o.bytesPerImage].every((v) => typeof v === 'number' && Number.isFinite(v));
  };
  const valid = rows.filter(ok);
  const comparisons: StrategyComparison[] = [];
  for (const opt of valid.filter((r) => r.strategy === 'scaling-optimal')) {
    const orig = valid.find((r) => r.strategy === 'original' && r.budgetBytes === opt.budgetBytes);
    if (!orig) continue;
    comparisons.push({
      budgetBytes: opt.budgetBytes,
      optimal: { error: opt.errorMean, n: opt.n, bytesPerImage: opt.bytesPerImage },
      original: { error: orig.errorMean, n: orig.n, bytesPerImage: orig.bytesPerImage },
    });
  }
  if (!comparisons.length) return null;
  comparisons.sort((a, b) => a.budgetBytes - b.budgetBytes);
  return { comparisons, wins: comparisons.filter((c) => c.optimal.error < c.original.error).length };
}
