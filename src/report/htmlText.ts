/** Text helpers of the HTML report (THEORY.md section 7): escaping and number formatting shared by its pages and tools. */

/** Escape text for HTML content and attribute values. */
export function esc(s: unknown): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A number with `digits` significant digits, scientific outside [1e-3, 1e5). */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = x.toExponential(digits - 1).split('e');
    return `${m.replace(/\.?0+$/, '')}×10<sup>${Number(e)}</sup>`;
  }
  return String(Number(x.toPrecision(digits)));
}
