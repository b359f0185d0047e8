import { InputError } from '../../errors.js';
import { resolve } from 'node:path';
import { maybeHelp, parseFlags, str, refuseStdioDirs } from '../args.js';
import { buildReport } from '../../report/buildReport.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { writeJsonLine } from './_output.js';

export const summary = COMMAND_SUMMARIES.report;

const usage = `
usage: lossyscale report [--run DIR]... [--out DIR] [--json]

Builds one self-contained HTML file (vega, vega-lite and vega-embed inlined; opens from
disk with no network): the Theorem-1 exponents beside the fitted ones, Figure 6 (theory
vs simulation), the real-data Figures 1-5 with their tables, and under every figure its
caption, command, seed, version, date and source-data hashes.

  --run DIR   a run directory (run.json, law.json, tables/, figures/); repeatable.
              Default: the committed runs (results/*, sims/results/*) and figures/.
  --out DIR   where to write index.html (default: runs/report in the current directory)
  --json      print {htmlPath, bytes, figures, runs, problems} as one JSON line
  --quiet     no problem lines on stderr

examples:
  lossyscale report                                  # the repo's committed results
  lossyscale report --run results/fashion-mnist-cpu --out /tmp/fmnist-report
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    run: { type: 'string', multiple: true },
    out: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['out', 'run']);
  const runs = (values.run as string[] | undefined) ?? [];
  const twice = runs.find((r, i) => runs.findIndex((o) => resolve(o) === resolve(r)) !== i);
  if (twice !== undefined) throw new InputError('--run', twice, 'each run directory once', 'given twice (its figures and tables would be in the report twice)');
  // Default under the current directory: an installed copy must not write into node_modules.
  const outDir = str(values, 'out') ?? resolve('runs', 'report');
  const r = buildReport({ runs, outDir, command: ['lossyscale', 'report', ...argv].join(' ') });
  if (values.json) {
    writeJsonLine({ htmlPath: r.htmlPath, bytes: r.bytes, figures: r.figures, runs: r.runs, problems: r.problems });
  } else {
    console.log(`report: ${r.htmlPath} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.figures.length} figures, ${r.runs.length} runs)`);
    if (values.quiet !== true) for (const p of r.problems) process.stderr.write(`lossyscale: report problem: ${p}\n`);
    console.log(`open it with: xdg-open ${r.htmlPath}   (or file://${r.htmlPath.startsWith('/') ? '' : process.cwd() + '/'}${r.htmlPath})`);
  }
  return 0;
}
