import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseStylizedConfig } from '../../config/fig6Config.js';
import { InputError } from '../../errors.js';
import { writeFig6Figures } from '../../figures/fig6.js';
import { writeRunFigures } from '../../figures/fashionMnist.js';
import { parseSweepConfig } from '../../sweep/config.js';
import { loadConfig } from '../../config/schema.js';
import { STDIO } from '../../io/streams.js';
import { ingestBundle, writeRidgeMcBundle, writeSweepBundle, type IngestFigureWriter, type IngestSummary, type Log } from '../../trainers/torch/sweepBundle.js';
import { intFlag, maybeHelp, parseFlags, refuseStdioDirs, str } from '../args.js';
import { checkLength, LIMITS } from '../../util/limits.js';
import { writeJsonLine } from './_output.js';

/**
 * `lossyscale sweep plan|ingest` (THEORY.md sections 5-6): flags and output of the job-bundle
 * commands; the bundles themselves are src/trainers/torch/sweepBundle.ts.
 */
const planUsage = `
usage: lossyscale sweep plan --config FILE --out BUNDLE [--run DIR] [--reps-per-job K] [--quiet] [--json]

Writes a self-contained job bundle: BUNDLE/manifest.json (jobs, array descriptors, the plan),
BUNDLE/arrays/*.u8 (decoded training pools per distance, validation and test sets; raw uint8,
N x H x W x C) with int32 labels, BUNDLE/indices/*.i32 (each job's training subset), and a copy
of the worker package, so the GPU machine needs only Python 3 with torch and numpy:

  cd BUNDLE && python3 -m lossyscale_worker run-bundle . --group 35    # results.jsonl, resumable

  --config FILE       a sweep config (classify jobs; "trainerOptions" hold model, epochs, lr...)
                      or a stylized-model config such as sims/fig6.json (ridge-mc jobs); "-" reads stdin
  --out BUNDLE        bundle directory (created)
  --run DIR           sweep: a run directory whose law.json exists plans the strategy phase too
  --reps-per-job K    ridge-mc: repetitions per job (default 5)
  --reps N            ridge-mc: repetitions (default: the config's)
  --json              print one JSON line {bundle, jobs, bytes, seconds} instead of the next steps

examples:
  lossyscale sweep plan --config sims/gpu/fashion-mnist-cnn.json --out runs/bundles/fmnist-cnn
  lossyscale sweep plan --config sims/gpu/fig6-gpu.json --out runs/bundles/fig6
`;

const ingestUsage = `
usage: lossyscale sweep ingest BUNDLE_RESULTS... --run DIR [--bundle BUNDLE] [--no-figures] [--quiet] [--json]

Feeds a bundle's results (BUNDLE/results.jsonl, or the bundle directory) into a run directory:
sweep bundles through the sweep's results store (recordResult), then the law fit, strategies,
tables and figures (analyzeRun); ridge-mc bundles into the Monte Carlo run layout (results.jsonl
with one row per repetition, summary, law, tables, figures). Rows already in the run are
skipped, so ingesting a growing results file again is safe.

  --run DIR        run directory (created if missing; must hold a run of the same config)
  --bundle BUNDLE  the bundle directory (default: the directory of BUNDLE_RESULTS)
  --json           print one JSON line {runDir, kind, ingested, alreadyPresent, failures, devices}
                   (the totals over all BUNDLE_RESULTS)

examples:
  lossyscale sweep ingest runs/bundles/fmnist-cnn/results.jsonl --run results/fashion-mnist-gpu-cnn
  lossyscale sweep ingest runs/bundles/fig6 --run sims/results/fig6-gpu
`;


/** Figures of an ingested run: Figures 1-5 for a sweep, Figure 6 for a ridge-mc run (into the run's figures/). */
const drawIngestedFigures: IngestFigureWriter = async (run, runDir) => {
  if (run.kind === 'sweep') return writeRunFigures(runDir);
  return (await writeFig6Figures(runDir, join(runDir, 'figures'), { config: run.config })).map((f) => f.specPath);
};

