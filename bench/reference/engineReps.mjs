// lossyscale's side of the same-run comparison with bench/reference/fig6_numpy.py (THEORY.md
// section 5): one process that runs repetitions 0..R-1 of the committed Figure-6 protocol
// (sims/fig6.json) on one thread, on the backend LOSSYSCALE_BLAS selects, with the compiled
// library in dist/ (what `lossyscale simulate` runs; bench/simulate.bench.ts builds it first),
// and prints its whole-process CPU seconds (process.cpuUsage since start: module loading and
// compilation included) beside each repetition's.
// usage: node bench/reference/engineReps.mjs [R=3]
// Plain JavaScript so no TypeScript loader's start-up is counted; dist/ has the types.
const dist = new URL('../../dist/', import.meta.url);
const { loadStylizedConfig } = await import(new URL('config/fig6Config.js', dist).href);
const { linalgBackend } = await import(new URL('linalg/backend.js', dist).href);
const { repoRoot } = await import(new URL('provenance.js', dist).href);
const { planFromConfig } = await import(new URL('simulate/plan.js', dist).href);
const { runRepetitions } = await import(new URL('simulate/simulateStylized.js', dist).href);
const { join } = await import('node:path');

const reps = Number(process.argv[2] ?? 3);
const plan = planFromConfig(loadStylizedConfig(join(repoRoot, 'sims', 'fig6.json')));
const backend = linalgBackend();
const repCpuSeconds = [];
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
