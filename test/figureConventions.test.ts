import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type TopLevelSpec } from 'vega-lite';
import { applyFigureConventions, axisUnit } from '../src/figures/conventions.js';
import { renderSvg } from '../src/figures/render.js';
import { fitSpecToWidth } from '../src/report/browser/fitWidth.js';
import { formatBytes, parseSize } from '../src/plan/size.js';
import { distanceForBytes } from '../src/plan/sizeCurve.js';

/**
 * Figure conventions (human ticks, aligned panels, legend highlight), page-width fitting and
 * the size parser, checked through an independent route: the tick labels are read back from
 * the SVG that vega itself renders from the transformed spec.
 */
function tickLabels(svg: string, axis: 'X' | 'Y'): string[] {
  const start = svg.indexOf(`aria-label="${axis}-axis`);
  expect(start, `${axis} axis in the SVG`).toBeGreaterThanOrEqual(0);
  const group = svg.slice(start, svg.indexOf('role-axis-title', start));
  return [...group.matchAll(/<text[^>]*?(?:opacity="([\d.]+)")?[^>]*>([^<]*)<\/text>/g)].filter((m) => m[1] !== '0' && m[2].trim() !== '').map((m) => m[2]);
}

const spec = (xTitle: string, xDomain: [number, number], yTitle: string, yDomain: [number, number]): TopLevelSpec => {
  const values = [{ x: xDomain[0], y: yDomain[0], s: 'a' }, { x: xDomain[1], y: yDomain[1], s: 'b' }];
  return JSON.parse(JSON.stringify({
    title: 't', width: 500, height: 300, data: { values },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: { type: 'log', domain: xDomain, nice: false }, axis: { format: '.0e' } },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { type: 'log', domain: yDomain, nice: false } },
      color: { field: 's', type: 'nominal', title: 'series' },
    },
  })) as TopLevelSpec;
};

describe('figure conventions', () => {
  it('classifies axis titles by unit', () => {
    expect(axisUnit('storage budget S (bytes, log)')).toBe('bytes');
    expect(axisUnit('bytes per image L (log)')).toBe('bytes');
    expect(axisUnit('storage S (bytes; stylized model: kept coordinates)')).toBe('count');
    expect(axisUnit('training images n (log)')).toBe('count');
    expect(axisUnit('number of training samples n')).toBe('count');
    expect(axisUnit('bits per sample L')).toBe('count');
    expect(axisUnit('test error (%)')).toBe('plain');
  });

  it('size axes read 1 KB .. 10 GB, count axes 1k .. 1M, other log axes plain numbers; never e-notation', async () => {
    const svg = await renderSvg(applyFigureConventions(spec('storage budget S (bytes)', [1e3, 1e10], 'excess error', [1e-3, 1])));
    const x = tickLabels(svg, 'X');
    expect(x).toContain('1 KB');
    expect(x).toContain('10 MB');
    expect(x).toContain('10 GB');
    for (const t of x) expect(t).toMatch(/^\d+(\.\d+)? (B|KB|MB|GB)$/);
    const y = tickLabels(svg, 'Y');
    expect(y).toContain('0.001');
    expect(y).toContain('0.1');
    expect(y.join(' ')).not.toMatch(/e[+-]/);
    const svg2 = await renderSvg(applyFigureConventions(spec('training images n', [100, 1e6], 'bytes per image L', [100, 500])));
    const x2 = tickLabels(svg2, 'X');
    expect(x2).toEqual(expect.arrayContaining(['100', '1k', '10k', '100k', '1M']));
    // A narrow log axis (less than 20x) labels every tick, with units.
    const y2 = tickLabels(svg2, 'Y');
    expect(y2).toEqual(expect.arrayContaining(['100 B', '200 B', '300 B', '500 B']));
    // Without the conventions the same spec has e-notation ticks: the check can fail.
    expect(tickLabels(await renderSvg(spec('storage budget S (bytes)', [1e3, 1e10], 'e', [1e-3, 1])), 'X').join(' ')).toMatch(/e\+/);
  });

  it('adds a legend-bound highlight that fades the other series, and the spec compiles', () => {
    const raw = JSON.parse(JSON.stringify(spec('n', [1, 100], 'e', [0.1, 1]))) as { params?: unknown[]; encoding: { opacity?: { condition: { param: string } } } };
    const out = applyFigureConventions(raw);
    expect(out.params).toEqual([{ name: expect.stringMatching(/^highlight_/), select: { type: 'point', fields: ['s'] }, bind: 'legend' }]);
    expect(out.encoding.opacity?.condition.param).toMatch(/^highlight_/);
    expect(() => compile(JSON.parse(JSON.stringify(out)))).not.toThrow();
    // The output depends on the spec alone, not on how many specs were drawn before it.
    const again = applyFigureConventions(JSON.parse(JSON.stringify(spec('n', [1, 100], 'e', [0.1, 1]))));
    expect(JSON.stringify(again)).toBe(JSON.stringify(out));
  });

  it('gives every y axis the same label room so stacked and side-by-side panels align', () => {
    const two = { hconcat: [spec('n', [1, 10], 'e', [1, 1e6]), spec('n', [1, 10], 'e', [0.5, 0.6])] };
    const out = applyFigureConventions(two) as { hconcat: { encoding: { y: { axis: { minExtent: number } } } }[] };
    expect(out.hconcat[0].encoding.y.axis.minExtent).toBe(out.hconcat[1].encoding.y.axis.minExtent);
  });
});

