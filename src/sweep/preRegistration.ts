import type { LawFit } from '../fit/fitLaw.js';
import { lawObservations } from './analyze.js';
import type { SweepConfig } from './config.js';
import type { SweepContext } from './context.js';
import { scalingOptimalTargets } from './plan.js';
import { configSha256, predictTargets, readVerifiedPrediction, sha256Text, writePrediction, type BudgetPrediction, type Prediction } from './prediction.js';
import type { ResultRow } from './results.js';
import { writeRun, type RunRecord } from './runDir.js';

type Log = (line: string) => void;

/**
 * The registered storage-test targets of a run (THEORY.md section 6): the run's verified
 * prediction.json, or, when it has none yet, the one written now from the law fitted on the
 * grid (`rows`: the run's results the law was fitted on), before any strategy model is trained
 * (its sha256 and time go into run.json). The single-machine sweep and the cluster's fit step
 * both plan their strategies from these.
 */
export async function registeredTargets(
  ctx: SweepContext,
  runDir: string,
  rec: RunRecord,
  config: SweepConfig,
  law: LawFit,
  rows: ResultRow[],
  log: Log,
  time: <T>(f: () => Promise<T>) => Promise<T> = (f) => f(),
): Promise<BudgetPrediction[]> {
  const existing = readVerifiedPrediction(runDir, rec);
  if (existing) return existing.budgets;
  const trainedBefore = rows.filter((r) => r.phase === 'strategy').length;
  const obs = lawObservations(rows, config);
  const targets = await time(() => scalingOptimalTargets(ctx, law, log));
  const g = law.goodnessOfFit;
  const p: Prediction = {
    kind: 'lossyscale-storage-prediction',
    version: 1,
    run: { name: config.name, configSha256: configSha256(rec.config), runStarted: rec.provenance.time },
    createdAt: new Date().toISOString(),
    preRegistered: trainedBefore === 0,
    strategyJobsBefore: trainedBefore,
    pairedSeeds: config.strategies?.seeds ?? 0,
    confidence: 0.95,
    gridRows: obs.length,
    gridRowsSha256: sha256Text(JSON.stringify(obs)),
    law: { form: law.form, params: law.params, goodnessOfFit: g ? { verdict: g.verdict, chi2PerDof: g.chi2PerDof, dof: g.dof, pValue: g.pValue } : null, note: law.goodnessOfFitNote },
    method: "Err*(S) +- t sqrt(g' Sigma g + s^2): Sigma the law's curvature covariance on the grid rows, s^2 the spread of the grid cell means around the law (includes lack of fit); the interval is for the mean error of scaling-optimal over the paired seeds",
    budgets: predictTargets(law, obs, targets),
  };
  const w = writePrediction(runDir, p);
  rec.prediction = { ...w, preRegistered: p.preRegistered };
  writeRun(runDir, rec);
  log(`prediction.json written (sha256 ${w.sha256.slice(0, 12)})${p.preRegistered ? ' before any strategy model was trained' : `; NOT a pre-registration: ${trainedBefore} strategy jobs were already trained`}`);
  for (const b of p.budgets) log(`  S=${b.budgetBytes} B: n*=${b.n}, L*=${b.L.toFixed(1)} B, d*=${b.distance.toFixed(3)}, Err*=${(100 * b.error).toFixed(2)}% ${b.predictionInterval ? `[${(100 * b.predictionInterval[0]).toFixed(2)}, ${(100 * b.predictionInterval[1]).toFixed(2)}]` : '(no interval: the grid does not identify the law)'}`);
  return p.budgets;
}
