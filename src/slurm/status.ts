import { phasesOf, readShardRows, readUnits, slurmPaths, unitsOfTask, type PhaseName, type SlurmRunRecord, type Submission } from './layout.js';
import { accountingStates, ACTIVE_STATES, queueStates, type TaskState } from './scheduler.js';

/**
 * Per-task state of a cluster run (docs/cluster.md): Slurm's view (squeue while the controller
 * remembers the task, sacct where accounting exists) joined with the shard stores, which are
 * the ground truth for finished units.
 */
export interface TaskStatus {
  phase: PhaseName;
  task: number;
  units: number;
  done: number;
  /** Slurm state of the latest submission of this task, or 'not-submitted' / 'unknown' (forgotten by the controller, no accounting). */
  state: string;
  jobId?: string;
}

export interface StepStatus {
  step: 'fit';
  state: string;
  jobId: string;
}

export interface RunStatus {
  /** Why Slurm could not be asked (squeue failed): states of tasks it was not asked about are 'unknown', which does not mean finished. */
  queryError?: string;
  tasks: TaskStatus[];
  steps: StepStatus[];
  /** Phases whose units are not planned yet (a sweep's strategies before the fit). */
  unplanned: PhaseName[];
  counts: { units: number; done: number; running: number; pending: number; failed: number; notSubmitted: number };
  /** Tasks and steps still pending or running. */
  active: number;
  source: 'squeue' | 'squeue+sacct' | 'sacct' | 'stores';
}

/** State of a pending job whose dependency can no longer be satisfied (not active: re-submitting cancels it). */
export const NEVER_RUNS = 'NEVER_RUNS';

function latest(subs: Submission[], step: Submission['step'], task: number | null): Submission | undefined {
  for (let i = subs.length - 1; i >= 0; i--) if (subs[i].step === step && (task === null || subs[i].tasks.includes(task))) return subs[i];
  return undefined;
}

/** Finished unit keys of a shard store (read only: its task may be appending). */
function doneKeys(path: string): Set<string> {
  return new Set(readShardRows(path).map((r) => r.key));
}

/** The status of every task of a run; `query` false skips Slurm (stores only). */
export function runStatus(runDir: string, rec: SlurmRunRecord, opts: { query?: boolean } = {}): RunStatus {
  const ids = [...new Set(rec.submissions.map((s) => s.jobId))];
  const answer = opts.query === false ? undefined : queueStates(ids);
  const asked = Array.isArray(answer) ? answer : undefined;
  const queue = asked ?? [];
  const forgotten = ids.filter((id) => !queue.some((q) => q.jobId === id));
  const acct = opts.query === false || !forgotten.length ? undefined : accountingStates(forgotten);
  const states = new Map<string, TaskState>();
  for (const s of [...(acct ?? []), ...queue]) states.set(`${s.jobId}/${s.task}`, s);
  const stateOf = (jobId: string, task: number | null): string => {
    const s = states.get(`${jobId}/${task}`);
    // A dependent whose dependency failed waits forever unless the cluster kills it (submit passes --kill-on-invalid-dep=yes).
    if (s?.state === 'PENDING' && s.reason === 'DependencyNeverSatisfied') return NEVER_RUNS;
    return s?.state ?? 'unknown';
  };
  const out: RunStatus = { queryError: answer && !Array.isArray(answer) ? answer.error : undefined, tasks: [], steps: [], unplanned: [], counts: { units: 0, done: 0, running: 0, pending: 0, failed: 0, notSubmitted: 0 }, active: 0, source: !asked ? (acct ? 'sacct' : 'stores') : acct ? 'squeue+sacct' : 'squeue' };
  for (const phase of phasesOf(rec.kind, rec.config)) {
    if (phase === 'strategies') {
      const fit = latest(rec.submissions, 'fit', null);
      if (fit) {
        const state = stateOf(fit.jobId, null);
        out.steps.push({ step: 'fit', state, jobId: fit.jobId });
        if (ACTIVE_STATES.has(state)) out.active++;
      }
    }
    const units = readUnits(runDir, phase);
    if (!units) {
      out.unplanned.push(phase);
      continue;
    }
    for (let task = 0; task < rec.shards; task++) {
      const mine = unitsOfTask(units.units, task, rec.shards);
      const have = doneKeys(slurmPaths(runDir).shard(phase, task));
      const done = mine.filter(({ unit }) => have.has(unit.key)).length;
      const sub = latest(rec.submissions, phase, task);
      const state = sub ? stateOf(sub.jobId, task) : 'not-submitted';
      out.tasks.push({ phase, task, units: mine.length, done, state, jobId: sub?.jobId });
      const c = out.counts;
      c.units += mine.length;
      c.done += done;
      const left = mine.length - done;
      if (ACTIVE_STATES.has(state)) {
        out.active++;
        if (state === 'PENDING') c.pending += left;
        else c.running += left;
      } else if (left > 0) {
        if (sub) c.failed += left;
        else c.notSubmitted += left;
      }
    }
  }
  return out;
}
