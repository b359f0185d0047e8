import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoding, Layer, Panel, Scale, TopLevelSpec } from './vl.js';
import { predictRaw } from '../fit/lawForms.js';
import type { FigureSet } from './figureSet.js';
import { ResourceError } from '../errors.js';
import { provenance, repoRoot } from '../provenance.js';
import type { SweepSummary } from '../sweep/analyze.js';
import { parseSweepConfig } from '../sweep/config.js';
import { readRun, runPaths } from '../sweep/runDir.js';
import { describeSource, writeFigure, type WrittenFigure } from './render.js';
import { residualFigureSpec } from './residuals.js';
import { storageTestFigureSpec } from './storageTest.js';
import type { LawFit } from '../fit/fitLaw.js';

/**
 * Figures 1-5 of the real-data sweep (THEORY.md section 7) as Vega-Lite specs built from a
 * run's summary.json: (1) error vs n per L and vs L per n with the fitted law, (2) n*(S) and
 * L*(S) with the original-format line, (3) error vs storage for scaling-optimal, original
 * format and randomized, (4) scaling-optimal vs naive fixed levels, (5) the train x test
 * distance accuracy matrix. Encodings use point shapes and stroke dashes as well as colour.
 */
export interface SweepFigure {
  name: string;
  spec: TopLevelSpec;
  caption: string;
}

const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2], [3, 6]];

function logRange(a: number, b: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => a * (b / a) ** (i / (k - 1)));
}

const pct = (x: number): number => Math.round(x * 1e5) / 1e3;

