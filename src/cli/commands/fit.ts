import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../../errors.js';
import { provenance } from '../../provenance.js';
import { integerAtLeast, oneOf, parseNumber } from '../../util/validate.js';
import { observationsToCsv, readObservationsCsv } from '../../fit/csv.js';
import { readFig6Observations } from '../../fit/fig6Observations.js';
import { ESTIMATORS, fitLaw, type Estimator, type LawFit } from '../../fit/fitLaw.js';
import { LAW_FORMS, PARAM_NAMES, type LawForm, type ParamName } from '../../fit/lawForms.js';
import { compareForms, type FormComparison } from '../../fit/compareForms.js';
import { extrapolationCheck, type ExtrapolationCheck } from '../../fit/extrapolation.js';
import { fitTable, sig } from '../../fit/tables.js';
import { intFlag, maybeHelp, parseFlags, str, refuseStdioDirs } from '../args.js';
import { formatTable } from './_table.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { OUTPUT_FLAGS, outputFormat, setQuiet, warn, writeJsonLines } from './_output.js';
import { STDIO, writeTextOutput } from '../../io/streams.js';
import { formatPValue, largestResidualsLine } from '../../fit/goodnessOfFit.js';
import { residualFigureSpec } from '../../figures/residuals.js';
import { describeSource, writeFigure } from '../../figures/render.js';

export const summary = COMMAND_SUMMARIES.fit;

const usage = `
usage: lossyscale fit --in FILE.csv [--in FILE2.csv ...] [--task NAME ...] | --fig6-run DIR
                      [--form additive|excess|multiplicative] [--estimator lsq|huber-log]
                      [--bootstrap N] [--seed S] [--huber-delta D]
                      [--compare] [--extrapolate n|L] [--hold-out K]
                      [--json | --format text|md|csv|json] [--out LAW.json] [--quiet]
                      [--residual-figure DIR]

Fits the storage scaling law (THEORY.md section 1) to measured errors.
  --in FILE.csv      columns n,L,error and optionally seed, stdErr, cell (header row; other
                     columns ignored); "-" reads stdin. stdErr (on every row, > 0): the known
                     standard error of error; the fit is weighted and tested by chi^2. Without
                     it, cells (same cell label, else same n and L) with >= 3 seeds each get the
                     lack-of-fit F test against the seed-to-seed spread. Verdict: rejected at
                     p < 0.01.
                     Repeat --in for several tasks: one table row per file.
  --task NAME        task name per --in (default: the file name).
  --fig6-run DIR     instead of --in: the per-repetition points of a Figure-6 Monte Carlo run
                     (summary.json + results.jsonl; seed = repetition)
  --save-csv FILE    also write the observations that were fitted (first task) as CSV ("-": stdout,
                     instead of the table)
  --form             additive: E* + A n^-alpha + B L^-beta (default)
                     excess: A n^-alpha + B L^-beta (no constant; for excess error)
                     multiplicative: E* + A n^-alpha L^-beta (B unused, reported as 0)
  --estimator        lsq: least squares on the error (the paper's fit; default)
                     huber-log: Huber loss (delta 1e-3) on log-error (robust)
  --bootstrap N      bootstrap replicates for the intervals (default 200; 0 = Wald intervals
                     from the curvature). Resamples seeds when every row has one (>= 5 seeds).
  --seed S           bootstrap / cross-validation seed (default 0)
  --compare          also fit all three forms; AIC, BIC and 5-fold cross-validation by cell
  --extrapolate n|L  fit without the largest n (or L) values, predict them, report the errors
  --hold-out K       how many of the largest distinct values to hold out (default 1)
  --json             JSON lines: one compact object { task, ...fit } per task (what
                     'optimize --law' reads)
  --format           text (default), md or csv: the paper's Table-1 layout; json = --json
  --out LAW.json     also write the JSON (first task) to a file ("-": one line on stdout instead
                     of the table; stdout carries one output, so not with --json or --format)
  --quiet            no fit warnings on stderr
  --residual-figure DIR  write the standardized residuals vs n and vs L (first task) as
                     DIR/residuals.{vl.json,svg,png} (needs a goodness-of-fit test)

Exit status 2 on bad input (the message names the file, line and column).

examples:
  lossyscale fit --in errors.csv --json > law.json
  lossyscale fit --in errors.csv --estimator huber-log --compare --extrapolate n
  lossyscale fit --in food101.csv --in cityscapes.csv --format md
`;