/** `lossyscale sweep plan` (bundle layout in docs/architecture.md). */
export async function runPlan(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, out: { type: 'string' }, run: { type: 'string' }, 'reps-per-job': { type: 'string' }, reps: { type: 'string' }, quiet: { type: 'boolean' }, json: { type: 'boolean' } });
  if (maybeHelp(values, planUsage)) return 0;
  refuseStdioDirs(values, ['out', 'run']);
  const configPath = str(values, 'config');
  const out = str(values, 'out');
  if (!configPath) throw new InputError('--config', undefined, 'a sweep config or a stylized-model config file');
  if (!out) throw new InputError('--out', undefined, 'a directory for the bundle');
  if (existsSync(join(out, 'manifest.json'))) throw new InputError('--out', out, 'a new directory', 'it already holds a bundle (results would no longer match its jobs)');
  const log: Log = values.quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`);
  // Read once ("-" = stdin, a leading BOM dropped), then validated as the kind it is.
  const raw = loadConfig(configPath, { describe: 'a config', parse: (v) => v }) as Record<string, unknown>;
  const recordedPath = configPath === STDIO ? undefined : configPath;
  const t0 = performance.now();
  let r: { jobs: number; bytes: number };
  if (raw && typeof raw === 'object' && 'simulation' in raw) {
    r = writeRidgeMcBundle(parseStylizedConfig(raw), out, { repsPerJob: intFlag(values, 'reps-per-job', 1, LIMITS.repsPerJob), reps: intFlag(values, 'reps', 1, LIMITS.reps), configPath: recordedPath });
  } else {
    const config = parseSweepConfig(raw);
    if (config.trainer !== 'torch') log(`plan: note: config.trainer is "${config.trainer}"; the bundle is trained by the torch worker with config.trainerOptions as its training options`);
    r = await writeSweepBundle(config, out, { runDir: str(values, 'run'), configPath: recordedPath, log });
  }
  const seconds = (performance.now() - t0) / 1000;
  if (values.json === true) {
    writeJsonLine({ bundle: out, jobs: r.jobs, bytes: r.bytes, seconds });
    return 0;
  }
  console.log(`bundle ${out}: ${r.jobs} jobs, ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${seconds.toFixed(1)} s`);
  console.log(`run it on a machine with Python 3 + torch + numpy:  cd ${out} && python3 -m lossyscale_worker run-bundle . [--group K] [--device cuda]`);
  console.log(`then here:  lossyscale sweep ingest ${join(out, 'results.jsonl')} --run DIR`);
  return 0;
}

/** `lossyscale sweep ingest` (bundle layout in docs/architecture.md). */
export async function runIngest(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { run: { type: 'string' }, bundle: { type: 'string' }, 'no-figures': { type: 'boolean' }, quiet: { type: 'boolean' }, json: { type: 'boolean' } }, true);
  if (maybeHelp(values, ingestUsage)) return 0;
  refuseStdioDirs(values, ['run', 'bundle']);
  if (positionals.length < 1) throw new InputError('BUNDLE_RESULTS', undefined, 'a results.jsonl (or bundle directory); several for shards');
  checkLength('BUNDLE_RESULTS', positionals.length, LIMITS.bundleShards);
  const runDir = str(values, 'run');
  if (!runDir) throw new InputError('--run', undefined, 'the run directory to record into');
  const log: Log = values.quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`);
  const json = values.json === true;
  let s: IngestSummary | undefined;
  let ingested = 0;
  let alreadyPresent = 0;
  for (const [i, file] of positionals.entries()) {
    // Shards of one bundle: record them all, analyse once at the end.
    s = await ingestBundle(file, runDir, { bundleDir: str(values, 'bundle'), analyze: i === positionals.length - 1, log, drawFigures: values['no-figures'] ? undefined : drawIngestedFigures });
    ingested += s.ingested;
    alreadyPresent += s.alreadyPresent;
    if (positionals.length > 1 && !json) console.log(`${file}: ${s.ingested} ingested, ${s.alreadyPresent} already there`);
  }
  if (!s) return 2;
  if (json) {
    writeJsonLine({ runDir: s.runDir, kind: s.kind, ingested, alreadyPresent, failures: s.failures, devices: s.devices });
    return 0;
  }
  console.log(`ingested ${s.ingested} ${s.kind === 'sweep' ? 'jobs' : 'repetitions'} into ${s.runDir} (${s.alreadyPresent} already there${s.failures ? `, ${s.failures} failed jobs listed in the bundle's results.failures.jsonl: rerun run-bundle to retry them` : ''}); devices: ${s.devices.join('; ') || 'none'}`);
  return 0;
}
