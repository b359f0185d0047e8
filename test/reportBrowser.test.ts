import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../src/report/buildReport.js';
import { checkReportInBrowser, vegaMarkClass, type BrowserCheck } from '../src/report/browserCheck.js';
import { markTypesOf, type FigureEntry } from '../src/report/discover.js';
import { writeFixtureRun } from './reportFixture.js';

/**
 * The report, opened from a file:// URL in headless Debian Chromium
 * (playwright-core), renders every chart with the marks its spec asks for, logs no console
 * error, requests nothing from the network, shows tooltips, and can be screenshotted.
 */

function figuresOf(r: ReturnType<typeof buildReport>): FigureEntry[] {
  const out: FigureEntry[] = [];
  for (const s of r.model.sections) for (const b of s.blocks) if (b.kind === 'figures') out.push(...b.figures);
  return out;
}

function expectAllRendered(check: BrowserCheck, figures: FigureEntry[]): void {
  expect(check.consoleErrors, check.consoleErrors.join('\n')).toEqual([]);
  expect(check.networkRequests).toEqual([]);
  expect(check.horizontalOverflowPx, 'the page scrolls sideways: something is wider than the window').toBeLessThanOrEqual(0);
  expect(check.grayscaleToggle, 'the Grayscale check button is not clickable or does not toggle').toBe(true);
  expect(check.failed).toEqual([]);
  expect(check.total).toBe(figures.length);
  expect(check.rendered).toBe(figures.length);
  expect(check.charts.map((c) => c.name).sort()).toEqual(figures.map((f) => f.name).sort());
  for (const f of figures) {
    const chart = check.charts.find((c) => c.name === f.name)!;
    expect(chart.hasSvg, `${f.name}: no <svg>`).toBe(true);
    // Every figure is interactive: hovering its marks shows a tooltip (figure conventions).
    expect(chart.tooltip, `${f.name}: hovering its marks shows no tooltip`).toBe(true);
    for (const m of markTypesOf(f.spec)) {
      expect(chart.marks[vegaMarkClass(m)] ?? 0, `${f.name}: no drawn ${m} marks (${JSON.stringify(chart.marks)})`).toBeGreaterThan(0);
    }
  }
}

describe('report in a real browser', () => {
  it('the default report (committed figures and runs) renders every chart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'report-browser-'));
    const r = buildReport({ outDir: out });
    const shot = join(out, 'report.png');
    const check = await checkReportInBrowser(join(out, 'index.html'), { screenshotPath: shot });
    expectAllRendered(check, figuresOf(r));
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });

  it('a run with a corrupt figure still renders its good figures, with tooltips', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-browser-run-'));
    const { runDir } = await writeFixtureRun(dir);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(runDir, 'figures', 'broken.vl.json'), '{"mark": ');
    const r = buildReport({ runs: [runDir], outDir: join(dir, 'out') });
    expect(r.problems.join('\n')).toMatch(/broken\.vl\.json: not valid JSON/);
    const check = await checkReportInBrowser(join(dir, 'out', 'index.html'));
    expect(figuresOf(r)).toHaveLength(2);
    expectAllRendered(check, figuresOf(r));
    expect(check.tooltipShown).toBe(true);
  });
});
