import { join } from 'node:path';
import { maybeHelp, parseFlags, str } from '../args.js';
import { buildReport } from '../../report/buildReport.js';
import { repoRoot } from '../../provenance.js';

export const summary = 'build the self-contained interactive HTML report (figures, exponents, tables, provenance)';

const usage = `
usage: lossyscale report [--run DIR]... [--out DIR] [--json]

Builds one self-contained HTML file (vega, vega-lite and vega-embed inlined; opens from
disk with no network): the Theorem-1 exponents beside the fitted ones, Figure 6 (theory
vs simulation), the real-data Figures 1-5 with their tables, and under every figure its
caption, command, seed, version, date and source-data hashes.

  --run DIR   a run directory (run.json, law.json, tables/, figures/); repeatable.
              Default: the committed runs (results/*, sims/results/*) and figures/.
  --out DIR   where to write index.html (default: runs/report)
  --json      print {htmlPath, bytes, figures, runs, problems} as JSON

examples:
  lossyscale report                                  # the repo's committed results
  lossyscale report --run results/fashion-mnist-cpu --out /tmp/fmnist-report
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    run: { type: 'string', multiple: true },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (maybeHelp(values, usage)) return 0;
  const runs = (values.run as string[] | undefined) ?? [];
  const outDir = str(values, 'out') ?? join(repoRoot, 'runs', 'report');
  const r = buildReport({ runs, outDir, command: ['lossyscale', 'report', ...argv].join(' ') });
  if (values.json) {
    console.log(JSON.stringify({ htmlPath: r.htmlPath, bytes: r.bytes, figures: r.figures, runs: r.runs, problems: r.problems }, null, 2));
  } else {
    console.log(`report: ${r.htmlPath} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.figures.length} figures, ${r.runs.length} runs)`);
    for (const p of r.problems) console.log(`  problem: ${p}`);
    console.log(`open it with: xdg-open ${r.htmlPath}   (or file://${r.htmlPath.startsWith('/') ? '' : repoRoot + '/'}${r.htmlPath})`);
  }
  return 0;
}
