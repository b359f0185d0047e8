import { FIGURE6_MODEL } from '../model/params.js';
import { esc } from './htmlText.js';
import { inlineJson } from './bundles.js';
import type { PlannerData } from './planner.js';

/**
 * The report's two interactive tools (THEORY.md sections 1-4 and 6), computed in the page
 * by lossyscale's own code (the `lossyscaleLib` bundle, src/report/browser/entry.ts):
 * - the storage planner, one per fitted real-data law: a budget (with units) and optionally
 *   the images available give n*, L*, d* (through the run's size curve), the predicted error
 *   with the band from the law's bootstrap replicates, and the original-format alternative,
 *   exactly as `lossyscale optimize` computes them, with a chart of the choice on the n-L
 *   plane over the law's error contours;
 * - the theory explorer: p, q, r, tau give the Theorem-1 exponents, the regime and the
 *   deterministic-risk curves against n per L; invalid inputs show the CLI's message.
 * Their charts are drawn with vega-embed but are not report figures (no `.chart` class).
 */
export function plannerHtml(d: PlannerData): string {
  const cmdLaw = esc(d.lawPath);
  return `<div class="tool planner" id="${esc(d.id)}" data-planner="${esc(d.id)}">
<h3>Plan a budget with the law of <code>${esc(d.label)}</code></h3>
<div class="tool-row">
<form class="tool-inputs" onsubmit="return false">
<label>Storage budget <input type="text" data-testid="planner-storage" value="${esc(d.defaultStorage)}" size="12" aria-describedby="${esc(d.id)}-help"></label>
<label>Images available <input type="text" data-testid="planner-available" value="" placeholder="no limit" size="10"></label>
<p class="muted small" id="${esc(d.id)}-help">Units: B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB; e.g. 40KB, 2.5GB. Sizes as measured on the run's training pool${d.poolImages ? ` (${d.poolImages.toLocaleString('en-US')} images)` : ''}.</p>
<p class="tool-message" data-testid="planner-message" role="alert"></p>
</form>
<table class="data compact tool-out"><tbody>
<tr><th>images n*</th><td class="num" data-testid="planner-n"></td></tr>
<tr><th>bytes per image L*</th><td class="num" data-testid="planner-L"></td></tr>
<tr><th>Butteraugli distance d*</th><td class="num" data-testid="planner-d"></td></tr>
<tr><th>predicted test error</th><td class="num" data-testid="planner-error"></td></tr>
<tr><th>95% band (bootstrap)</th><td class="num" data-testid="planner-band"></td></tr>
<tr><th>95% prediction interval</th><td class="num" data-testid="planner-interval"></td></tr>
<tr><th>original format: n, L, error</th><td class="num" data-testid="planner-original"></td></tr>
<tr><th>binding constraints</th><td data-testid="planner-active"></td></tr>
</tbody></table>
</div>
<div class="tool-chart" data-testid="planner-chart" aria-label="Chosen allocation on the n-L plane over the law's error contours"></div>
<p class="muted small">Same numbers as <code data-testid="planner-command">lossyscale optimize --law ${cmdLaw} ...</code>. Band: ${esc(d.replicateNote)}. d* interpolates the run's size curve (log distance against log mean bytes).</p>
<script type="application/json" class="planner-data">${inlineJson(d)}</script>
</div>`;
}

