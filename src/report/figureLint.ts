import type { FigureMeta } from '../figures/render.js';

/**
 * Accessibility and clarity conventions of a figure spec (THEORY.md section 7; listed in
 * docs/architecture.md): titles, axis titles, tooltips, provenance, and walkers over a spec's
 * encodings and marks.
 */

export function titleText(t: unknown): { title: string; subtitle: string } {
  if (typeof t === 'string') return { title: t, subtitle: '' };
  if (Array.isArray(t)) return { title: t.join(' '), subtitle: '' };
  if (t && typeof t === 'object') {
    const o = t as { text?: unknown; subtitle?: unknown };
    const text = typeof o.text === 'string' ? o.text : Array.isArray(o.text) ? o.text.join(' ') : '';
    const sub = typeof o.subtitle === 'string' ? o.subtitle : Array.isArray(o.subtitle) ? o.subtitle.join(' ') : '';
    return { title: text, subtitle: sub };
  }
  return { title: '', subtitle: '' };
}

/** Walk a Vega-Lite spec and collect every encoding object (top level, layers, concats, facets). */
export function encodingsOf(spec: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o.encoding && typeof o.encoding === 'object') out.push(o.encoding as Record<string, unknown>);
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(walk);
    if (o.spec) walk(o.spec);
  };
  walk(spec);
  return out;
}

/** Vega-Lite mark types used anywhere in a spec ('point', 'line', ...). */
export function markTypesOf(spec: unknown): string[] {
  const out = new Set<string>();
  const walk = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (typeof o.mark === 'string') out.add(o.mark);
    else if (o.mark && typeof o.mark === 'object' && typeof (o.mark as { type?: unknown }).type === 'string') out.add((o.mark as { type: string }).type);
    for (const k of ['layer', 'hconcat', 'vconcat', 'concat']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(walk);
    if (o.spec) walk(o.spec);
  };
  walk(spec);
  return [...out];
}

/**
 * Accessibility and clarity checks of a figure spec (docs/architecture.md, figure
 * conventions): a title, axis titles on positional channels, a tooltip, provenance.
 */
export function lintFigure(spec: Record<string, unknown>, meta: FigureMeta | null): string[] {
  const w: string[] = [];
  if (!titleText(spec.title).title) w.push('no title');
  const encs = encodingsOf(spec);
  let hasTooltip = false;
  // A positional channel is titled when any layer gives it a title (layers share axes).
  const fields: Record<'x' | 'y', string[]> = { x: [], y: [] };
  const titled: Record<'x' | 'y', boolean> = { x: false, y: false };
  const logFields = new Set<string>();
  const linearScaleFields = new Set<string>();
  for (const enc of encs) {
    if (enc.tooltip !== undefined) hasTooltip = true;
    for (const ch of ['color', 'fill', 'stroke', 'shape', 'strokeDash', 'size', 'opacity']) {
      const def = enc[ch] as { field?: string; legend?: unknown } | undefined;
      if (def && def.field && def.legend === null) w.push(`${ch} encodes "${def.field}" without a legend`);
    }
    for (const ch of ['x', 'y'] as const) {
      const def = enc[ch] as { field?: string; type?: string; title?: unknown; axis?: { title?: unknown } | null; scale?: { type?: string } | null } | undefined;
      if (!def) continue;
      if (def.field) fields[ch].push(def.field);
      // Sample counts, bytes and storage span decades: the paper plots them on log axes.
      if (def.field && def.type === 'quantitative' && /^(n|L|S|storage\w*|bytes\w*|budget\w*)$/.test(def.field) && def.scale?.type !== 'log' && !logFields.has(`${ch}:${def.field}`)) linearScaleFields.add(`${ch}:${def.field}`);
      if (def.field && def.scale?.type === 'log') {
        logFields.add(`${ch}:${def.field}`);
        linearScaleFields.delete(`${ch}:${def.field}`);
      }
      if (def.title !== undefined || (def.axis && def.axis.title !== undefined)) titled[ch] = true;
    }
  }
  for (const ch of ['x', 'y'] as const) if (fields[ch].length && !titled[ch]) w.push(`${ch} axis "${fields[ch][0]}" has no title (with units)`);
  for (const f of linearScaleFields) w.push(`${f.replace(':', ' axis "')}" is on a linear scale; sample sizes, bytes and budgets span decades (log scale expected)`);
  if (!hasTooltip && !(spec.mark && typeof spec.mark === 'object' && (spec.mark as { tooltip?: unknown }).tooltip)) w.push('no tooltip encoding');
  if (/"url"\s*:/.test(JSON.stringify({ d: spec.data, l: spec.layer, c: [spec.hconcat, spec.vconcat, spec.concat] }))) w.push('data loaded from a URL, not inline (the report and the gallery cannot rely on it)');
  if (!meta) w.push('no provenance (usermeta.lossyscale missing)');
  else {
    if (!meta.provenance) w.push('no provenance record');
    if (!meta.sources || meta.sources.length === 0) w.push('no source data files recorded');
    if (!meta.caption) w.push('no caption');
  }
  return [...new Set(w)];
}
