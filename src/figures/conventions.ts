/**
 * Figure conventions applied to every figure spec when it is written (THEORY.md section 7):
 * - human ticks: size axes in bytes read `200 B`, `10 KB`, `2.5 MB`; counts read `5k`,
 *   `100k`, `1M`; other log axes plain numbers (`0.02`, `20`), never `1e+8`;
 * - log axes drop labels that would overlap (greedy), so dense log ticks never collide;
 * - every y axis reserves the same room for its labels, so panels side by side or stacked
 *   (concat, facets) line up;
 * - clicking a legend entry highlights that series (the others fade), through a point
 *   selection bound to the legend on the series field.
 * Pure: a spec in, a new spec out; the builders keep describing only their data.
 */
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Vega expression: a byte count with a decimal unit. */
export const BYTES_LABEL =
  "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + ' GB' : datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + ' MB' : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + ' KB' : format(datum.value, '~g') + ' B'";
/** Vega expression: a count with an SI suffix from 1000 on (5k, 100k, 1M, 10G). */
export const COUNT_LABEL = "datum.value >= 1000 ? replace(format(datum.value, '~s'), 'G', 'B') : format(datum.value, '~g')";
/** Vega expression: a plain number. */
export const PLAIN_LABEL = "format(datum.value, '~g')";

/** Vega expression: whether a log tick is 1, 2 or 5 times a power of ten (the only log ticks labelled). */
export const LOG_125 =
  '(datum.value / pow(10, floor(log(datum.value) / LN10 + 1e-9)) - [1, 2, 5][indexof([1, 2, 5], round(datum.value / pow(10, floor(log(datum.value) / LN10 + 1e-9))))]) < 1e-6 && indexof([1, 2, 5], round(datum.value / pow(10, floor(log(datum.value) / LN10 + 1e-9)))) >= 0';

export type AxisUnit = 'bytes' | 'count' | 'plain';

/** The unit an axis title names: sizes in bytes, counts (samples, images, coordinates), or anything else. */
export function axisUnit(title: string): AxisUnit {
  const t = title.toLowerCase();
  if (/\bbytes\b/.test(t) && !/coordinates|bits/.test(t)) return 'bytes';
  if (/\bbytes\b/.test(t)) return 'count';
  if (/\bimages\b|\bsamples\b|\bcoordinates\b|\bbits per sample\b|^n\b|\bn \(|\bl \(|^l\b/.test(t)) return 'count';
  return 'plain';
}

const LABEL: Record<AxisUnit, string> = { bytes: BYTES_LABEL, count: COUNT_LABEL, plain: PLAIN_LABEL };
export const Y_AXIS_MIN_EXTENT = 64;

function titleOf(def: Json): string | null {
  const t = def.title ?? (isObj(def.axis) ? def.axis.title : undefined);
  return typeof t === 'string' ? t : Array.isArray(t) ? t.join(' ') : null;
}

/** `sharedScale`: the scale the layers of one view share on this channel (the first layer that states one). */
function fixAxis(def: Json, channel: 'x' | 'y', unit: AxisUnit, sharedScale: Json): void {
  if (def.type !== 'quantitative' || def.axis === null) return;
  const scale = isObj(def.scale) ? def.scale : sharedScale;
  const log = scale.type === 'log';
  const axis: Json = isObj(def.axis) ? { ...def.axis } : {};
  const eNotation = typeof axis.format === 'string' && /e$/.test(axis.format);
  if (eNotation) delete axis.format;
  // Log axes spanning a decade or more label only 1, 2, 5 x 10^k; narrower ones label every tick.
  const domain = Array.isArray(scale.domain) && scale.domain.length === 2 && scale.domain.every((v) => typeof v === 'number' && v > 0) ? (scale.domain as number[]) : null;
  const wide = log && (domain === null || domain[1] / domain[0] >= 20);
  if (axis.labelExpr === undefined && axis.format === undefined && (log || unit !== 'plain')) axis.labelExpr = wide ? `${LOG_125} ? ${LABEL[unit]} : ''` : LABEL[unit];
  if (log) {
    axis.labelOverlap = axis.labelOverlap ?? 'greedy';
    axis.labelSeparation = axis.labelSeparation ?? 6;
  }
  if (channel === 'y') axis.minExtent = axis.minExtent ?? Y_AXIS_MIN_EXTENT;
  def.axis = axis;
}

const SERIES_CHANNELS = ['color', 'shape', 'strokeDash'] as const;

/** The series field of a unit: a nominal or ordinal colour (else shape, dash) with a legend. */
function seriesField(enc: Json): string | null {
  for (const ch of SERIES_CHANNELS) {
    const d = enc[ch];
    if (isObj(d) && typeof d.field === 'string' && (d.type === 'nominal' || d.type === 'ordinal') && d.legend !== null) return d.field;
  }
  return null;
}

/** Units (specs with a mark) of one view: itself, or its layers. */
function unitsOf(view: Json): Json[] {
  if (Array.isArray(view.layer)) return (view.layer as unknown[]).filter(isObj).flatMap(unitsOf);
  return view.mark !== undefined ? [view] : [];
}

/**
 * Add a legend-bound highlight to one view (a unit or a layer) whose units share a series field;
 * `index` (the view's position in its spec) keeps the parameter names of one spec distinct, so a
 * spec's text depends on nothing but the spec.
 */
function addHighlight(view: Json, index: number): void {
  const units = unitsOf(view);
  const owner = units.find((u) => isObj(u.encoding) && seriesField(u.encoding) !== null);
  if (!owner) return;
  // non-null: owner was found by seriesField(...) !== null.
  const field = seriesField(owner.encoding as Json)!;
  if ((units.some((u) => Array.isArray(u.params) && u.params.length > 0)) || Array.isArray(view.params)) return;
  const name = `highlight_${index}`;
  owner.params = [{ name, select: { type: 'point', fields: [field] }, bind: 'legend' }];
  for (const u of units) {
    const enc = u.encoding;
    if (!isObj(enc) || enc.opacity !== undefined) continue;
    const uses = SERIES_CHANNELS.some((ch) => isObj(enc[ch]) && (enc[ch] as Json).field === field);
    if (uses) enc.opacity = { condition: { param: name, value: 1, empty: true }, value: 0.15 };
  }
}

/** Views of a spec: the composed pieces that own a plot (concat panels, facet inner specs, or the spec itself). */
function views(spec: Json): Json[] {
  for (const k of ['hconcat', 'vconcat', 'concat']) if (Array.isArray(spec[k])) return (spec[k] as unknown[]).filter(isObj).flatMap(views);
  if (isObj(spec.spec)) return views(spec.spec);
  return [spec];
}

export function applyFigureConventions<T>(spec: T): T {
  if (!isObj(spec)) return spec;
  const out = JSON.parse(JSON.stringify(spec)) as Json;
  for (const [index, v] of views(out).entries()) {
    // Layers share their axes: the unit comes from whichever layer titles the channel.
    const encs = [v, ...unitsOf(v)].map((u) => u.encoding).filter(isObj);
    for (const ch of ['x', 'y'] as const) {
      const defs = encs.map((e) => e[ch]).filter(isObj);
      const title = defs.map(titleOf).find((t): t is string => t !== null) ?? '';
      const unit = axisUnit(title);
      // Layers share one axis, so they get one label expression (Vega-Lite warns on a conflict).
      const sharedScale = defs.map((d) => d.scale).find(isObj) ?? {};
      for (const d of defs) fixAxis(d, ch, unit, sharedScale);
    }
    addHighlight(v, index);
  }
  return out as T;
}