export function sweepFigureSpecs(s: SweepSummary): SweepFigure[] {
  const out: SweepFigure[] = [];
  const law = s.law;
  const predict = (fit: NonNullable<SweepSummary['law']>, n: number, L: number): number => predictRaw(fit.form, fit.params, n, L);
  const title = (t: string): { text: string; subtitle: string } => ({ text: t, subtitle: `${s.name}, trainer: ${s.trainer}` });

  // Figure 1: scaling curves.
  if (s.grid.length) {
    const distances = [...new Set(s.grid.map((g) => g.distance))];
    const fractions = [...new Set(s.grid.map((g) => g.fraction))];
    const dLabel = (d: number): string => `d=${d}${d === 0 ? ' (lossless)' : ''}`;
    const fLabel = (f: number): string => `${Number((f * 100).toPrecision(3))}% of pool`;
    const pts = s.grid.map((g) => ({
      n: g.n, L: Math.round(g.bytesPerImage * 10) / 10, errorPct: pct(g.errorMean), lo: pct(g.errorMean - g.errorSd), hi: pct(g.errorMean + g.errorSd),
      distance: dLabel(g.distance), fraction: fLabel(g.fraction), seeds: g.seeds, inFit: g.inFit ? 'yes' : 'no (baseline)',
      // Residual of the fitted law at this point, in percentage points (observed - predicted).
      residualPct: law ? Math.round((g.errorMean - predict(law, g.n, g.bytesPerImage)) * 1e5) / 1e3 : null,
    }));
    const nMin = Math.min(...s.grid.map((g) => g.n));
    const nMax = Math.max(...s.grid.map((g) => g.n));
    const lossyL = s.grid.filter((g) => g.inFit).map((g) => g.bytesPerImage);
    const lawByN: object[] = [];
    const lawByL: object[] = [];
    if (law && lossyL.length) {
      for (const d of distances) {
        const g = s.grid.filter((x) => x.distance === d && x.inFit);
        if (!g.length) continue;
        const L = g.reduce((a, x) => a + x.bytesPerImage, 0) / g.length;
        for (const n of logRange(nMin, nMax, 30)) lawByN.push({ n, errorPct: pct(predict(law, n, L)), distance: dLabel(d) });
      }
      const [lLo, lHi] = [Math.min(...lossyL), Math.max(...lossyL)];
      for (const f of fractions) {
        const g = s.grid.filter((x) => x.fraction === f);
        const n = g.reduce((a, x) => a + x.n, 0) / g.length;
        for (const L of logRange(lLo, lHi, 30)) lawByL.push({ L, errorPct: pct(predict(law, n, L)), fraction: fLabel(f) });
      }
    }
    const dOrder = distances.slice().sort((a, b) => a - b).map(dLabel);
    const fOrder = fractions.slice().sort((a, b) => a - b).map(fLabel);
    const span = (xs: number[], pad: number): [number, number] => [Math.min(...xs) / pad, Math.max(...xs) * pad];
    const yDomain = span([...pts.map((q) => q.lo), ...pts.map((q) => q.hi), ...[...lawByN, ...lawByL].map((q) => (q as { errorPct: number }).errorPct)].filter((v) => v > 0), 1.03);
    const panel = (x: 'n' | 'L', group: 'distance' | 'fraction', lawData: object[], xTitle: string, legend: string, domain: string[]): Panel => {
      const xDomain = span(pts.map((q) => q[x]), 1.08);
      const xEnc: Encoding['x'] = { field: x, type: 'quantitative', scale: { type: 'log', domain: xDomain, nice: false }, title: xTitle };
      const yScale: Scale = { type: 'log', domain: yDomain, nice: false };
      const color: Encoding['color'] = { field: group, type: 'nominal', title: legend, scale: { domain } };
      const main: Panel = {
        width: 330,
        height: 260,
        layer: [
          { data: { values: pts }, mark: { type: 'rule' }, encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' }, color } },
          {
            data: { values: pts },
            mark: { type: 'point', filled: true, size: 55 },
            encoding: {
              x: xEnc,
              y: { field: 'errorPct', type: 'quantitative', scale: yScale, title: 'test error (%, uncompressed test set, log)' },
              color,
              shape: { field: group, type: 'nominal', title: legend, scale: { domain, range: SHAPES } },
              tooltip: [{ field: 'n', title: 'n (images)' }, { field: 'L', title: 'L (bytes/image)' }, { field: 'distance' }, { field: 'fraction' }, { field: 'errorPct', title: 'error (%)' }, { field: 'seeds' }, { field: 'inFit', title: 'in the law fit' }],
            },
          },
          ...(lawData.length
            ? ([{
                data: { values: lawData },
                mark: { type: 'line', strokeWidth: 1.5 },
                encoding: {
                  x: xEnc,
                  y: { field: 'errorPct', type: 'quantitative', scale: yScale },
                  color,
                  strokeDash: { field: group, type: 'nominal', title: legend, scale: { domain, range: DASHES } },
                  tooltip: [{ field: group }, { field: x, format: '.4s' }, { field: 'errorPct', title: 'law error (%)', format: '.3f' }],
                },
              }] satisfies Layer[])
            : []),
        ],
      };
      if (!law) return main;
      // Residual panel under the fitted law: observed - predicted error at every grid point.
      const resid = pts.filter((q) => q.residualPct !== null);
      const rMax = Math.max(0.05, ...resid.map((q) => Math.abs(q.residualPct as number))) * 1.15;
      const residual: Panel = {
        width: 330,
        height: 110,
        layer: [
          { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { y: { field: 'zero', type: 'quantitative', scale: { domain: [-rMax, rMax] } } } },
          {
            data: { values: resid },
            mark: { type: 'point', filled: true, size: 40 },
            encoding: {
              x: { ...xEnc, title: `${xTitle}: residual of the fitted law` },
              y: { field: 'residualPct', type: 'quantitative', scale: { domain: [-rMax, rMax] }, title: 'residual (pp)' },
              color,
              shape: { field: group, type: 'nominal', title: legend, scale: { domain, range: SHAPES } },
              tooltip: [{ field: 'n', title: 'n (images)' }, { field: 'L', title: 'L (bytes/image)' }, { field: group }, { field: 'residualPct', title: 'observed - law (pp)', format: '.3f' }, { field: 'inFit', title: 'in the law fit' }],
            },
          },
        ],
      };
      return { vconcat: [main, residual], spacing: 6 };
    };
    out.push({
      name: 'fig1-scaling',
      caption: `Figure 1. Classification error of the ${s.trainer} trainer against the number of training images n (left, one series per JPEG XL distance d, i.e. bytes per image L) and against L (right, one series per subset size), mean ± sd over seeds; lines: the fitted law Err = E* + A n^-alpha + B L^-beta${law ? ` (alpha=${law.params.alpha.toPrecision(3)}, beta=${law.params.beta.toPrecision(3)}, R^2=${law.r2.toPrecision(3)}); under each panel, the law's residuals (observed - predicted, percentage points)` : ' (not fitted)'}. Lossless points (d=0) are the original-format baseline and are not part of the fit.`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: title('Figure 1: error vs samples n and vs bytes per sample L'),
        hconcat: [panel('n', 'distance', lawByN, 'training images n (log)', 'JPEG XL distance', dOrder), panel('L', 'fraction', lawByL, 'bytes per image L (log)', 'subset size', fOrder)],
        resolve: { scale: { color: 'independent', shape: 'independent', strokeDash: 'independent' } },
      },
    });
  }

  // Figure 2: optimal allocation vs storage.
  if (s.allocationCurve.length) {
    const rows: object[] = [];
    for (const a of s.allocationCurve) {
      rows.push({ S: a.storageBytes, quantity: 'n*(S) images', value: a.n, series: 'scaling-optimal (law)' });
      rows.push({ S: a.storageBytes, quantity: 'L*(S) bytes/image', value: a.L, series: 'scaling-optimal (law)' });
      if (a.originalN !== null && s.originalBytesPerImage) {
        rows.push({ S: a.storageBytes, quantity: 'n*(S) images', value: a.originalN, series: 'original format (lossless)' });
        rows.push({ S: a.storageBytes, quantity: 'L*(S) bytes/image', value: s.originalBytesPerImage, series: 'original format (lossless)' });
      }
    }
    out.push({
      name: 'fig2-allocation',
      caption: `Figure 2. Storage-optimal number of images n*(S) and bytes per image L*(S) from the fitted law, under the constraints of the pool (n <= ${s.nAvailable}) and of the codec's lossy size range, against the original-format choice (every image lossless, n = S / L_lossless).`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: title('Figure 2: optimal n*(S) and L*(S) vs storage'),
        data: { values: rows },
        facet: { column: { field: 'quantity', type: 'nominal', title: null } },
        spec: {
          width: 300,
          height: 240,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'S', type: 'quantitative', scale: { type: 'log' }, title: 'storage budget S (bytes, log)' },
            y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: 'value (log)' },
            color: { field: 'series', type: 'nominal', title: 'allocation' },
            strokeDash: { field: 'series', type: 'nominal', title: 'allocation', scale: { range: DASHES } },
            shape: { field: 'series', type: 'nominal', title: 'allocation', scale: { range: SHAPES } },
            tooltip: [{ field: 'S', format: '.4s' }, { field: 'value', format: '.4s' }, { field: 'series' }],
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    });
  }

  // Figures 3 and 4: strategies at equal storage.
  const strat = (names: (n: string) => boolean, name: string, figTitle: string, caption: string): void => {
    const rows: Record<string, unknown>[] = s.strategies.filter((x) => names(x.strategy)).map((x) => ({
      S: x.budgetBytes, strategy: x.strategy, errorPct: pct(x.errorMean), lo: pct(x.errorMean - x.errorSd), hi: pct(x.errorMean + x.errorSd),
      // non-null: dMax is set whenever dMin is (randomized strategy rows).
      n: x.n, L: Math.round(x.bytesPerImage * 10) / 10, used: x.storageBytes, distance: x.distance ?? (x.dMin !== undefined ? `${x.dMin.toFixed(2)}..${x.dMax!.toFixed(2)}` : ''), seeds: x.seeds,
    }));
    if (!rows.length) return;
    const lawRows = name.startsWith('fig3') && law ? s.allocationCurve.map((a) => ({ S: a.storageBytes, errorPct: pct(a.error), strategy: 'law-predicted optimum Err*(S)' })) : [];
    // Legend order: the three named strategies, then fixed levels by distance, then the law line.
    const rank = (n: string): number => (n === 'scaling-optimal' ? -3 : n === 'original' ? -2 : n === 'randomized' ? -1 : n.startsWith('fixed-d=') ? Number(n.slice(8)) : 1e9);
    const domain = [...new Set([...rows.map((r) => r.strategy as string), ...lawRows.map((r) => r.strategy)])].sort((a, b) => rank(a) - rank(b));
    const Smin = Math.min(...rows.map((r) => r.S as number)) / 1.5;
    const Smax = Math.max(...rows.map((r) => r.S as number)) * 1.5;
    // The law's predicted optimum joins the strategies as one more series (same legend).
    rows.push(...lawRows.filter((r) => r.S >= Smin && r.S <= Smax));
    out.push({
      name,
      caption,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: title(figTitle),
        width: 420,
        height: 280,
        layer: [
          { data: { values: rows }, mark: 'rule', encoding: { x: { field: 'S', type: 'quantitative', scale: { type: 'log', domain: [Smin, Smax], nice: false } }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain } } } },
          {
            data: { values: rows },
            mark: { type: 'line', point: { filled: true, size: 60 } },
            encoding: {
              x: { field: 'S', type: 'quantitative', scale: { type: 'log', domain: [Smin, Smax], nice: false }, title: 'storage budget S (bytes, log)' },
              y: { field: 'errorPct', type: 'quantitative', scale: { zero: false }, title: 'test error (%)' },
              color: { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain } },
              strokeDash: { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain, range: DASHES } },
              shape: { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain, range: SHAPES } },
              tooltip: [{ field: 'strategy' }, { field: 'S', title: 'budget (bytes)', format: ',' }, { field: 'used', title: 'bytes used', format: ',' }, { field: 'n', title: 'images' }, { field: 'L', title: 'bytes/image' }, { field: 'distance' }, { field: 'errorPct', title: 'error (%)' }, { field: 'seeds' }],
            },
          },
        ],
      },
    });
  };
  strat(
    (n) => n === 'scaling-optimal' || n === 'original' || n === 'randomized',
    'fig3-strategies',
    'Figure 3: error vs storage, scaling-optimal vs original format vs randomized',
    'Figure 3. Test error at equal storage budgets S (mean ± sd over seeds): scaling-optimal (n*, L* from the fitted law, distance found by search), original format (lossless JPEG XL, the largest stratified subset that fits), randomized (the scaling-optimal subset at distances spread uniformly over [d_min, d_max]); also the law\'s predicted optimum Err*(S).',
  );
  strat(
    (n) => n === 'scaling-optimal' || n.startsWith('fixed-d='),
    'fig4-fixed-levels',
    'Figure 4: scaling-optimal vs naive fixed compression levels',
    'Figure 4. Test error at equal storage: the scaling-optimal allocation against naive fixed levels (every image at one distance d, the largest stratified subset that fits S), mean ± sd over seeds.',
  );

  // Figure 5: train x test distance matrix.
  if (s.matrix.length) {
    const rows = s.matrix.map((m) => ({ train: `d=${m.trainDistance}`, test: `d=${m.testDistance}`, tr: m.trainDistance, te: m.testDistance, accuracyPct: pct(m.accuracy) }));
    const sortTr = [...new Set(s.matrix.map((m) => m.trainDistance))].sort((a, b) => a - b).map((d) => `d=${d}`);
    const sortTe = [...new Set(s.matrix.map((m) => m.testDistance))].sort((a, b) => a - b).map((d) => `d=${d}`);
    out.push({
      name: 'fig5-test-compression',
      caption: 'Figure 5. Accuracy (%) of the model trained on the full pool compressed at distance d_train (rows) evaluated on the test subset compressed at distance d_test (columns); d=0 is lossless (identical to the original pixels).',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: title('Figure 5: accuracy, train distance x test distance'),
        data: { values: rows },
        width: 340,
        height: 300,
        encoding: {
          x: { field: 'test', type: 'ordinal', sort: sortTe, title: 'test-set distance d_test' },
          y: { field: 'train', type: 'ordinal', sort: sortTr, title: 'training distance d_train' },
        },
        layer: [
          { mark: 'rect', encoding: { color: { field: 'accuracyPct', type: 'quantitative', title: 'accuracy (%)', scale: { scheme: 'greys', reverse: false } }, tooltip: [{ field: 'train' }, { field: 'test' }, { field: 'accuracyPct', title: 'accuracy (%)' }] } },
          {
            mark: { type: 'text', fontSize: 11 },
            encoding: {
              text: { field: 'accuracyPct', type: 'quantitative', format: '.1f' },
              color: { condition: { test: `datum.accuracyPct > ${median(rows.map((r) => r.accuracyPct))}`, value: 'white' }, value: 'black' },
            },
          },
        ],
      },
    });
  }
  // Long legend entries (e.g. "law-predicted optimum Err*(S)") are shown in full.
  for (const f of out) f.spec = { ...f.spec, config: { legend: { labelLimit: 360, titleLimit: 360 } } };
  return out;
}

