import { join, resolve, sep } from 'node:path';
import { loadStylizedConfig } from '../../config/fig6Config.js';
import { InputError } from '../../errors.js';
import { validateModel, validateLevels } from '../../model/params.js';
import { repoRoot } from '../../provenance.js';
import { validatePlan, type SimulationPlan } from '../../simulate/plan.js';
import { meanStdErr } from '../../simulate/aggregate.js';
import { runRepetitions, simulateStylized } from '../../simulate/simulateStylized.js';
import { analyzeRun } from '../../simulate/analyzeRun.js';
import { writeFig6Figures } from '../../figures/fig6.js';
import { oneOf, parseNumber } from '../../util/validate.js';
import { defaultMaxMemoryBytes, guardMemory, LIMITS, parseByteSize } from '../../util/limits.js';
import { estimateSimulation } from '../../simulate/estimate.js';
import { availableParallelism } from 'node:os';
import { maybeHelp, parseFlags, str, intFlag, refuseStdioDirs } from '../args.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { writeJsonLine } from './_output.js';
import { parseOverrides, type ConfigOverride } from '../../config/overrides.js';

export const summary = COMMAND_SUMMARIES.simulate;

const usage = `
usage:
  lossyscale simulate --config sims/fig6.json [--set key.path=value ...] [--reps N] [--workers K] [--out DIR] [--figures DIR]
                     [--max-memory SIZE] [--adopt] [--quiet] [--json]
      Full protocol of THEORY.md section 5: writes DIR/run.json, DIR/results.jsonl (one row per
      repetition; rerun the same command to resume), DIR/summary.json|csv (mean and standard
      error per (n, m)), DIR/law.json (fitted a n^-alpha + b L^-beta), DIR/tables/, and the
      figures (default: the repo's figures/ when DIR is under sims/results/, else DIR/figures).
      --config "-" reads stdin; its JSON Schema is schemas/stylized-config.schema.json.
      --set K=V overrides one config field (V parsed as JSON, else a string), e.g.
      --set simulation.reps=5 --set model.p=3; repeatable; recorded in run.json.
      --json prints one JSON line {runDir, seconds, computed, summary, law, exponents, figures}.
  lossyscale simulate --p 2.01 --q 2 --r 0.99 --tau 1 --n 1000 --m 5 --lambda 50 --reps 40 --seed 1 [--extra 5]
                      [--features uniform|gaussian] [--tail coordinates|levelSums] [--workers K] [--json]
      One point, fixed lambda, exact-risk scoring: prints meanRisk, stdErr, reps. The generating
      model has m + extra levels; the risk uses that model's tail (see docs/monte-carlo.md).

  --adopt            take over a DIR holding results.jsonl but no run.json (its rows are checked
                     against this config's plan); otherwise such a DIR is refused. One process
                     writes a DIR at a time (DIR/.lock holds its pid and host).
  --max-memory SIZE  refuse (exit 2) a run whose estimated memory is larger (default: half the
                     machine's RAM); large runs print their memory and time estimate first.
  Limits (docs/reliability.md): --reps 1..1e6, simulation.n.count <= 1000, validationSize and testSize <= 1e7.
`;

const flags = {
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  'max-memory': { type: 'string' },
  adopt: { type: 'boolean' },
  reps: { type: 'string' },
  workers: { type: 'string' },
  out: { type: 'string' },
  figures: { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  p: { type: 'string' },
  q: { type: 'string' },
  r: { type: 'string' },
  tau: { type: 'string' },
  n: { type: 'string' },
  m: { type: 'string' },
  lambda: { type: 'string' },
  seed: { type: 'string' },
  extra: { type: 'string' },
  features: { type: 'string' },
  tail: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, flags);
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['out', 'figures']);
  const workers = intFlag(values, 'workers', 1, 256);
  const reps = intFlag(values, 'reps', 1, LIMITS.reps);
  // non-null: str(values, 'max-memory') was just tested to be defined.
  const maxMemory = str(values, 'max-memory') !== undefined ? parseByteSize('--max-memory', str(values, 'max-memory')!) : defaultMaxMemoryBytes();
  const pointFlags = ['p', 'q', 'r', 'tau', 'n', 'm', 'lambda', 'seed', 'extra', 'features', 'tail'].filter((k) => values[k] !== undefined);
  const configPath = str(values, 'config');
  if (configPath !== undefined) {
    if (pointFlags.length) throw new InputError(`--${pointFlags[0]}`, str(values, pointFlags[0]), 'not with --config (use the config file, or the single-point flags alone)');
    return runConfig(configPath, parseOverrides((values.set as string[] | undefined) ?? []), { reps, workers, maxMemory, adopt: values.adopt === true, out: str(values, 'out'), figures: str(values, 'figures'), quiet: Boolean(values.quiet), json: Boolean(values.json) });
  }
  if (!pointFlags.length) throw new InputError('--config', undefined, 'a config file such as sims/fig6.json, or the single-point flags --p --q --r --tau --n --m --lambda');
  if (values.set !== undefined) throw new InputError('--set', (values.set as string[])[0], 'only with --config (it overrides a config field)');
  for (const k of ['out', 'figures', 'adopt'] as const) if (values[k] !== undefined) throw new InputError(`--${k}`, str(values, k), 'only with --config');
  return runPoint(values, { reps, workers, maxMemory, json: Boolean(values.json), quiet: Boolean(values.quiet) });
}

