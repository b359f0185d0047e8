import type { SimulationPlan } from '../simulate/plan.js';
import type { PlannedJob } from '../sweep/plan.js';
import type { EngineName, WorkUnit } from './layout.js';

/**
 * Work units of a cluster run (docs/cluster.md). A Monte Carlo unit is one repetition (each is
 * a pure function of the plan and its index, THEORY.md section 5). A sweep unit under the
 * lossyscale engine is a nested chain: consecutive planned jobs at one distance whose training
 * subsets extend each other (THEORY.md section 6). The ridge trainer accumulates a chain's
 * Gram statistics once, in blocks, from its first job on, so a task that runs whole chains in
 * plan order computes exactly what one machine computes. Under the worker engine every job is
 * a unit (the worker keeps no state between jobs, and its `--shard I/N` splits jobs).
 */

function extendsChain(prev: PlannedJob, next: PlannedJob): boolean {
  const a = prev.train;
  const b = next.train;
  if (prev.phase !== next.phase || typeof a.distance !== 'number' || a.distance !== b.distance) return false;
  if (a.indices.length > b.indices.length) return false;
  for (let i = 0; i < a.indices.length; i++) if (a.indices[i] !== b.indices[i]) return false;
  return true;
}

/** Group planned sweep jobs into units (plan order kept); the unit key is its first job's key. */
export function sweepUnits(jobs: readonly PlannedJob[], engine: EngineName): WorkUnit[] {
  const units: (WorkUnit & { jobs: string[] })[] = [];
  let prev: PlannedJob | undefined;
  for (const job of jobs) {
    const last = units[units.length - 1];
    if (engine === 'lossyscale' && last && prev && extendsChain(prev, job)) last.jobs.push(job.key);
    else units.push({ key: job.key, jobs: [job.key] });
    prev = job;
  }
  return units;
}

/** One unit per repetition, keyed like the Monte Carlo store (`rep-<r>`). */
export function monteCarloUnits(plan: Pick<SimulationPlan, 'reps'>): WorkUnit[] {
  return Array.from({ length: plan.reps }, (_, r) => ({ key: `rep-${r}`, rep: r }));
}

/** Same units (keys and jobs) in the same order: a re-planned phase must match what was submitted. */
export function sameUnits(a: readonly WorkUnit[], b: readonly WorkUnit[]): boolean {
  return a.length === b.length && a.every((u, i) => u.key === b[i].key && JSON.stringify(u.jobs ?? null) === JSON.stringify(b[i].jobs ?? null) && u.rep === b[i].rep);
}
