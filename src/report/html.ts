import type { Provenance } from '../provenance.js';
import { explorerHtml, plannerHtml, TOOL_CSS, TOOL_SCRIPT } from './interactive.js';
import { lossyscaleBrowserBundle } from './browserBundle.js';
import type { PlannerData } from './planner.js';
import { browserBundles, inlineJson, inlineScript } from './bundles.js';
import type { FigureEntry, LawSummary, RunEntry, TableEntry } from './discover.js';
import { storageExponent, type ExponentComparison, type FittedExponent } from './exponentsTable.js';
import { sourceState } from './freshness.js';
import { esc, fmt } from './htmlText.js';
import { csvRow, type CsvValue } from '../io/csv.js';

/**
 * The report as one self-contained HTML file (THEORY.md section 7 for the figure
 * list). The model below is assembled by buildReport.ts; this module only renders it.
 */

export type Block =
  | { kind: 'figures'; figures: FigureEntry[] }
  | { kind: 'table'; table: TableEntry; caption: string }
  | { kind: 'exponents'; comparison: ExponentComparison; lawLabel: string | null; lawPath: string | null }
  | { kind: 'laws'; laws: { label: string; law: LawSummary }[] }
  | { kind: 'run'; run: RunEntry }
  | { kind: 'note'; tone: 'info' | 'warn'; html: string }
  | { kind: 'problems'; problems: string[] }
  | { kind: 'details'; summary: string; open: boolean; blocks: Block[] }
  | { kind: 'planner'; data: PlannerData }
  | { kind: 'explorer' };

export interface Section {
  id: string;
  title: string;
  /** Intro paragraph(s), trusted HTML written by this module's callers. */
  intro: string;
  blocks: Block[];
}

export interface ReportModel {
  title: string;
  subtitle: string;
  generated: Provenance;
  /** "At a glance" key numbers shown in the header. */
  glance: { label: string; value: string; detail: string }[];
  sections: Section[];
  problems: string[];
}

export { esc, fmt } from './htmlText.js';

