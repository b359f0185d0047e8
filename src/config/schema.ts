import { readFileSync } from 'node:fs';
import { InputError, ResourceError } from '../errors.js';
import { applyOverrides, type ConfigOverride } from './overrides.js';
import { withoutBom } from '../io/streams.js';

/**
 * A small typed schema for JSON configs: one schema per config file, parsed once at the
 * CLI boundary. Errors name the config path of the bad field (`simulation.reps`), its value
 * and the valid range. (A general validator such as zod would do the same; this keeps the
 * dependency list to the chosen set and the messages in the project's one format.)
 */
export interface Schema<T> {
  parse(value: unknown, path: string): T;
  /** Human description of valid values, used in messages. */
  describe: string;
  /** The same rules as a JSON Schema (draft 2020-12) fragment, for editors; absent: only `describe`. */
  jsonSchema?: JsonSchema;
}

/** A JSON Schema fragment. */
export type JsonSchema = { [key: string]: unknown };

/** The JSON Schema of a schema (its own, or one carrying only its description). */
export function toJsonSchema(s: Schema<unknown>): JsonSchema {
  return s.jsonSchema ?? { description: s.describe };
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

export function num(opts: { min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean; integer?: boolean } = {}): Schema<number> {
  const parts: string[] = [opts.integer ? 'an integer' : 'a number'];
  if (opts.min !== undefined) parts.push(`${opts.minOpen ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined) parts.push(`${opts.maxOpen ? '<' : '<='} ${opts.max}`);
  const describe = parts.join(' ');
  const jsonSchema: JsonSchema = { type: opts.integer ? 'integer' : 'number' };
  if (opts.min !== undefined) jsonSchema[opts.minOpen ? 'exclusiveMinimum' : 'minimum'] = opts.min;
  if (opts.max !== undefined) jsonSchema[opts.maxOpen ? 'exclusiveMaximum' : 'maximum'] = opts.max;
  return {
    describe,
    jsonSchema,
    parse(v, path) {
      const ok =
        typeof v === 'number' && Number.isFinite(v) && (!opts.integer || Number.isInteger(v)) &&
        (opts.min === undefined || (opts.minOpen ? v > opts.min : v >= opts.min)) &&
        (opts.max === undefined || (opts.maxOpen ? v < opts.max : v <= opts.max));
      if (!ok) throw new InputError(path, v, describe);
      return v as number;
    },
  };
}

export function str(opts: { nonEmpty?: boolean } = {}): Schema<string> {
  return {
    describe: 'a string',
    jsonSchema: opts.nonEmpty ? { type: 'string', minLength: 1 } : { type: 'string' },
    parse(v, path) {
      if (typeof v !== 'string' || (opts.nonEmpty && v === '')) throw new InputError(path, v, opts.nonEmpty ? 'a non-empty string' : 'a string');
      return v;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    describe: 'true or false',
    jsonSchema: { type: 'boolean' },
    parse(v, path) {
      if (typeof v !== 'boolean') throw new InputError(path, v, 'true or false');
      return v;
    },
  };
}

export function oneOf<const T extends readonly (string | number)[]>(options: T): Schema<T[number]> {
  const describe = `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
  return {
    describe,
    jsonSchema: { enum: [...options] },
    parse(v, path) {
      if (!(options as readonly unknown[]).includes(v)) throw new InputError(path, v, describe);
      return v as T[number];
    },
  };
}

export function arr<T>(of: Schema<T>, opts: { minLength?: number; maxLength?: number; increasing?: boolean } = {}): Schema<T[]> {
  const describe = `a list${opts.minLength ? ` of at least ${opts.minLength}` : ''} of ${of.describe}${opts.increasing ? ', strictly increasing' : ''}`;
  const jsonSchema: JsonSchema = { type: 'array', items: toJsonSchema(of) };
  if (opts.minLength !== undefined) jsonSchema.minItems = opts.minLength;
  if (opts.maxLength !== undefined) jsonSchema.maxItems = opts.maxLength;
  if (opts.increasing) jsonSchema.description = 'strictly increasing';
  return {
    describe,
    jsonSchema,
    parse(v, path) {
      if (!Array.isArray(v)) throw new InputError(path, summarize(v), describe);
      if (opts.minLength !== undefined && v.length < opts.minLength) throw new InputError(path, `${v.length} items`, describe);
      if (opts.maxLength !== undefined && v.length > opts.maxLength) throw new InputError(path, `${v.length} items`, `at most ${opts.maxLength} items`);
      const out = v.map((x, i) => of.parse(x, `${path}[${i}]`));
      if (opts.increasing) {
        for (let i = 1; i < out.length; i++) {
          const cur: unknown = out[i];
          const prev: unknown = out[i - 1];
          if (typeof cur !== 'number' || typeof prev !== 'number' || !(cur > prev)) throw new InputError(`${path}[${i}]`, out[i], `> ${path}[${i - 1}] = ${out[i - 1]} (strictly increasing)`);
        }
      }
      return out;
    },
  };
}

type Fields = Record<string, Schema<unknown>>;
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends OptionalSchema<unknown> ? K : never }[keyof F];
export type ObjectOf<F extends Fields> = { [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & { [K in OptionalKeys<F>]?: Infer<F[K]> };

export interface OptionalSchema<T> extends Schema<T | undefined> {
  optional: true;
}

/** A field that may be absent; with a default it is filled in (and then never undefined). */
export function optional<T>(s: Schema<T>): OptionalSchema<T>;
export function optional<T>(s: Schema<T>, dflt: T): Schema<T>;
export function optional<T>(s: Schema<T>, dflt?: T): Schema<T | undefined> {
  if (dflt !== undefined) {
    return { describe: s.describe, jsonSchema: { ...toJsonSchema(s), default: dflt }, optional: true, parse: (v, path) => (v === undefined ? dflt : s.parse(v, path)) } as Schema<T>;
  }
  return { describe: s.describe, jsonSchema: s.jsonSchema, optional: true, parse: (v, path) => (v === undefined ? undefined : s.parse(v, path)) } as OptionalSchema<T>;
}

/** An object with known fields; unknown fields are errors (they are usually typos). */
export function obj<F extends Fields>(fields: F): Schema<ObjectOf<F>> {
  const describe = `an object with fields ${Object.keys(fields).join(', ')}`;
  const required = Object.entries(fields)
    .filter(([, s]) => !(s as Partial<OptionalSchema<unknown>>).optional)
    .map(([k]) => k);
  const jsonSchema: JsonSchema = {
    type: 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, toJsonSchema(s)])),
    ...(required.length ? { required } : {}),
    additionalProperties: false,
  };
  return {
    describe,
    jsonSchema,
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(path, summarize(v), describe);
      const rec = v as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!(k in fields)) throw new InputError(`${path}.${k}`, summarize(rec[k]), `a known field of ${path} (${Object.keys(fields).join(', ')})`, 'unknown field');
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(fields)) {
        const val = s.parse(rec[k], `${path}.${k}`);
        if (val !== undefined) out[k] = val;
      }
      return out as ObjectOf<F>;
    },
  };
}

