import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { defaultCodecCacheDir } from '../../codec/cacheDir.js';
import { validateBackend } from '../../codec/codecBackend.js';
import { grouped, sig } from '../../fit/tables.js';
import { parseSize, formatBytes, SIZE_SYNTAX } from '../../plan/size.js';
import { runPlan, type PlanResult } from '../../plan/runPlan.js';
import { progress } from '../../util/progress.js';
import { warn } from '../../util/warnings.js';
import { watchInterrupt } from '../../util/interrupt.js';
import { parseNumber } from '../../util/validate.js';
import { intFlag, maybeHelp, parseFlags, str, refuseStdioDirs } from '../args.js';
import { datasetFlags, datasetSpecFromFlags, datasetUsage } from './_datasetFlags.js';
import { formatTable } from './_table.js';
import { COMMAND_SUMMARIES } from '../registry.js';

export const summary = COMMAND_SUMMARIES.plan;

const usage = `
usage: lossyscale plan --dataset folder|fashion-mnist [--root DIR] --budget SIZE --out DIR
                       [--trainer ridge|torch] [--pilot-fraction F] [--seed S] [--dry-run] [--json]
                       [--backend libjxl|jsquash] [--replicates B] [--cache-dir DIR] [--workers N]

Plans and writes a compressed training set under a storage budget (THEORY.md sections 1 and 6):
  1. the codec's size curve (mean bytes per image against Butteraugli distance) on a
     stratified sample of the training images;
  2. a pilot grid: stratified subsets (1/8, 1/4, 1/2, all of the pilot pool) at distances
     0.5, 1, 2, 4, 8, trained with the chosen trainer, lambda chosen on the validation split,
     scored on the test split (both held out of the written set);
  3. the law Err(n, L) = E* + A n^-alpha + B L^-beta fitted to the pilot, with its R^2, RMSE
     and warnings, and bootstrap refits;
  4. the recommendation n*, L*, d* at the budget with a 95% band and prediction interval,
     beside the original format (lossless JPEG XL) and the best fixed distance;
then writes DIR/images/<class>/<name>.jxl (the first n* images of a stratified order at d*),
DIR/manifest.csv (path,class,bytes,distance,source,sha256) and DIR/plan.json (recommendation,
fit, provenance), written last. Images, manifest and plan.json together never exceed the budget.
Running the same command again resumes an interrupted write, verifying files already there.

  --budget SIZE        storage budget: ${SIZE_SYNTAX}
  --out DIR            output directory (new or empty, or holding this same plan)
  --trainer NAME       ridge (default, CPU) or torch (the PyTorch worker)
  --pilot-fraction F   share of the training images in the pilot's largest subset (default 0.25)
  --dry-run            stop after the recommendation; write nothing
  --backend NAME       JPEG XL implementation: libjxl (default, native) or jsquash (wasm)
  --replicates B       bootstrap refits of the law (default 200)
  --cache-dir DIR      codec cache (default $LOSSYSCALE_CACHE_DIR or .cache/codec)
  --workers N          encoder threads (default: the machine's cores)
  --quiet              no progress bars
  --json               print the result as one compact JSON line
${datasetUsage}

examples:
  lossyscale plan --dataset folder --root photos/ --size 64 --budget 2.5MB --out photos-2.5MB
  lossyscale plan --dataset fashion-mnist --budget 5MB --out fmnist-5MB --dry-run
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...datasetFlags,
    budget: { type: 'string' },
    out: { type: 'string' },
    trainer: { type: 'string' },
    'pilot-fraction': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    backend: { type: 'string' },
    replicates: { type: 'string' },
    'cache-dir': { type: 'string' },
    workers: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['out', 'cache-dir']);
  const dataset = datasetSpecFromFlags(values);
  const budgetBytes = parseSize('--budget', str(values, 'budget'));
  const out = str(values, 'out');
  if (!out) throw new InputError('--out', undefined, 'an output directory for images/, manifest.csv and plan.json');
  const trainer = str(values, 'trainer') ?? 'ridge';
  if (trainer !== 'ridge' && trainer !== 'torch') throw new InputError('--trainer', trainer, 'ridge or torch');
  const pf = str(values, 'pilot-fraction');
  const pilotFraction = pf === undefined ? undefined : parseNumber('--pilot-fraction', pf);
  if (pilotFraction !== undefined && !(pilotFraction > 0 && pilotFraction <= 1)) throw new InputError('--pilot-fraction', pf, '0 < F <= 1');
  const backend = validateBackend(str(values, 'backend') ?? 'libjxl', '--backend');
  const replicates = intFlag(values, 'replicates', 2, 100000);
  const workers = intFlag(values, 'workers', 0, 256);
  const quiet = values.quiet === true || values.json === true;
  const seed = dataset.seed ?? 0;
  const log = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const flag = watchInterrupt();
  let result: PlanResult;
  try {
    result = await runPlan({
      dataset,
      budgetBytes,
      outDir: resolve(out),
      trainer,
      pilotFraction,
      seed,
      dryRun: values['dry-run'] === true,
      backend,
      replicates,
      workers,
      cacheDir: str(values, 'cache-dir') ?? defaultCodecCacheDir(),
      hooks: { log, phase: (label, total) => progress(label, total, { quiet }), checkInterrupt: () => flag.check() },
    });
  } finally {
    flag.dispose();
  }
  if (values.json === true) {
    console.log(JSON.stringify(result));
    return 0;
  }
  printPlan(result);
  return 0;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}%`;
}

