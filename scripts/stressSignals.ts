// Repeats the double-signal interrupt of test/interrupts.test.ts many times to measure how often
// the process ends by the signal's default action instead of its exit status (docs/reliability.md,
// Interrupts). Each run starts `codec sizes` on Fashion-MNIST, sends SIGINT 0.8 s after encoding
// starts, a second SIGINT 10-130 ms later (seeded), and records how the process ended; the
// process is driven by the test's own helper (test/helpers/interruptCli.ts).
//   npm run build && node --import tsx scripts/stressSignals.ts [--runs N] [--workers 0|1|2] [--seed S]
// Prints one JSON line: {runs, workers, outcomes: {"130": k, "signal SIGINT": j, ...}}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/util/rng.js';
import { encodingFor, interruptCli } from '../test/helpers/interruptCli.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' } } });
function intFlag(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const v = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(v) || v < min || v > max) {
    process.stderr.write(`stressSignals: invalid --${name}: ${JSON.stringify(text)} (valid: an integer ${min}..${max})\n`);
    process.exit(2);
  }
  return v;
}
const runs = intFlag('runs', values.runs, 30, 1, 10_000);
const workers = intFlag('workers', values.workers, 0, 0, 2);
const rng = createRng(intFlag('seed', values.seed, 0, 0, 2 ** 31), 0x516);
const cache = mkdtempSync(join(tmpdir(), 'stress-signals-'));

/** One interrupted run, timed as the test times it: how it ended ("130", or "signal SIGINT" when the default action killed it). */
async function once(gapMs: number): Promise<string> {
  const args = ['codec', 'sizes', '--distances', '1,2,4', '--limit', '3000', '--effort', '7', '--workers', String(workers), '--cache', cache];
  const o = await interruptCli(args, encodingFor(800), ['SIGINT', 'SIGINT'], gapMs);
  return o.code !== null ? String(o.code) : `signal ${o.signal}`;
}

const outcomes: Record<string, number> = {};
try {
  for (let i = 0; i < runs; i++) {
    const gapMs = 10 + rng.below(120);
    const k = await once(gapMs);
    outcomes[k] = (outcomes[k] ?? 0) + 1;
    if (k !== '130') process.stderr.write(`run ${i} (second signal after ${gapMs} ms): ${k}\n`);
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ runs, workers, outcomes })}\n`);
