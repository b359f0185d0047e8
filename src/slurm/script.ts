/**
 * sbatch job-array scripts (docs/cluster.md). Each array task reads SLURM_ARRAY_TASK_ID and
 * runs its shard, appending to its own shard store; the script holds no job ids, so the same
 * file serves the first submission and every re-submission of missing tasks (`--array` and
 * `--dependency` are given on the sbatch command line).
 */
export interface ScriptSpec {
  jobName: string;
  /** Array spec written into the script for the full phase, e.g. "0-3"; null for a single job (the fit step). */
  array: string | null;
  /** Log file pattern (%A array job id, %a task id, %j job id). */
  output: string;
  partition?: string;
  gres?: string;
  time?: string;
  cpusPerTask: number;
  workDir: string;
  /** Lines describing the run (config, run dir), written as comments. */
  comment: string[];
  /** The shell command of a task; may use $TASK (the array task id). */
  command: string;
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** The text of one sbatch script. */
export function sbatchScript(spec: ScriptSpec): string {
  const lines = ['#!/bin/bash', `#SBATCH --job-name=${spec.jobName}`];
  if (spec.array !== null) lines.push(`#SBATCH --array=${spec.array}`);
  lines.push(`#SBATCH --output=${spec.output}`, `#SBATCH --error=${spec.output}`);
  if (spec.partition) lines.push(`#SBATCH --partition=${spec.partition}`);
  if (spec.gres) lines.push(`#SBATCH --gres=${spec.gres}`);
  if (spec.time) lines.push(`#SBATCH --time=${spec.time}`);
  lines.push(`#SBATCH --cpus-per-task=${spec.cpusPerTask}`, '#SBATCH --ntasks=1', '#SBATCH --nodes=1');
  lines.push('# Written by `lossyscale slurm submit`; re-submitting the run re-runs only missing units.');
  for (const c of spec.comment) lines.push(`# ${c}`);
  lines.push('set -euo pipefail', `cd ${shellQuote(spec.workDir)}`);
  if (spec.array !== null) lines.push('TASK="${SLURM_ARRAY_TASK_ID:?this script is a Slurm job array: submit it with sbatch}"');
  lines.push('echo "lossyscale slurm: job ${SLURM_JOB_ID:-?} task ${SLURM_ARRAY_TASK_ID:-none} on $(hostname) at $(date -u +%FT%TZ)" >&2');
  lines.push(spec.command, '');
  return lines.join('\n');
}

/** Compact array spec of task ids: [0,1,2,5,7,8] -> "0-2,5,7-8". */
export function arraySpec(tasks: readonly number[]): string {
  const sorted = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Check a time limit in one of Slurm's forms used here: MM, HH:MM:SS or D-HH:MM:SS (minutes and seconds 00..59). */
export function isSlurmTime(t: string): boolean {
  return /^(\d+-)?\d{1,2}:[0-5]\d:[0-5]\d$/.test(t) || /^\d+$/.test(t);
}
