import type { Encoding, Tooltip, TopLevelSpec } from './vl.js';
import type { ModelParams } from '../model/params.js';
import type { Provenance } from '../provenance.js';
import { writeFigure, type FigureSource, type WrittenFigure } from './render.js';
import type { TheoryPoint } from '../theory/theoryCurves.js';

/**
 * Figure-6 theory lines (THEORY.md sections 5 and 7): excess error R_det - tau^2 against n
 * (one line per L) and against L (one line per n), log-log. Lines carry a stroke dash and point
 * markers per series as well as colour (a luminance-monotone scheme), so they read in grayscale.
 */
const STAR = 'M0,-1L0.24,-0.33L0.95,-0.31L0.39,0.13L0.59,0.81L0,0.41L-0.59,0.81L-0.39,0.13L-0.95,-0.31L-0.24,-0.33Z';
const HEXAGON = 'M0,-1L0.87,-0.5L0.87,0.5L0,1L-0.87,0.5L-0.87,-0.5Z';
const BAR = 'M-1,-0.35L1,-0.35L1,0.35L-1,0.35Z';
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left', STAR, HEXAGON, BAR, 'triangle'];
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [10, 2], [1, 3], [6, 2, 1, 2, 1, 2], [12, 4], [3, 6], [8, 8], [2, 6]];

function tooltip(): Tooltip {
  return [
    { field: 'n', type: 'quantitative', title: 'n (training samples)', format: ',.0f' },
    { field: 'L', type: 'quantitative', title: 'L (bits per sample)', format: ',.0f' },
    { field: 'm', type: 'quantitative', title: 'kept levels m' },
    { field: 'excess', type: 'quantitative', title: 'R_det - tau^2', format: '.4g' },
    { field: 'lambda0', type: 'quantitative', title: 'best lambda0', format: '.3g' },
    { field: 'lambda', type: 'quantitative', title: 'lambda', format: '.4g' },
    { field: 'bias', type: 'quantitative', title: 'bias B', format: '.3g' },
    { field: 'variance', type: 'quantitative', title: 'variance (tau^2+K_m)V', format: '.3g' },
    { field: 'compression', type: 'quantitative', title: 'compression K_m', format: '.3g' },
  ];
}

function seriesEncoding(field: string, title: string, count: number): Required<Pick<Encoding, 'color' | 'strokeDash' | 'shape'>> {
  return {
    color: { field, type: 'nominal', sort: 'ascending', title, scale: { scheme: 'viridis' } },
    strokeDash: { field, type: 'nominal', sort: 'ascending', title, scale: { range: DASHES.slice(0, Math.max(count, 1)) } },
    shape: { field, type: 'nominal', sort: 'ascending', title, scale: { range: SHAPES.slice(0, Math.max(count, 1)) } },
  };
}

function subtitle(model: ModelParams, schedule: string): string[] {
  return [
    `stylized model p=${model.p}, q=${model.q}, r=${model.r}, tau=${model.tau} (Lemma 1, THEORY.md section 3)`,
    `R_det minimised over the lambda0 grid, ${schedule === 'theorem1' ? 'lambda = lambda0 n^((kappa+1)/(2kappa+1))' : 'lambda = lambda0'}`,
  ];
}

