/**
 * Page-width charts in the report (figure conventions, THEORY.md section 7): before a figure
 * is embedded, its plot widths are set so the whole chart (axes, legend included) fills the
 * width of its card. Single views and layers get one width; side-by-side panels (hconcat, a
 * column facet) share it equally, so panels keep the same size and stay aligned. Pure: takes
 * a Vega-Lite spec and returns a new one; runs in the page (bundled) and in tests.
 */
type Json = Record<string, unknown>;

const AXIS_PX = 72;
const SPACING_PX = 24;
const MIN_PLOT_PX = 200;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a spec draws a legend (a nominal or ordinal colour, shape or dash encoding without legend: null). */
function hasLegend(spec: unknown): boolean {
  let found = false;
  const walk = (s: unknown): void => {
    if (found || !isObj(s)) return;
    const enc = s.encoding;
    if (isObj(enc)) {
      for (const ch of ['color', 'fill', 'stroke', 'shape', 'strokeDash', 'size']) {
        const d = enc[ch];
        if (isObj(d) && typeof d.field === 'string' && d.legend !== null) found = true;
      }
    }
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(s[k])) (s[k] as unknown[]).forEach(walk);
    if (s.spec) walk(s.spec);
  };
  walk(spec);
  return found;
}

function legendPx(spec: Json): number {
  if (!hasLegend(spec)) return 16;
  const limit = isObj(spec.config) && isObj(spec.config.legend) && typeof spec.config.legend.labelLimit === 'number' ? spec.config.legend.labelLimit : 160;
  return Math.min(240, Math.max(150, limit * 0.6)) + 30;
}

function distinctCount(spec: Json, field: string): number {
  const data = spec.data;
  if (!isObj(data) || !Array.isArray(data.values)) return 0;
  return new Set((data.values as unknown[]).map((r) => (isObj(r) ? String(r[field]) : ''))).size;
}

/** Plot width for one of `k` panels across `total` pixels, with axes and a legend. */
function panelWidth(total: number, k: number, legend: number): number {
  return Math.max(MIN_PLOT_PX, Math.floor((total - legend - k * AXIS_PX - (k - 1) * SPACING_PX) / k));
}

function setWidth(s: Json, w: number): void {
  if (isObj(s.spec)) setWidth(s.spec, w);
  else if (Array.isArray(s.hconcat)) {
    const k = s.hconcat.length;
    for (const p of s.hconcat as unknown[]) if (isObj(p)) setWidth(p, Math.max(MIN_PLOT_PX, Math.floor((w - (k - 1) * (SPACING_PX + AXIS_PX)) / k)));
  } else if (Array.isArray(s.vconcat)) {
    for (const p of s.vconcat as unknown[]) if (isObj(p)) setWidth(p, w);
  } else s.width = w;
}

export function fitSpecToWidth(spec: unknown, availablePx: number): unknown {
  if (!isObj(spec) || !(availablePx > 0)) return spec;
  const out = JSON.parse(JSON.stringify(spec)) as Json;
  const legend = legendPx(out);
  const total = Math.floor(availablePx) - 8;
  if (Array.isArray(out.hconcat)) {
    const k = out.hconcat.length;
    const w = panelWidth(total, k, legend);
    for (const p of out.hconcat as unknown[]) if (isObj(p)) setWidth(p, w);
  } else if (isObj(out.facet) || isObj(out.spec)) {
    const col = isObj(out.facet) && isObj(out.facet.column) && typeof out.facet.column.field === 'string' ? distinctCount(out, out.facet.column.field) : 1;
    const k = Math.max(1, col);
    if (isObj(out.spec)) setWidth(out.spec, panelWidth(total, k, legend));
  } else if (Array.isArray(out.vconcat)) {
    for (const p of out.vconcat as unknown[]) if (isObj(p)) setWidth(p, panelWidth(total, 1, legend));
  } else out.width = panelWidth(total, 1, legend);
  return out;
}
