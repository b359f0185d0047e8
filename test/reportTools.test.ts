import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildReport } from '../src/report/buildReport.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../src/report/browserCheck.js';
import { repoRoot } from '../src/provenance.js';
import { runCli } from './cliHarness.js';

/**
 * The report's planner and theory explorer in headless Chromium (playwright-core): typed
 * budgets and model parameters give the numbers `lossyscale optimize`, `exponents` and
 * `risk` print for the same inputs; invalid inputs show the CLI's one-line message and draw
 * nothing; no console errors, no network; one screenshot per section in
 * runs/test-artifacts/report-tools/ (or $LOSSYSCALE_TEST_ARTIFACTS).
 */
const artifacts = process.env.LOSSYSCALE_TEST_ARTIFACTS ?? join(repoRoot, 'runs', 'test-artifacts', 'report-tools');
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const network: string[] = [];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const out = mkdtempSync(join(tmpdir(), 'report-tools-'));
  buildReport({ outDir: out });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data|blob|about):/.test(r.url())) network.push(r.url());
  });
  await page.goto(pathToFileURL(join(out, 'index.html')).href, { waitUntil: 'load' });
  await page.waitForFunction('window.__lossyscaleTools && window.__lossyscaleTools.ready === true', undefined, { timeout: 20_000 });
});
afterAll(async () => {
  await browser?.close();
});

async function type(testid: string, value: string, tool: 'planner' | 'explorer'): Promise<void> {
  const counter = tool === 'planner' ? 'window.__lossyscaleTools.planner[document.querySelector(".planner").dataset.planner].updates' : 'window.__lossyscaleTools.explorer.updates';
  const before = (await page.evaluate(counter)) as number;
  if ((await page.inputValue(sel(testid))) === value) return;
  await page.fill(sel(testid), value);
  await page.waitForFunction(`${counter} > ${before}`);
}
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
/** A test id's element; the planner's within the first planner (the report has one per fitted real-data law). */
function sel(testid: string): string {
  return testid.startsWith('planner-') ? `.planner >> nth=0 >> [data-testid="${testid}"]` : `[data-testid="${testid}"]`;
}
const text = async (testid: string): Promise<string> => ((await page.textContent(sel(testid))) ?? '').trim();
const svgIn = async (testid: string): Promise<number> => (await page.$$(`${sel(testid)} svg`)).length;