interface TaskResult {
  task: string;
  file: string;
  fit: LawFit;
  comparison?: FormComparison;
  extrapolation?: ExtrapolationCheck;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    in: { type: 'string', multiple: true },
    task: { type: 'string', multiple: true },
    form: { type: 'string' },
    estimator: { type: 'string' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
    'huber-delta': { type: 'string' },
    compare: { type: 'boolean' },
    extrapolate: { type: 'string' },
    'hold-out': { type: 'string' },
    ...OUTPUT_FLAGS,
    out: { type: 'string' },
    'fig6-run': { type: 'string' },
    'save-csv': { type: 'string' },
    'residual-figure': { type: 'string' },
  });
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['fig6-run', 'residual-figure']);
  const fig6Run = str(values, 'fig6-run');
  const files = (values.in as string[] | undefined) ?? [];
  if (fig6Run !== undefined && files.length > 0) throw new InputError('--fig6-run', fig6Run, 'either --in or --fig6-run, not both');
  if (files.length === 0 && fig6Run === undefined) throw new InputError('--in', undefined, 'a CSV file with columns n,L,error[,seed]');
  const sources = fig6Run !== undefined ? [fig6Run] : files;
  const tasks = (values.task as string[] | undefined) ?? [];
  if (tasks.length > 0 && tasks.length !== sources.length) throw new InputError('--task', tasks.join(','), `one name per --in (${sources.length})`);
  const form = oneOf<LawForm>('--form', str(values, 'form') ?? 'additive', LAW_FORMS);
  const estimator = oneOf<Estimator>('--estimator', str(values, 'estimator') ?? 'lsq', ESTIMATORS);
  const bootstrap = integerAtLeast('--bootstrap', parseNumber('--bootstrap', str(values, 'bootstrap') ?? '200'), 0);
  const seed = intFlag(values, 'seed', 0) ?? 0;
  const huberDeltaText = str(values, 'huber-delta');
  const huberDelta = huberDeltaText === undefined ? undefined : parseNumber('--huber-delta', huberDeltaText);
  if (huberDelta !== undefined && !(huberDelta > 0)) throw new InputError('--huber-delta', huberDelta, '> 0');
  const extrapolateText = str(values, 'extrapolate');
  const axis = extrapolateText === undefined ? undefined : oneOf<'n' | 'L'>('--extrapolate', extrapolateText, ['n', 'L']);
  const holdOut = integerAtLeast('--hold-out', parseNumber('--hold-out', str(values, 'hold-out') ?? '1'), 1);
  // Options of a step that does not run are refused rather than silently ignored.
  if (axis === undefined && str(values, 'hold-out') !== undefined) throw new InputError('--hold-out', str(values, 'hold-out'), 'only with --extrapolate n|L');
  if (huberDelta !== undefined && estimator !== 'huber-log') throw new InputError('--huber-delta', huberDeltaText, 'only with --estimator huber-log');
  const format = outputFormat(values, ['text', 'md', 'csv', 'json']);
  setQuiet(values.quiet === true);
  if (files.filter((f) => f === STDIO).length > 1) throw new InputError('--in', STDIO, 'stdin ("-") for at most one --in (it can be read once)');
  // stdout carries one output: "--out -" or "--save-csv -" replaces the table, so the lines still parse.
  const stdoutFlags = (['out', 'save-csv'] as const).filter((k) => str(values, k) === STDIO);
  if (stdoutFlags.length > 1) throw new InputError('--save-csv', STDIO, 'a file when --out - writes to stdout');
  if (stdoutFlags.length === 1 && (values.json === true || values.format !== undefined)) {
    throw new InputError(`--${stdoutFlags[0]}`, STDIO, `a file when ${values.json === true ? '--json' : `--format ${String(values.format)}`} prints to stdout`);
  }

  const results: TaskResult[] = [];
  for (let i = 0; i < sources.length; i++) {
    const rows = fig6Run !== undefined ? readFig6Observations(fig6Run) : readObservationsCsv(sources[i]);
    const savePath = str(values, 'save-csv');
    if (savePath && i === 0) writeTextOutput(savePath, observationsToCsv(rows), '--save-csv');
    const fit = fitLaw(rows, { form, estimator, bootstrap, seed, huberDelta });
    const r: TaskResult = { task: tasks[i] ?? basename(sources[i]).replace(/\.csv$/i, ''), file: sources[i], fit };
    if (values.compare === true) r.comparison = compareForms(rows, { estimator, seed });
    if (axis) r.extrapolation = extrapolationCheck(rows, { form, estimator, huberDelta, axis, holdOut, fullFit: fit });
    results.push(r);
  }

  const jsonOf = (r: TaskResult): Record<string, unknown> => ({
    ...r.fit,
    input: { file: r.file, task: r.task },
    ...(r.comparison ? { comparison: { ...r.comparison, rows: r.comparison.rows.map(({ fit: _f, ...rest }) => rest) } } : {}),
    ...(r.extrapolation ? { extrapolation: r.extrapolation } : {}),
    provenance: provenance({ config: { form, estimator, bootstrap, huberDelta: huberDelta ?? null }, seed }),
  });
  const figDir = str(values, 'residual-figure');
  if (figDir !== undefined) {
    const gof = results[0].fit.goodnessOfFit;
    if (!gof) throw new InputError('--residual-figure', figDir, 'data with a goodness-of-fit test (a stdErr column or >= 3 seeds per cell)', results[0].fit.goodnessOfFitNote ?? undefined);
    await writeFigure({
      dir: figDir,
      name: 'residuals',
      spec: residualFigureSpec(gof, `Standardized residuals of the ${results[0].fit.form} law: ${results[0].task}`),
      meta: { provenance: provenance({ config: { form, estimator }, seed }), sources: fig6Run !== undefined ? [] : [describeSource(sources[0])], caption: 'Standardized residuals against n and L; dashed lines at +-2.' },
    });
  }
  const outPath = str(values, 'out');
  if (outPath) writeTextOutput(outPath, outPath === '-' ? JSON.stringify({ task: results[0].task, ...jsonOf(results[0]) }) + '\n' : JSON.stringify(jsonOf(results[0]), null, 2) + '\n', '--out');

  if (stdoutFlags.length === 1) {
    for (const r of results) for (const w of r.fit.warnings) warn(`${r.task}: ${w}`);
    return 0;
  }
  if (format === 'json') {
    // JSON lines: one compact object per task.
    writeJsonLines(results.map((r) => ({ task: r.task, ...jsonOf(r) })));
    return 0;
  }
  if (format === 'md' || format === 'csv') {
    process.stdout.write(fitTable(results.map((r) => ({ task: r.task, fit: r.fit })), format));
    return 0;
  }
  for (const r of results) printText(r);
  return 0;
}

