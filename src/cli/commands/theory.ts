import { LIMITS } from '../../util/limits.js';
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../../errors.js';
import { loadStylizedConfig } from '../../config/fig6Config.js';
import { writeTheoryRunFigures } from '../../figures/theory.js';
import { repoRoot } from '../../provenance.js';
import { writeTheoryRun } from '../../simulate/theoryRunDir.js';
import { maybeHelp, parseFlags, str, refuseStdioDirs } from '../args.js';
import { formatTable } from './_table.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { OUTPUT_FLAGS, outputFormat, writeJsonLine } from './_output.js';
import { formatCsvObjects } from '../../io/csv.js';
import { THEORY_CSV_COLUMNS } from '../../simulate/theoryRunDir.js';
import { parseOverrides } from '../../config/overrides.js';

export const summary = COMMAND_SUMMARIES.theory;

const usage = `
usage: lossyscale theory --config sims/fig6.json [--set key.path=value ...] [--out DIR] [--figures DIR | --no-figures] [--json | --format csv]

For every kept level m of the config and every n of config.theory.n, the Lemma-1 deterministic
risk minimised over the config's lambda0 grid (lambda = lambda0 n^((kappa+1)/(2kappa+1)) for the
theorem1 schedule), THEORY.md section 5. Writes
  DIR/theory.csv   columns n,m,L,lambda0,lambda,lambdaStar,bias,variance,compression,risk,excess
  DIR/run.json     provenance (config, version, time, machine)
  FIGURES/<name>-theory-vs-n.{vl.json,svg,png} and <name>-theory-vs-L.{...}
  --config FILE    a stylized-model config ("-" reads stdin; schemas/stylized-config.schema.json)
  --set K=V        override one config field, e.g. --set model.p=3 (repeatable; recorded in run.json)
  --out DIR        default: <config.out>-theory (sims/results/fig6-theory for sims/fig6.json)
  --figures DIR    default: the repo's figures/ when DIR is under sims/results/, else DIR/figures
  --json           print one JSON line {csv, runJson, figures, rows} instead of a table
  --format csv     print the theory.csv rows on stdout instead of a table
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    set: { type: 'string', multiple: true },
    out: { type: 'string' },
    figures: { type: 'string' },
    'no-figures': { type: 'boolean' },
    ...OUTPUT_FLAGS,
  });
  const format = outputFormat(values, ['text', 'json', 'csv']);
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['out', 'figures']);
  const configPath = str(values, 'config');
  if (configPath === undefined) throw new InputError('--config', undefined, 'a stylized-model config file such as sims/fig6.json');
  if (values['no-figures'] === true && str(values, 'figures') !== undefined) throw new InputError('--figures', str(values, 'figures'), 'not together with --no-figures');
  const config = loadStylizedConfig(configPath, parseOverrides((values.set as string[] | undefined) ?? []));
  // Each grid is bounded; their product is the work (each count alone allowed hours of solving, silently).
  const solves = config.theory.n.count * config.lambda.lambda0.count * config.levels.length;
  if (solves > LIMITS.theoryEvaluations) {
    throw new InputError('config.theory.n.count', config.theory.n.count, `theory.n.count x lambda.lambda0.count x levels <= ${LIMITS.theoryEvaluations} fixed-point solves`, `this config needs ${solves}`);
  }
  const out = str(values, 'out');
  const figs = str(values, 'figures');
  const res = writeTheoryRun(config, { outDir: out === undefined ? undefined : resolve(out) });
  // As for simulate: runs under sims/results/ draw into the repo's figures/, any other run into DIR/figures.
  const committed = resolve(res.dir).startsWith(join(repoRoot, 'sims', 'results') + sep);
  const figuresDir = figs !== undefined ? resolve(figs) : committed ? join(repoRoot, 'figures') : join(res.dir, 'figures');
  const figures = values['no-figures'] === true ? [] : await writeTheoryRunFigures(res, figuresDir);
  const rel = (p: string): string => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || '.');
  const figurePaths = figures.flatMap((f) => [f.specPath, f.svgPath, ...(f.pngPath ? [f.pngPath] : [])]).map(rel);
  if (format === 'csv') {
    process.stdout.write(formatCsvObjects(THEORY_CSV_COLUMNS, res.points));
    return 0;
  }
  if (format === 'json') {
    writeJsonLine({ csv: rel(res.csvPath), runJson: rel(res.runJsonPath), figures: figurePaths, rows: res.points.length });
    return 0;
  }
  const ns = [...new Set(res.points.map((p) => p.n))];
  const pick = [ns[0], ns[Math.floor(ns.length / 2)], ns[ns.length - 1]];
  const header = ['m', 'L', ...pick.map((n) => `excess n=${Math.round(n)}`), `K_m`];
  const rows = [...new Set(res.points.map((p) => p.m))].map((m) => {
    // non-null: every (m, n) of the grid is a theory point by construction.
    const at = (n: number) => res.points.find((p) => p.m === m && p.n === n)!;
    return [m, at(ns[0]).L, ...pick.map((n) => at(n).excess), at(ns[0]).compression];
  });
  console.log(`theory curves for ${config.name}: ${res.points.length} points (${new Set(res.points.map((p) => p.m)).size} levels x ${ns.length} n), R_det - tau^2 minimised over ${config.lambda.lambda0.count} lambda0 (${config.lambda.schedule} schedule)`);
  console.log(formatTable(header, rows));
  console.log(`wrote ${rel(res.csvPath)}, ${rel(res.runJsonPath)}`);
  if (figurePaths.length) console.log(`figures: ${figurePaths.join(', ')}`);
  return 0;
}