function fmtFitted(f: FittedExponent | null): string {
  if (!f) return '<span class="muted">–</span>';
  const ci = f.interval ? ` <span class="ci">[${fmt(f.interval[0], 3)}, ${fmt(f.interval[1], 3)}]</span>` : f.stdErr !== null ? ` <span class="ci">± ${fmt(f.stdErr, 2)}</span>` : '';
  return `<strong>${fmt(f.value)}</strong>${ci}`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Provenance line and details under a figure. */
function provenanceHtml(fig: FigureEntry): string {
  const meta = fig.meta;
  const p = meta?.provenance as Partial<Provenance> | undefined;
  if (!p) return `<p class="prov warn">No provenance recorded in ${esc(fig.displayPath)}.</p>`;
  const commit = p.gitCommit ? `${p.gitCommit.slice(0, 10)}${p.gitDirty ? ' (uncommitted changes)' : ''}` : 'not in git';
  const time = p.time ? p.time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC') : 'unknown';
  const m = p.machine;
  const sources = (meta?.sources ?? [])
    .map((s) => {
      const st = sourceState(s);
      const badge = { fresh: 'matches', stale: 'CHANGED since figure', missing: 'MISSING', 'external-missing': 'not on this machine' }[st];
      return `<tr><td><code>${esc(s.path)}</code></td><td><code title="${esc(s.sha256)}">${esc(s.sha256.slice(0, 12))}…</code></td><td><span class="state ${st}">${esc(badge)}</span></td></tr>`;
    })
    .join('');
  const config = p.config === undefined ? '<p class="muted">No config recorded.</p>' : `<pre class="json">${esc(JSON.stringify(p.config, null, 2))}</pre>`;
  return `<dl class="prov">
<dt>command</dt><dd><code>${esc(p.command ?? 'unknown')}</code></dd>
<dt>seed</dt><dd>${esc(p.seed ?? '–')}</dd>
<dt>version</dt><dd>lossyscale ${esc(p.version ?? '?')} · commit <code>${esc(commit)}</code></dd>
<dt>date</dt><dd>${esc(time)}</dd>
</dl>
<details class="more"><summary>Config, data (CSV), sources and machine</summary>
<h4>Config</h4>${config}
<h4>Source data (sha256 recorded in the figure vs. the file now)</h4>
${sources ? `<table class="sources"><thead><tr><th>file</th><th>sha256</th><th>state</th></tr></thead><tbody>${sources}</tbody></table>` : '<p class="muted">No sources recorded.</p>'}
<h4>Machine</h4><p>${m ? esc(`${m.cpuModel}, ${m.cpuCount} CPUs, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`) : 'unknown'}</p>
${dataLinks(fig)}
${fig.compilerNotes.length ? `<h4>Vega-Lite compiler notes</h4><ul>${fig.compilerNotes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<h4>Files</h4><p><code>${esc(fig.displayPath)}</code>${fig.svgPath ? ` · static <code>${esc(fig.displayPath.replace(/\.vl\.json$/, '.svg'))}</code>` : ''}</p>
</details>`;
}

/** Inline datasets of a Vega-Lite spec (top-level, layers, named datasets) with their rows. */
export function inlineDatasets(spec: unknown): { name: string; rows: Record<string, unknown>[] }[] {
  const out: { name: string; rows: Record<string, unknown>[] }[] = [];
  const seen = new Set<unknown>();
  const add = (name: string, v: unknown): void => {
    if (!Array.isArray(v) || seen.has(v) || v.length === 0 || typeof v[0] !== 'object') return;
    seen.add(v);
    out.push({ name, rows: v as Record<string, unknown>[] });
  };
  const walk = (s: unknown, path: string): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    const d = o.data as { values?: unknown } | undefined;
    if (d && typeof d === 'object') add(path || 'data', d.values);
    if (o.datasets && typeof o.datasets === 'object') for (const [k, v] of Object.entries(o.datasets as object)) add(k, v);
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach((x, i) => walk(x, `${path ? path + '-' : ''}${k}${i + 1}`));
    if (o.spec) walk(o.spec, path);
  };
  walk(spec, '');
  return out;
}

/** Rows as CSV (RFC 4180 quoting), columns in first-seen order. */
export function rowsToCsv(rows: Record<string, unknown>[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: unknown): CsvValue => (v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as CsvValue));
  return [csvRow(cols), ...rows.map((r) => csvRow(cols.map((c) => cell(r[c]))))].join('\n') + '\n';
}

function dataLinks(fig: FigureEntry): string {
  const sets = inlineDatasets(fig.spec);
  if (!sets.length) return '';
  const links = sets.map((d) => {
    const csv = rowsToCsv(d.rows);
    const file = `${fig.name}${sets.length > 1 ? '-' + d.name : ''}.csv`;
    return `<a download="${esc(file)}" href="data:text/csv;base64,${Buffer.from(csv).toString('base64')}">${esc(file)}</a> <span class="muted">(${d.rows.length} rows)</span>`;
  });
  return `<h4>Plotted data</h4><p>${links.join(' · ')}</p>`;
}

function figureHtml(fig: FigureEntry, chartId: string): string {
  const warn = fig.warnings.length ? `<p class="lint" title="figure conventions (docs/architecture.md)">⚠ ${esc(fig.warnings.join('; '))}</p>` : '';
  return `<figure class="fig" id="fig-${esc(fig.name)}">
<h3 class="sr-only">${esc(fig.title)}</h3>
<div class="chart" id="${chartId}" data-figure="${esc(fig.name)}"><noscript>JavaScript is needed for the interactive figure; the static version is ${esc(fig.displayPath.replace(/\.vl\.json$/, '.svg'))}.</noscript></div>
${fig.meta?.caption ? `<figcaption>${esc(fig.meta.caption)}</figcaption>` : ''}
${warn}
${provenanceHtml(fig)}
</figure>`;
}

const numericCell = /^[-+−]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?%?$/;

/** Escape a markdown table cell, keeping **bold**, `code` and <sub>/<sup>-free text. */
function mdInline(c: string): string {
  return esc(c)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

function tableHtml(t: TableEntry, caption: string): string {
  const cell = (c: string): string => (t.kind === 'md' ? mdInline(c) : esc(c));
  const head = t.header.map((h) => `<th scope="col">${cell(h)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c) => `<td${numericCell.test(c.trim().replace(/^\*\*|\*\*$/g, '')) ? ' class="num"' : ''}>${cell(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="table-wrap"><table class="data"><caption>${esc(caption)} <span class="muted">(<code>${esc(t.displayPath)}</code>)</span></caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function exponentsHtml(b: Extract<Block, { kind: 'exponents' }>): string {
  const c = b.comparison;
  const rows = c.rows
    .map(
      (r) => `<tr><th scope="row"><span class="sym">${esc(r.symbol)}</span></th><td class="meaning">${r.meaning}</td><td class="num">${fmt(r.theorem)}</td><td class="num">${fmt(r.optimal)}</td><td class="num">${r.key === 'kappa' || r.key === 's' ? '<span class="muted">–</span>' : fmtFitted(r.fitted)}</td></tr>`,
    )
    .join('\n');
  const fitHead = b.lawLabel ? `fitted to ${esc(b.lawLabel)}` : 'fitted';
  return `<div class="table-wrap"><table class="data exponents">
<caption>Exponents of the stylized model with p = ${fmt(c.model.p)}, q = ${fmt(c.model.q)}, r = ${fmt(c.model.r)}. Regime: <strong>${esc(String(c.theory.regime))}</strong>.</caption>
<thead><tr><th scope="col">exponent</th><th scope="col">meaning</th><th scope="col">Theorem 1<br><span class="muted">λ = λ₀ n<sup>(κ+1)/(2κ+1)</sup></span></th><th scope="col">optimal λ<br><span class="muted">tuned per (n, L)</span></th><th scope="col">${fitHead}<br><span class="muted">95% interval</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
${b.lawPath ? `${agreementHtml(c)}<p class="note-small">Fitted values from <code>${esc(b.lawPath)}</code>; ν's interval is the box bound from the α and β intervals (ν is increasing in both). The simulation tunes λ₀ on a grid under the Theorem-1 schedule for every (n, L), so its α is to be compared with the optimal-λ column. Over a finite range of n the local slopes still differ from their limits (see the convergence tables), most near β = 2κ (THEORY.md §4).</p>` : '<p class="note-small">No fitted law found for the stylized model (expected <code>sims/results/fig6/law.json</code>); only theory is shown.</p>'}`;
}

/** One line per fitted exponent: which theory values its interval contains (THEORY.md section 4). */
function agreementHtml(c: ExponentComparison): string {
  const items: string[] = [];
  for (const r of c.rows) {
    const f = r.fitted;
    if (!f || !f.interval) continue;
    const [lo, hi] = f.interval;
    const inside = (x: number | null): boolean => x !== null && x >= lo && x <= hi;
    const names: string[] = [];
    if (r.theorem !== null && r.optimal !== null && Math.abs(r.theorem - r.optimal) < 1e-12) {
      names.push(inside(r.theorem) ? `contains the theory value ${fmt(r.theorem)} ✓` : `misses the theory value ${fmt(r.theorem)} ✗`);
    } else {
      names.push(inside(r.optimal) ? `contains the optimal-λ value ${fmt(r.optimal)} ✓` : `misses the optimal-λ value ${fmt(r.optimal)} ✗`);
      names.push(inside(r.theorem) ? `contains the Theorem-1-schedule value ${fmt(r.theorem)}` : `excludes the Theorem-1-schedule value ${fmt(r.theorem)}`);
    }
    items.push(`<li><span class="sym">${esc(r.symbol)}</span>: fitted ${fmt(f.value)}, 95% interval [${fmt(lo, 3)}, ${fmt(hi, 3)}] ${names.join('; ')}</li>`);
  }
  return items.length ? `<ul class="agreement">${items.join('')}</ul>` : '';
}

function lawsHtml(b: Extract<Block, { kind: 'laws' }>): string {
  const rows = b.laws
    .map(({ label, law }) => {
      const p = law.params;
      const iv = (k: keyof LawSummary['intervals']): string => {
        const i = law.intervals[k];
        return i ? `<br><span class="ci">[${fmt(i[0], 3)}, ${fmt(i[1], 3)}]</span>` : '';
      };
      return `<tr><th scope="row">${esc(label)}<br><span class="muted">${esc(law.form ?? '')}${law.estimator ? ` · ${esc(law.estimator)}` : ''}</span></th>
<td class="num">${fmt(p.Estar)}${iv('Estar')}</td><td class="num">${fmt(p.A)}${iv('A')}</td><td class="num"><strong>${fmt(p.alpha)}</strong>${iv('alpha')}</td><td class="num">${fmt(p.B)}${iv('B')}</td><td class="num"><strong>${fmt(p.beta)}</strong>${iv('beta')}</td><td class="num">${fmt(storageExponent(p.alpha, p.beta))}</td><td class="num">${fmt(law.r2)}</td></tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="data laws"><caption>Fitted laws Err(n, L) = E* + A n<sup>−α</sup> + B L<sup>−β</sup> (95% intervals under the values)</caption>
<thead><tr><th scope="col">run</th><th scope="col">E*</th><th scope="col">A</th><th scope="col">α</th><th scope="col">B</th><th scope="col">β</th><th scope="col">ν = αβ/(α+β)</th><th scope="col">R²</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function runHtml(run: RunEntry): string {
  const p = run.run as Partial<Provenance> | null;
  const files = run.files.map((f) => `<code>${esc(f.name)}</code> <span class="muted">${fmtBytes(f.bytes)}</span>`).join(' · ');
  const prov = p
    ? `<dl class="prov"><dt>command</dt><dd><code>${esc(p.command ?? 'unknown')}</code></dd><dt>seed</dt><dd>${esc(p.seed ?? '–')}</dd><dt>version</dt><dd>lossyscale ${esc(p.version ?? '?')} · commit <code>${esc(p.gitCommit ? p.gitCommit.slice(0, 10) + (p.gitDirty ? ' (uncommitted changes)' : '') : 'not in git')}</code></dd><dt>date</dt><dd>${esc(p.time ?? 'unknown')}</dd></dl>
<details class="more"><summary>Run config</summary><pre class="json">${esc(JSON.stringify(p.config ?? null, null, 2))}</pre></details>`
    : '<p class="prov warn">No run.json: the provenance of this run is unknown.</p>';
  return `<div class="run"><h3><code>${esc(run.displayPath)}</code></h3>${prov}<p class="files">${files}</p></div>`;
}

function fmtBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 ** 2).toFixed(1)} MiB`;
}

const CSS = `
:root{--ink:#1d232b;--muted:#5b6570;--line:#d9dee4;--bg:#f4f6f8;--card:#fff;--accent:#17408b;--warn:#8a5300;--warnbg:#fff6e5;--bad:#a1161b}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;font:15px/1.5 "DejaVu Sans","Segoe UI",Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
body.gray .chart,body.gray .glance{filter:grayscale(1)}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
a{color:var(--accent)}
header.top{background:#14243d;color:#fff;padding:22px 32px 18px}
header.top .kicker{text-transform:uppercase;letter-spacing:.12em;font-size:12px;opacity:.75}
header.top h1{margin:2px 0 6px;font-size:28px;font-weight:600}
header.top .law{font-size:18px;margin:4px 0 10px}
header.top .meta{font-size:12.5px;opacity:.8}
header.top .meta code{color:#fff}
header.top .toprow{display:flex;justify-content:space-between;align-items:center}
header.top button{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.5);border-radius:4px;padding:4px 10px;font:inherit;font-size:12.5px;cursor:pointer}
.glance{display:flex;flex-wrap:wrap;gap:12px;margin-top:14px}
.glance .kpi{background:rgba(255,255,255,.1);border:1px solid rgba(255,255,255,.25);border-radius:6px;padding:8px 14px;min-width:150px}
.glance .kpi .v{font-size:22px;font-weight:600}
.glance .kpi .l{font-size:12px;opacity:.85}
.glance .kpi .d{font-size:11.5px;opacity:.75}
.layout{display:grid;grid-template-columns:220px minmax(0,1fr);gap:0;align-items:start}
nav.toc{position:sticky;top:0;height:100vh;overflow:auto;padding:18px 12px 18px 18px;font-size:13.5px;border-right:1px solid var(--line);background:#fbfcfd}
nav.toc h2{font-size:12px;text-transform:uppercase;letter-spacing:.1em;color:var(--muted);margin:0 0 8px}
nav.toc ol{margin:0;padding-left:18px}
nav.toc li{margin:3px 0}
nav.toc ol ol{padding-left:14px;font-size:12.5px}
nav.toc ol ol li{margin:1px 0}
nav.toc a{text-decoration:none;color:var(--ink)}
nav.toc a:hover{color:var(--accent);text-decoration:underline}
main{padding:8px 24px 60px;max-width:1800px}
section.sec{margin-top:26px}
section.sec>h2{font-size:21px;margin:0 0 4px;padding-bottom:4px;border-bottom:2px solid var(--ink)}
section.sec>.intro{max-width:900px;color:#2c343d}
.figs{display:flex;flex-direction:column;gap:16px;align-items:stretch;margin:14px 0}
figure.fig{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px 8px;width:100%;max-width:100%;display:flex;flex-direction:column}
figure.fig>figcaption,figure.fig>.lint,figure.fig>dl.prov,figure.fig>details.more,figure.fig>p.prov{width:0;min-width:100%}
figure.fig .chart{min-height:120px;overflow-x:auto;overflow-y:hidden;max-width:100%}
figure.fig .chart.failed{color:var(--bad);font-weight:600}
figcaption{font-size:13.5px;color:#2c343d;margin:8px 0 4px}
.lint{font-size:12px;color:var(--warn);background:var(--warnbg);border-radius:4px;padding:3px 8px;margin:6px 0}
dl.prov{display:grid;grid-template-columns:auto 1fr;gap:1px 10px;font-size:12px;color:var(--muted);margin:6px 0 2px}
dl.prov dt{font-weight:600}
dl.prov dd{margin:0;overflow-wrap:anywhere}
p.prov.warn{font-size:12px;color:var(--warn)}
details.more{font-size:12.5px}
details.more summary{cursor:pointer;color:var(--accent);margin:4px 0}
details.more h4{margin:8px 0 2px;font-size:12.5px}
pre.json{background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:8px;max-height:260px;overflow:auto;white-space:pre}
.state{font-size:11px;padding:1px 6px;border-radius:8px;border:1px solid}
.state.fresh{color:#1d5e20;border-color:#1d5e20}
.state.stale,.state.missing{color:var(--bad);border-color:var(--bad);font-weight:700}
.state.external-missing{color:var(--muted)}
.table-wrap{overflow:auto;margin:12px 0;max-height:560px}
.table-wrap table.data thead th{position:sticky;top:0;z-index:1}
table.data{border-collapse:collapse;background:var(--card);font-size:13.5px;border:1px solid var(--line)}
table.data caption{caption-side:top;text-align:left;padding:4px 0 6px;font-size:13.5px;color:#2c343d}
table.data th,table.data td{padding:5px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data thead th{background:#eef1f4;font-weight:600;font-size:12.5px}
table.data tbody tr:nth-child(even){background:#fafbfc}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.exponents .sym{font-size:17px;font-family:"DejaVu Serif",Georgia,serif;font-style:italic}
table.exponents td.meaning{color:var(--muted);font-size:12.5px;max-width:320px}
table.sources{font-size:12px;border-collapse:collapse}
table.sources td,table.sources th{padding:2px 8px 2px 0;text-align:left}
.ci{color:var(--muted);font-size:11.5px}
ul.agreement{margin:6px 0;padding-left:20px;font-size:13.5px}
ul.agreement .sym{font-family:"DejaVu Serif",Georgia,serif;font-style:italic;font-weight:600}
.muted{color:var(--muted)}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.note-small{font-size:12.5px;color:var(--muted);max-width:900px}
.note{border-left:4px solid var(--accent);background:#eef3fb;padding:8px 12px;margin:12px 0;max-width:900px;font-size:14px}
.note.warn{border-color:var(--warn);background:var(--warnbg)}
.note table.compact{margin-top:6px;font-size:12.5px}
.note table.compact th,.note table.compact td{padding:2px 10px}
.run{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;margin:12px 0}
.run h3{margin:0 0 4px;font-size:15px}
.run .files{font-size:12px}
ul.problems li{margin:4px 0;font-size:13.5px}
details.group{margin:12px 0;max-width:1100px}
details.group>summary{cursor:pointer;color:var(--accent);font-size:14px;font-weight:600}
.vega-embed{max-width:100%}
figure.fig .chart.vega-embed.has-actions{padding-right:0}
figure.fig .chart.vega-embed .vega-actions{right:6px}
.vega-embed summary{opacity:.55;transform:scale(.85)}
.vega-embed:hover summary{opacity:1}
.vega-embed .vega-actions a{font-size:12px}
@media (max-width:900px){.layout{grid-template-columns:minmax(0,1fr)}nav.toc{position:static;max-height:none;border-right:0;border-bottom:1px solid var(--line)}main{padding:8px 14px 40px}}
@media print{nav.toc,header.top button,details.more{display:none}.layout{display:block}}
`;

/** Browser-side script: embed every spec; record results in window.__lossyscale for tests. */
const BOOT = `
(function(){
  var specs = JSON.parse(document.getElementById('lossyscale-specs').textContent);
  var state = window.__lossyscale = { total: specs.length, rendered: [], failed: [], done: false };
  var opts = { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } };
  var jobs = specs.map(function (s) {
    var el = document.getElementById(s.id);
    // Page-width charts: plot widths fitted to the card (src/report/browser/fitWidth.ts).
    var spec = window.lossyscaleLib ? window.lossyscaleLib.fitSpecToWidth(s.spec, el.getBoundingClientRect().width) : s.spec;
    return vegaEmbed(el, spec, Object.assign({ downloadFileName: s.name }, opts)).then(function (res) {
      state.rendered.push({ id: s.id, name: s.name });
    }).catch(function (err) {
      var msg = (err && err.message) || String(err);
      state.failed.push({ id: s.id, name: s.name, message: msg });
      el.className += ' failed';
      el.textContent = 'This figure could not be rendered: ' + msg;
      console.error('lossyscale: figure ' + s.name + ' failed: ' + msg);
    });
  });
  Promise.all(jobs).then(function(){ state.done = true; document.body.setAttribute('data-rendered', String(state.rendered.length)); });
  var b = document.getElementById('gray-toggle');
  if (b) b.addEventListener('click', function(){ var on = document.body.classList.toggle('gray'); b.setAttribute('aria-pressed', String(on)); b.textContent = on ? 'Colour view' : 'Grayscale check'; });
})();
`;

/** Render the whole report to one HTML string (bundles and specs inline). */
export function renderReportHtml(model: ReportModel): string {
  const specs: { id: string; name: string; spec: unknown }[] = [];
  let tools = false;
  const toc: string[] = [];
  const body: string[] = [];
  for (const sec of model.sections) {
    const sub: string[] = [];
    const parts: string[] = [];
    const renderBlock = (b: Block): string => {
      switch (b.kind) {
        case 'figures': {
          const figs = b.figures.map((f) => {
            const id = `chart-${specs.length}`;
            specs.push({ id, name: f.name, spec: f.spec });
            sub.push(`<li><a href="#fig-${esc(f.name)}">${esc(f.title)}</a></li>`);
            return figureHtml(f, id);
          });
          return `<div class="figs">${figs.join('\n')}</div>`;
        }
        case 'table': {
          const id = `tbl-${slug(b.table.displayPath)}-${slug(b.table.name)}`;
          sub.push(`<li><a href="#${esc(id)}">${esc(b.caption)}</a></li>`);
          return `<div id="${esc(id)}">${tableHtml(b.table, b.caption)}</div>`;
        }
        case 'exponents':
          return exponentsHtml(b);
        case 'laws':
          return lawsHtml(b);
        case 'run':
          return runHtml(b.run);
        case 'note':
          return `<div class="note${b.tone === 'warn' ? ' warn' : ''}">${b.html}</div>`;
        case 'problems':
          return b.problems.length ? `<ul class="problems">${b.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '<p>None: every figure, table, law and run file was read without problems.</p>';
        case 'planner':
          tools = true;
          sub.push(`<li><a href="#${esc(b.data.id)}">${esc(b.data.label)}</a></li>`);
          return plannerHtml(b.data);
        case 'explorer':
          tools = true;
          return explorerHtml();
        case 'details': {
          const before = sub.length;
          const inner = b.blocks.map(renderBlock).join('\n');
          sub.splice(before); // folded content stays out of the table of contents
          return `<details class="group"${b.open ? ' open' : ''}><summary>${b.summary}</summary>${inner}</details>`;
        }
      }
    };
    for (const b of sec.blocks) parts.push(renderBlock(b));
    toc.push(`<li><a href="#${esc(sec.id)}">${esc(sec.title)}</a>${sub.length ? `<ol>${sub.join('')}</ol>` : ''}</li>`);
    body.push(`<section class="sec" id="${esc(sec.id)}" aria-labelledby="${esc(sec.id)}-h"><h2 id="${esc(sec.id)}-h">${esc(sec.title)}</h2>${sec.intro ? `<div class="intro">${sec.intro}</div>` : ''}${parts.join('\n')}</section>`);
  }
  const g = model.generated;
  const bundles = browserBundles();
  const glance = model.glance.length
    ? `<div class="glance">${model.glance.map((k) => `<div class="kpi"><div class="l">${esc(k.label)}</div><div class="v">${k.value}</div><div class="d">${esc(k.detail)}</div></div>`).join('')}</div>`
    : '';
  const problemsBanner = model.problems.length
    ? ` · <a href="#problems" style="color:#ffd27a">${model.problems.length} problem${model.problems.length === 1 ? '' : 's'}</a>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lossyscale ${esc(g.version)}">
<title>${esc(model.title)}</title>
<style>${CSS}${tools ? TOOL_CSS : ''}</style>
</head>
<body>
<header class="top">
<div class="toprow"><div class="kicker">lossyscale report</div><button id="gray-toggle" type="button" aria-pressed="false" title="Show every chart in grayscale to check it reads without colour">Grayscale check</button></div>
<h1>${esc(model.title)}</h1>
<div class="law">${model.subtitle}</div>
<div class="meta">Generated ${esc(g.time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} by <code>${esc(g.command)}</code> · lossyscale ${esc(g.version)} · commit <code>${esc(g.gitCommit ? g.gitCommit.slice(0, 10) + (g.gitDirty ? ' (uncommitted changes)' : '') : 'not in git')}</code> · ${specs.length} interactive figure${specs.length === 1 ? '' : 's'} · ${((k) => `${k} run${k === 1 ? '' : 's'}`)(model.sections.flatMap((x) => x.blocks).filter((b) => b.kind === 'run').length)}${problemsBanner || ' · no problems'}</div>
${glance}
</header>
<div class="layout">
<nav class="toc" aria-label="Table of contents"><h2>Contents</h2><ol>${toc.join('\n')}</ol></nav>
<main>
${body.join('\n')}
<p class="note-small">Charts: hover a mark for its values; the ⋯ menu saves SVG/PNG or shows the Vega-Lite source. Bundled: ${bundles.map((b) => `${esc(b.name)} ${esc(b.version)}`).join(', ')}. This file is self-contained and needs no network.</p>
</main>
</div>
${bundles.map((b) => `<script data-bundle="${esc(b.name)}">${inlineScript(b.code)}</script>`).join('\n')}
<script type="application/json" id="lossyscale-specs">${inlineJson(specs)}</script>
<script data-bundle="lossyscale">${inlineScript(lossyscaleBrowserBundle().code)}</script>
<script>${BOOT}</script>
${tools ? `<script>${TOOL_SCRIPT}</script>` : ''}
</body>
</html>
`;
}
