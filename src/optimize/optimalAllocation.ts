import { InputError } from '../errors.js';
import { predictRaw, storageExponent, toLaw, type Law, type LawLike } from '../fit/lawForms.js';

/**
 * Storage-optimal allocation (THEORY.md section 1): minimise Err(n, L) subject to n L <= S.
 *
 * Additive and excess forms, unconstrained (closed form):
 *   L*(S) = (beta B / (alpha A))^(1/(alpha+beta)) S^(alpha/(alpha+beta)),  n* = S / L*,
 *   Err*(S) = E* + C_E S^-nu,  nu = alpha beta/(alpha+beta),  C_E = A G^alpha + B G^-beta,
 *   G = (beta B/(alpha A))^(1/(alpha+beta)).
 *
 * Constraints real data imposes (THEORY.md section 6): n <= nAvailable, minBytes <= L <= maxBytes,
 * integer n. Along the budget line L = S/n the error is E* + A e^(-alpha u) + B S^-beta e^(beta u)
 * with u = ln n: convex in u (multiplicative form: monotone), so the constrained continuous
 * optimum is the unconstrained one clamped to the feasible interval of u, and the integer
 * optimum is one of its two integer neighbours. When n is capped by nAvailable and L by maxBytes
 * at once, the budget cannot be spent and the allocation uses less than S.
 */
export interface AllocationConstraints {
  /** Samples available (n <= nAvailable). */
  nAvailable?: number;
  /** Smallest achievable bytes per sample (the codec's strongest compression). */
  minBytes?: number;
  /** Largest bytes per sample (lossless / original size). */
  maxBytes?: number;
  /** Round n to an integer (default true when any real-data constraint is given, else false). */
  integerN?: boolean;
}

export type ConstraintName = 'nAvailable' | 'minBytes' | 'maxBytes' | 'minSamples' | 'integerN';

export interface AllocationPoint {
  n: number;
  L: number;
  error: number;
  storageUsed: number;
}

export interface Allocation {
  storage: number;
  n: number;
  L: number;
  error: number;
  /** n L (equal to storage unless both nAvailable and maxBytes bind, or rounding of n). */
  storageUsed: number;
  /** Constraints binding at the optimum ('integerN' when rounding moved n). */
  activeConstraints: ConstraintName[];
  /** The optimum without constraints (closed form for additive/excess; null when unbounded). */
  unconstrained: AllocationPoint | null;
  /** nu and C_E of Err*(S) = E* + C_E S^-nu (additive/excess forms). */
  nu: number | null;
  CE: number | null;
  notes: string[];
}

/** Constants of the closed-form optimum (THEORY.md section 1): G, gamma = alpha/(alpha+beta), nu, C_E. */
export function lawOptimumConstants(law: LawLike): { G: number; gamma: number; nu: number; CE: number } {
  const { form, params: p } = toLaw(law);
  if (form === 'multiplicative') throw new InputError('law.form', form, 'additive or excess (the multiplicative form has no interior optimum)');
  if (!(p.A > 0) || !(p.B > 0)) throw new InputError('law.params', `A=${p.A}, B=${p.B}`, 'A > 0 and B > 0 for a closed-form optimum');
  const G = ((p.beta * p.B) / (p.alpha * p.A)) ** (1 / (p.alpha + p.beta));
  return { G, gamma: p.alpha / (p.alpha + p.beta), nu: storageExponent(p.alpha, p.beta), CE: p.A * G ** p.alpha + p.B * G ** -p.beta };
}

/** Unconstrained closed-form optimum of the additive/excess law at storage S (THEORY.md section 1). */
export function closedFormOptimum(law: LawLike, storageBytes: number): AllocationPoint {
  const l = toLaw(law);
  const { G, gamma } = lawOptimumConstants(l);
  const L = G * storageBytes ** gamma;
  const n = storageBytes / L;
  return { n, L, error: predictRaw(l.form, l.params, n, L), storageUsed: storageBytes };
}

function validateConstraints(c: AllocationConstraints, storageBytes: number): Required<Omit<AllocationConstraints, 'integerN'>> & { integerN: boolean } {
  const nAvailable = c.nAvailable ?? Infinity;
  if (!(nAvailable >= 1)) throw new InputError('nAvailable', c.nAvailable, 'a number >= 1');
  const minBytes = c.minBytes ?? 0;
  if (!(minBytes >= 0) || !Number.isFinite(minBytes)) throw new InputError('minBytes', c.minBytes, 'a finite number >= 0');
  const maxBytes = c.maxBytes ?? Infinity;
  if (!(maxBytes > 0)) throw new InputError('maxBytes', c.maxBytes, 'a number > 0');
  if (!(maxBytes >= minBytes)) throw new InputError('maxBytes', c.maxBytes, `maxBytes >= minBytes = ${minBytes}`);
  const realData = c.nAvailable !== undefined || c.minBytes !== undefined || c.maxBytes !== undefined;
  const integerN = c.integerN ?? realData;
  if (minBytes > storageBytes) throw new InputError('storage', storageBytes, `storage >= minBytes = ${minBytes} (room for at least one sample)`);
  return { nAvailable, minBytes, maxBytes, integerN };
}

/** Golden-section minimisation of a unimodal function on [a, b] (used for forms without a closed form). */
function goldenMin(f: (u: number) => number, a: number, b: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < 200 && b - a > 1e-12 * Math.max(1, Math.abs(a)); i++) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = f(x2);
    }
  }
  const cands = [a, b, (a + b) / 2];
  return cands.reduce((best, u) => (f(u) < f(best) ? u : best), cands[0]);
}

