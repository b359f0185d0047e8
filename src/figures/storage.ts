import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoding, Panel, Tooltip, TopLevelSpec } from './vl.js';
import { ResourceError } from '../errors.js';
import { describeSource, writeFigure, type WrittenFigure } from './render.js';
import { provenance, repoRoot, type Provenance } from '../provenance.js';
import { fitAllocationPowerLaw } from '../optimize/allocationPowerLaw.js';
import type { StylizedStudy } from '../optimize/stylizedOptimum.js';
import type { FigureSet } from './figureSet.js';
import { columnIndex, parseCsvTable } from '../io/csv.js';

/**
 * Storage figures (THEORY.md section 7):
 * - fig2-optimal-allocation: paper Figure 2, optimal n*(S) and L*(S) against storage with the
 *   original-format line, for the paper's tasks (its Table 2, joined by the power law
 *   L* = G S^gamma that any additive law implies) and for the stylized model (its own optimum
 *   over integer m, and the continuous optimum of the law fitted to its deterministic risk);
 * - stylized-optimum: the stylized model's optimal excess error against storage, the error of
 *   following the fitted law, a fixed-resolution strategy, and the S^-nu slope of Theorem 1.
 * Both are redrawn from committed files in sims/results/storage/ (no recomputation).
 */
export const STORAGE_RESULTS = join(repoRoot, 'sims', 'results', 'storage');

interface Table2Row {
  task: string;
  storage: number;
  n: number;
  L: number;
  originalBytes: number | null;
}

/** Read the transcribed paper Table 2 (task,storage,n,L,originalBytes). */
export function readPaperTable2(path: string): Table2Row[] {
  if (!existsSync(path)) throw new ResourceError(`missing ${path}`);
  const table = parseCsvTable(readFileSync(path, 'utf8'), path);
  const col = columnIndex(table, ['task', 'storage', 'n', 'L', 'originalBytes'], path);
  const idx = (k: string): number => col[k];
  return table.records.map(({ cells: c }) => {
    return { task: c[idx('task')], storage: Number(c[idx('storage')]), n: Number(c[idx('n')]), L: Number(c[idx('L')]), originalBytes: c[idx('originalBytes')] ? Number(c[idx('originalBytes')]) : null };
  });
}

function logSpace(a: number, b: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => a * (b / a) ** (i / (k - 1)));
}

export interface Fig2Point {
  task: string;
  quantity: 'n* (images)' | 'L* (bytes per image)';
  storage: number;
  value: number;
  series: string;
}

const Q_N = 'n* (images)' as const;
const Q_L = 'L* (bytes per image)' as const;
const SERIES = {
  table: 'scaling-optimal (published optimum)',
  powerLaw: 'scaling-optimal (law)',
  original: 'original format',
  stylizedTrue: 'scaling-optimal (model, integer m)',
} as const;

