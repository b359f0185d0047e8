import { fitLaw } from '../src/fit/fitLaw.js';
import { predictRaw, type LawObservation } from '../src/fit/lawForms.js';
import { optimalAllocation } from '../src/optimize/optimalAllocation.js';
import { createRng } from '../src/util/rng.js';
import { timeMedian, writeBenchResult } from './benchResult.js';

/**
 * Law fitting and allocation speed (THEORY.md sections 1, 6). Data: the 6 x 5 (n, L) grid
 * with 5 seeds (150 rows), 2% noise. Reports seconds per fit for both estimators, per
 * bootstrap replicate, and per allocation (closed form vs the constrained integer path).
 * Ratios (huber-log / lsq, bootstrap-200 / plain) are machine-independent.
 */
const truth = { Estar: 0.1, A: 5, alpha: 0.5, B: 30, beta: 0.8 };
const rng = createRng(1);
const rows: LawObservation[] = [];
for (const n of [100, 300, 1000, 3000, 10000, 30000]) for (const L of [10, 30, 100, 300, 1000]) for (let s = 0; s < 5; s++) rows.push({ n, L, error: predictRaw('additive', truth, n, L) * (1 + 0.02 * rng.normal()), seed: s });

const lsq = timeMedian(() => fitLaw(rows, { estimator: 'lsq' }), 5);
const huber = timeMedian(() => fitLaw(rows, { estimator: 'huber-log' }), 3);
const boot = timeMedian(() => fitLaw(rows, { estimator: 'lsq', bootstrap: 200, seed: 1 }), 3);
const law = { form: 'additive' as const, params: truth };
const K = 20000;
const closed = timeMedian(() => {
  for (let i = 0; i < K; i++) optimalAllocation(law, 1e6 * (1 + i));
}, 5) / K;
const constrained = timeMedian(() => {
  for (let i = 0; i < K; i++) optimalAllocation(law, 1e6 * (1 + i), { nAvailable: 50000, minBytes: 20, maxBytes: 900, integerN: true });
}, 5) / K;
const results = {
  rows: rows.length,
  starts: 81,
  secondsPerFit: { lsq, huberLog: huber },
  secondsPerFitWithBootstrap200: boot,
  secondsPerBootstrapReplicate: (boot - lsq) / 200,
  secondsPerAllocation: { closedForm: closed, constrainedInteger: constrained },
  ratios: { huberLogOverLsq: huber / lsq, bootstrap200OverPlain: boot / lsq, constrainedOverClosed: constrained / closed },
};
console.log(JSON.stringify(results, null, 2));
console.log(`wrote ${writeBenchResult('fitLaw', results)}`);