export function explorerHtml(): string {
  const input = (k: string, v: string, label: string): string => `<label>${label} <input type="text" data-testid="explorer-${k}" value="${v}" size="7"></label>`;
  return `<div class="tool explorer" id="explorer">
<div class="tool-row">
<form class="tool-inputs" onsubmit="return false">
${input('p', String(FIGURE6_MODEL.p), 'p (feature variance decay)')}
${input('q', String(FIGURE6_MODEL.q), 'q (branching)')}
${input('r', String(FIGURE6_MODEL.r), 'r (signal energy decay)')}
${input('tau', String(FIGURE6_MODEL.tau), 'τ (noise)')}
<p class="tool-message" data-testid="explorer-message" role="alert"></p>
</form>
<table class="data compact tool-out"><tbody>
<tr><th>α, optimal λ</th><td class="num" data-testid="explorer-alphaOptimal"></td></tr>
<tr><th>α, Theorem-1 schedule</th><td class="num" data-testid="explorer-alphaTheorem"></td></tr>
<tr><th>β</th><td class="num" data-testid="explorer-beta"></td></tr>
<tr><th>κ</th><td class="num" data-testid="explorer-kappa"></td></tr>
<tr><th>ν, optimal λ</th><td class="num" data-testid="explorer-nuOptimal"></td></tr>
<tr><th>regime</th><td data-testid="explorer-regime"></td></tr>
</tbody></table>
<div class="explorer-risk" data-testid="explorer-risk-table"></div>
</div>
<div class="tool-chart" data-testid="explorer-chart" aria-label="Deterministic risk against n, one line per L"></div>
<p class="muted small">Same numbers as <code>lossyscale exponents --p P --q Q --r R</code> and <code>lossyscale risk --p P --q Q --r R --tau T --n N --m M --lambda opt</code>: R<sub>det</sub> with λ tuned for every (n, L), L = (q<sup>m</sup> − 1)/(q − 1) coordinates kept.</p>
</div>`;
}

export const TOOL_CSS = `
.tool{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:14px 0}
.tool h3{margin:0 0 8px;font-size:16px}
.tool-row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.tool-inputs{display:flex;flex-direction:column;gap:8px;min-width:260px;max-width:360px}
.tool-inputs label{display:flex;justify-content:space-between;gap:10px;font-size:13.5px}
.tool-inputs input{font:inherit;padding:2px 6px;border:1px solid #9aa4ae;border-radius:4px}
.tool-message{color:var(--bad);font-weight:600;font-size:13px;margin:0;min-height:1.2em;overflow-wrap:anywhere}
.tool-out th{font-weight:600;font-size:12.5px}
.tool-chart{width:100%;min-height:60px;margin-top:10px}
.small{font-size:12.5px}
`;

