import { join } from 'node:path';
import type { Encoding, Field, LayerSpec, Panel, TopLevel, Tooltip, TopLevelSpec } from './vl.js';
import { loadStylizedConfig, type StylizedConfig } from '../config/fig6Config.js';
import { predictError } from '../fit/lawForms.js';
import type { LawFit } from '../fit/fitTypes.js';
import { describeSource, writeFigure, type WrittenFigure } from './render.js';
import { residualFigureSpec } from './residuals.js';
import { provenance, repoRoot, type Provenance } from '../provenance.js';
import type { RunSummary } from '../simulate/aggregate.js';
import { readMonteCarloRun } from '../simulate/runDir.js';
import { theoryCurves, theoryViewVsL } from '../theory/theoryCurves.js';
import type { FigureSet } from './figureSet.js';

/**
 * Figure 6 of the paper (THEORY.md sections 5 and 7): Monte Carlo excess error (points, error
 * bars = +-1 standard error over repetitions) over the deterministic-risk lines (minimised
 * over the same lambda0 grid), against n per L and against L per n, with the law
 * a n^-alpha + b L^-beta fitted to the points (dotted).
 */
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left', 'wedge', 'arrow'];

interface LoadedRun {
  config: StylizedConfig;
  summary: RunSummary;
  law?: LawFit;
  runProvenance: Provenance;
  sources: string[];
}

function loadRun(runDir: string, config?: StylizedConfig): LoadedRun {
  const run = readMonteCarloRun(runDir);
  return { config: config ?? run.record.config, summary: run.summary, law: run.law, runProvenance: run.record, sources: run.sources };
}

const fmtN = (n: number): string => String(n);

