import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { machineInfo, provenance, repoRoot } from '../src/provenance.js';

/**
 * Write one benchmark's results to bench/results/<name>.json with the machine it ran on,
 * so committed numbers always say where they come from. Ratios against a peer measured in
 * the same run are machine-independent; absolute rates are tied to `machine`.
 */
export function writeBenchResult(name: string, results: Record<string, unknown>): string {
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  // The 1-minute load average when the result is written tells a reader whether other jobs
  // shared the cores (2 cores here: above ~0.5 the timings are inflated).
  const record = { benchmark: name, machine: machineInfo(), loadAverageAtWrite: loadavg().map((x) => Math.round(x * 100) / 100), provenance: provenance({ command: `npm run bench -- ${name}` }), results };
  writeFileSync(path, JSON.stringify(record, null, 2) + '\n');
  return path;
}

/** Median of repeated timings of fn (seconds), after one warm-up call. */
export function timeMedian(fn: () => void, repeats = 5): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
