import { InputError } from '../errors.js';

/**
 * Storage sizes as people write them (THEORY.md section 1: a budget S in bytes): `40KB`,
 * `2.5GB`, `1.5 MiB` or a plain number of bytes. Decimal units are powers of 1000 (KB, MB,
 * GB, TB), binary ones powers of 1024 (KiB, MiB, GiB, TiB); case is ignored and `B` alone is
 * bytes. Pure, so the report's planner parses budgets with this same function.
 */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

export const SIZE_SYNTAX = 'bytes, or a number with a unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. 40KB, 2.5GB';

/** Parse a size to whole bytes (rounded down); InputError naming `param` for anything else. */
export function parseSize(param: string, text: string | undefined): number {
  if (text === undefined || text.trim() === '') throw new InputError(param, text ?? '', SIZE_SYNTAX);
  const m = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[3].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InputError(param, text, SIZE_SYNTAX);
  const value = Number(m[1] + (m[2] !== undefined ? `e${m[2]}` : '')) * unit;
  if (!Number.isFinite(value) || value < 1 || value > Number.MAX_SAFE_INTEGER) throw new InputError(param, text, `a size of 1 byte to ${Number.MAX_SAFE_INTEGER} bytes`);
  return Math.floor(value * (1 + 1e-12));
}

/** A byte count for people: `812 B`, `40 KB`, `2.5 GB` (decimal units, 3 significant digits). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const abs = Math.abs(bytes);
  const units: [number, string][] = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  for (const [f, u] of units) if (abs >= f) return `${trim(bytes / f)} ${u}`;
  return `${Math.round(bytes)} B`;
}

function trim(x: number): string {
  return String(Number(x.toPrecision(3)));
}
