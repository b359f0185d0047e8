import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { pairedComparison, storageTestRows, verdictSentence, type StrategyErrors } from '../src/sweep/storageTest.js';

const m = (xs: number[]): Map<number, number> => new Map(xs.map((x, i) => [i, x]));

describe('paired storage test against scipy.stats (ttest_rel, t.interval) 1.17', () => {
  const a = [0.231, 0.224, 0.219, 0.24, 0.228, 0.233];
  const b = [0.226, 0.221, 0.22, 0.23, 0.222, 0.229];
  const r = pairedComparison(m(a), m(b));
  // scipy: mean 0.0045, sd 0.003619392214170766, p 0.028572101549343268, CI (0.0007016808156871581, 0.008298319184312841).
  it('mean, sd, t interval and two-sided p-value', () => {
    expect(r.seeds).toBe(6);
    expect(r.meanDiff).toBeCloseTo(0.0045, 14);
    expect(r.sdDiff / 0.003619392214170766 - 1).toBeLessThan(1e-12);
    expect(Math.abs(r.pValue / 0.028572101549343268 - 1)).toBeLessThan(1e-9);
    expect(r.ciLow).toBeCloseTo(0.0007016808156871581, 12);
    expect(r.ciHigh).toBeCloseTo(0.008298319184312841, 12);
  });
  it('two seeds (1 dof): p 0.3743340836219977, CI (-0.2241240947234941, 0.28412409472349415)', () => {
    const q = pairedComparison(m([0.5, 0.52]), m([0.49, 0.47]));
    expect(Math.abs(q.pValue / 0.3743340836219977 - 1)).toBeLessThan(1e-9);
    expect(q.ciLow).toBeCloseTo(-0.2241240947234941, 12);
    expect(q.ciHigh).toBeCloseTo(0.28412409472349415, 12);
  });
  it('seed-bootstrap interval matches the exact bootstrap distribution (all 6^6 resamples enumerated)', () => {
    const d = a.map((x, i) => x - b[i]);
    const all: number[] = [];
    const rec = (depth: number, sum: number): void => {
      if (depth === 6) {
        all.push(sum / 6);
        return;
      }
      for (const x of d) rec(depth + 1, sum + x);
    };
    rec(0, 0);
    all.sort((x, y) => x - y);
    const q = (p: number): number => all[Math.round((all.length - 1) * p)];
    // 10,000 Monte Carlo resamples: the 2.5% quantile's sampling error is about
    // sqrt(0.025*0.975/10000)/f(q) ~ 6e-5 here; 2.5e-4 is four of those.
    expect(Math.abs(r.bootLow - q(0.025))).toBeLessThan(2.5e-4);
    expect(Math.abs(r.bootHigh - q(0.975))).toBeLessThan(2.5e-4);
  });
  it('pairs by seed, not by position, and needs >= 2 paired seeds (InputError)', () => {
    const base = new Map([[3, 0.3], [1, 0.2], [7, 0.25]]);
    const strat = new Map([[1, 0.1], [3, 0.2], [9, 0.0]]);
    const p = pairedComparison(base, strat);
    expect(p.pairedSeeds).toEqual([1, 3]);
    expect(p.diffs).toEqual([0.1, 0.09999999999999998]);
    expect(() => pairedComparison(new Map([[0, 0.3]]), new Map([[0, 0.2]]))).toThrow(InputError);
    expect(() => pairedComparison(new Map([[0, 0.3]]), new Map([[0, 0.2]]), { label: 'budget 5 B:' })).toThrow(/budget 5 B: paired seeds: 1 \(valid: at least 2 seeds/);
  });
});

describe('storage test rows and verdicts', () => {
  const g = (strategy: string, errs: number[]): StrategyErrors => ({ strategy, budgetIndex: 0, budgetBytes: 1000, budgetFraction: 0.1, bySeed: m(errs) });
  const groups = [
    g('scaling-optimal', [0.2, 0.21, 0.19, 0.2]),
    g('original', [0.25, 0.26, 0.24, 0.255]),
    g('fixed-d=2', [0.22, 0.22, 0.21, 0.22]),
    g('fixed-d=7', [0.2, 0.215, 0.185, 0.205]),
    g('randomized', [0.19, 0.2, 0.18, 0.19]),
  ];
  const rows = storageTestRows(groups);
  it('compares scaling-optimal with original, the best fixed level (lowest mean) and randomized', () => {
    expect(rows.map((r) => [r.comparison, r.baseline])).toEqual([['original', 'original'], ['best-fixed', 'fixed-d=7'], ['randomized', 'randomized']]);
    expect(rows[0].meanDiff).toBeCloseTo(0.05125, 12);
    expect(rows[2].meanDiff).toBeCloseTo(-0.01, 12);
  });
  it('the verdict sentence follows the intervals', () => {
    const s = verdictSentence(rows);
    expect(s).toMatch(/^At 10% of the lossless pool \(1,000 B\), with 4 paired seeds, scaling-optimal beats the original format \(5\.13 points/);
    expect(s).toMatch(/is not distinguishable from the best fixed level, d=7, chosen after measuring \(/);
    expect(s).toMatch(/loses to randomized compression \(-1\.00 points/);
  });
});

describe('report verdicts from a summary', () => {
  it('reads the law verdict, the storage sentences and coverage; tolerates missing fields', async () => {
    const { runVerdicts } = await import('../src/report/verdicts.js');
    const v = runVerdicts({
      law: { form: 'additive', goodnessOfFit: { verdict: 'rejected', chi2PerDof: 3.2, dof: 30, pValue: 1e-9 }, goodnessOfFitNote: null },
      storageTest: { preRegistered: true, verdicts: [{ sentence: 'At 5% ..., scaling-optimal beats the original format (...).' }], predictionCheck: [{ covered: true }, { covered: false }, { covered: null }] },
    })!;
    expect(v.lawRejected).toBe(true);
    expect(v.law).toContain('chi^2/dof = 3.20 on 30 dof, p = 1.0e-9: rejected');
    expect(v.storage).toHaveLength(1);
    expect(v.coverage).toBe('The pre-registered 95% prediction interval of Err*(S) covered the measured scaling-optimal error at 1 of 2 budgets.');
    expect(runVerdicts({ strategies: [] })).toBeNull();
    expect(runVerdicts(null)).toBeNull();
  });
});