/** The shared panel: excess error (log) against `x` (log), lines with point markers, one series per value of `series.field` (THEORY.md section 5). */
function excessPanel(o: {
  title: string;
  model: ModelParams;
  schedule: string;
  data: object[];
  x: Encoding['x'];
  series: { field: string; title: string; count: number };
  /** Group the lines by the series field explicitly (a detail channel). */
  lineDetail?: boolean;
  /** Vega expression selecting the rows that get a marker (all rows when absent). */
  markerFilter?: string;
}): TopLevelSpec {
  const enc = seriesEncoding(o.series.field, o.series.title, o.series.count);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: o.title, subtitle: subtitle(o.model, o.schedule) },
    width: 520,
    height: 360,
    data: { values: o.data },
    encoding: {
      x: o.x,
      y: { field: 'excess', type: 'quantitative', scale: { type: 'log', nice: false, padding: 8 }, title: 'excess test error R_det - tau^2' },
      tooltip: tooltip(),
    },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.6 }, encoding: { color: enc.color, strokeDash: enc.strokeDash, ...(o.lineDetail ? { detail: { field: o.series.field, type: 'nominal' } } : {}) } },
      {
        ...(o.markerFilter ? { transform: [{ filter: o.markerFilter }] } : {}),
        mark: { type: 'point', filled: true, size: 45, opacity: 0.9 },
        encoding: { color: enc.color, shape: enc.shape },
      },
    ],
  };
}

/** Vega-Lite spec: excess error vs n, one line per L (THEORY.md section 5). */
export function theoryVsNSpec(points: TheoryPoint[], model: ModelParams, schedule: string, markerNs: number[]): TopLevelSpec {
  const markers = new Set(markerNs);
  return excessPanel({
    title: 'Deterministic risk: excess test error vs training samples, one line per L',
    model,
    schedule,
    data: points.map((p) => ({ ...p, marker: markers.has(p.n) })),
    x: { field: 'n', type: 'quantitative', scale: { type: 'log', nice: false, padding: 8 }, title: 'n (training samples)', axis: { format: '~s' } },
    series: { field: 'L', title: 'L (bits per sample)', count: new Set(points.map((p) => p.L)).size },
    lineDetail: true,
    markerFilter: 'datum.marker',
  });
}

/** Vega-Lite spec: excess error vs L, one line per n (THEORY.md section 5). */
export function theoryVsLSpec(points: TheoryPoint[], model: ModelParams, schedule: string): TopLevelSpec {
  const data = points.map((p) => ({ ...p, nRounded: Math.round(p.n) }));
  return excessPanel({
    title: 'Deterministic risk: excess test error vs bits per sample, one line per n',
    model,
    schedule,
    data,
    x: { field: 'L', type: 'quantitative', scale: { type: 'log', nice: false, padding: 12 }, title: 'L (bits per sample = kept coordinates)' },
    series: { field: 'nRounded', title: 'n (training samples)', count: new Set(data.map((p) => p.nRounded)).size },
  });
}

/** Write `<prefix>-theory-vs-n` and `<prefix>-theory-vs-L` (.vl.json, .svg, .png) into dir (THEORY.md section 7). */
export async function writeTheoryFigures(opts: {
  dir: string;
  prefix: string;
  points: TheoryPoint[];
  vsLPoints: TheoryPoint[];
  markerNs: number[];
  model: ModelParams;
  schedule: string;
  provenance: Provenance;
  sources: FigureSource[];
}): Promise<WrittenFigure[]> {
  const { model, schedule } = opts;
  const a = await writeFigure({
    dir: opts.dir,
    name: `${opts.prefix}-theory-vs-n`,
    spec: theoryVsNSpec(opts.points, model, schedule, opts.markerNs),
    meta: {
      provenance: opts.provenance,
      sources: opts.sources,
      caption: 'Figure-6 theory lines: Lemma-1 deterministic risk minus tau^2 against n for each L = 2^m - 1, minimised over the paper\'s lambda0 grid with the Theorem-1 schedule. Each line flattens at the compression floor K_m ~ L^-beta; markers sit at the simulation sample sizes.',
    },
  });
  const b = await writeFigure({
    dir: opts.dir,
    name: `${opts.prefix}-theory-vs-L`,
    spec: theoryVsLSpec(opts.vsLPoints, model, schedule),
    meta: {
      provenance: opts.provenance,
      sources: opts.sources,
      caption: 'Figure-6 theory lines against bits per sample: Lemma-1 deterministic risk minus tau^2 against L for the simulation sample sizes n; larger L lowers the compression error until the statistical error at that n dominates.',
    },
  });
  return [a, b];
}
