import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ResourceError } from '../errors.js';

/**
 * Open a built report in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core), wait for every chart, and report what rendered.
 * Used by test/reportBrowser.test.ts and by `node --import tsx src/report/browserCheck.ts`
 * (which refreshes docs/report-screenshot.png). playwright-core is a dev dependency.
 */

export const CHROMIUM_PATH = process.env.LOSSYSCALE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ChartCheck {
  id: string;
  name: string;
  /** Number of SVG elements per Vega mark class (`mark-symbol`, `mark-line`, ...) with at least one item. */
  marks: Record<string, number>;
  hasSvg: boolean;
  /** Whether hovering one of its data marks showed a tooltip (null: nothing to hover). */
  tooltip?: boolean | null;
}

export interface BrowserCheck {
  total: number;
  rendered: number;
  failed: { id: string; name: string; message: string }[];
  consoleErrors: string[];
  /** Requests to anything but file:/data:/blob: URLs (the report must not need the network). */
  networkRequests: string[];
  charts: ChartCheck[];
  /** How far the page is wider than the window (0: no horizontal scrolling of the whole page). */
  horizontalOverflowPx: number;
  /** Whether the header's grayscale toggle is clickable and switches the page to grayscale. */
  grayscaleToggle: boolean;
  /** Whether any chart showed a tooltip on hover (null: no chart had a hoverable mark). */
  tooltipShown: boolean | null;
}

/** Vega-Lite mark type to the Vega scenegraph mark class it renders as. */
export function vegaMarkClass(vlMark: string): string {
  const m: Record<string, string> = { point: 'symbol', circle: 'symbol', square: 'symbol', bar: 'rect', tick: 'rect', rect: 'rect', errorbar: 'rule', errorband: 'area', boxplot: 'rect' };
  return `mark-${m[vlMark] ?? vlMark}`;
}

export async function checkReportInBrowser(htmlPath: string, opts: { screenshotPath?: string; fullPage?: boolean; width?: number; height?: number; timeoutMs?: number } = {}): Promise<BrowserCheck> {
  if (!existsSync(CHROMIUM_PATH)) throw new ResourceError(`Chromium not found at ${CHROMIUM_PATH} (install it: sudo apt-get install chromium, or bash scripts/setup.sh --test)`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1440, height: opts.height ?? 1000 }, deviceScaleFactor: 1 });
    const consoleErrors: string[] = [];
    const networkRequests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data|blob|about):/.test(r.url())) networkRequests.push(r.url());
    });
    await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load' });
    // Browser-side code is passed as strings: this project compiles without the DOM lib.
    await page.waitForFunction('window.__lossyscale && window.__lossyscale.done === true', undefined, { timeout: opts.timeoutMs ?? 20_000 });
    const state = (await page.evaluate('window.__lossyscale')) as { total: number; rendered: { id: string; name: string }[]; failed: { id: string; name: string; message: string }[] };
    const charts = (await page.evaluate(`(() => {
      const out = [];
      document.querySelectorAll('div.chart').forEach((el) => {
        const marks = {};
        // Data marks only (role-mark), not axes, legends or titles.
        el.querySelectorAll('g.role-mark').forEach((g) => {
          const cls = [...g.classList].find((c) => c.startsWith('mark-'));
          if (!cls || cls === 'mark-group') return;
          const items = g.querySelectorAll(':scope > path, :scope > line, :scope > rect, :scope > text, :scope > image').length;
          if (items > 0) marks[cls] = (marks[cls] || 0) + items;
        });
        out.push({ id: el.id, name: el.getAttribute('data-figure') || '', marks, hasSvg: !!el.querySelector('svg') });
      });
      return out;
    })()`)) as ChartCheck[];
    // Tooltips: per chart, hover the first item of each data-mark group (points and bars
    // first: a line's bounding-box centre need not lie on the stroke) until one shows.
    const tooltipVisible = `(() => { const t = document.querySelector('#vg-tooltip-element'); return !!t && t.classList.contains('visible') && (t.textContent || '').trim().length > 0; })()`;
    for (const chart of charts) {
      chart.tooltip = null;
      const groups = ['symbol', 'rect', 'area', 'line', 'rule', 'text', 'arc', 'trail'];
      for (const g of groups) {
        const item = await page.$(`#${chart.id} g.role-mark.mark-${g} > path, #${chart.id} g.role-mark.mark-${g} > line, #${chart.id} g.role-mark.mark-${g} > text`);
        if (!item) continue;
        chart.tooltip = false;
        try {
          await item.scrollIntoViewIfNeeded();
          // Large marks (heatmap cells, bars) are hovered off-centre: a label layer drawn on
          // top of the centre (text in a cell) would take the event instead.
          const box = await item.boundingBox();
          const position = g === 'rect' && box && box.width > 12 && box.height > 12 ? { x: box.width * 0.2, y: box.height * 0.2 } : undefined;
          await item.hover({ force: true, timeout: 2000, position });
          await page.waitForFunction(tooltipVisible, undefined, { timeout: 1500 });
          chart.tooltip = true;
        } catch {
          /* try the next mark group */
        }
        await page.mouse.move(0, 0);
        // Let the tooltip hide again so the next chart's check cannot see a stale one.
        await page.waitForFunction(`!${tooltipVisible}`, undefined, { timeout: 1000 }).catch(() => undefined);
        if (chart.tooltip) break;
      }
    }
    await page.evaluate("window.scrollTo({ top: 0, behavior: 'instant' })");
    const hovered = charts.filter((c) => c.tooltip !== null);
    const tooltipShown = hovered.length ? hovered.some((c) => c.tooltip) : null;
    const horizontalOverflowPx = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    // The grayscale check must be clickable by a person (nothing on top of it) and toggle.
    let grayscaleToggle = false;
    try {
      await page.click('#gray-toggle', { timeout: 3000 });
      grayscaleToggle = (await page.evaluate("document.body.classList.contains('gray') && document.getElementById('gray-toggle').getAttribute('aria-pressed') === 'true'")) as boolean;
      await page.click('#gray-toggle', { timeout: 3000 });
    } catch {
      grayscaleToggle = false;
    }
    if (opts.screenshotPath) await page.screenshot({ path: opts.screenshotPath, fullPage: opts.fullPage ?? false });
    return { total: state.total, rendered: state.rendered.length, failed: state.failed, consoleErrors, networkRequests, charts, tooltipShown, grayscaleToggle, horizontalOverflowPx };
  } finally {
    await browser.close();
  }
}

// `node --import tsx src/report/browserCheck.ts [REPORT.html] [SCREENSHOT.png] [--full]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [html = 'runs/report/index.html', shot = 'docs/report-screenshot.png'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const r = await checkReportInBrowser(html, { screenshotPath: shot, fullPage: process.argv.includes('--full') });
  console.log(JSON.stringify({ ...r, charts: r.charts.map((c) => `${c.name}: ${Object.entries(c.marks).map(([k, v]) => `${k}=${v}`).join(' ')}`) }, null, 2));
}
