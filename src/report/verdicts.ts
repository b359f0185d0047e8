/**
 * The computed verdicts of a sweep for the report (THEORY.md sections 1 and 6), read
 * defensively from its summary.json: the law's goodness of fit on the grid and the paired
 * storage test's sentence per budget (with whether the prediction was pre-registered).
 */
export interface RunVerdicts {
  law: string | null;
  lawRejected: boolean;
  storage: string[];
  preRegistered: boolean | null;
  coverage: string | null;
}

export function runVerdicts(summary: unknown): RunVerdicts | null {
  const s = summary as { law?: { form?: string; goodnessOfFit?: { verdict?: unknown; chi2PerDof?: unknown; dof?: unknown; pValue?: unknown } | null; goodnessOfFitNote?: unknown } | null; storageTest?: { preRegistered?: unknown; verdicts?: { sentence?: unknown }[]; predictionCheck?: { covered?: unknown }[] } | null } | null;
  if (!s || typeof s !== 'object') return null;
  const g = s.law?.goodnessOfFit;
  let law: string | null = null;
  let lawRejected = false;
  if (g && typeof g.verdict === 'string' && typeof g.chi2PerDof === 'number' && typeof g.dof === 'number' && typeof g.pValue === 'number') {
    lawRejected = g.verdict === 'rejected';
    const p = g.pValue < 1e-15 ? '< 1e-15' : g.pValue.toPrecision(2);
    law = `Goodness of fit of the ${s.law?.form ?? ''} law on the grid: chi^2/dof = ${g.chi2PerDof.toPrecision(3)} on ${g.dof} dof, p = ${p}: ${g.verdict}${lawRejected ? ' (the law does not fit the grid at its seed-to-seed precision; its parameters describe the best-fitting curve)' : ''}.`;
  } else if (s.law && typeof s.law.goodnessOfFitNote === 'string') law = `Goodness of fit of the law: not tested (${s.law.goodnessOfFitNote}).`;
  const st = s.storageTest;
  const storage = st && Array.isArray(st.verdicts) ? st.verdicts.map((v) => v.sentence).filter((x): x is string => typeof x === 'string') : [];
  const checks = st && Array.isArray(st.predictionCheck) ? st.predictionCheck.filter((c) => typeof c.covered === 'boolean') : [];
  const coverage = checks.length ? `The pre-registered 95% prediction interval of Err*(S) covered the measured scaling-optimal error at ${checks.filter((c) => c.covered === true).length} of ${checks.length} budgets.` : null;
  if (!law && !storage.length) return null;
  return { law, lawRejected, storage, preRegistered: typeof st?.preRegistered === 'boolean' ? st.preRegistered : null, coverage };
}
