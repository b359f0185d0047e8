import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { describeSource, writeFigure } from '../src/figures/render.js';
import { provenance } from '../src/provenance.js';

/**
 * A small run directory in the sweep layout of docs/architecture.md (run.json, results.jsonl, law.json,
 * tables/, figures/) for the report tests: a stylized run with two real figures made by
 * writeFigure from its results file (points of a known law a n^-alpha + b L^-beta).
 */
export async function writeFixtureRun(dir: string, opts: { figures?: boolean } = {}): Promise<{ runDir: string; source: string }> {
  const runDir = join(dir, 'run');
  mkdirSync(join(runDir, 'tables'), { recursive: true });
  const config = { name: 'fixture', model: { p: 2.01, q: 2, r: 0.99, tau: 1 }, levels: [2, 3, 4] };
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(provenance({ config, seed: 7, command: 'lossyscale simulate --config fixture.json' })));
  const rows: { n: number; m: number; L: number; excess: number }[] = [];
  for (const m of [2, 3, 4]) for (const n of [100, 1000, 10000]) rows.push({ n, m, L: 2 ** (m + 1) - 1, excess: 2 * n ** -0.5 + 1.5 * (2 ** (m + 1) - 1) ** -1.02 });
  const source = join(runDir, 'results.jsonl');
  writeFileSync(source, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(
    join(runDir, 'law.json'),
    JSON.stringify({ form: 'excess', estimator: 'lsq', params: { Estar: 0, A: 2, alpha: 0.5, B: 1.5, beta: 1.02 }, stdErr: { alpha: 0.01, beta: 0.02 }, intervals: { alpha: [0.48, 0.52], beta: [0.98, 1.06] }, r2: 0.999, rmse: 0.001, residuals: [], warnings: [] }),
  );
  writeFileSync(join(runDir, 'tables', 'law.md'), '| param | value | 95% interval |\n|---|---:|---|\n| alpha | 0.5 | [0.48, 0.52] |\n| beta | 1.02 | [0.98, 1.06] |\n');
  const strategy = (name: string, budgetBytes: number, errorMean: number, n: number) => ({ strategy: name, budgetBytes, errorMean, n, bytesPerImage: budgetBytes / n });
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ strategies: [strategy('scaling-optimal', 1e5, 0.2, 1000), strategy('original', 1e5, 0.3, 100), strategy('scaling-optimal', 1e6, 0.15, 8000), strategy('original', 1e6, 0.14, 1000)] }));
  writeFileSync(join(runDir, 'tables', 'budgets.csv'), 'S,n*,L*\n1000,"1,000",1\n');
  if (opts.figures !== false) {
    const meta = { provenance: provenance({ config, seed: 7, command: 'npm run figures' }), sources: [describeSource(source)], caption: 'Fixture: excess error against n, one line per L.' };
    const spec = {
      title: 'Fixture excess error against n',
      width: 300,
      height: 200,
      data: { values: rows },
      layer: [
        { mark: 'line', encoding: { x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, title: 'samples n' }, y: { field: 'excess', type: 'quantitative', scale: { type: 'log' }, title: 'excess error Err − τ²' }, strokeDash: { field: 'L', type: 'nominal', title: 'L (coordinates)' } } },
        { mark: { type: 'point', filled: true }, encoding: { x: { field: 'n', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'excess', type: 'quantitative', scale: { type: 'log' } }, shape: { field: 'L', type: 'nominal', title: 'L (coordinates)' }, tooltip: [{ field: 'n', type: 'quantitative' }, { field: 'L', type: 'nominal' }, { field: 'excess', type: 'quantitative', format: '.4g' }] } },
      ],
    } as unknown as TopLevelSpec;
    await writeFigure({ dir: join(runDir, 'figures'), name: 'fig6-sim-fixture', spec, meta, png: false });
    const bar = {
      title: 'Fixture scaling curve',
      width: 240,
      height: 160,
      data: { values: rows },
      mark: { type: 'bar', tooltip: true },
      encoding: { x: { field: 'n', type: 'ordinal', title: 'images n' }, y: { field: 'excess', type: 'quantitative', aggregate: 'mean', title: 'mean test error (fraction)' } },
    } as unknown as TopLevelSpec;
    await writeFigure({ dir: join(runDir, 'figures'), name: 'fixture-fig1-scaling', spec: bar, meta: { ...meta, caption: 'Fixture bar chart.' }, png: false });
  }
  return { runDir, source };
}