/**
 * Minimise the law's error over allocations with n L <= S under constraints (THEORY.md sections 1, 6).
 * Throws InputError when no allocation is feasible.
 */
export function optimalAllocation(law: LawLike, storageBytes: number, constraints: AllocationConstraints = {}): Allocation {
  const l: Law = toLaw(law);
  if (typeof storageBytes !== 'number' || !Number.isFinite(storageBytes) || !(storageBytes > 0)) {
    throw new InputError('storage', storageBytes, 'a finite number of bytes > 0');
  }
  const S = storageBytes;
  const c = validateConstraints(constraints, S);
  const err = (n: number, L: number): number => predictRaw(l.form, l.params, n, L);
  const notes: string[] = [];

  let unconstrained: AllocationPoint | null = null;
  let nu: number | null = null;
  let CE: number | null = null;
  if (l.form !== 'multiplicative' && l.params.A > 0 && l.params.B > 0) {
    unconstrained = closedFormOptimum(l, S);
    const k = lawOptimumConstants(l);
    nu = k.nu;
    CE = k.CE;
  } else if (l.form === 'multiplicative') {
    notes.push('multiplicative form: along n L = S the error is monotone in n, so the optimum sits on a constraint');
  }

  // Feasible n on the budget line L = S/n: n >= 1, n >= S/maxBytes, n <= nAvailable, n <= S/minBytes.
  const nLo = Math.max(1, S / c.maxBytes);
  const nHi = Math.min(c.nAvailable, c.minBytes > 0 ? S / c.minBytes : Infinity);
  const errOnLine = (n: number): number => err(n, S / n);

  let nCont: number;
  let slack = false;
  if (nLo > nHi) {
    // nAvailable < S/maxBytes: every available sample at maxBytes still leaves budget unspent.
    slack = true;
    nCont = nHi;
  } else if (unconstrained) {
    nCont = Math.min(Math.max(unconstrained.n, nLo), nHi);
  } else {
    // No closed form: the error on the budget line is monotone or convex in u = ln n.
    const cap = Number.isFinite(nHi) ? nHi : nLo * 1e15;
    nCont = Math.exp(goldenMin((x) => errOnLine(Math.exp(x)), Math.log(nLo), Math.log(cap)));
    if (!Number.isFinite(nHi) && nCont > cap / 10) {
      throw new InputError('constraints', 'none binding', 'nAvailable or minBytes', 'the law keeps improving as n grows with L = S/n shrinking: give --available or --min-bytes');
    }
  }

  let n: number;
  let L: number;
  if (!c.integerN) {
    n = nCont;
    L = slack ? c.maxBytes : S / n;
  } else {
    // For whole n the best L is min(maxBytes, S/n) (error falls with L). For n <= S/maxBytes
    // that is maxBytes and the error falls with n; beyond, it is the convex budget line. So
    // the optimum is floor(S/maxBytes) or an integer neighbour of the continuous optimum.
    const hi = Math.floor(nHi + 1e-9);
    const cands = new Set<number>();
    for (const x of [Math.floor(nLo), Math.ceil(nLo - 1e-9), Math.floor(nCont), Math.ceil(nCont), hi]) {
      const v = Math.min(Math.max(x, 1), hi);
      if (v >= 1 && Number.isFinite(v)) cands.add(v);
    }
    let bestN = NaN;
    let bestE = Infinity;
    for (const x of cands) {
      const Lx = Math.min(c.maxBytes, S / x);
      if (Lx < c.minBytes * (1 - 1e-12)) continue;
      const e = err(x, Lx);
      if (e < bestE) {
        bestE = e;
        bestN = x;
      }
    }
    if (!Number.isFinite(bestN)) {
      throw new InputError('storage', S, `a budget holding at least one whole sample within minBytes = ${c.minBytes}, maxBytes = ${c.maxBytes}`);
    }
    n = bestN;
    L = Math.min(c.maxBytes, S / n);
  }
  const error = err(n, L);

  // Active constraints from the continuous problem: which bound the clamp (or the numerical
  // search) hit; then whether rounding n to an integer moved the allocation.
  const active: ConstraintName[] = [];
  const wanted = unconstrained ? unconstrained.n : nCont;
  const tol = unconstrained ? 1e-9 : 1e-6; // the golden search locates a boundary optimum to ~1e-7
  const atLow = slack || wanted <= nLo * (1 + tol);
  const atHigh = slack || wanted >= nHi * (1 - tol);
  if (atLow && !slack) {
    if (S / c.maxBytes >= 1 && nLo === S / c.maxBytes) active.push('maxBytes');
    else if (wanted < 1 + tol) active.push('minSamples');
  }
  if (atHigh) {
    if (Number.isFinite(c.nAvailable) && nHi === c.nAvailable) active.push('nAvailable');
    else if (c.minBytes > 0 && nHi === S / c.minBytes) active.push('minBytes');
  }
  if (slack) active.push('maxBytes');
  if (c.integerN && Math.abs(n - nCont) > 1e-9 * Math.max(1, nCont)) active.push('integerN');
  const used = n * L;
  if (used < S * (1 - 1e-9)) notes.push(`budget not fully used: ${fmtBytes(used)} of ${fmtBytes(S)} bytes (n capped by nAvailable and L by maxBytes)`);
  return { storage: S, n, L, error, storageUsed: used, activeConstraints: active, unconstrained, nu, CE, notes };
}

function fmtBytes(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