/** A value that one of several schemas accepts (tried in order; the message lists them all). */
export function anyOf<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  const describe = `${a.describe} or ${b.describe}`;
  return {
    describe,
    jsonSchema: { anyOf: [toJsonSchema(a), toJsonSchema(b)] },
    parse(v, path) {
      for (const s of [a, b]) {
        try {
          return s.parse(v, path);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }
      throw new InputError(path, summarize(v), describe);
    },
  };
}

/** An object whose every value matches one schema (keys free, input order kept). */
export function record<T>(of: Schema<T>): Schema<Record<string, T>> {
  const describe = `an object of ${of.describe} values`;
  return {
    describe,
    jsonSchema: { type: 'object', additionalProperties: toJsonSchema(of) },
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(path, summarize(v), describe);
      const out: Record<string, T> = {};
      for (const [k, x] of Object.entries(v)) out[k] = of.parse(x, `${path}.${k}`);
      return out;
    },
  };
}

/** An object discriminated by a string field: the value of `key` picks the schema of the whole object. */
export function tagged<K extends string, M extends Record<string, Schema<object>>>(key: K, variants: M): Schema<Infer<M[keyof M]>> {
  const names = Object.keys(variants);
  const describe = `an object with ${key} ${names.map((n) => JSON.stringify(n)).join(' or ')}`;
  return {
    describe,
    // Each variant's own schema (whose `key` field names its tag) is one alternative.
    jsonSchema: { oneOf: names.map((n) => toJsonSchema(variants[n])) },
    parse(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(path, summarize(v), describe);
      const tag: unknown = Reflect.get(v, key);
      const schema = typeof tag === 'string' && Object.hasOwn(variants, tag) ? variants[tag] : undefined;
      if (!schema) throw new InputError(`${path}.${key}`, summarize(tag), names.map((n) => JSON.stringify(n)).join(' or '));
      return schema.parse(v, path) as Infer<M[keyof M]>;
    },
  };
}

/** A short rendering of a bad value for messages (undefined stays undefined: InputError prints `missing`). */
export function summarize(v: unknown): string | undefined {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    // Nested deeper than the stack allows (a hostile config): the path still names the field.
    return '(a value nested too deeply to show)';
  }
  return s === undefined ? undefined : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/**
 * Read and validate a JSON config file (`-` = stdin); the root path in messages is `config`.
 * `--set` overrides are applied before validation (src/config/overrides.ts).
 */
export function loadConfig<T>(file: string, schema: Schema<T>, overrides: readonly ConfigOverride[] = []): T {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new ResourceError(`cannot read config ${file === '-' ? 'stdin' : file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(withoutBom(text));
  } catch (e) {
    throw new ResourceError(`malformed config ${file}: ${(e as Error).message.replace(/\s*[\r\n]+\s*/g, ' ')}`);
  }
  return schema.parse(applyOverrides(json, overrides), 'config');
}

/** Root fields every config kind accepts: its JSON Schema reference and the recorded --set overrides. */
export const configMetaFields = {
  /** Path or URL of this config kind's JSON Schema (schemas/*.schema.json), for editors. */
  $schema: optional(str()),
  /** `key.path=value` overrides given with --set (written by the CLI, recorded in run.json). */
  overrides: optional(arr(str())),
};

/** A config without its `$schema` reference (which does not change a run). */
export function withoutSchemaRef<T>(config: T): T {
  if (typeof config !== 'object' || config === null || !('$schema' in config)) return config;
  const { $schema: _s, ...rest } = config as Record<string, unknown>;
  return rest as T;
}
