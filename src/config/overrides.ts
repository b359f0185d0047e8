import { InputError } from '../errors.js';

/**
 * `--set key.path=value` overrides of a JSON config (sweep, simulate, theory): the value is
 * parsed as JSON when it is valid JSON (numbers, true/false, null, lists, objects), else taken
 * as a string. Overrides are applied to the file's JSON before validation, so a bad path or
 * value gets the config's own error message, and the list is recorded in the config's
 * `overrides` field (and so in run.json).
 */
export interface ConfigOverride {
  /** The text as given, `key.path=value`. */
  text: string;
  path: string[];
  value: unknown;
}

/** Parse `--set` arguments; InputError naming the bad one. */
export function parseOverrides(list: readonly string[]): ConfigOverride[] {
  return list.map((text) => {
    const eq = text.indexOf('=');
    const key = eq < 0 ? '' : text.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key)) throw new InputError('--set', text, 'key.path=value, e.g. simulation.reps=10 (keys separated by dots)');
    const raw = text.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    return { text: `${key}=${raw}`, path: key.split('.'), value };
  });
}

/** Apply overrides to a parsed JSON config (a copy; intermediate objects are created when absent). */
export function applyOverrides(json: unknown, overrides: readonly ConfigOverride[]): unknown {
  if (overrides.length === 0) return json;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError('--set', overrides[0].text, 'a config whose top level is a JSON object');
  const root = structuredClone(json) as Record<string, unknown>;
  for (const o of overrides) {
    let node = root;
    for (let i = 0; i < o.path.length - 1; i++) {
      const k = o.path[i];
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new InputError('--set', o.text, `a path through objects (config.${o.path.slice(0, i + 1).join('.')} is not an object)`);
      node = node[k] as Record<string, unknown>;
    }
    node[o.path[o.path.length - 1]] = o.value;
  }
  root.overrides = [...((root.overrides as string[] | undefined) ?? []), ...overrides.map((o) => o.text)];
  return root;
}
