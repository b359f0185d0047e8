import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/provenance.js';
import { predictRaw } from '../src/fit/lawForms.js';
import { createRng } from '../src/util/rng.js';

const bin = join(repoRoot, 'bin', 'lossyscale.js');
const dir = mkdtempSync(join(tmpdir(), 'gof-cli-'));

function csv(rows: (string | number)[][]): string {
  return rows.map((r) => r.join(',')).join('\n') + '\n';
}
const rng = createRng(77);
const good: (string | number)[][] = [['n', 'L', 'error', 'stdErr']];
for (const n of [200, 500, 1000, 2000, 5000, 10000]) for (const L of [20, 50, 100, 200, 500]) {
  const sd = 0.002 + 0.1 / Math.sqrt(n);
  good.push([n, L, predictRaw('additive', { Estar: 0.1, A: 5, alpha: 0.5, B: 3, beta: 0.6 }, n, L) + sd * rng.normal(), sd]);
}

describe('fit with a stdErr column through bin/lossyscale.js', () => {
  it('prints goodnessOfFit and profileIntervals in the JSON and writes the residual figure', () => {
    const f = join(dir, 'good.csv');
    writeFileSync(f, csv(good));
    const r = spawnSync(process.execPath, [bin, 'fit', '--in', f, '--bootstrap', '0', '--json', '--residual-figure', join(dir, 'fig')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.goodnessOfFit)).toEqual(expect.arrayContaining(['chi2', 'dof', 'chi2PerDof', 'pValue', 'verdict']));
    expect(j.goodnessOfFit.dof).toBe(25);
    expect(j.weighted).toBe(true);
    for (const p of ['Estar', 'A', 'alpha', 'B', 'beta']) expect(j.profileIntervals[p]).toHaveLength(2);
    expect(existsSync(join(dir, 'fig', 'residuals.svg'))).toBe(true);
  });
  for (const [name, value] of [['missing on a row', ''], ['<= 0', '0']] as const) {
    it(`exit 2 with one line when stdErr is ${name}`, () => {
      const rows = good.map((r, i) => (i === 7 ? [r[0], r[1], r[2], value] : r));
      const f = join(dir, `bad${value}.csv`);
      writeFileSync(f, csv(rows));
      const r = spawnSync(process.execPath, [bin, 'fit', '--in', f], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/line 8 column "stdErr".*valid: a finite number > 0/);
    });
  }
});
