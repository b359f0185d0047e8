import { inverse, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { fitLaw } from '../src/fit/fitLaw.js';
import { largestResidualsLine } from '../src/fit/goodnessOfFit.js';
import { PARAM_NAMES, predictRaw, toInternal, type LawForm, type LawObservation, type LawParams } from '../src/fit/lawForms.js';
import { covarianceAt, lawLsqProblem } from '../src/fit/profileIntervals.js';
import type { LmProblem } from '../src/fit/levenbergMarquardt.js';
import { chiSquareCdf, chiSquareQuantile, chiSquareSurvival, fSurvival, normalCdf, normalQuantile, studentTCdf, studentTQuantile } from '../src/stats/distributions.js';
import { createRng } from '../src/util/rng.js';

describe('stats/distributions against scipy.stats 1.17 (independent implementation)', () => {
  // Values printed by scipy.stats (norm, t, chi2, f); 1e-10 relative is far above both
  // libraries' double-precision accuracy for these arguments.
  const cases: [string, number, number][] = [
    ['normalQuantile(0.975)', normalQuantile(0.975), 1.959963984540054],
    ['normalCdf(-1.3)', normalCdf(-1.3), 0.09680048458561036],
    ['t quantile 0.975, 9', studentTQuantile(0.975, 9), 2.262157162798205],
    ['t quantile 0.995, 2', studentTQuantile(0.995, 2), 9.924843200918287],
    ['t cdf -2.1, 5', studentTCdf(-2.1, 5), 0.044876624942299395],
    ['chi2 quantile 0.95, 1', chiSquareQuantile(0.95, 1), 3.841458820694124],
    ['chi2 quantile 0.99, 20', chiSquareQuantile(0.99, 20), 37.56623478662507],
    ['chi2 sf 30, 10', chiSquareSurvival(30, 10), 0.000856641210775301],
    ['chi2 cdf 12.5, 15', chiSquareCdf(12.5, 15), 0.3591435134228335],
    ['F sf 2.5, 7, 30', fSurvival(2.5, 7, 30), 0.037777661289931895],
    ['F sf 1.1, 20, 60', fSurvival(1.1, 20, 60), 0.3736088643638455],
  ];
  for (const [name, got, want] of cases) it(name, () => expect(Math.abs(got - want) / want).toBeLessThan(1e-10));
});

const TRUTH: LawParams = { Estar: 0.1, A: 5, alpha: 0.5, B: 3, beta: 0.6 };
const NS = [200, 500, 1000, 2000, 5000, 10000];
const LS = [20, 50, 100, 200, 500];
const GRID = [0.2, 0.5, 1, 2];

/** One synthetic data set with known Gaussian noise: sd = 0.002 + 0.1 / sqrt(n) per row. */
function synth(seed: number, opts: { truthForm?: LawForm; truth?: LawParams; reps?: number; withStdErr?: boolean } = {}): LawObservation[] {
  const rng = createRng(9000 + seed);
  const rows: LawObservation[] = [];
  for (const n of NS) for (const L of LS) {
    const sd = 0.002 + 0.1 / Math.sqrt(n);
    const mu = predictRaw(opts.truthForm ?? 'additive', opts.truth ?? TRUTH, n, L);
    const reps = opts.reps ?? 1;
    for (let s = 0; s < reps; s++) {
      const row: LawObservation = { n, L, error: mu + sd * rng.normal(), seed: s };
      if (opts.withStdErr !== false) row.stdErr = sd;
      rows.push(row);
    }
  }
  return rows;
}

describe('goodness of fit and profile intervals: calibration on 40 synthetic data sets from the law', () => {
  const fits = Array.from({ length: 40 }, (_, s) => fitLaw(synth(s), { startGrid: GRID }));

  it('chi^2/dof averages near 1 and the test rejects at about its 1% level', () => {
    // 40 sets x 25 dof: the mean of chi^2/dof has sd sqrt(2/25/40) = 0.045; +-0.15 is > 3 sd.
    const r = fits.map((f) => f.goodnessOfFit!.chi2PerDof);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    expect(fits.every((f) => f.weighted && f.goodnessOfFit!.method === 'chi2-stdErr' && f.goodnessOfFit!.dof === 25)).toBe(true);
    expect(Math.abs(mean - 1)).toBeLessThan(0.15);
    // P(>= 3 rejections of 40 at level 0.01) = 0.008.
    expect(fits.filter((f) => f.goodnessOfFit!.verdict === 'rejected').length).toBeLessThanOrEqual(2);
  });

  it('95% profile intervals cover the truth at close to 95%', () => {
    // 40 sets: a true rate of 95% gives >= 34 covered with probability 0.99 per parameter
    // (binomial); pooled over 5 parameters (200 intervals) >= 88% rules out rates below ~90%.
    let total = 0;
    for (const p of PARAM_NAMES) {
      const covered = fits.filter((f) => {
        const iv = f.profileIntervals![p]!;
        return iv[0] <= TRUTH[p] && TRUTH[p] <= iv[1];
      }).length;
      expect(covered, p).toBeGreaterThanOrEqual(34);
      total += covered;
    }
    expect(total / 200).toBeGreaterThanOrEqual(0.88);
    expect(fits.every((f) => f.profile!.method === 'profile-chi2')).toBe(true);
  });

  it('profile intervals contain the estimate and agree with Wald intervals where the fit is nearly linear', () => {
    for (const f of fits.slice(0, 5)) {
      for (const p of PARAM_NAMES) {
        const iv = f.profileIntervals![p]!;
        expect(iv[0]).toBeLessThanOrEqual(f.params[p]);
        expect(iv[1]).toBeGreaterThanOrEqual(f.params[p]);
      }
      // The exponent intervals are within a factor 1.5 of the curvature ones in width.
      for (const p of ['alpha', 'beta'] as const) {
        const w = f.profileIntervals![p]![1] - f.profileIntervals![p]![0];
        const wald = f.intervals[p]![1] - f.intervals[p]![0];
        expect(w / wald).toBeGreaterThan(1 / 1.5);
        expect(w / wald).toBeLessThan(1.5);
      }
    }
  });

  it('rejects misspecified data: a multiplicative truth fitted by the additive law', () => {
    const truth: LawParams = { Estar: 0.1, A: 40, alpha: 0.5, B: 0, beta: 0.6 };
    const mis = Array.from({ length: 40 }, (_, s) => fitLaw(synth(100 + s, { truthForm: 'multiplicative', truth }), { startGrid: GRID, profile: false }));
    expect(mis.filter((f) => f.goodnessOfFit!.verdict === 'rejected').length).toBeGreaterThanOrEqual(38);
    expect(mis[0].warnings.some((w) => w.includes('rejected at the data') && w.includes('largest standardized residuals'))).toBe(true);
  });
});

describe('goodness of fit from seeds (lack-of-fit test)', () => {
  it('is consistent for the true law and rejects the misspecified one, with 3 seeds per cell', () => {
    const ok = Array.from({ length: 10 }, (_, s) => fitLaw(synth(200 + s, { reps: 3, withStdErr: false }), { startGrid: GRID, profile: false }));
    for (const f of ok) {
      expect(f.goodnessOfFit!.method).toBe('lack-of-fit-seeds');
      expect(f.goodnessOfFit!.dof).toBe(25);
      expect(f.goodnessOfFit!.pureErrorDof).toBe(60);
    }
    expect(ok.filter((f) => f.goodnessOfFit!.verdict === 'rejected').length).toBeLessThanOrEqual(1);
    const truth: LawParams = { Estar: 0.1, A: 40, alpha: 0.5, B: 0, beta: 0.6 };
    const bad = fitLaw(synth(300, { reps: 3, withStdErr: false, truthForm: 'multiplicative', truth }), { startGrid: GRID, profile: false });
    expect(bad.goodnessOfFit!.verdict).toBe('rejected');
    expect(largestResidualsLine(bad.goodnessOfFit!)).toMatch(/^largest standardized residuals: n=\d+, L=\d+: [+-]\d/);
  });

  it('counts a cell whose seeds gave identical errors (same training set) as one replicate', () => {
    const rows = synth(4, { reps: 3, withStdErr: false });
    const tied = rows.map((r) => (r.n === 10000 ? { ...r, error: rows.find((x) => x.n === r.n && x.L === r.L)!.error } : r));
    const f = fitLaw(tied, { startGrid: GRID, profile: false });
    expect(f.goodnessOfFit!.pureErrorDof).toBe(60 - 5 * 2);
    expect(f.goodnessOfFit!.standardized.filter((s) => s.n === 10000).every((s) => s.rows === 3)).toBe(true);
  });

  it('gives no verdict (with a reason) when cells have fewer than 3 seeds', () => {
    const f = fitLaw(synth(1, { reps: 2, withStdErr: false }), { startGrid: GRID, profile: false });
    expect(f.goodnessOfFit).toBeNull();
    expect(f.goodnessOfFitNote).toMatch(/fewer than 3 seeds/);
  });

  it('groups replicates by the cell label when n and L vary within a cell', () => {
    const rows = synth(2, { reps: 3, withStdErr: false }).map((r) => ({ ...r, cell: `n${r.n}L${r.L}`, L: r.L * (1 + 0.001 * (r.seed ?? 0)) }));
    const f = fitLaw(rows, { startGrid: GRID, profile: false });
    expect(f.goodnessOfFit!.standardized.length).toBe(30);
  });
});

describe('bad stdErr input', () => {
  const rows = synth(3);
  it('stdErr missing on some rows', () => {
    const bad = rows.map((r, i) => (i === 4 ? { n: r.n, L: r.L, error: r.error } : r));
    expect(() => fitLaw(bad)).toThrow(InputError);
    expect(() => fitLaw(bad)).toThrow(/rows\[4\]\.stdErr: missing \(valid: a finite number > 0 on every row, or on none\)/);
  });
  it('stdErr <= 0', () => {
    const bad = rows.map((r, i) => (i === 2 ? { ...r, stdErr: 0 } : r));
    expect(() => fitLaw(bad)).toThrow(/rows\[2\]\.stdErr: 0 \(valid: a finite number > 0\)/);
  });
  it('huber-log with stdErr', () => {
    expect(() => fitLaw(rows, { estimator: 'huber-log' })).toThrow(/estimator/);
  });
});

describe("curvature covariance s2 (J'J)^-1", () => {
  it('agrees with ml-matrix LU inverse (an independent route) to 1e-9 relative to sqrt(C_ii C_jj)', () => {
    // Cholesky and LU both lose about cond(J'J) * eps; J'J of this fit has cond about 4e4 (eigenvalue ratio), so 1e-9 leaves a wide margin.
    const rows = synth(0);
    const f = fitLaw(rows, { startGrid: GRID, profile: false });
    const p = lawLsqProblem('additive', rows);
    const theta = toInternal('additive', f.params);
    const r = new Float64Array(p.m);
    const J = new Float64Array(p.m * p.k);
    expect(p.evaluate(Float64Array.from(theta), r, J)).toBe(true);
    const Jm = new Matrix(Array.from({ length: p.m }, (_, i) => Array.from(J.subarray(i * p.k, (i + 1) * p.k))));
    const want = inverse(Jm.transpose().mmul(Jm)).mul(2.5).to2DArray();
    const got = covarianceAt(p, theta, 2.5);
    expect(got).not.toBeNull();
    for (let i = 0; i < p.k; i++) for (let j = 0; j < p.k; j++) expect(Math.abs((got as number[][])[i][j] - want[i][j]) / Math.sqrt(want[i][i] * want[j][j])).toBeLessThan(1e-9);
  });

  it("is null where J'J is singular (two identical Jacobian columns)", () => {
    const singular: LmProblem = {
      m: 3,
      k: 2,
      lower: [-Infinity, -Infinity],
      upper: [Infinity, Infinity],
      evaluate(theta, res, Jac) {
        for (let i = 0; i < 3; i++) {
          res[i] = theta[0] + theta[1] - i;
          Jac[i * 2] = 1;
          Jac[i * 2 + 1] = 1;
        }
        return true;
      },
    };
    expect(covarianceAt(singular, [0, 0], 1)).toBeNull();
  });
});
