import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/appendOnlyStore.js';

describe('append-only store', () => {
  it('keeps finished rows and drops a torn last line left by a kill', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'r.jsonl');
    const s = openStore<{ key: string; v: number }>(path);
    s.append({ key: 'a', v: 1 });
    s.append({ key: 'b', v: 2 });
    appendFileSync(path, '{"key":"c","v":'); // killed mid-write
    const t = openStore<{ key: string; v: number }>(path);
    expect(t.rows().map((r) => r.key)).toEqual(['a', 'b']);
    expect(t.has('c')).toBe(false);
    t.append({ key: 'c', v: 3 });
    expect(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['a', 'b', 'c']);
    expect(() => t.append({ key: 'a', v: 9 })).toThrow(/duplicate/);
  });

  it('refuses a store corrupted in the middle', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'r.jsonl');
    appendFileSync(path, '{"key":"a"}\nnot json\n{"key":"b"}\n{"key":"c"}\n');
    expect(() => openStore(path)).toThrow(/corrupt at line 2/);
  });
});