describe('report planner and theory explorer in Chromium', () => {
  it('the planner shows what lossyscale optimize computes for the same law and budget', async () => {
    for (const [budget, available] of [['2.5MB', ''], ['500KB', ''], ['12345678', '3000'], ['40KB', '']]) {
      await type('planner-storage', budget, 'planner');
      await type('planner-available', available, 'planner');
      expect(await text('planner-message')).toBe('');
      const last = (await page.evaluate('window.__lossyscaleTools.planner[document.querySelector(".planner").dataset.planner].last')) as { command: string; n: number; L: number; error: number; distance: number; storage: number };
      const args = last.command.split(' ').slice(1);
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      const [o] = r.stdout.trim().split('\n').map((l) => JSON.parse(l)) as { n: number; L: number; error: number; storage: number }[]; // JSON lines: one per budget
      // The page computes with the CLI's own code. Chromium's and Node's V8 need not agree to
      // the last bit (Math.log and Math.pow are not required to be correctly rounded), so the
      // floats are compared to 1e-12 relative: a few ulps, far below any difference of method.
      expect(last.storage).toBe(o.storage);
      expect(last.n).toBe(o.n);
      expect(rel(last.L, o.L)).toBeLessThan(1e-12);
      expect(rel(last.error, o.error)).toBeLessThan(1e-12);
      // And the shown text is the plain number (6 significant digits).
      expect(Number(await text('planner-n'))).toBe(o.n);
      expect(Number(await text('planner-L'))).toBeCloseTo(o.L, 6 - Math.ceil(Math.log10(o.L)));
      expect(Number(await text('planner-error'))).toBeCloseTo(o.error, 6);
      expect(Number(await text('planner-d'))).toBeGreaterThanOrEqual(0);
      expect(await text('planner-band')).toMatch(/%.*%/);
      expect(await text('planner-original')).toMatch(/×/);
      expect(await svgIn('planner-chart')).toBe(1);
      if (available) expect(o.n).toBeLessThanOrEqual(Number(available));
    }
    await type('planner-storage', '2.5MB', 'planner');
    await page.locator('#planner').screenshot({ path: join(artifacts, 'planner.png') });
    expect(statSync(join(artifacts, 'planner.png')).size).toBeGreaterThan(10_000);
  });

  it('an invalid budget shows the message lossyscale plan prints, and no chart', async () => {
    for (const bad of ['abc', '-5MB', '12 parsecs']) {
      await type('planner-storage', bad, 'planner');
      const r = await runCli(['plan', '--dataset', 'fashion-mnist', '--out', join(tmpdir(), 'never'), `--budget=${bad}`]);
      expect(r.code).toBe(2);
      expect(await text('planner-message')).toBe(r.stderr.trim());
      expect(await text('planner-n')).toBe('');
      expect(await svgIn('planner-chart')).toBe(0);
    }
    await type('planner-storage', '2.5MB', 'planner');
  });

  it('the explorer shows what lossyscale exponents and risk print', async () => {
    for (const [p, q, r, tau] of [['2.01', '2', '0.99', '1'], ['3', '2', '1.5', '0.5'], ['5', '4', '0.2', '0']]) {
      await type('explorer-p', p, 'explorer');
      await type('explorer-q', q, 'explorer');
      await type('explorer-r', r, 'explorer');
      await type('explorer-tau', tau, 'explorer');
      expect(await text('explorer-message')).toBe('');
      const e = JSON.parse((await runCli(['exponents', '--p', p, '--q', q, '--r', r, '--json'])).stdout) as Record<string, number | string>;
      const shown = (await page.evaluate('window.__lossyscaleTools.explorer.last.exponents')) as Record<string, number | string>;
      expect(shown.regime).toBe(e.regime);
      for (const k of Object.keys(e)) if (typeof e[k] === 'number') expect(rel(shown[k] as number, e[k] as number), k).toBeLessThan(1e-12);
      for (const k of ['alphaOptimal', 'alphaTheorem', 'beta']) expect(Number(await text(`explorer-${k}`)), k).toBeCloseTo(e[k] as number, 5);
      expect(await text('explorer-regime')).toBe(e.regime);
      for (const [m, n] of [[1, 100], [3, 10000], [6, 1000000]]) {
        const c = await runCli(['risk', '--p', p, '--q', q, '--r', r, '--tau', tau, '--n', String(n), '--m', String(m), '--lambda', 'opt', '--json']);
        expect(c.code, c.stderr).toBe(0);
        const risk = (JSON.parse(c.stdout) as { risk: number }).risk;
        const cell = Number(await text(`explorer-risk-m${m}-n${n}`));
        expect(Math.abs(cell - risk) / risk, `m=${m} n=${n}`).toBeLessThan(1e-5);
        const row = ((await page.evaluate('window.__lossyscaleTools.explorer.last.rows')) as { n: number; m: number; risk: number }[]).find((x) => x.m === m && Math.abs(x.n - n) < 1e-6 * n)!;
        expect(Math.abs(row.risk - risk) / risk).toBeLessThan(1e-12);
      }
      expect(await svgIn('explorer-chart')).toBe(1);
    }
    await type('explorer-p', '2.01', 'explorer');
    await type('explorer-q', '2', 'explorer');
    await type('explorer-r', '0.99', 'explorer');
    await type('explorer-tau', '1', 'explorer');
    await page.locator('#theory-explorer').screenshot({ path: join(artifacts, 'explorer.png') });
    expect(statSync(join(artifacts, 'explorer.png')).size).toBeGreaterThan(10_000);
  });

  it('invalid model parameters show the CLI message and draw nothing', async () => {
    const cases: [string, string, string, string, string[]][] = [
      ['1.5', '2', '0.99', '1', ['exponents', '--p', '1.5', '--q', '2', '--r', '0.99']],
      ['2', '2', '0.99', '1', ['exponents', '--p', '2', '--q', '2', '--r', '0.99']],
      ['2.01', '2', '2.01', '1', ['exponents', '--p', '2.01', '--q', '2', '--r', '2.01']],
      ['2.01', '2', '3', '1', ['risk', '--p', '2.01', '--q', '2', '--r', '3', '--tau', '1', '--n', '10', '--m', '1', '--lambda', 'opt']],
      ['2.01', '2', '0.99', '-1', ['risk', '--p', '2.01', '--q', '2', '--r', '0.99', '--tau=-1', '--n', '10', '--m', '1', '--lambda', 'opt']],
      ['abc', '2', '0.99', '1', ['exponents', '--p', 'abc', '--q', '2', '--r', '0.99']],
    ];
    for (const [p, q, r, tau, args] of cases) {
      await type('explorer-p', p, 'explorer');
      await type('explorer-q', q, 'explorer');
      await type('explorer-r', r, 'explorer');
      await type('explorer-tau', tau, 'explorer');
      const c = await runCli(args);
      expect(c.code).toBe(2);
      expect(await text('explorer-message')).toBe(c.stderr.trim());
      expect(await text('explorer-alphaOptimal')).toBe('');
      expect(await svgIn('explorer-chart')).toBe(0);
    }
    await page.locator('#theory-explorer').screenshot({ path: join(artifacts, 'explorer-invalid.png') });
    await type('explorer-p', '2.01', 'explorer');
    await type('explorer-r', '0.99', 'explorer');
    await type('explorer-tau', '1', 'explorer');
  });

  it('figures people read: page width, human ticks, no overlapping labels, aligned panels, residual panels', async () => {
    const figs = (await page.evaluate(`(() => [...document.querySelectorAll('figure.fig')].map((f) => {
      const svg = f.querySelector('.chart svg');
      return {
        id: f.id,
        card: f.getBoundingClientRect().width,
        svg: svg ? svg.getBoundingClientRect().width : 0,
        axes: [...f.querySelectorAll('g.role-axis')].filter((a) => a.getAttribute('aria-label')).map((a) => {
          const dom = a.querySelector('g.role-axis-domain line, g.role-axis-domain path');
          return {
            label: a.getAttribute('aria-label'),
            domain: dom ? dom.getBoundingClientRect().toJSON() : null,
            labels: [...a.querySelectorAll('g.role-axis-label text')].filter((t) => (t.textContent || '').trim() !== '' && Number(getComputedStyle(t).opacity) > 0 && t.getAttribute('opacity') !== '0').map((t) => ({ text: t.textContent, box: t.getBoundingClientRect().toJSON() })),
          };
        }),
      };
    }))()`)) as { id: string; card: number; svg: number; axes: { label: string; domain: { x: number; right: number } | null; labels: { text: string; box: { left: number; right: number; top: number; bottom: number } }[] }[] }[];
    expect(figs.length).toBeGreaterThanOrEqual(10);
    for (const f of figs) {
      // Page width: the chart spans most of its full-width card.
      expect(f.svg / f.card, `${f.id}: chart ${f.svg}px in a ${f.card}px card`).toBeGreaterThan(0.8);
      for (const a of f.axes) {
        const texts = a.labels.map((l) => l.text);
        expect(texts.filter((t) => /\de[+-]?\d/.test(t)), `${f.id} ${a.label}: e-notation ticks`).toEqual([]);
        if (/titled '[^']*bytes/i.test(a.label) && !/coordinates|bits/i.test(a.label)) {
          for (const t of texts) expect(t, `${f.id} ${a.label}`).toMatch(/ (B|KB|MB|GB)$/);
        }
        // No two tick labels of one axis overlap.
        const horizontal = /^X-axis/.test(a.label);
        const boxes = a.labels.map((l) => l.box).sort((p, q) => (horizontal ? p.left - q.left : p.top - q.top));
        for (let i = 1; i < boxes.length; i++) {
          if (horizontal) expect(boxes[i].left, `${f.id} ${a.label}: labels ${texts.join(' ')} overlap`).toBeGreaterThanOrEqual(boxes[i - 1].right - 0.5);
          else expect(boxes[i].top, `${f.id} ${a.label}: labels overlap`).toBeGreaterThanOrEqual(boxes[i - 1].bottom - 0.5);
        }
      }
    }
    // Figure 2: the panels of each column share their y-axis line (aligned), two columns.
    const fig2 = figs.find((f) => f.id === 'fig-fig2-optimal-allocation')!;
    const yLines = fig2.axes.filter((a) => /^Y-axis/.test(a.label) && a.domain).map((a) => Math.round(a.domain!.x));
    expect(yLines.length).toBeGreaterThanOrEqual(4);
    expect(new Set(yLines).size, `y-axis lines at ${yLines.join(', ')}`).toBe(2);
    // A residual panel under each fitted law.
    for (const id of ['fig-fmnist-cpu-fig1-scaling', 'fig-fig6-sim-vs-n', 'fig-fig6-sim-vs-L']) {
      const f = figs.find((x) => x.id === id)!;
      expect(f.axes.some((a) => /residual/.test(a.label)), `${id}: no residual panel`).toBe(true);
    }
    await page.locator('#fig-fig2-optimal-allocation').screenshot({ path: join(artifacts, 'figure-2.png') });
  });

  it('clicking a legend entry highlights that series', async () => {
    const sel = '#fig-fmnist-cpu-fig1-scaling';
    const faded = `[...document.querySelectorAll('${sel} g.role-mark path')].filter((p) => Math.abs(Number(getComputedStyle(p).opacity) - 0.15) < 1e-6 || p.getAttribute('opacity') === '0.15').length`;
    expect(await page.evaluate(faded)).toBe(0);
    const entry = page.locator(`${sel} g.role-legend-symbol path`).first();
    await entry.scrollIntoViewIfNeeded();
    await entry.click({ force: true });
    await page.waitForFunction(`${faded} > 0`, undefined, { timeout: 5000 });
    const total = (await page.evaluate(`document.querySelectorAll('${sel} g.role-mark path').length`)) as number;
    const n = (await page.evaluate(faded)) as number;
    expect(n).toBeLessThan(total);
    await page.locator(sel).screenshot({ path: join(artifacts, 'figure-1-highlight.png') });
    await page.keyboard.press('Escape');
  });

  it('logged no console error and requested nothing from the network', () => {
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
    expect(network).toEqual([]);
  });
});
