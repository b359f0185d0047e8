import type { TopLevelSpec } from 'vega-lite';
import type { StorageTestRow } from '../sweep/storageTest.js';

/**
 * The paired storage test (THEORY.md section 6): per budget, the per-seed differences
 * baseline error - scaling-optimal error (points) against each baseline, with their mean and
 * Student-t 95% interval; right of zero means scaling-optimal wins.
 */
export function storageTestFigureSpec(rows: StorageTestRow[], title: string, subtitle: string): TopLevelSpec {
  const label = (r: StorageTestRow): string => `${r.budgetFraction !== null ? `${(100 * r.budgetFraction).toPrecision(2)}%` : `${Math.round(r.budget)} B`}: vs ${r.baseline}`;
  const seeds = rows.flatMap((r) => r.diffs.map((d, i) => ({ row: label(r), diffPts: Math.round(d * 1e5) / 1e3, seed: r.pairedSeeds[i] })));
  const means = rows.map((r) => ({ row: label(r), mean: Math.round(r.meanDiff * 1e5) / 1e3, lo: Math.round(r.ciLow * 1e5) / 1e3, hi: Math.round(r.ciHigh * 1e5) / 1e3, p: Number(r.pValue.toPrecision(2)) }));
  const y = { field: 'row', type: 'nominal' as const, sort: rows.map(label), title: 'budget (share of the lossless pool): baseline' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle },
    width: 420,
    height: { step: 28 },
    layer: [
      { data: { values: [{ x: 0 }] }, mark: { type: 'rule', color: '#444' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      {
        data: { values: seeds },
        mark: { type: 'point', opacity: 0.5, size: 20, shape: 'circle' },
        encoding: { x: { field: 'diffPts', type: 'quantitative', title: 'baseline error - scaling-optimal error (percentage points; > 0: scaling-optimal wins)' }, y, yOffset: { value: 0 }, tooltip: [{ field: 'seed', type: 'quantitative' }, { field: 'diffPts', type: 'quantitative' }] },
      },
      { data: { values: means }, mark: { type: 'rule', strokeWidth: 2.5, color: '#b5179e' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, y } },
      {
        data: { values: means },
        mark: { type: 'tick', thickness: 3, color: '#b5179e' },
        encoding: { x: { field: 'mean', type: 'quantitative' }, y, tooltip: [{ field: 'mean', type: 'quantitative' }, { field: 'lo', type: 'quantitative' }, { field: 'hi', type: 'quantitative' }, { field: 'p', type: 'quantitative' }] },
      },
    ],
  };
}