async function runConfig(path: string, overrides: ConfigOverride[], o: { reps?: number; workers?: number; maxMemory: number; adopt: boolean; out?: string; figures?: string; quiet: boolean; json: boolean }): Promise<number> {
  const config = loadStylizedConfig(path, overrides);
  const outDir = o.out ?? config.out;
  // Runs committed under sims/results/ put their figures in the repo's figures/; any other run keeps them in DIR/figures.
  const committed = resolve(outDir).startsWith(join(repoRoot, 'sims', 'results') + sep);
  const figuresDir = o.figures ?? (committed ? join(repoRoot, 'figures') : join(outDir, 'figures'));
  const res = await simulateStylized(config, { reps: o.reps, workers: o.workers, outDir, quiet: o.quiet, adopt: o.adopt, maxMemoryBytes: o.maxMemory });
  const analysis = analyzeRun(outDir, { config });
  const figures = await writeFig6Figures(outDir, figuresDir, { config });
  if (o.json) {
    writeJsonLine({ runDir: outDir, seconds: res.seconds, computed: res.computed, summary: res.summary.cells.map(({ curve: _c, ...c }) => c), law: analysis.law, exponents: analysis.exponents, figures: figures.map((f) => f.specPath) });
    return 0;
  }
  console.log(`simulate: ${res.summary.reps} repetitions in ${outDir} (${res.computed} computed now in ${res.seconds.toFixed(1)} s)`);
  console.log(`${analysis.text}; figures: ${figures.map((f) => f.specPath.replace(/\.vl\.json$/, '')).join(', ') || 'none'}`);
  return 0;
}

async function runPoint(values: Record<string, unknown>, o: { reps?: number; workers?: number; maxMemory: number; json: boolean; quiet: boolean }): Promise<number> {
  const get = (k: string): string | undefined => str(values as never, k);
  const req = (k: string): number => {
    const t = get(k);
    if (t === undefined) throw new InputError(`--${k}`, undefined, `a number (single-point mode needs --p --q --r --tau --n --m --lambda)`);
    return parseNumber(`--${k}`, t);
  };
  let params;
  try {
    params = validateModel({ p: req('p'), q: req('q'), r: req('r'), tau: req('tau') });
  } catch (e) {
    if (e instanceof InputError && !e.param.startsWith('--')) throw new InputError(`--${e.param}`, e.value, e.valid);
    throw e;
  }
  const n = req('n');
  if (!Number.isInteger(n) || n < 1 || n > 1e7) throw new InputError('--n', get('n'), 'an integer 1..1e7');
  const m = validateLevels(req('m'), '--m');
  const lambda = req('lambda');
  if (!(lambda >= 0)) throw new InputError('--lambda', get('lambda'), 'lambda >= 0 (lambda = 0 needs n > L(m))');
  const seed = intFlag(values, 'seed', 0) ?? 1;
  const extra = intFlag(values, 'extra', 0, 20) ?? 5;
  const features = oneOf('--features', get('features') ?? 'uniform', ['uniform', 'gaussian'] as const);
  const tail = oneOf('--tail', get('tail') ?? 'coordinates', ['coordinates', 'levelSums'] as const);
  const plan: SimulationPlan = validatePlan({
    params,
    levels: [m],
    n: [n],
    lambda0: [lambda],
    schedule: 'constant',
    lambdas: [[lambda]],
    extraLevels: extra,
    features,
    tail,
    validationSize: 0,
    testSize: 0,
    scoring: 'exact',
    lambdaSelection: 'oracle',
    seed,
    reps: o.reps ?? 20,
    blockRows: 128,
  });
  guardMemory(estimateSimulation(plan, o.workers ?? availableParallelism()), o.maxMemory, { quiet: o.quiet || o.json });
  const results = await runRepetitions(plan, Array.from({ length: plan.reps }, (_, i) => i), { workers: o.workers, quiet: o.quiet || o.json, label: 'simulate point' });
  const risks = results.map((r) => params.tau ** 2 + r.cells[0].excess[0]);
  const { mean, stdErr } = meanStdErr(risks);
  const out = { meanRisk: mean, stdErr, reps: plan.reps, n, m, lambda, seed, levelsGenerated: m + extra, features, tail, scoring: 'exact' };
  if (o.json) writeJsonLine(out);
  else console.log(`meanRisk ${mean.toPrecision(8)}  stdErr ${Number.isFinite(stdErr) ? stdErr.toPrecision(3) : 'n/a'}  reps ${plan.reps}  (n = ${n}, m = ${m}, lambda = ${lambda}, levels generated ${m + extra})`);
  return 0;
}
