import { InputError } from '../errors.js';
import type { LawFit } from './fitLaw.js';
import { PARAM_NAMES } from './lawForms.js';
import { formatCsv } from '../io/csv.js';

/**
 * Tables in the shape of the paper's Table 1 (THEORY.md section 7): fitted (E*, A, alpha, B, beta)
 * per task, with standard errors and intervals, as Markdown (for docs and reports) or CSV.
 */
export type TableFormat = 'md' | 'csv';
export const TABLE_FORMATS: readonly TableFormat[] = ['md', 'csv'];

/** Number with `digits` significant digits, no exponent for ordinary magnitudes. */
export function sig(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e7) return Number(x.toPrecision(digits)).toString();
  return x.toExponential(digits - 1);
}

/** Integer with thousands separators (the paper's tables: 48,480,000). */
export function grouped(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** CSV text with quoting where needed (tables of THEORY.md section 7). */
export function csvTable(header: string[], rows: (string | number | null)[][]): string {
  return formatCsv(header, rows);
}

/** GitHub Markdown table (tables of THEORY.md section 7). */
export function mdTable(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, j) => ((align?.[j] ?? 'r') === 'l' ? '---' : '---:'));
  const line = (cells: (string | number)[]): string => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(sep), ...rows.map(line)].join('\n') + '\n';
}

/** Fit parameters per task (paper Table 1) as Markdown ("value ± SE", or "value [bootstrap interval]") or CSV (value, SE, interval). */
export function fitTable(entries: { task: string; fit: LawFit }[], format: TableFormat = 'md'): string {
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) throw new InputError('format', format, TABLE_FORMATS.join(', '));
  if (format === 'md') {
    const header = ['Task', 'form', 'E*', 'A', 'alpha', 'B', 'beta', 'nu', 'R^2', 'RMSE', 'warnings'];
    const rows = entries.map(({ task, fit }) => [
      task,
      `${fit.form} (${fit.estimator})`,
      ...PARAM_NAMES.map((p) => {
        if ((fit.form === 'excess' && p === 'Estar') || (fit.form === 'multiplicative' && p === 'B')) return '-';
        const se = fit.stdErr[p];
        const iv = fit.intervals[p];
        // Bootstrap fits show their percentile interval (the honest one when rows are
        // correlated); Wald fits show the curvature standard error.
        if (fit.intervalMethod === 'bootstrap-percentile' && iv) return `${sig(fit.params[p])} [${sig(iv[0], 3)}, ${sig(iv[1], 3)}]`;
        return se === null ? `${sig(fit.params[p])} (n.i.)` : `${sig(fit.params[p])} ± ${sig(se, 2)}`;
      }),
      sig(fit.nu),
      sig(fit.r2, 4),
      sig(fit.rmse, 3),
      String(fit.warnings.length),
    ]);
    return mdTable(header, rows, ['l', 'l']);
  }
  const header = ['task', 'form', 'estimator'];
  for (const p of PARAM_NAMES) header.push(p, `${p}_se`, `${p}_lo`, `${p}_hi`);
  header.push('interval_method', 'confidence', 'nu', 'r2', 'rmse', 'rows', 'warnings');
  const rows = entries.map(({ task, fit }) => {
    const r: (string | number | null)[] = [task, fit.form, fit.estimator];
    for (const p of PARAM_NAMES) r.push(fit.params[p], fit.stdErr[p], fit.intervals[p]?.[0] ?? null, fit.intervals[p]?.[1] ?? null);
    r.push(fit.intervalMethod, fit.confidence, fit.nu, fit.r2, fit.rmse, fit.diagnostics.dataRange.rows, fit.warnings.join(' | '));
    return r;
  });
  return csvTable(header, rows);
}