describe('page-width fitting', () => {
  it('a single view fills the width less axes and legend; panels share it equally', () => {
    const one = fitSpecToWidth(spec('n', [1, 10], 'e', [1, 2]), 1200) as { width: number };
    expect(one.width).toBeGreaterThan(900);
    expect(one.width).toBeLessThan(1200);
    const two = fitSpecToWidth({ hconcat: [{ width: 300, mark: 'point' }, { vconcat: [{ width: 300, mark: 'point' }, { width: 300, mark: 'point' }] }] }, 1200) as { hconcat: [{ width: number }, { vconcat: { width: number }[] }] };
    expect(two.hconcat[0].width).toBe(two.hconcat[1].vconcat[0].width);
    expect(two.hconcat[1].vconcat[1].width).toBe(two.hconcat[1].vconcat[0].width);
    expect(2 * two.hconcat[0].width).toBeLessThan(1200);
    fc.assert(fc.property(fc.integer({ min: 300, max: 4000 }), fc.integer({ min: 1, max: 4 }), (px, k) => {
      const s = fitSpecToWidth({ hconcat: Array.from({ length: k }, () => ({ width: 100, mark: 'point' })) }, px) as { hconcat: { width: number }[] };
      const w = s.hconcat.map((p) => p.width);
      return w.every((x) => x === w[0]) && (w[0] === 200 || k * w[0] + k * 72 + (k - 1) * 24 <= px);
    }));
  });
});

describe('sizes', () => {
  it('parseSize(n + unit) is n times the unit, and formatBytes reads it back', () => {
    const units: [string, number][] = [['', 1], ['B', 1], ['KB', 1e3], ['MB', 1e6], ['GB', 1e9], ['KiB', 1024], ['MiB', 1024 ** 2]];
    fc.assert(fc.property(fc.integer({ min: 1, max: 999 }), fc.constantFrom(...units), (n, [u, f]) => parseSize('--budget', `${n}${u}`) === n * f));
    fc.assert(fc.property(fc.integer({ min: 1, max: 999 }), fc.constantFrom<[string, number]>(['B', 1], ['KB', 1e3], ['MB', 1e6], ['GB', 1e9]), (n, [u, f]) => formatBytes(n * f) === `${n} ${u}`));
  });

  it('distanceForBytes inverts a power-law size curve exactly between its points', () => {
    // mean bytes = 400 d^-0.5: log-linear, so interpolation in log-log is exact.
    const curve = [0.5, 1, 2, 4, 8].map((d) => ({ distance: d, meanBytes: 400 * d ** -0.5, count: 10 }));
    fc.assert(fc.property(fc.double({ min: 0.51, max: 7.9, noNaN: true }), (d) => Math.abs(distanceForBytes(curve, 400 * d ** -0.5).distance / d - 1) < 1e-12));
    expect(distanceForBytes(curve, 1000).status).toBe('above-range');
    expect(distanceForBytes(curve, 10).status).toBe('below-range');
  });
});
