import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { slurmPaths, unitsOfTask, writeSlurmRun, writeUnits, SLURM_RUN_FORMAT, SLURM_RUN_VERSION, type SlurmRunRecord } from '../src/slurm/layout.js';
import { mergePhases } from '../src/slurm/merge.js';
import { arraySpec, isSlurmTime, sbatchScript, shellQuote } from '../src/slurm/script.js';
import { monteCarloUnits, sweepUnits } from '../src/slurm/units.js';
import type { PlannedJob } from '../src/sweep/plan.js';
import { provenance } from '../src/provenance.js';

/**
 * The parts of `lossyscale slurm` that need no cluster (test/slurm.test.ts runs the whole path
 * on a real Slurm): array specs, the unit-to-task rule, nested-chain units, the sbatch text,
 * and the merge of shard stores (no lost, no duplicated rows, plan order, torn tails).
 */
function parseSpec(spec: string): number[] {
  return spec.split(',').flatMap((p) => {
    const [a, b] = p.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

function job(key: string, distance: number | number[], indices: number[]): PlannedJob {
  return { key, phase: 'grid', seed: 0, train: { split: 'train', indices, distance }, validation: { set: 'validation' }, evaluate: {}, info: { n: indices.length, bytesPerImage: 1, storageBytes: indices.length }, trainerOptions: {} };
}

describe('slurm planning', () => {
  it('array specs compress task lists and expand back to them', () => {
    expect(arraySpec([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(arraySpec([3])).toBe('3');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }), (tasks) => {
        expect(parseSpec(arraySpec(tasks))).toEqual([...tasks].sort((a, b) => a - b));
      }),
    );
  });

  it('tasks partition the units by index mod N, the worker --shard I/N rule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), (n, shards) => {
        const units = Array.from({ length: n }, (_, i) => i);
        const seen: number[] = [];
        for (let t = 0; t < shards; t++) {
          for (const { index, unit } of unitsOfTask(units, t, shards)) {
            expect(index % shards).toBe(t); // worker/lossyscale_worker/bundle.py: i % shard[1] == shard[0]
            seen.push(unit);
          }
        }
        expect(seen.sort((a, b) => a - b)).toEqual(units);
      }),
    );
  });

  it('sweep units are nested chains at one distance (lossyscale engine) and single jobs (worker engine)', () => {
    const jobs = [
      job('d=2/s=0/f=0.5', 2, [4, 1]),
      job('d=2/s=0/f=1', 2, [4, 1, 7, 3]),
      job('d=7/s=0/f=0.5', 7, [4, 1]), // another distance: a new chain
      job('d=7/s=1/f=0.5', 7, [9, 2]), // another seed's order: not a prefix
      job('d=7/s=1/f=1', 7, [9, 2, 4, 1]),
      job('rand', [2, 7, 7], [9, 2, 4]), // per-image distances never chain
    ];
    expect(sweepUnits(jobs, 'lossyscale').map((u) => u.jobs)).toEqual([['d=2/s=0/f=0.5', 'd=2/s=0/f=1'], ['d=7/s=0/f=0.5'], ['d=7/s=1/f=0.5', 'd=7/s=1/f=1'], ['rand']]);
    expect(sweepUnits(jobs, 'worker').map((u) => u.key)).toEqual(jobs.map((j) => j.key));
    expect(monteCarloUnits({ reps: 3 })).toEqual([{ key: 'rep-0', rep: 0 }, { key: 'rep-1', rep: 1 }, { key: 'rep-2', rep: 2 }]);
  });

  it('the sbatch script reads SLURM_ARRAY_TASK_ID and quotes paths', () => {
    const text = sbatchScript({ jobName: 'ls-x-grid', array: '0-3', output: '/r/logs/grid-%A_%a.out', partition: 'gpu', gres: 'gpu:1', time: '01:00:00', cpusPerTask: 4, workDir: '/home/me/my runs', comment: ['c'], command: 'exec run "$TASK"' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    for (const d of ['--array=0-3', '--partition=gpu', '--gres=gpu:1', '--time=01:00:00', '--cpus-per-task=4', '--output=/r/logs/grid-%A_%a.out']) expect(lines).toContain(`#SBATCH ${d}`);
    expect(lines).toContain("cd '/home/me/my runs'");
    expect(text).toMatch(/TASK="\$\{SLURM_ARRAY_TASK_ID:\?/);
    expect(lines.indexOf('set -euo pipefail')).toBeGreaterThan(lines.findLastIndex((l) => l.startsWith('#SBATCH')));
    expect(sbatchScript({ jobName: 'f', array: null, output: 'o', cpusPerTask: 1, workDir: '/w', comment: [], command: 'x' })).not.toMatch(/--array|SLURM_ARRAY_TASK_ID:\?/);
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(['01:00:00', '2-00:30:00', '90', '1:00:00'].every(isSlurmTime)).toBe(true);
    expect(['1h', '90 minutes', '01:00', ''].some(isSlurmTime)).toBe(false);
    // Minutes and seconds past 59 (was accepted and handed to sbatch).
    expect(['99:99:99', '01:60:00', '1-00:00:60'].some(isSlurmTime)).toBe(false);
    expect(['00:59:59', '1-23:59:59'].every(isSlurmTime)).toBe(true);
  });
});

describe('slurm merge of shard stores', () => {
  const run = mkdtempSync(join(tmpdir(), 'slurm-merge-'));
  afterAll(() => rmSync(run, { recursive: true, force: true }));
  const rec: SlurmRunRecord = {
    format: SLURM_RUN_FORMAT, version: SLURM_RUN_VERSION, kind: 'monte-carlo', engine: 'lossyscale', config: {}, configPath: 'c.json', workDir: run, shards: 3,
    node: process.execPath, cli: 'bin/lossyscale.js', sbatch: { cpusPerTask: 1 }, submissions: [], provenance: provenance(),
  };
  writeSlurmRun(run, rec);
  writeUnits(run, 'reps', monteCarloUnits({ reps: 8 }));
  const p = slurmPaths(run);
  mkdirSync(p.shardDir('reps'), { recursive: true });
  const row = (r: number): string => JSON.stringify({ key: `rep-${r}`, rep: r, value: r * r }) + '\n';

  it('writes every unit once, in plan order; reports missing units; refuses them unless partial', () => {
    // task 0: reps 0, 3, 6; task 1: 1, 4, 7; task 2: 2, 5. Rows arrive in any order.
    writeFileSync(p.shard('reps', 0), row(6) + row(0) + row(3));
    writeFileSync(p.shard('reps', 1), row(4) + row(1));
    writeFileSync(p.shard('reps', 2), row(5) + row(2) + row(2)); // a duplicated line within a store
    appendFileSync(p.shard('reps', 1), '{"key":"rep-7","rep":7,"val'); // torn tail of a killed task
    expect(() => mergePhases(run, rec, ['reps'], { partial: false })).toThrow(/1 units missing, of tasks reps\/1/);
    const m = mergePhases(run, rec, ['reps'], { partial: true });
    expect(m.missing).toEqual([{ phase: 'reps', key: 'rep-7', task: 1 }]);
    const keys = readFileSync(join(run, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).key);
    expect(keys).toEqual(['rep-0', 'rep-1', 'rep-2', 'rep-3', 'rep-4', 'rep-5', 'rep-6']);
    expect(m.rows).toBe(7);
    // Read only: the line task 1 may still be writing is left as it is.
    expect(readFileSync(p.shard('reps', 1), 'utf8')).toBe(row(4) + row(1) + '{"key":"rep-7","rep":7,"val');
  });

  it('a unit found in two stores is written once and counted as a duplicate', () => {
    writeFileSync(p.shard('reps', 1), row(4) + row(1) + row(7));
    writeFileSync(join(p.shardDir('reps'), 'task-9.jsonl'), row(3)); // a stray store holding rep-3 again
    const m = mergePhases(run, rec, ['reps'], { partial: false });
    expect(m).toMatchObject({ rows: 8, missing: [], duplicates: ['rep-3'], stores: 4 });
    const rows = readFileSync(join(run, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: number });
    expect(rows.map((r) => r.key)).toEqual(Array.from({ length: 8 }, (_, r) => `rep-${r}`));
    expect(rows.every((r, i) => r.value === i * i)).toBe(true);
  });
});