/** Browser-side wiring of the planner and the explorer (plain ES5 over the lossyscaleLib global). */
export const TOOL_SCRIPT = `
(function(){
  var L = window.lossyscaleLib;
  var tools = window.__lossyscaleTools = { planner: {}, explorer: null, errors: [] };
  function num(x){ return x === null || x === undefined || !isFinite(x) ? '' : String(Number(x.toPrecision(6))); }
  function pct(x){ return x === null || x === undefined ? 'n/a' : (100 * x).toFixed(2) + '%'; }
  function msgOf(e){ return (e && e.name === 'InputError' ? 'lossyscale: ' : 'lossyscale: unexpected error: ') + ((e && e.message) || String(e)); }
  function set(root, id, text){ var el = root.querySelector('[data-testid="' + id + '"]'); if (el) el.textContent = text; }
  function width(el){ return Math.max(320, Math.floor(el.getBoundingClientRect().width) - 230); }
  function logTicks(lo, hi, steps){ var out = []; for (var k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)); k++) steps.forEach(function(s){ var v = s * Math.pow(10, k); if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v); }); return out; }
  function bytesLabel(axis){ return "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + ' GB' : datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + ' MB' : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + ' KB' : format(datum.value, '~g') + ' B'"; }
  var countLabel = "format(datum.value, '~s')";
  function draw(el, spec){
    return vegaEmbed(el, spec, { renderer: 'svg', actions: false }).catch(function(e){ tools.errors.push(String(e && e.message || e)); console.error('lossyscale tool chart: ' + (e && e.message || e)); });
  }
  function logspace(a, b, k){ var out = []; for (var i = 0; i < k; i++) out.push(Math.exp(Math.log(a) + (Math.log(b) - Math.log(a)) * i / (k - 1))); return out; }

  function planner(root){
    var data = JSON.parse(root.querySelector('script.planner-data').textContent);
    var chart = root.querySelector('[data-testid="planner-chart"]');
    var state = tools.planner[data.id] = { updates: 0, last: null };
    function update(){
      var sText = root.querySelector('[data-testid="planner-storage"]').value;
      var aText = root.querySelector('[data-testid="planner-available"]').value.trim();
      try {
        var S = L.parseSize('--budget', sText);
        var avail;
        if (aText !== '') { avail = L.parseNumber('--available', aText); if (!(avail >= 1)) throw new L.InputError('--available', avail, 'a number of images >= 1'); }
        var cons = L.constraintsFromCurve(data.curve, avail);
        var rec = L.recommend(data.law, S, cons, { replicates: data.replicates || undefined, residuals: data.residuals });
        var d = rec.L >= cons.originalBytes * (1 - 1e-9) ? { distance: 0, status: 'original' } : L.distanceForBytes(data.curve, rec.L);
        set(root, 'planner-message', '');
        set(root, 'planner-n', String(rec.n));
        set(root, 'planner-L', num(rec.L));
        set(root, 'planner-d', d.distance === 0 ? '0' : num(d.distance));
        set(root, 'planner-error', num(rec.error));
        set(root, 'planner-band', rec.band ? pct(rec.band.band[0]) + ' – ' + pct(rec.band.band[1]) : 'n/a');
        set(root, 'planner-interval', rec.band && rec.band.predictionInterval ? pct(rec.band.predictionInterval[0]) + ' – ' + pct(rec.band.predictionInterval[1]) : 'n/a');
        var o = rec.original;
        set(root, 'planner-original', o ? o.n + ' × ' + num(o.L) + ' B → ' + (o.error === null ? 'no whole image fits' : num(o.error)) : 'n/a');
        set(root, 'planner-active', rec.activeConstraints.length ? rec.activeConstraints.join(', ') : 'none (interior optimum)');
        var cmd = 'lossyscale optimize --law ' + data.lawPath + ' --storage ' + S + ' --original-bytes ' + cons.originalBytes + ' --min-bytes ' + Math.min(cons.minBytes, cons.originalBytes) + (avail !== undefined ? ' --available ' + avail : '') + ' --json';
        set(root, 'planner-command', cmd);
        state.last = { storage: S, available: avail === undefined ? null : avail, n: rec.n, L: rec.L, error: rec.error, distance: d.distance, originalBytes: cons.originalBytes, minBytes: Math.min(cons.minBytes, cons.originalBytes), command: cmd };
        state.updates++;
        // Chart: predicted error over the n-L plane (log grid), the budget line n L = S, the choice and the original format.
        var nLo = Math.max(1, Math.min(rec.n, o && o.n > 0 ? o.n : rec.n) / 8), nHi = Math.max(rec.n, o ? o.n : 1) * 8;
        var lLo = cons.minBytes / 1.5, lHi = cons.originalBytes * 1.5;
        var ns = logspace(nLo, nHi, 41), ls = logspace(lLo, lHi, 41), grid = [];
        for (var i = 0; i < ns.length - 1; i++) for (var j = 0; j < ls.length - 1; j++) {
          var nm = Math.sqrt(ns[i] * ns[i + 1]), lm = Math.sqrt(ls[j] * ls[j + 1]);
          grid.push({ n0: ns[i], n1: ns[i + 1], L0: ls[j], L1: ls[j + 1], error: L.predictError(data.law, nm, lm) });
        }
        var line = ns.map(function(n){ return { n: n, L: S / n }; }).filter(function(p){ return p.L >= lLo && p.L <= lHi; });
        var pts = [{ n: rec.n, L: rec.L, error: rec.error, strategy: 'scaling-optimal' }];
        if (o && o.n > 0) pts.push({ n: o.n, L: o.L, error: o.error, strategy: 'original format' });
        var x = { scale: { type: 'log', domain: [nLo, nHi], nice: false }, axis: { title: 'images n', values: logTicks(nLo, nHi, [1, 2, 5]), labelExpr: countLabel, labelOverlap: true, grid: false } };
        var y = { scale: { type: 'log', domain: [lLo, lHi], nice: false }, axis: { title: 'bytes per image L', values: logTicks(lLo, lHi, [1, 1.5, 2, 3, 5, 7]), labelExpr: bytesLabel(), labelOverlap: true, grid: false } };
        draw(chart, {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          width: width(chart), height: 320,
          title: { text: 'Predicted error over images n and bytes per image L at S = ' + L.formatBytes(S), subtitle: 'colour bands: error contours of the law (each band a ninth of the plotted grid); red line: n L = S; points: the choice and the original format' },
          layer: [
            { data: { values: grid }, mark: { type: 'rect', tooltip: true }, encoding: { x: Object.assign({ field: 'n0', type: 'quantitative' }, x), x2: { field: 'n1' }, y: Object.assign({ field: 'L0', type: 'quantitative' }, y), y2: { field: 'L1' }, color: { field: 'error', type: 'quantitative', scale: { type: 'quantile', scheme: { name: 'blues', count: 9 }, reverse: true }, legend: { title: 'predicted error', format: '.4f' } }, stroke: { field: 'error', type: 'quantitative', scale: { type: 'quantile', scheme: { name: 'blues', count: 9 }, reverse: true }, legend: null } } },
            { data: { values: line }, mark: { type: 'line', color: '#b2182b', strokeWidth: 2 }, encoding: { x: Object.assign({ field: 'n', type: 'quantitative' }, x), y: Object.assign({ field: 'L', type: 'quantitative' }, y) } },
            { data: { values: pts }, mark: { type: 'point', filled: true, size: 140, stroke: 'white', strokeWidth: 1.5 }, encoding: { x: Object.assign({ field: 'n', type: 'quantitative' }, x), y: Object.assign({ field: 'L', type: 'quantitative' }, y), shape: { field: 'strategy', type: 'nominal', legend: { title: null, orient: 'bottom' } }, fill: { value: '#111' }, tooltip: [{ field: 'strategy' }, { field: 'n', format: ',d' }, { field: 'L', format: '.4~g', title: 'L (bytes)' }, { field: 'error', format: '.4f' }] } }
          ]
        });
      } catch (e) {
        set(root, 'planner-message', msgOf(e));
        ['planner-n', 'planner-L', 'planner-d', 'planner-error', 'planner-band', 'planner-interval', 'planner-original', 'planner-active'].forEach(function(id){ set(root, id, ''); });
        chart.innerHTML = '';
        state.last = null;
        state.updates++;
      }
    }
    root.querySelectorAll('input').forEach(function(inp){ inp.addEventListener('input', update); });
    update();
  }

  function explorer(root){
    var chart = root.querySelector('[data-testid="explorer-chart"]');
    var state = tools.explorer = { updates: 0, last: null };
    var ms = [1, 2, 3, 4, 5, 6];
    var tableNs = [100, 10000, 1000000];
    function update(){
      try {
        var v = {};
        ['p', 'q', 'r', 'tau'].forEach(function(k){ v[k] = L.parseNumber(k, root.querySelector('[data-testid="explorer-' + k + '"]').value); });
        var e = L.exponents({ p: v.p, q: v.q, r: v.r });
        var model = L.validateModel(v);
        set(root, 'explorer-message', '');
        set(root, 'explorer-alphaOptimal', num(e.alphaOptimal));
        set(root, 'explorer-alphaTheorem', num(e.alphaTheorem));
        set(root, 'explorer-beta', num(e.beta));
        set(root, 'explorer-kappa', num(e.kappa));
        set(root, 'explorer-nuOptimal', num(e.nuOptimal));
        set(root, 'explorer-regime', e.regime);
        var rows = [], ns = [];
        for (var i = 0; i <= 10; i++) ns.push(Math.pow(10, 1 + i / 2));
        var table = {};
        ms.forEach(function(m){
          ns.forEach(function(n){
            var r = L.optimalRisk(model, n, m);
            rows.push({ n: n, m: m, L: r.L, risk: r.risk, excess: r.excess, lambda: r.lambda });
            if (tableNs.indexOf(Math.round(n)) >= 0 && Math.abs(n - Math.round(n)) < 1e-6 * n) table[m + ':' + Math.round(n)] = r;
          });
        });
        var html = '<table class="data compact"><caption>R<sub>det</sub> with optimal λ</caption><thead><tr><th>m</th><th>L</th>' + tableNs.map(function(n){ return '<th>n = ' + n.toLocaleString('en-US') + '</th>'; }).join('') + '</tr></thead><tbody>';
        ms.forEach(function(m){
          html += '<tr><td>' + m + '</td><td class="num">' + table[m + ':' + tableNs[0]].L + '</td>' + tableNs.map(function(n){ return '<td class="num" data-testid="explorer-risk-m' + m + '-n' + n + '">' + num(table[m + ':' + n].risk) + '</td>'; }).join('') + '</tr>';
        });
        root.querySelector('[data-testid="explorer-risk-table"]').innerHTML = html + '</tbody></table>';
        state.last = { exponents: e, rows: rows };
        state.updates++;
        var positive = rows.filter(function(r){ return r.excess > 0; });
        draw(chart, {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          width: width(chart), height: 300,
          title: { text: 'Deterministic excess risk R_det − τ² against n, one line per L (optimal λ)', subtitle: 'p = ' + model.p + ', q = ' + model.q + ', r = ' + model.r + ', τ = ' + model.tau + ' · α = ' + num(e.alphaOptimal) + ', β = ' + num(e.beta) + ' (' + e.regime + '); click a legend entry to highlight its line' },
          data: { values: positive },
          params: [{ name: 'hl', select: { type: 'point', fields: ['L'] }, bind: 'legend' }],
          mark: { type: 'line', point: true, tooltip: true },
          encoding: {
            x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, axis: { title: 'samples n', values: logTicks(10, 1e6, [1]), labelExpr: countLabel, labelOverlap: true } },
            y: { field: 'excess', type: 'quantitative', scale: { type: 'log' }, axis: { title: 'excess risk R_det − τ²', labelExpr: "format(datum.value, '~g')", labelOverlap: true } },
            color: { field: 'L', type: 'ordinal', scale: { scheme: 'viridis' }, legend: { title: 'L (coordinates)' } },
            opacity: { condition: { param: 'hl', value: 1 }, value: 0.15 },
            tooltip: [{ field: 'n', format: ',.4~g' }, { field: 'L' }, { field: 'risk', format: '.6g', title: 'R_det' }, { field: 'excess', format: '.4g' }, { field: 'lambda', format: '.3g', title: 'optimal λ' }]
          }
        });
      } catch (err) {
        set(root, 'explorer-message', msgOf(err));
        ['explorer-alphaOptimal', 'explorer-alphaTheorem', 'explorer-beta', 'explorer-kappa', 'explorer-nuOptimal', 'explorer-regime'].forEach(function(id){ set(root, id, ''); });
        root.querySelector('[data-testid="explorer-risk-table"]').innerHTML = '';
        chart.innerHTML = '';
        state.last = null;
        state.updates++;
      }
    }
    root.querySelectorAll('input').forEach(function(inp){ inp.addEventListener('input', update); });
    update();
  }

  document.querySelectorAll('[data-planner]').forEach(planner);
  var ex = document.getElementById('explorer');
  if (ex) explorer(ex);
  tools.ready = true;
})();
`;
