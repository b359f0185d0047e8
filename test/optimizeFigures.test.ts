import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitAllocationPowerLaw } from '../src/optimize/allocationPowerLaw.js';
import { lawOptimumConstants, optimalAllocation } from '../src/optimize/optimalAllocation.js';
import { figure2Data, readPaperTable2, STORAGE_RESULTS } from '../src/figures/storage.js';

describe('allocation power law (THEORY.md section 1) and the paper Table 2', () => {
  it('recovers G and gamma of an additive law from its optima', () => {
    const law = { form: 'additive' as const, params: { Estar: 0.2, A: 3, alpha: 0.4, B: 50, beta: 1.3 } };
    const pts = [1e6, 1e7, 1e8, 1e9].map((S) => {
      const a = optimalAllocation(law, S);
      return { storage: S, L: a.L, n: a.n };
    });
    const pl = fitAllocationPowerLaw(pts);
    const k = lawOptimumConstants(law);
    expect(pl.gamma).toBeCloseTo(k.gamma, 12);
    expect(pl.G / k.G).toBeCloseTo(1, 10);
    expect(pl.maxLogResidual).toBeLessThan(1e-12);
    expect(pl.maxBudgetMismatch as number).toBeLessThan(1e-12);
  });

  it('the published Table 2 is consistent with an additive law: n* L* = S and one power law per task', () => {
    // Table 2 is rounded to whole images and bytes: n* L* = S holds to 0.1% and the points lie
    // within 1% of L* = G S^gamma, as they must if they came from the closed form.
    const table = readPaperTable2(join(STORAGE_RESULTS, 'paper-table2.csv'));
    expect(new Set(table.map((r) => r.task)).size).toBe(3);
    for (const task of new Set(table.map((r) => r.task))) {
      const pl = fitAllocationPowerLaw(table.filter((r) => r.task === task));
      expect(pl.maxBudgetMismatch as number).toBeLessThan(1e-3);
      expect(pl.maxLogResidual).toBeLessThan(0.01);
      expect(pl.gamma).toBeGreaterThan(0);
      expect(pl.gamma).toBeLessThan(1);
    }
    const { points } = figure2Data(table, null);
    const orig = points.filter((p) => p.task.startsWith('Classification') && p.series === 'original format' && p.quantity === 'n* (images)');
    for (const p of orig) expect(p.value).toBeCloseTo(p.storage / 42804, 6);
    // Original format keeps fewer images than the optimum at every budget.
    const opt = table.filter((r) => r.originalBytes !== null);
    for (const r of opt) expect(r.n).toBeGreaterThan(r.storage / (r.originalBytes as number));
  });
});
