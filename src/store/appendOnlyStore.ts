import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ResourceError } from '../errors.js';

/**
 * An append-only JSON-lines results store, the unit of resumability for long jobs.
 *
 * Every row carries a string `key` naming the unit of work it finishes (a repetition, an
 * `(n, d, seed)` training job...). Opening the store reads the finished keys; a job skips
 * them and appends one line per newly finished unit in a single write, so a process killed
 * at any moment leaves at most one torn last line, which the next open cuts off. Rows are
 * never rewritten, so no finished work is lost and none is duplicated.
 */
export interface StoreRow {
  key: string;
  [field: string]: unknown;
}

export interface AppendOnlyStore<R extends StoreRow> {
  readonly path: string;
  rows(): R[];
  has(key: string): boolean;
  /** 1-based line of the file holding the row of `key` (for messages about bad rows). */
  lineOf(key: string): number | undefined;
  append(row: R): void;
}

export function openStore<R extends StoreRow>(path: string): AppendOnlyStore<R> {
  mkdirSync(dirname(path), { recursive: true });
  const rows: R[] = [];
  const keys = new Set<string>();
  const lineOfKey = new Map<string, number>();
  let lineCount = 0;
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    let goodBytes = 0;
    let offset = 0;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const isLast = i === lines.length - 1;
      const lineBytes = Buffer.byteLength(line, 'utf8') + (isLast ? 0 : 1);
      if (line.trim() !== '') {
        let row: R | undefined;
        try {
          row = JSON.parse(line) as R;
        } catch {
          row = undefined;
        }
        const complete = !isLast; // a line is finished only once its newline is written
        if (!row || typeof row.key !== 'string' || !complete) {
          if (i >= lines.length - 2) break; // torn tail from a kill: drop it below
          throw new ResourceError(`results store ${path} is corrupt at line ${i + 1}; move it away to start over`);
        }
        if (!keys.has(row.key)) {
          keys.add(row.key);
          lineOfKey.set(row.key, i + 1);
          rows.push(row);
        }
      }
      offset += lineBytes;
      goodBytes = offset;
      lineCount = isLast && line === '' ? i : i + 1;
    }
    if (goodBytes < Buffer.byteLength(text, 'utf8')) truncateSync(path, goodBytes);
  } else {
    writeFileSync(path, '');
  }
  return {
    path,
    rows: () => rows.slice(),
    has: (key) => keys.has(key),
    lineOf: (key) => lineOfKey.get(key),
    append(row) {
      if (keys.has(row.key)) throw new Error(`duplicate result key ${row.key} in ${path}`);
      appendFileSync(path, JSON.stringify(row) + '\n');
      keys.add(row.key);
      lineOfKey.set(row.key, ++lineCount);
      rows.push(row);
    },
  };
}