/** Write fig6-sim-vs-n and fig6-sim-vs-L from a finished run directory (THEORY.md section 5). */
export async function writeFig6Figures(runDir: string, outDir: string, opts: { config?: StylizedConfig; prefix?: string } = {}): Promise<WrittenFigure[]> {
  const run = loadRun(runDir, opts.config);
  const { config, summary, law } = run;
  const prefix = opts.prefix ?? 'fig6';
  const theory = theoryCurves(config);
  const simNs = [...new Set(summary.cells.map((c) => c.n))].sort((a, b) => a - b);
  const Ls = [...new Set(summary.cells.map((c) => c.L))].sort((a, b) => a - b);
  const scoreName = summary.scoring === 'sampled' ? 'test error - tau^2 (10,000 fresh samples)' : 'exact excess risk R(w) - tau^2';
  const selName = summary.lambdaSelection === 'validation' ? 'lambda0 chosen on the validation set' : 'lambda0 chosen by exact risk (oracle)';
  const points = summary.cells.map((c) => ({
    n: c.n,
    L: c.L,
    m: c.m,
    nLabel: `n = ${fmtN(c.n)}`,
    excess: c.score,
    lo: c.score - c.scoreStdErr,
    hi: c.score + c.scoreStdErr,
    stdErr: c.scoreStdErr,
    lambda0: c.lambda0Selected,
    reps: c.reps,
  }));
  // Error bars where a standard error exists (none for a single repetition: its stdErr is NaN).
  const bars = points.filter((pt) => Number.isFinite(pt.stdErr));
  const meta = (caption: string) => ({
    provenance: { ...provenance({ config, seed: config.seed, command: 'npm run figures (src/figures/fig6.ts)' }), simulation: { command: run.runProvenance.command, time: run.runProvenance.time, gitCommit: run.runProvenance.gitCommit } } as Provenance,
    sources: run.sources.map(describeSource),
    caption,
  });
  const test = law?.goodnessOfFit ?? null;
  const verdict = test ? (test.verdict === 'rejected' ? ` The law is rejected at the simulation's precision (chi^2/dof = ${test.chi2PerDof.toPrecision(3)} on ${test.dof} dof, weighted by the Monte Carlo standard errors): the line is the best-fitting curve, not a law that holds.` : ` Consistent with the simulation (chi^2/dof = ${test.chi2PerDof.toPrecision(3)} on ${test.dof} dof).`) : '';
  const fitText = law ? `Fitted law a n^-alpha + b L^-beta: alpha = ${law.params.alpha.toFixed(3)}, beta = ${law.params.beta.toFixed(3)}.${verdict}` : '';
  const common = `Stylized model p = ${config.model.p}, q = ${config.model.q}, r = ${config.model.r}, tau = ${config.model.tau}; ${summary.reps} repetitions, ${scoreName}, ${selName} (grid of ${logCount(config)} values, lambda = lambda0 n^((kappa+1)/(2kappa+1))); ${bars.length > 0 ? 'error bars +-1 standard error' : 'no error bars (one repetition has no standard error)'}. Lines: deterministic risk (Lemma 1) minimised over the same grid. ${fitText}`;

  // Panel 1: excess vs n, one series per L.
  const theoryN = theory.map((t) => ({ n: t.n, L: t.L, excess: t.excess, curve: 'deterministic risk' }));
  const nGrid = logSpace(simNs[0], simNs[simNs.length - 1], 40);
  const lawN = law ? Ls.flatMap((L) => nGrid.map((n) => ({ n, L, excess: predictError(law, n, L), curve: 'fitted law' }))) : [];
  const lDomain = Ls;
  const colorL = { field: 'L', type: 'ordinal', title: 'bits per sample L', scale: { domain: lDomain, scheme: { name: 'viridis', extent: [0, 0.85] } }, legend: { symbolType: 'stroke' } } as const;
  // Shapes are categories (nominal); the explicit domain keeps the legend in L order.
  const shapeL = { field: 'L', type: 'nominal', title: 'bits per sample L', scale: { domain: lDomain, range: SHAPES.slice(0, lDomain.length) } } as const;
  const dashCurve = { field: 'curve', type: 'nominal', title: 'curve', scale: { domain: ['deterministic risk', 'fitted law'], range: [[1, 0], [2, 3]] } } as const;
  const yEnc = { field: 'excess', type: 'quantitative', title: 'excess error Err - tau^2', scale: { type: 'log' } } as const;
  const tooltip: Tooltip = [
    { field: 'n', type: 'quantitative', title: 'n' },
    { field: 'L', type: 'quantitative', title: 'L' },
    { field: 'excess', type: 'quantitative', title: 'excess error', format: '.4g' },
    { field: 'stdErr', type: 'quantitative', title: 'standard error', format: '.2g' },
    { field: 'lambda0', type: 'quantitative', title: 'selected lambda0 (geo. mean)', format: '.3g' },
    { field: 'reps', type: 'quantitative', title: 'repetitions' },
  ];
  const lineTooltip: Tooltip = [
    { field: 'curve', type: 'nominal', title: 'curve' },
    { field: 'n', type: 'quantitative', title: 'n', format: '.4~r' },
    { field: 'L', type: 'quantitative', title: 'L', format: '.4~r' },
    { field: 'excess', type: 'quantitative', title: 'excess error', format: '.4g' },
  ];
  const specN: TopLevel<LayerSpec<Field>> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 6 (left): excess error vs number of samples n, one line per L', subtitle: `Monte Carlo (points, +-1 s.e.) over the deterministic risk (solid); fitted law dotted` },
    width: 460,
    height: 340,
    layer: [
      { data: { values: [...theoryN, ...lawN] }, mark: { type: 'line', strokeWidth: 1.4 }, encoding: { x: { field: 'n', type: 'quantitative', title: 'number of training samples n', scale: { type: 'log' } }, y: yEnc, color: colorL, strokeDash: dashCurve, detail: { field: 'curve' }, tooltip: lineTooltip } },
      ...(bars.length > 0 ? [{ data: { values: bars }, mark: { type: 'rule' }, encoding: { x: { field: 'n', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative', scale: { type: 'log' } }, y2: { field: 'hi' }, color: colorL, tooltip } } as const] : []),
      { data: { values: points }, mark: { type: 'point', filled: true, size: 45, opacity: 0.9 }, encoding: { x: { field: 'n', type: 'quantitative' }, y: yEnc, color: colorL, shape: shapeL, tooltip } },
    ],
    resolve: { scale: { color: 'shared', shape: 'shared' } },
    config: { legend: { orient: 'right' } },
  };

  // Panel 2: excess vs L, one series per n.
  const theoryL = theoryViewVsL(theory, config).map((t) => ({ n: nearest(simNs, t.n), L: t.L, excess: t.excess, curve: 'deterministic risk' }));
  const LGrid = logSpace(Ls[0], Ls[Ls.length - 1], 40);
  const lawL = law ? simNs.flatMap((n) => LGrid.map((L) => ({ n, L, excess: predictError(law, n, L), curve: 'fitted law' }))) : [];
  const colorN = { field: 'n', type: 'ordinal', title: 'samples n', scale: { domain: simNs, scheme: { name: 'plasma', extent: [0, 0.85] } }, legend: { symbolType: 'stroke' } } as const;
  const shapeN = { field: 'n', type: 'nominal', title: 'samples n', scale: { domain: simNs, range: SHAPES.slice(0, simNs.length) } } as const;
  const specL: TopLevel<LayerSpec<Field>> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 6 (right): excess error vs bits per sample L, one line per n', subtitle: 'Monte Carlo (points, +-1 s.e.) over the deterministic risk (solid); fitted law dotted' },
    width: 460,
    height: 340,
    layer: [
      { data: { values: [...theoryL, ...lawL] }, mark: { type: 'line', strokeWidth: 1.4 }, encoding: { x: { field: 'L', type: 'quantitative', title: 'bits per sample L = (q^m - 1)/(q - 1) (kept coordinates)', scale: { type: 'log' } }, y: yEnc, color: colorN, strokeDash: dashCurve, detail: { field: 'curve' }, tooltip: lineTooltip } },
      ...(bars.length > 0 ? [{ data: { values: bars }, mark: { type: 'rule' }, encoding: { x: { field: 'L', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative', scale: { type: 'log' } }, y2: { field: 'hi' }, color: colorN, tooltip } } as const] : []),
      { data: { values: points }, mark: { type: 'point', filled: true, size: 45, opacity: 0.9 }, encoding: { x: { field: 'L', type: 'quantitative' }, y: yEnc, color: colorN, shape: shapeN, tooltip } },
    ],
    resolve: { scale: { color: 'shared', shape: 'shared' } },
  };
  return [
    await writeFigure({ dir: outDir, name: `${prefix}-sim-vs-n`, spec: withResidualPanel(specN, 'n', 'number of training samples n', colorL, shapeL), meta: meta(`Excess error against n for each L. ${common}${law ? ' Under it: the fitted law\'s relative residuals, observed / predicted - 1.' : ''}`) }),
    await writeFigure({ dir: outDir, name: `${prefix}-sim-vs-L`, spec: withResidualPanel(specL, 'L', 'bits per sample L (kept coordinates)', colorN, shapeN), meta: meta(`Excess error against L for each n. ${common}${law ? ' Under it: the fitted law\'s relative residuals, observed / predicted - 1.' : ''}`) }),
    ...(test
      ? [await writeFigure({ dir: outDir, name: `${prefix}-residuals`, spec: residualFigureSpec(test, 'Figure 6: standardized residuals of the law a n^-alpha + b L^-beta (weighted least squares)'), meta: meta(`Cell residuals of the least-squares fit weighted by the Monte Carlo standard errors, divided by those errors, against n and L. ${common}`) })]
      : []),
  ];
  /** The figure with the fitted law's residuals (observed / predicted - 1, %) at every Monte Carlo point in a panel under it. */
  function withResidualPanel(spec: TopLevel<LayerSpec<Field>>, x: 'n' | 'L', xTitle: string, color: Encoding['color'], shape: Encoding['shape']): TopLevelSpec {
    if (!law) return spec;
    const { $schema, title, config: cfg, ...plot } = spec;
    const rows = points.map((p) => ({ ...p, residualPct: Math.round(1e4 * (p.excess / predictError(law, p.n, p.L) - 1)) / 100 }));
    const rMax = Math.max(1, ...rows.map((r) => Math.abs(r.residualPct))) * 1.15;
    const yRes: Encoding['y'] = { field: 'residualPct', type: 'quantitative', title: 'law residual (%)', scale: { domain: [-rMax, rMax] } };
    const residual: Panel = {
      width: plot.width,
      height: 120,
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { y: { field: 'zero', type: 'quantitative', scale: { domain: [-rMax, rMax] } } } },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            x: { field: x, type: 'quantitative', title: `${xTitle}: residual of the fitted law`, scale: { type: 'log' } },
            y: yRes,
            color,
            shape,
            tooltip: [{ field: 'n', type: 'quantitative' }, { field: 'L', type: 'quantitative' }, { field: 'residualPct', type: 'quantitative', title: 'observed / law - 1 (%)', format: '.2f' }],
          },
        },
      ],
    };
    const composed: TopLevelSpec = { $schema, title, ...(cfg ? { config: cfg } : {}), vconcat: [plot, residual], spacing: 8, resolve: { scale: { color: 'shared', shape: 'shared' } } };
    // A deep copy: the panels share encoding objects with the single-panel spec.
    const copy: TopLevelSpec = JSON.parse(JSON.stringify(composed));
    return copy;
  }
}
function logCount(config: StylizedConfig): number {
  return config.lambda.lambda0.count;
}

function nearest(values: number[], x: number): number {
  let best = values[0];
  for (const v of values) if (Math.abs(Math.log(v / x)) < Math.abs(Math.log(best / x))) best = v;
  return best;
}

function logSpace(a: number, b: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => a * (b / a) ** (i / (k - 1)));
}

/** The committed Figure-6 run and its figures (THEORY.md section 7, figure 6). */
export const figureSet: FigureSet = {
  name: 'fig6',
  description: 'Figure 6: stylized-model Monte Carlo (sims/results/fig6) over the deterministic risk, vs n and vs L, with the fitted law',
  async regenerate(outDir: string): Promise<WrittenFigure[]> {
    const runDir = join(repoRoot, 'sims', 'results', 'fig6');
    return writeFig6Figures(runDir, outDir, { config: loadStylizedConfig(join(repoRoot, 'sims', 'fig6.json')) });
  },
};
