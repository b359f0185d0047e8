import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';

/**
 * The planner's output directory (THEORY.md section 6, the compressed training set):
 * `images/<class>/<name>.jxl`, `manifest.csv`, `plan.json`, and while writing
 * `.plan-state.json` (the chosen files and their hashes, so an interrupted write resumes).
 * Every file is written to a temporary name and renamed, so no half-written file carries a
 * final name; `plan.json` is written last, so a directory with a plan.json is complete.
 */
export const PLAN_FILE = 'plan.json';
export const MANIFEST_FILE = 'manifest.csv';
export const STATE_FILE = '.plan-state.json';
export const IMAGES_DIR = 'images';

export type OutDirState<P, S> = { kind: 'empty' } | { kind: 'complete'; plan: P } | { kind: 'in-progress'; state: S };

/** sha256 of bytes, hex. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Key of a plan's inputs: the same inputs resume the same directory, others are refused. */
export function planKey(inputs: unknown): string {
  return sha256(JSON.stringify(inputs)).slice(0, 16);
}

function readJson<T>(path: string): (T & { key?: unknown }) | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as T & { key?: unknown }) : null;
  } catch {
    return null;
  }
}

/**
 * What `dir` holds, refusing (InputError on `--out`) a file, a directory with anything but a
 * plan's files, or a plan (complete or in progress) made from other inputs than `key`.
 */
export function inspectOutDir<P, S>(dir: string, key: string): OutDirState<P, S> {
  if (!existsSync(dir)) return { kind: 'empty' };
  if (!statSync(dir).isDirectory()) throw new InputError('--out', dir, 'a directory (or a path that does not exist yet)');
  const entries = readdirSync(dir).filter((e) => !e.startsWith('.tmp-'));
  if (entries.length === 0) return { kind: 'empty' };
  const own = new Set([PLAN_FILE, MANIFEST_FILE, STATE_FILE, IMAGES_DIR]);
  const foreign = entries.filter((e) => !own.has(e));
  if (foreign.length) throw new InputError('--out', dir, 'an empty directory or one holding a plan of these same inputs', `it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}`);
  const plan = existsSync(join(dir, PLAN_FILE)) ? readJson<P>(join(dir, PLAN_FILE)) : null;
  const state = existsSync(join(dir, STATE_FILE)) ? readJson<S>(join(dir, STATE_FILE)) : null;
  const other = (found: unknown): InputError =>
    new InputError('--out', dir, 'an empty directory or one holding a plan of these same inputs', `it holds another plan (key ${typeof found === 'string' ? found : 'unreadable'}, these inputs have key ${key}); choose another --out`);
  if (plan) {
    if (plan.key !== key) throw other(plan.key);
    return { kind: 'complete', plan };
  }
  if (existsSync(join(dir, PLAN_FILE))) throw other(undefined);
  if (state) {
    if (state.key !== key) throw other(state.key);
    return { kind: 'in-progress', state };
  }
  throw new InputError('--out', dir, 'an empty directory or one holding a plan of these same inputs', 'it holds plan files but no readable plan state; remove it or choose another --out');
}

let tmpCounter = 0;

/** Write `bytes` to `path` through a temporary file in the same directory and a rename. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${process.pid}-${tmpCounter++}`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}
