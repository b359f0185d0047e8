import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { regenerateSet } from '../src/report/regenerateFigures.js';
import type { FigureSet } from '../src/figures/figureSet.js';
import { describeSource, writeFigure } from '../src/figures/render.js';
import { provenance, repoRoot } from '../src/provenance.js';
import { checkFigureFreshness } from '../src/report/freshness.js';
import { discoverFigures } from '../src/report/discover.js';
import { galleryMarkdown, writeGallery } from '../src/report/gallery.js';

const figuresDir = join(repoRoot, 'figures');
const galleryPath = join(repoRoot, 'docs', 'gallery.md');

describe('committed figures are fresh', () => {
  it('every figures/*.vl.json still matches the sha256 of its source data, has its .svg, and is in the gallery', () => {
    const r = checkFigureFreshness(figuresDir, galleryPath);
    if (r.unverifiable.length) console.warn(`sources outside the repo not present here (not verified): ${r.unverifiable.join('; ')}`);
    expect(r.problems, r.problems.join('\n')).toEqual([]);
  });

  it('every committed figure follows the figure conventions (title, axis titles, tooltip, legends, log axes, provenance, caption)', () => {
    const problems: string[] = [];
    const figs = discoverFigures(figuresDir, problems);
    const bad = figs.filter((f) => f.warnings.length).map((f) => `${f.name}: ${f.warnings.join('; ')}`);
    expect([...problems, ...bad], [...problems, ...bad].join('\n')).toEqual([]);
  });

  it('docs/gallery.md is exactly what `npm run figures` would write now (titles and captions too)', () => {
    const { markdown } = galleryMarkdown(figuresDir, galleryPath);
    expect(existsSync(galleryPath), 'docs/gallery.md missing: run `npm run figures`').toBe(true);
    expect(readFileSync(galleryPath, 'utf8'), 'docs/gallery.md is stale: run `npm run figures`').toBe(markdown);
  });
});

/** A one-figure set over a data file, like the real src/figures/<group>.ts modules. */
function tinySet(source: string): FigureSet {
  return {
    name: 'tiny',
    description: 'test figure',
    async regenerate(outDir) {
      const rows = JSON.parse(readFileSync(source, 'utf8')) as { n: number; err: number }[];
      const spec = { title: 'tiny', data: { values: rows }, mark: { type: 'point', tooltip: true }, encoding: { x: { field: 'n', type: 'quantitative', title: 'n (samples)' }, y: { field: 'err', type: 'quantitative', title: 'error' } } } as TopLevelSpec;
      return [await writeFigure({ dir: outDir, name: 'tiny-fig', spec, meta: { provenance: provenance({ seed: 1 }), sources: [describeSource(source)], caption: 'A tiny figure.' }, png: false })];
    },
  };
}

describe('the freshness check and regeneration can fail', () => {
  it('detects a changed source, a missing source, a missing SVG and a figure missing from the gallery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fresh-'));
    const source = join(dir, 'data.json');
    writeFileSync(source, JSON.stringify([{ n: 1, err: 0.5 }, { n: 2, err: 0.4 }]));
    const figs = join(dir, 'figures');
    const gallery = join(dir, 'docs', 'gallery.md');
    await regenerateSet('tiny', tinySet(source), figs);
    writeGallery(figs, gallery);
    expect(checkFigureFreshness(figs, gallery, dir).problems).toEqual([]);
    expect(readFileSync(gallery, 'utf8')).toContain('![tiny](../figures/tiny-fig.svg)');

    writeFileSync(source, JSON.stringify([{ n: 1, err: 0.5 }, { n: 2, err: 0.3 }]));
    expect(checkFigureFreshness(figs, gallery, dir).problems.join('\n')).toMatch(/source .*data\.json changed since the figure was made/);
    rmSync(source);
    expect(checkFigureFreshness(figs, gallery, dir).problems.join('\n')).toMatch(/data\.json is missing/);
    writeFileSync(source, JSON.stringify([{ n: 1, err: 0.5 }, { n: 2, err: 0.4 }]));
    expect(checkFigureFreshness(figs, gallery, dir).problems).toEqual([]);

    rmSync(join(figs, 'tiny-fig.svg'));
    expect(checkFigureFreshness(figs, gallery, dir).problems.join('\n')).toMatch(/tiny-fig\.svg is missing/);
    writeFileSync(gallery, '# empty gallery\n');
    expect(checkFigureFreshness(figs, gallery, dir).problems.join('\n')).toMatch(/does not show tiny-fig\.svg/);
  });

  it('regeneration keeps unchanged figures byte-identical and rewrites changed ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regen-'));
    const source = join(dir, 'data.json');
    writeFileSync(source, JSON.stringify([{ n: 1, err: 0.5 }]));
    const figs = join(dir, 'figures');
    expect((await regenerateSet('tiny', tinySet(source), figs)).written.map((w) => w.status)).toEqual(['new']);
    const first = readFileSync(join(figs, 'tiny-fig.vl.json'), 'utf8');
    await new Promise((r) => setTimeout(r, 5)); // a later provenance time
    expect((await regenerateSet('tiny', tinySet(source), figs)).written.map((w) => w.status)).toEqual(['unchanged']);
    expect(readFileSync(join(figs, 'tiny-fig.vl.json'), 'utf8')).toBe(first);
    writeFileSync(source, JSON.stringify([{ n: 1, err: 0.25 }]));
    expect((await regenerateSet('tiny', tinySet(source), figs)).written.map((w) => w.status)).toEqual(['changed']);
    expect(readFileSync(join(figs, 'tiny-fig.vl.json'), 'utf8')).not.toBe(first);
    // A failing set is reported, not thrown.
    const broken: FigureSet = { name: 'broken', description: '', regenerate: async () => { throw new Error('no results yet'); } };
    expect(await regenerateSet('broken', broken, figs)).toEqual({ set: 'broken', written: [], error: 'no results yet' });
  });
});

describe('gallery markdown', () => {
  it('escapes markdown emphasis in titles and captions (n*(S), R_det)', async () => {
    const { mdEscape } = await import('../src/report/gallery.js');
    expect(mdEscape('optimal n*(S) and L*(S), R_det  [x]')).toBe('optimal n\\*(S) and L\\*(S), R\\_det \\[x\\]');
  });
});
