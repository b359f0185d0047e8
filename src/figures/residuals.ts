import type { TopLevelSpec } from 'vega-lite';
import type { GoodnessOfFit } from '../fit/goodnessOfFit.js';

/**
 * Standardized residuals of a law fit (THEORY.md section 1) against n and against L, with
 * the +-2 band: a law that holds at the data's precision leaves them scattered in the band
 * without a trend in either panel.
 */
export function residualFigureSpec(gof: GoodnessOfFit, title: string): TopLevelSpec {
  const values = gof.standardized.map((s) => ({ n: s.n, L: Math.round(s.L * 10) / 10, z: Math.round(s.z * 1000) / 1000, cell: s.cell, rows: s.rows }));
  const sub = `chi^2/dof = ${gof.chi2PerDof.toPrecision(3)} on ${gof.dof} dof, p = ${gof.pValue < 1e-15 ? '< 1e-15' : gof.pValue.toPrecision(2)}: ${gof.verdict} (${gof.method === 'chi2-stdErr' ? 'known standard errors' : 'lack-of-fit test against the seeds'})`;
  const panel = (x: 'n' | 'L', label: string) => ({
    width: 300,
    height: 220,
    layer: [
      { mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: 2 } } },
      { mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: -2 } } },
      { mark: { type: 'rule' as const, color: '#444' }, encoding: { y: { datum: 0 } } },
      {
        mark: { type: 'point' as const, filled: true, size: 50 },
        encoding: {
          x: { field: x, type: 'quantitative' as const, scale: { type: 'log' as const }, title: label },
          y: { field: 'z', type: 'quantitative' as const, title: 'standardized residual (observed - law) / s.e.' },
          tooltip: [{ field: 'cell', type: 'nominal' as const }, { field: 'n', type: 'quantitative' as const }, { field: 'L', type: 'quantitative' as const }, { field: 'z', type: 'quantitative' as const }],
        },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle: sub },
    data: { values },
    hconcat: [panel('n', 'n (training samples, log)'), panel('L', 'L (bytes per sample, log)')],
  };
}
