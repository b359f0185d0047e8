import { join } from 'node:path';
import { loadStylizedConfig } from '../../src/config/fig6Config.js';
import { linalgBackend } from '../../src/linalg/backend.js';
import { repoRoot } from '../../src/provenance.js';
import { planFromConfig } from '../../src/simulate/plan.js';
import { runRepetitions } from '../../src/simulate/simulateStylized.js';

/**
 * lossyscale's side of the same-run comparison with bench/reference/fig6_numpy.py (THEORY.md
 * section 5): one process that runs repetitions 0..R-1 of the committed Figure-6 protocol
 * (sims/fig6.json) on one thread, on the backend LOSSYSCALE_BLAS selects, and prints its
 * whole-process CPU seconds (process.cpuUsage since start: module loading and compilation
 * included) beside each repetition's.
 * usage: node --import tsx bench/reference/engineReps.ts [R=3]
 */
const reps = Number(process.argv[2] ?? 3);
const plan = planFromConfig(loadStylizedConfig(join(repoRoot, 'sims', 'fig6.json')));
const backend = linalgBackend();
const repCpuSeconds: number[] = [];
let last = process.cpuUsage();
const results = await runRepetitions(plan, Array.from({ length: reps }, (_, i) => i), {
  workers: 1,
  quiet: true,
  backend: backend.name,
  interrupt: { interrupted: false },
  onResult: () => {
    const c = process.cpuUsage(last);
    last = process.cpuUsage();
    repCpuSeconds.push((c.user + c.system) / 1e6);
  },
});
const total = process.cpuUsage();
const timing = results.reduce(
  (acc, r) => ({ sampleSeconds: acc.sampleSeconds + r.timing.sampleSeconds, gramSeconds: acc.gramSeconds + r.timing.gramSeconds, factorSeconds: acc.factorSeconds + r.timing.factorSeconds, solveSeconds: acc.solveSeconds + r.timing.solveSeconds }),
  { sampleSeconds: 0, gramSeconds: 0, factorSeconds: 0, solveSeconds: 0 },
);
console.log(JSON.stringify({ backend: backend.description, reps, processCpuSeconds: (total.user + total.system) / 1e6, repCpuSeconds, timing, cells: results.flatMap((r) => r.cells.map((c) => ({ rep: r.rep, n: c.n, m: c.m, sel: c.sel, excess: c.excess[c.sel] }))) }));
