import { spawnSync } from 'node:child_process';
import { InputError, ResourceError } from '../errors.js';

/**
 * The Slurm client commands this toolkit uses (sbatch, squeue, sacct, sinfo, scancel), called
 * as processes: the cluster engine is Slurm itself, configured as its users have it (SLURM_CONF
 * and friends pass through the environment).
 */
export interface TaskState {
  jobId: string;
  /** Array task id, or null for a plain job. */
  task: number | null;
  /** Slurm's state name: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL... */
  state: string;
  reason?: string;
}

/** States after which a task no longer runs. */
export const ACTIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'SUSPENDED', 'STAGE_OUT', 'SIGNALING', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'STOPPED']);

function run(cmd: string, args: string[], timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', missing };
}

/** True when `cmd` can be started from PATH. */
export function onPath(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return (r.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT';
}

/** Refuse early (exit 2) when Slurm's client is not installed. */
export function requireSlurm(cmd = 'sbatch'): void {
  if (!onPath(cmd)) throw new InputError('PATH', process.env.PATH ?? '', `a PATH holding Slurm's ${cmd} (install Slurm's client, e.g. Debian's slurm-client, or load the cluster's slurm module)`, `${cmd} not found`);
}

/** Partition names `sinfo` knows (the default one without its trailing "*"). */
export function partitions(): string[] {
  const r = run('sinfo', ['-h', '-o', '%P']);
  if (r.missing) throw new InputError('PATH', process.env.PATH ?? '', "a PATH holding Slurm's sinfo", 'sinfo not found');
  if (r.status !== 0) throw new ResourceError(`sinfo failed: ${r.stderr.trim().split('\n')[0]}`);
  return [...new Set(r.stdout.split('\n').map((l) => l.trim().replace(/\*$/, '')).filter(Boolean))];
}

/** Submit a script; returns the job id (`sbatch --parsable`). */
export function sbatch(script: string, args: string[]): string {
  const r = run('sbatch', ['--parsable', ...args, script]);
  if (r.missing) requireSlurm();
  if (r.status !== 0) throw new ResourceError(`sbatch failed: ${r.stderr.trim().split('\n').join(' ')}`);
  const id = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new ResourceError(`sbatch printed no job id: ${JSON.stringify(r.stdout.trim())}`);
  return id;
}

/**
 * The tasks of the given jobs that the controller still knows (squeue -t all; array tasks
 * expanded). A busy controller can time out a query: squeue is tried three times, then the
 * failure is returned (callers must not read "not listed" as "finished" then).
 */
export function queueStates(jobIds: readonly string[]): TaskState[] | { error: string } {
  if (!jobIds.length) return [];
  let r = run('squeue', ['-h', '-r', '-t', 'all', '-o', '%F|%K|%T|%r']);
  for (let attempt = 1; attempt < 3 && !r.missing && r.status !== 0; attempt++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000 * attempt);
    r = run('squeue', ['-h', '-r', '-t', 'all', '-o', '%F|%K|%T|%r']);
  }
  if (r.missing) return { error: 'squeue not found on PATH' };
  if (r.status !== 0) return { error: `squeue failed: ${r.stderr.trim().split('\n')[0] || `exit status ${r.status}`}` };
  const wanted = new Set(jobIds);
  const out: TaskState[] = [];
  for (const line of r.stdout.split('\n')) {
    const [jobId, task, state, reason] = line.trim().split('|');
    if (!jobId || !wanted.has(jobId)) continue;
    out.push({ jobId, task: /^\d+$/.test(task) ? Number(task) : null, state, reason: reason && reason !== 'None' ? reason : undefined });
  }
  return out;
}

/** Accounting records of the given jobs (sacct), or undefined when the cluster keeps no accounting. */
export function accountingStates(jobIds: readonly string[]): TaskState[] | undefined {
  if (!jobIds.length) return [];
  const r = run('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State']);
  if (r.missing || r.status !== 0 || /disabled/i.test(r.stderr)) return undefined;
  const out: TaskState[] = [];
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.trim().split('|');
    const m = /^(\d+)(?:_(\d+))?$/.exec(id ?? '');
    if (!m || !state) continue;
    out.push({ jobId: m[1], task: m[2] === undefined ? null : Number(m[2]), state: state.split(' ')[0] });
  }
  return out;
}

/** Cancel jobs (pending dependents of a superseded submission). */
export function scancel(ids: readonly string[]): void {
  if (ids.length) run('scancel', [...ids]);
}
