/** Plain-text table for CLI output: numeric columns right-aligned, text columns left-aligned. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const numeric = header.map((_, j) => rows.every((r) => typeof r[j] === 'number' || /^[-+0-9.e]+$/i.test(String(r[j] ?? ''))));
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  const pad = (c: string, j: number): string => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j]));
  const line = (r: (string | number)[]): string => r.map((c, j) => pad(String(c ?? ''), j)).join('  ').trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** Numbers for humans: 6 significant digits, integers as integers. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e7)) return x.toExponential(5);
  return String(Number(x.toPrecision(6)));
}
