import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { readObservationsCsv } from '../fit/csv.js';
import { ESTIMATORS, type Estimator } from '../fit/fitLaw.js';
import { LAW_FORMS, type LawForm, type LawParams } from '../fit/lawForms.js';
import { lawReplicates } from '../plan/replicates.js';
import type { SizePoint } from '../plan/sizeCurve.js';
import { repoRoot } from '../provenance.js';
import { displayPath, type RunEntry } from './discover.js';

/**
 * What the report's interactive planner needs for one fitted law of a real-data run
 * (THEORY.md sections 1 and 6): the law (form, parameters, fitted data range), its
 * residuals, bootstrap replicates refitted from the run's observations when the law names
 * them (computed here, at report-build time, by the same code as `lossyscale plan`), and
 * the run's size curve (sizes.json: mean bytes per image at each distance) to map L* to d*.
 */
export interface PlannerData {
  id: string;
  label: string;
  lawPath: string;
  law: { form: LawForm; estimator: Estimator; params: LawParams; diagnostics?: { dataRange: { n: [number, number]; L: [number, number] } } };
  residuals: number[];
  replicates: LawParams[] | null;
  replicateNote: string;
  curve: SizePoint[] | null;
  /** Images in the run's training pool (the largest size-curve count), as the planner's default "available". */
  poolImages: number | null;
  defaultStorage: string;
}

export const PLANNER_REPLICATES = 200;

function sizeCurveOf(dir: string): SizePoint[] | null {
  const p = join(dir, 'sizes.json');
  if (!existsSync(p)) return null;
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as { sizes?: Record<string, { mean?: unknown; count?: unknown }> };
    const out: SizePoint[] = [];
    for (const [k, v] of Object.entries(j.sizes ?? {})) {
      const m = /^pool d=([0-9.]+)$/.exec(k);
      if (m && typeof v.mean === 'number' && v.mean > 0) out.push({ distance: Number(m[1]), meanBytes: v.mean, count: typeof v.count === 'number' ? v.count : 0 });
    }
    return out.length ? out.sort((a, b) => a.distance - b.distance) : null;
  } catch {
    return null;
  }
}

/** Planner data for a run with a fitted law and bytes as its L (null for a stylized run: its L counts coordinates). */
export function plannerData(run: RunEntry, index: number, problems: string[]): PlannerData | null {
  if (!run.law) return null;
  const model = (run.run?.config as { model?: unknown } | undefined)?.model;
  if (model) return null;
  let raw: Record<string, unknown>;
  try {
    const j = JSON.parse(readFileSync(run.law.path, 'utf8')) as Record<string, unknown>;
    raw = (j.fit && typeof j.fit === 'object' ? j.fit : j) as Record<string, unknown>;
  } catch {
    return null;
  }
  const form = (LAW_FORMS as readonly string[]).includes(String(raw.form)) ? (raw.form as LawForm) : 'additive';
  const estimator = (ESTIMATORS as readonly string[]).includes(String(raw.estimator)) ? (raw.estimator as Estimator) : 'lsq';
  const params = run.law.params;
  const dataRange = (raw.diagnostics as { dataRange?: { n: [number, number]; L: [number, number] } } | undefined)?.dataRange;
  const residuals = Array.isArray(raw.residuals) ? (raw.residuals as unknown[]).filter((r): r is number => typeof r === 'number' && Number.isFinite(r)) : [];
  const input = (raw.input ?? (JSON.parse(readFileSync(run.law.path, 'utf8')) as { input?: unknown }).input) as { file?: unknown } | undefined;
  const candidates = [typeof input?.file === 'string' ? (isAbsolute(input.file) ? input.file : join(repoRoot, input.file)) : null, join(run.dir, 'tables', 'grid-observations.csv')].filter((p): p is string => p !== null);
  const obsPath = candidates.find((p) => existsSync(p));
  let replicates: LawParams[] | null = null;
  let replicateNote: string;
  if (obsPath) {
    try {
      const rows = readObservationsCsv(obsPath);
      const r = lawReplicates(rows, { form, estimator, params }, { replicates: PLANNER_REPLICATES, seed: 0 });
      replicates = r.params;
      replicateNote = `${r.params.length} of ${r.requested} bootstrap refits (resampling ${r.resampled}) of ${rows.length} observations in ${displayPath(obsPath)}`;
    } catch (e) {
      problems.push(`${displayPath(obsPath)}: bootstrap replicates for the planner failed (${(e as Error).message.split('\n')[0]}); the planner shows no band`);
      replicateNote = 'no band: the bootstrap refits failed';
    }
  } else replicateNote = 'no band: the law names no observation file to refit';
  const curve = sizeCurveOf(run.dir);
  const poolImages = curve ? Math.max(...curve.map((p) => p.count)) : null;
  const original = curve?.find((p) => p.distance === 0)?.meanBytes;
  // A default budget: half the pool in the original format, in round bytes.
  const defaultStorage = original && poolImages ? `${Number(((original * poolImages) / 2 / 1e6).toPrecision(2))}MB` : '1MB';
  return {
    id: `planner-${index}`,
    label: run.displayPath,
    lawPath: run.law.displayPath,
    law: { form, estimator, params, ...(dataRange ? { diagnostics: { dataRange } } : {}) },
    residuals,
    replicates,
    replicateNote,
    curve,
    poolImages,
    defaultStorage,
  };
}
