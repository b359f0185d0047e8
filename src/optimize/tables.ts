import { InputError } from '../errors.js';
import { TABLE_FORMATS, csvTable, grouped, mdTable, sig, type TableFormat } from '../fit/tables.js';
import type { StorageComparison } from './compareAtStorage.js';
import { toCsvIdentifier } from '../io/csv.js';

/**
 * Tables in the shape of the paper's Table 2 (THEORY.md section 7): S, n*, L* per budget (and
 * Err*, the active constraints, and the comparison strategies' predicted errors).
 */
export function allocationTable(entries: { task?: string; comparison: StorageComparison }[], format: TableFormat = 'md'): string {
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) throw new InputError('format', format, TABLE_FORMATS.join(', '));
  const others = [...new Set(entries.flatMap((e) => e.comparison.rows.filter((r) => r.strategy !== 'scaling-optimal').map((r) => r.name)))];
  const withTask = entries.some((e) => e.task !== undefined);
  if (format === 'md') {
    const header = [...(withTask ? ['Task'] : []), 'S (bytes)', 'n*', 'L* (bytes)', 'Err*', 'active constraints', ...others.map((o) => `Err ${o} (n)`)];
    const rows = entries.map(({ task, comparison: c }) => [
      ...(withTask ? [task ?? ''] : []),
      grouped(c.storage),
      grouped(c.optimum.n),
      grouped(c.optimum.L),
      sig(c.optimum.error),
      c.optimum.activeConstraints.join(', ') || '-',
      ...others.map((o) => {
        const r = c.rows.find((x) => x.name === o);
        return r ? (r.error === null ? `- (${r.n})` : `${sig(r.error)} (${grouped(r.n)})`) : '';
      }),
    ]);
    return mdTable(header, rows, withTask ? ['l'] : []);
  }
  const header = [...(withTask ? ['task'] : []), 'storage', 'n', 'L', 'error', 'storage_used', 'active_constraints', 'n_unconstrained', 'L_unconstrained', 'nu', 'CE'];
  for (const o of others) header.push(`${toCsvIdentifier(o)}_n`, `${toCsvIdentifier(o)}_L`, `${toCsvIdentifier(o)}_error`);
  const rows = entries.map(({ task, comparison: c }) => {
    const r: (string | number | null)[] = [...(withTask ? [task ?? ''] : []), c.storage, c.optimum.n, c.optimum.L, c.optimum.error, c.optimum.storageUsed, c.optimum.activeConstraints.join(' '), c.optimum.unconstrained?.n ?? null, c.optimum.unconstrained?.L ?? null, c.optimum.nu, c.optimum.CE];
    for (const o of others) {
      const x = c.rows.find((y) => y.name === o);
      r.push(x?.n ?? null, x?.L ?? null, x?.error ?? null);
    }
    return r;
  });
  return csvTable(header, rows);
}