function printPlan(r: PlanResult): void {
  const rec = r.recommendation;
  const f = r.fit;
  console.log(`plan ${r.key} for a budget of ${formatBytes(r.budgetBytes)} (${grouped(r.budgetBytes)} bytes), ${r.dataset.trainImages} training images in ${r.dataset.classes.length} classes`);
  console.log(`size curve (${r.sizeCurve[0]?.count ?? 0} images): ${r.sizeCurve.map((p) => `d=${p.distance} ${p.meanBytes.toFixed(0)} B`).join(', ')}`);
  console.log(`pilot: ${r.pilot.rows.length} runs (${r.pilot.trainer}) on up to ${r.pilot.poolImages} images; ${r.heldOut.note}`);
  console.log(`law: E* = ${sig(f.params.Estar, 4)}, A = ${sig(f.params.A, 4)}, alpha = ${sig(f.params.alpha, 3)}, B = ${sig(f.params.B, 4)}, beta = ${sig(f.params.beta, 3)}; R^2 = ${sig(f.r2, 3)}, RMSE = ${sig(f.rmse, 3)}, converged: ${f.converged ? 'yes' : 'NO'}; ${r.replicates.used} of ${r.replicates.requested} bootstrap refits used`);
  for (const w of f.warnings) warn(`fit: ${w}`);
  const band = rec.band ? `[${pct(rec.band[0])}, ${pct(rec.band[1])}]` : 'n/a';
  const pi = rec.predictionInterval ? `[${pct(rec.predictionInterval[0])}, ${pct(rec.predictionInterval[1])}]` : 'n/a';
  console.log(
    formatTable(
      ['strategy', 'n', 'L (bytes)', 'distance', 'predicted error'],
      [
        ['scaling-optimal', grouped(rec.n), sig(rec.L, 5), sig(rec.distance, 4), `${pct(rec.predictedError)} (band ${band}, prediction ${pi})`],
        ...(rec.originalFormat ? [['original format', grouped(rec.originalFormat.n), sig(rec.originalFormat.L, 5), '0 (lossless)', pct(rec.originalFormat.predictedError)]] : []),
        ...(rec.bestFixedLevel ? [[`best fixed level`, grouped(rec.bestFixedLevel.n), sig(rec.bestFixedLevel.L, 5), sig(rec.bestFixedLevel.distance, 4), pct(rec.bestFixedLevel.predictedError)]] : []),
      ],
    ),
  );
  console.log(`image budget ${grouped(rec.imageBudgetBytes)} bytes (reserve ${grouped(rec.metadataReserveBytes)} for manifest.csv and plan.json); d* search: ${rec.distanceSearch}`);
  if (r.status === 'dry-run') {
    console.log('dry run: nothing written');
    return;
  }
  // non-null: a non-dry run always returns written.
  const w = r.written!;
  console.log(`${r.status === 'complete' ? 'already complete' : r.status}: ${w.images} images (${Object.entries(w.perClass).map(([c, k]) => `${c}: ${k}`).join(', ')}), ${grouped(w.totalBytes)} bytes in all (images ${grouped(w.imageBytes)}, manifest ${grouped(w.manifestBytes)}, plan.json ${grouped(w.planBytes)}) <= budget ${grouped(r.budgetBytes)}; ${w.verified} verified, ${w.encoded} encoded`);
  console.log(`wrote ${r.outDir}/images/, manifest.csv, plan.json`);
}
