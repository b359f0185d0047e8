import { describe, expect, it } from 'vitest';
import { ConvergenceError, isUserError } from '../src/errors.js';
import { levelTerms, newFixedPointState, requireConverged, solveFixedPoint } from '../src/theory/fixedPoint.js';
import { brentMinimize } from '../src/theory/optimalLambda.js';

/** SciPy-style solver contracts (THEORY.md sections 3 and 5): converged, iterations, final bracket; failures named. */
const model = { p: 2, q: 2, r: 1, tau: 1 };

describe('solveFixedPoint contract', () => {
  it('reports convergence, iterations and a bracket holding the root', () => {
    const k = levelTerms(model, 6);
    const st = solveFixedPoint(k, 300, 5, newFixedPointState());
    expect(st.converged).toBe(true);
    expect(st.iterations).toBeGreaterThan(0);
    expect(st.iterations).toBeLessThan(60);
    expect(st.bracketLo).toBeLessThanOrEqual(st.y);
    expect(st.y).toBeLessThanOrEqual(st.bracketHi);
  });

  it('ridgeless n > L is converged in zero iterations (lambda_* = 0 exactly)', () => {
    const st = solveFixedPoint(levelTerms(model, 4), 100, 0, newFixedPointState());
    expect(st).toMatchObject({ x: 0, converged: true, iterations: 0 });
  });

  it('an iteration cap below what the root needs gives converged = false, and requireConverged names the parameters', () => {
    const k = levelTerms(model, 6);
    const st = solveFixedPoint(k, 300, 5, newFixedPointState(), NaN, 1);
    expect(st.converged).toBe(false);
    expect(st.iterations).toBe(1);
    expect(st.bracketHi).toBeGreaterThan(st.bracketLo);
    let err: unknown;
    try {
      requireConverged(st, k, 300, 5);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConvergenceError);
    expect(isUserError(err)).toBe(true);
    const msg = (err as Error).message;
    for (const part of ['p=2', 'q=2', 'r=1', 'tau=1', 'n=300', 'm=6', 'lambda=5', 'after 1 iterations', 'final bracket [']) expect(msg).toContain(part);
    expect(msg.split('\n')).toHaveLength(1);
  });
});

describe('brentMinimize contract', () => {
  it('reports convergence with a final bracket around the minimum', () => {
    const r = brentMinimize((t) => (t - 1.3) ** 2 + 0.5, -5, 5, 1e-10);
    expect(r.converged).toBe(true);
    expect(r.bracket[0]).toBeLessThanOrEqual(1.3 + 1e-9);
    expect(r.bracket[1]).toBeGreaterThanOrEqual(1.3 - 1e-9);
    expect(r.bracket[1] - r.bracket[0]).toBeLessThan(1e-8);
  });

  it('stops at maxIter with converged = false and the bracket it reached', () => {
    const r = brentMinimize((t) => Math.cosh(t - 0.7), -30, 40, 1e-12, 3);
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(3);
    expect(r.bracket[1] - r.bracket[0]).toBeGreaterThan(1e-3);
  });
});

describe('bootstrap failures', () => {
  it('counts refits that cannot run (a resample with no more rows than parameters) and still fits', async () => {
    const { fitLaw } = await import('../src/fit/fitLaw.js');
    // Five seeds: four hold one row, one holds 12; a resample that misses the big seed has 5
    // rows for 5 parameters, so (4/5)^5 = 33% of the replicates cannot be refitted.
    const rows = [];
    for (const n of [100, 300, 1000, 3000]) for (const L of [10, 30, 100]) rows.push({ n, L, error: 0.05 + 2 * n ** -0.5 + 1.5 * L ** -0.7, seed: 0 });
    for (let s = 1; s <= 4; s++) rows.push({ n: 500 * s, L: 20 * s, error: 0.05 + 2 * (500 * s) ** -0.5 + 1.5 * (20 * s) ** -0.7, seed: s });
    const fit = fitLaw(rows, { bootstrap: 60, seed: 3 });
    const b = fit.diagnostics.bootstrap!;
    expect(b.resampled).toBe('seeds');
    // Binomial(60, 0.328): mean 19.7, sd 3.6; [5, 40] is beyond 4 sd on both sides.
    expect(b.failed).toBeGreaterThanOrEqual(5);
    expect(b.failed).toBeLessThanOrEqual(40);
    expect(fit.warnings.some((w) => w.includes(`${b.failed} of 60 bootstrap refits failed`))).toBe(true);
  });
});
