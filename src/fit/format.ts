/** Three significant digits for the fit's warning messages (THEORY.md section 6). */
export function fmt3(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x);
}