/** The profile-interval cell of a parameter: "[lo, hi]", marked "(open)" when an end hit a bound; "n/a" when not computed. */
function profileCell(f: TaskResult['fit'], p: ParamName): string {
  const iv = f.profileIntervals?.[p];
  if (!iv) return 'n/a';
  const open = f.profile?.open.some((o) => o.startsWith(`${p}:`)) ?? false;
  return `[${sig(iv[0], 4)}, ${sig(iv[1], 4)}]${open ? ' (open)' : ''}`;
}

function printText(r: TaskResult): void {
  const f = r.fit;
  const d = f.diagnostics;
  console.log(`${r.task}: ${f.form} law, ${f.estimator} fit to ${d.dataRange.rows} rows (n ${d.dataRange.n.join('..')}, L ${d.dataRange.L.join('..')})`);
  const ci = `${Math.round(f.confidence * 100)}% interval (${f.intervalMethod})`;
  const rejected = f.goodnessOfFit?.verdict === 'rejected';
  console.log(
    formatTable(
      ['parameter', 'estimate', rejected ? 'std. error (law rejected)' : 'std. error', ci, `${Math.round(f.confidence * 100)}% profile interval`],
      PARAM_NAMES.filter((p) => !(f.form === 'excess' && p === 'Estar') && !(f.form === 'multiplicative' && p === 'B')).map((p) => [
        p,
        sig(f.params[p], 5),
        f.stdErr[p] === null ? 'not identified' : sig(f.stdErr[p], 3),
        f.intervals[p] ? `[${sig(f.intervals[p][0], 4)}, ${sig(f.intervals[p][1], 4)}]` : 'n/a',
        profileCell(f, p),
      ]),
    ),
  );
  console.log(`R^2 ${sig(f.r2, 5)}, RMSE ${sig(f.rmse, 4)}${d.r2Log !== null ? `, log-scale R^2 ${sig(d.r2Log, 5)}` : ''}${f.nu !== null ? `, storage exponent nu = alpha beta/(alpha+beta) = ${sig(f.nu, 4)}` : ''}`);
  const g = f.goodnessOfFit;
  if (g) {
    console.log(`goodness of fit (${g.method === 'chi2-stdErr' ? 'chi^2 with the given standard errors' : `lack-of-fit F test against ${g.pureErrorDof} pure-error dof from the seeds`}): chi^2 ${sig(g.chi2, 4)} on ${g.dof} dof, chi^2/dof ${sig(g.chi2PerDof, 4)}, p ${formatPValue(g.pValue)}: ${g.verdict}`);
    console.log(largestResidualsLine(g));
  } else console.log(`goodness of fit: not tested (${f.goodnessOfFitNote})`);
  console.log(`starts: ${d.multiStart.reachedBest}/${d.multiStart.starts} reached the best objective, ${d.multiStart.worseLocalMinima} ended in worse local optima; converged: ${d.converged} (${d.reason})`);
  for (const w of f.warnings) warn(`${r.task}: ${w}`);
  if (r.comparison) {
    console.log(`\nform comparison (${r.comparison.estimator}; ${r.comparison.folds}-fold CV over (n, L) cells):`);
    console.log(
      formatTable(
        ['form', 'k', 'dAIC', 'dBIC', 'CV RMSE', 'CV RMSE(log)', 'R^2'],
        r.comparison.rows.map((x) => [x.form, x.k, sig(x.deltaAic, 4), sig(x.deltaBic, 4), sig(x.cvRmse, 4), sig(x.cvRmseLog, 4), sig(x.r2, 5)]),
      ),
    );
    console.log(`best by AIC: ${r.comparison.bestByAic}, by BIC: ${r.comparison.bestByBic}, by CV: ${r.comparison.bestByCv ?? 'n/a'}`);
  }
  if (r.extrapolation) {
    const x = r.extrapolation;
    console.log(`\nextrapolation check: fit on ${x.axis} in {${x.trainValues.join(', ')}}, predict ${x.axis} in {${x.heldOutValues.join(', ')}}`);
    console.log(formatTable(['n', 'L', 'observed', 'predicted', 'rel. error'], x.cells.map((c) => [c.n, sig(c.L, 6), sig(c.observed, 5), sig(c.predicted, 5), c.relativeError === null ? 'n/a' : `${(100 * c.relativeError).toFixed(1)}%`])));
    console.log(`mean |rel. error| ${x.meanAbsRelativeError === null ? 'n/a' : (100 * x.meanAbsRelativeError).toFixed(1) + '%'}, max ${x.maxAbsRelativeError === null ? 'n/a' : (100 * x.maxAbsRelativeError).toFixed(1) + '%'}, RMSE ${sig(x.rmse, 4)}`);
    console.log(`alpha ${sig(x.trainParams.alpha, 4)} (all data ${sig(x.fullParams.alpha, 4)}), beta ${sig(x.trainParams.beta, 4)} (all data ${sig(x.fullParams.beta, 4)})`);
    for (const w of x.trainWarnings) warn(`${r.task} (training part): ${w}`);
  }
  console.log('');
}
