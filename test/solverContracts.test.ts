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