function median(xs: number[]): number {
  const a = xs.slice().sort((x, y) => x - y);
  return a.length ? a[Math.floor(a.length / 2)] : 0;
}

/** Figures 1-5 of a run into `outDir` from its summary.json (THEORY.md section 7); also the figureSet's path. */
export async function writeSweepFigures(runDir: string, outDir: string, prefix: string, png = true): Promise<WrittenFigure[]> {
  const p = runPaths(runDir);
  const summary = JSON.parse(readFileSync(p.summaryJson, 'utf8')) as SweepSummary;
  const run = readRun(runDir);
  if (!run) throw new ResourceError(`${runDir} is not a sweep run directory (no run.json)`);
  const sources = [describeSource(p.summaryJson), describeSource(p.results), ...(existsSync(p.law) ? [describeSource(p.law)] : [])];
  const prov = provenance({ config: run.config, seed: run.seed });
  const out: WrittenFigure[] = [];
  for (const f of sweepFigureSpecs(summary)) {
    out.push(await writeFigure({ dir: outDir, name: `${prefix}${f.name}`, spec: f.spec, meta: { provenance: prov, sources, caption: f.caption }, png }));
  }
  // Standardized residuals of the law (THEORY.md section 1) and the paired storage test (section 6).
  if (existsSync(p.law)) {
    const lawJson = JSON.parse(readFileSync(p.law, 'utf8')) as LawFit;
    if (lawJson.goodnessOfFit) {
      out.push(await writeFigure({ dir: outDir, name: `${prefix}residuals`, spec: residualFigureSpec(lawJson.goodnessOfFit, `Standardized residuals of the ${lawJson.form} law on the grid (cell means)`), meta: { provenance: prov, sources, caption: 'Cell-mean residuals of the grid fit divided by their standard errors, against n and L; dashed lines at +-2.' }, png }));
    }
  }
  const st = summary.storageTest;
  if (st && st.rows.length) {
    const sub = `${summary.name}, trainer ${summary.trainer}; ${st.rows[0].seeds} paired seeds; bars: 95% t intervals${st.preRegistered ? '; pre-registered prediction' : '; NOT pre-registered'}`;
    out.push(await writeFigure({ dir: outDir, name: `${prefix}storage-test`, spec: storageTestFigureSpec(st.rows, 'Paired storage test: baseline error minus scaling-optimal error', sub), meta: { provenance: prov, sources, caption: 'Per-seed paired differences (points) with their mean and 95% Student-t interval, per budget and baseline; right of zero: scaling-optimal wins.' }, png }));
  }
  return out;
}

