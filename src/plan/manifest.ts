import { csvTable } from '../fit/tables.js';
import type { ManifestRow } from './planResult.js';

/** manifest.csv of the written training set (THEORY.md section 6): one row per image, through the CSV module. */
export const MANIFEST_HEADER = ['path', 'class', 'bytes', 'distance', 'source', 'sha256'];

/** Bytes of the header line, newline included. */
export const MANIFEST_HEADER_BYTES = MANIFEST_HEADER.join(',').length + 1;

export function manifestCsv(rows: ManifestRow[]): string {
  return csvTable(MANIFEST_HEADER, rows.map((r) => [r.path, r.class, r.bytes, r.distance, r.source, r.sha256]));
}

/** File-system-safe name part. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}

/** The file name (without extension) of a pool image: its source name, or `image-<index>`. */
export function imageName(id: string | undefined, index: number): string {
  if (!id) return `image-${index}`;
  const base = id.split('/').pop() ?? id;
  return safeName(base.replace(/\.(png|jpe?g)$/i, ''));
}