/** Figure-2 data: paper Table 2 points, their power law, and the original-format line; plus the stylized study. */
export function figure2Data(table: Table2Row[], study: StylizedStudy | null): { points: Fig2Point[]; notes: string[] } {
  const points: Fig2Point[] = [];
  const notes: string[] = [];
  const tasks = [...new Set(table.map((r) => r.task))];
  for (const task of tasks) {
    const rows = table.filter((r) => r.task === task);
    const pl = fitAllocationPowerLaw(rows);
    notes.push(`${task}: gamma = alpha/(alpha+beta) = ${pl.gamma.toFixed(3)}, points within ${(100 * (Math.exp(pl.maxLogResidual) - 1)).toFixed(2)}% of one power law, n* L* = S within ${(100 * (pl.maxBudgetMismatch ?? 0)).toFixed(2)}%`);
    const Ss = rows.map((r) => r.storage);
    const grid = logSpace(Math.min(...Ss) / 2, Math.max(...Ss) * 2, 30);
    for (const r of rows) {
      points.push({ task, quantity: Q_N, storage: r.storage, value: r.n, series: SERIES.table });
      points.push({ task, quantity: Q_L, storage: r.storage, value: r.L, series: SERIES.table });
    }
    for (const S of grid) {
      const L = pl.G * S ** pl.gamma;
      points.push({ task, quantity: Q_N, storage: S, value: S / L, series: SERIES.powerLaw });
      points.push({ task, quantity: Q_L, storage: S, value: L, series: SERIES.powerLaw });
      const orig = rows[0].originalBytes;
      if (orig !== null) {
        points.push({ task, quantity: Q_N, storage: S, value: S / orig, series: SERIES.original });
        points.push({ task, quantity: Q_L, storage: S, value: orig, series: SERIES.original });
      }
    }
  }
  if (study) {
    const task = `Stylized model (p=${study.params.p}, q=${study.params.q}, r=${study.params.r})`;
    for (const r of study.rows) {
      points.push({ task, quantity: Q_N, storage: r.storage, value: r.trueN, series: SERIES.stylizedTrue });
      points.push({ task, quantity: Q_L, storage: r.storage, value: r.trueL, series: SERIES.stylizedTrue });
      points.push({ task, quantity: Q_N, storage: r.storage, value: r.lawN, series: SERIES.powerLaw });
      points.push({ task, quantity: Q_L, storage: r.storage, value: r.lawL, series: SERIES.powerLaw });
    }
    notes.push(`${task}: law fitted to R_det (${study.estimator}, excess form) gives gamma = ${(study.law.params.alpha / (study.law.params.alpha + study.law.params.beta)).toFixed(3)}`);
  }
  return { points, notes };
}

const SERIES_DOMAIN = [SERIES.table, SERIES.powerLaw, SERIES.original, SERIES.stylizedTrue];
// Colour plus dash/shape so the series stay distinguishable in grayscale.
const SERIES_COLORS = ['#1b5e20', '#1f77b4', '#d62728', '#6a3d9a'];