/** Figures 1-5 of an analysed run into its figures/ folder, with the config's prefix and png setting (the CLI's hook for runSweep and bundle ingestion). */
export async function writeRunFigures(runDir: string): Promise<string[]> {
  const run = readRun(runDir);
  if (!run) throw new ResourceError(`${runDir} is not a sweep run directory (no run.json)`);
  const config = parseSweepConfig(run.config);
  const written = await writeSweepFigures(runDir, runPaths(runDir).figures, config.figures?.prefix ?? '', config.figures?.png ?? true);
  return written.map((f) => f.specPath);
}

/** A figure set over a committed sweep run results/<runName>/: its figures with the run config's prefix (or `defaultPrefix`), none until the run is analysed (summary.json). */
export function committedSweepFigureSet(runName: string, defaultPrefix: string, description: string): FigureSet {
  return {
    name: runName,
    description,
    async regenerate(outDir: string) {
      const runDir = join(repoRoot, 'results', runName);
      if (!existsSync(join(runDir, 'summary.json'))) return [];
      const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config: { figures?: { prefix?: string } } };
      return writeSweepFigures(runDir, outDir, run.config.figures?.prefix ?? defaultPrefix);
    },
  };
}

/** `npm run figures`: regenerate figures/fmnist-cpu-* from the committed run results/fashion-mnist-cpu/. */
export const figureSet: FigureSet = committedSweepFigureSet('fashion-mnist-cpu', 'fmnist-cpu-', 'Real-data Figures 1-5 (Fashion-MNIST, CPU ridge trainer) from results/fashion-mnist-cpu/');
