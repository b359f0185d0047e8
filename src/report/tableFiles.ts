import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../io/csv.js';
import { displayPath } from './displayPath.js';

/**
 * The tables of a run directory (`tables/*.md|csv`, THEORY.md section 7): markdown pipe tables
 * and CSV parsed into header and rows; a bad file becomes a problem line.
 */

export interface TableEntry {
  name: string;
  path: string;
  displayPath: string;
  kind: 'md' | 'csv';
  header: string[];
  rows: string[][];
}

/** Split one markdown pipe-table line into cells. */
function pipeCells(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|')) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Every markdown pipe table in a text, with the nearest `#` heading above it. */
export function parseMarkdownTables(text: string): { heading: string; header: string[]; rows: string[][] }[] {
  const lines = text.split(/\r?\n/);
  const out: { heading: string; header: string[]; rows: string[][] }[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (h) heading = h[1].trim();
    if (i + 1 < lines.length && lines[i].includes('|') && /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(lines[i + 1])) {
      const header = pipeCells(lines[i]);
      const rows: string[][] = [];
      let j = i + 2;
      for (; j < lines.length && lines[j].includes('|'); j++) rows.push(pipeCells(lines[j]));
      out.push({ heading, header, rows });
      i = j - 1;
    }
  }
  return out;
}

/** Parse the first markdown pipe table in a text; null if none. */
export function parseMarkdownTable(text: string): { header: string[]; rows: string[][] } | null {
  const t = parseMarkdownTables(text)[0];
  return t ? { header: t.header, rows: t.rows } : null;
}

/** Every table of a directory (markdown preferred over the CSV of the same name). */
export function readTables(dir: string, problems: string[]): TableEntry[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).sort();
  const out: TableEntry[] = [];
  const bases = new Set(files.filter((f) => /\.(md|csv)$/.test(f)).map((f) => f.replace(/\.(md|csv)$/, '')));
  for (const base of bases) {
    // Prefer the markdown table (formatted for people); fall back to the CSV.
    for (const kind of ['md', 'csv'] as const) {
      const path = join(dir, `${base}.${kind}`);
      if (!existsSync(path)) continue;
      try {
        const text = readFileSync(path, 'utf8');
        if (kind === 'md') {
          const t = parseMarkdownTable(text);
          if (!t) {
            problems.push(`${displayPath(path)}: no markdown table found; skipped`);
            continue;
          }
          out.push({ name: base, path, displayPath: displayPath(path), kind, header: t.header, rows: t.rows });
        } else {
          const rows = parseCsv(text, { comments: false });
          if (rows.length === 0) {
            problems.push(`${displayPath(path)}: empty CSV; skipped`);
            continue;
          }
          out.push({ name: base, path, displayPath: displayPath(path), kind, header: rows[0], rows: rows.slice(1) });
        }
        break;
      } catch (e) {
        problems.push(`${displayPath(path)}: cannot be read (${(e as Error).message.split('\n')[0]}); skipped`);
      }
    }
  }
  return out;
}