/** Vega-Lite spec of Figure 2 (THEORY.md section 7): rows = tasks; left n*, right L*; log-log. */
export function figure2Spec(points: Fig2Point[], subtitle: string): TopLevelSpec {
  const tasks = [...new Set(points.map((p) => p.task))];
  const color: Encoding['color'] = { field: 'series', type: 'nominal', title: 'allocation', scale: { domain: SERIES_DOMAIN, range: SERIES_COLORS }, legend: { labelLimit: 400 } };
  const x: Encoding['x'] = { field: 'storage', type: 'quantitative', title: 'storage S (bytes; stylized model: kept coordinates)', scale: { type: 'log' }, axis: { format: '.0e' } };
  const tooltip: Tooltip = [
    { field: 'task', type: 'nominal' },
    { field: 'series', type: 'nominal' },
    { field: 'storage', type: 'quantitative', title: 'S (bytes)', format: ',.0f' },
    { field: 'quantity', type: 'nominal' },
    { field: 'value', type: 'quantitative', format: ',.4~r' },
  ];
  const column = (quantity: string, yTitle: string): Panel => ({
    transform: [{ filter: `datum.quantity === '${quantity}'` }],
    facet: { row: { field: 'task', type: 'nominal', title: null, sort: tasks, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold', labelOrient: 'top', labelLimit: 400 } } },
    spec: {
      width: 280,
      height: 150,
      layer: [
        {
          transform: [{ filter: `datum.series !== '${SERIES.table}' && datum.series !== '${SERIES.stylizedTrue}'` }],
          mark: { type: 'line', strokeWidth: 1.6 },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log' } },
            color,
            strokeDash: { field: 'series', type: 'nominal', title: 'allocation', scale: { domain: SERIES_DOMAIN, range: [[1, 0], [1, 0], [6, 3], [1, 0]] }, legend: { labelLimit: 400 } },
            tooltip,
          },
        },
        {
          transform: [{ filter: `datum.series === '${SERIES.table}' || datum.series === '${SERIES.stylizedTrue}'` }],
          mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log' } },
            color,
            shape: { field: 'series', type: 'nominal', title: 'allocation', scale: { domain: SERIES_DOMAIN, range: ['circle', 'stroke', 'stroke', 'square'] }, legend: { labelLimit: 400 } },
            tooltip,
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent', x: 'independent' } },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 2: storage-optimal n*(S) and L*(S), with the original format', subtitle },
    data: { values: points },
    hconcat: [column(Q_N, 'images n (log)'), column(Q_L, 'bytes per image L (log)')],
    config: { legend: { orient: 'bottom', direction: 'vertical' } },
  };
}

/** Vega-Lite spec of the stylized-model optimum figure (THEORY.md sections 1-4). */
export function stylizedOptimumSpec(study: StylizedStudy): TopLevelSpec {
  const e = study.exponents;
  const rows = study.rows;
  // Reference S^-nu line through the geometric middle of the true optimum.
  const mid = rows[Math.floor(rows.length / 2)];
  const values: Record<string, unknown>[] = [];
  for (const r of rows) {
    values.push({ storage: r.storage, excess: r.trueExcess, series: 'model optimum (integer m, optimal lambda)', m: r.trueM, n: r.trueN, L: r.trueL });
    values.push({ storage: r.storage, excess: r.lawMExcess, series: 'following the fitted law (true risk)', m: r.lawM, n: r.lawMN, L: (study.params.q ** r.lawM - 1) / (study.params.q - 1) });
    values.push({ storage: r.storage, excess: r.lawPredictedExcess, series: 'fitted law prediction at its optimum', n: r.lawN, L: r.lawL });
    values.push({ storage: r.storage, excess: 0.5 * mid.trueExcess * (r.storage / mid.storage) ** -e.nuOptimal, series: `reference slope S^-nu, nu = ${e.nuOptimal.toFixed(3)} (Theorem 1; shifted x0.5)` });
  }
  for (const f of study.fixedLevel ?? []) values.push({ storage: f.storage, excess: f.excess, series: `fixed m = ${f.m} (L = ${f.L}, finest Figure-6 level), n = S/L`, n: f.n, L: f.L, m: f.m });
  const domain = [...new Set(values.map((v) => v.series as string))];
  const colors = ['#000000', '#1f77b4', '#2ca02c', '#7f7f7f', '#d62728'];
  const dashes = [[1, 0], [1, 0], [4, 2], [2, 2], [6, 3]];
  const shapes = ['circle', 'triangle-up', 'stroke', 'stroke', 'square'];
  const enc: Encoding = {
    x: { field: 'storage', type: 'quantitative', title: 'storage S (kept coordinates, n L)', scale: { type: 'log' }, axis: { format: '.0e' } },
    y: { field: 'excess', type: 'quantitative', title: 'excess error Err - tau^2 at the allocation', scale: { type: 'log' } },
    color: { field: 'series', type: 'nominal', title: 'allocation', scale: { domain, range: colors.slice(0, domain.length) }, legend: { labelLimit: 500 } },
    tooltip: [
      { field: 'series', type: 'nominal' },
      { field: 'storage', type: 'quantitative', format: '.3~e' },
      { field: 'excess', type: 'quantitative', format: '.4~g' },
      { field: 'm', type: 'quantitative' },
      { field: 'n', type: 'quantitative', format: ',.0f' },
      { field: 'L', type: 'quantitative', format: ',.4~r' },
    ],
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: "The stylized model's own storage optimum vs the law fitted to it",
      subtitle: `p=${study.params.p}, q=${study.params.q}, r=${study.params.r}, tau=${study.params.tau}; measured slope ${study.measuredNu.all.toFixed(4)} vs nu = ${e.nuOptimal.toFixed(4)}; fitted law nu = ${(study.law.nu ?? NaN).toFixed(4)}`,
    },
    width: 520,
    height: 340,
    data: { values },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { ...enc, strokeDash: { field: 'series', type: 'nominal', title: 'allocation', scale: { domain, range: dashes.slice(0, domain.length) }, legend: { labelLimit: 500 } } } },
      { transform: [{ filter: "datum.series === 'model optimum (integer m, optimal lambda)' || datum.series === 'following the fitted law (true risk)' || indexof(datum.series, 'fixed m') === 0" }], mark: { type: 'point', size: 36, filled: false }, encoding: { ...enc, shape: { field: 'series', type: 'nominal', title: 'allocation', scale: { domain, range: shapes.slice(0, domain.length) }, legend: { labelLimit: 500 } } } },
    ],
    config: { legend: { orient: 'bottom', direction: 'vertical' } },
  };
}

/** Write fig2-optimal-allocation and stylized-optimum from the committed storage results. */
export async function writeStorageFigures(outDir: string, resultsDir = STORAGE_RESULTS): Promise<WrittenFigure[]> {
  const tablePath = join(resultsDir, 'paper-table2.csv');
  const studyPath = join(resultsDir, 'stylized-study.json');
  const table = readPaperTable2(tablePath);
  const study = existsSync(studyPath) ? (JSON.parse(readFileSync(studyPath, 'utf8')) as StylizedStudy & { provenance?: Provenance }) : null;
  const prov = provenance({ command: 'npm run figures (src/figures/storage.ts)', config: { resultsDir: 'sims/results/storage' } });
  const out: WrittenFigure[] = [];
  const { points, notes } = figure2Data(table, study);
  out.push(
    await writeFigure({
      dir: outDir,
      name: 'fig2-optimal-allocation',
      spec: figure2Spec(points, 'log-log; published optima (points) lie on one power law L* = G S^gamma, n* = S/L*; original format: every image lossless, n = S/L_orig'),
      meta: {
        provenance: prov,
        sources: [describeSource(tablePath), ...(study ? [describeSource(studyPath)] : [])],
        caption: `Figure 2. Storage-optimal number of images n*(S) (left) and bytes per image L*(S) (right) against storage S, beside the original-format choice (red dashed: every image kept lossless, n = S / L_orig; iSAID's original size is missing from the paper text). Paper tasks: the published optima of Table 2 (points) and the power law they follow (line). ${notes.join('; ')}. The optimum keeps several times more images than the original format at every budget.`,
      },
    }),
  );
  if (study) {
    out.push(
      await writeFigure({
        dir: outDir,
        name: 'stylized-optimum',
        spec: stylizedOptimumSpec(study),
        meta: {
          provenance: { ...prov, study: study.provenance ?? null } as Provenance,
          sources: [describeSource(studyPath)],
          caption: `The stylized model's own optimum at storage S: deterministic risk (Lemma 1) with optimal lambda, minimised over integer m with n = floor(S / L(m)) (black). Blue: the true excess error when the level is chosen by the optimum of an excess-form law fitted (${study.estimator}) to R_det on the Figure-6 grid (n = 100..1e5, m = 2..9); green dashed: that law's own prediction. The law picks the model's level at ${study.rows.filter((r) => r.lawM === r.trueM).length} of ${study.rows.length} budgets (worst regret ${(100 * Math.max(...study.rows.map((r) => r.regret))).toFixed(1)}%). Measured storage exponent ${study.measuredNu.all.toFixed(4)} (upper half of the range ${study.measuredNu.upperHalf.toFixed(4)}) vs nu = alpha_opt beta/(alpha_opt + beta) = ${study.exponents.nuOptimal.toFixed(4)} from Theorem 1 (grey dotted reference slope, shifted down by 2 for visibility); red: every sample at the finest Figure-6 level m = 9 (L = 511), the analogue of keeping the original format; the fitted law's nu = ${(study.law.nu ?? NaN).toFixed(4)}.`,
        },
      }),
    );
  }
  return out;
}

export const figureSet: FigureSet = {
  name: 'storage',
  description: 'Figure 2 (optimal n*, L* vs storage with the original format: paper Table 2 and the stylized model) and the stylized-model optimum (fig2-optimal-allocation, stylized-optimum)',
  regenerate: (outDir: string) => writeStorageFigures(outDir),
};
