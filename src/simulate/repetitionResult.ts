/** A Monte Carlo repetition's result and the helpers both kernel routes share (THEORY.md section 5). */
export interface CellResult {
  n: number;
  m: number;
  /** Exact excess risk R(w) - tau^2 for every lambda on the grid, under the generating model (tail truncated at m_max + extra). */
  excess: number[];
  /** Validation mean squared error per lambda (absent without a validation set). */
  val?: number[];
  /** Sampled test mean squared error at the selected lambda (scoring 'sampled' only), evaluated directly on the test rows. */
  testSel?: number;
  /** Legacy rows (before testSel): sampled test error per lambda. Read by aggregate for old results files; no longer written. */
  test?: number[];
  /** Index of the selected lambda (validation argmin, or exact-risk argmin for 'oracle'). */
  sel: number;
  /** Index of the exact-risk argmin (oracle). */
  oracle: number;
}

export interface RepetitionResult {
  rep: number;
  cells: CellResult[];
  seconds: number;
  /** Work counters, for the benchmark's arithmetic rates. */
  timing: { sampleSeconds: number; gramSeconds: number; factorSeconds: number; solveSeconds: number };
}

export function roundSig(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}

/** Whether cell (n, L) takes the dual (kernel) route: n < L and (4/3) n^3 + n^2 L < (4/3) L^3 flops. */
export function useDualRoute(n: number, L: number): boolean {
  return n < L && (4 / 3) * n ** 3 + n * n * L < (4 / 3) * L ** 3;
}

/** Index of the smallest entry (the first on ties). */
export function argmin(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[best]) best = i;
  return best;
}
