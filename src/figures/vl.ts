import type { TopLevelSpec } from 'vega-lite';
import type { Field, StringFieldDef } from 'vega-lite/types_unstable/channeldef.js';
import type { CompositeEncoding } from 'vega-lite/types_unstable/compositemark/index.js';
import type { LayerSpec, NonNormalizedSpec, UnitSpec } from 'vega-lite/types_unstable/spec/index.js';

/**
 * The Vega-Lite types the figures are built from (THEORY.md section 7), so that `tsc` checks
 * every spec: encodings, marks, scales and layers have the library's own types, not `object`.
 * vega-lite's package exports these under `types_unstable/`; they are re-exported here so a
 * version bump that moves them breaks this one file.
 */
export type { TopLevelSpec };
/** One layer or unit of a composed figure. */
export type Layer = UnitSpec<Field> | LayerSpec<Field>;
/** The encoding block of a unit. */
export type Encoding = CompositeEncoding<Field>;
/** A tooltip channel: a list of field definitions. */
export type Tooltip = StringFieldDef<Field>[];
/** A panel of hconcat / vconcat / facet. */
export type Panel = NonNormalizedSpec;

/** The `usermeta` block of a spec with lossyscale's provenance added. */
export function withUsermeta(spec: TopLevelSpec, key: string, value: unknown): TopLevelSpec {
  return { ...spec, usermeta: { ...spec.usermeta, [key]: value } };
}

export type { Scale } from 'vega-lite/types_unstable/scale.js';
export type { TopLevel } from 'vega-lite/types_unstable/spec/toplevel.js';
export type { LayerSpec } from 'vega-lite/types_unstable/spec/index.js';
export type { Field } from 'vega-lite/types_unstable/channeldef.js';
