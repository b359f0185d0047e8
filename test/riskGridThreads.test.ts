import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/provenance.js';

/**
 * `risk --grid --threads N` (worker threads for the plain numeric rows) writes the same bytes,
 * the same stderr and the same exit code as the serial path (`--threads 1`), on grids of many
 * read chunks (256 KiB each) with the lines that send rows back to the serial reader: blank
 * and comment lines, CRLF, `opt` rows, invalid rows, a model change and a final line without
 * its newline.
 */
const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-threads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'lossyscale.js'), ...args], { cwd: repoRoot, encoding: 'utf8', input, timeout: 240_000, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ns = [100, 200, 500, 1000, 2000, 5000, 10000];
function gridText(rows: number, special: (i: number) => string | null): string {
  const out = ['p,q,r,tau,n,m,lambda'];
  for (let i = 0; i < rows; i++) {
    const s = special(i);
    if (s !== null) out.push(s);
    else out.push(`${i < rows / 2 ? '2.01,2,0.99,1' : '3,2,0.5,0.25'},${ns[i % 7]},${1 + ((i * 7919) % 9)},${(1e-3 * Math.exp((i % 97) / 8)).toPrecision(6)}`);
  }
  return out.join('\n');
}

const clean = gridText(60_000, () => null) + '\n';
// The blank and the comment line are not data rows: row numbers count 2 fewer after them.
const specials: Record<number, string> = {
  9000: '',
  15000: '# a comment',
  21000: '2.01,2,0.99,1,300,4,opt',
  27000: '2.01,2,0.99,1,0.5,3,1',
  33000: '2.01,2,0.99,1,300,4,0.01\r',
  39000: '2.01,2,0.99,1,300,x,1',
  45000: '2.01,2,0.99,1,300,4',
  52000: '2.01,2,0.99,1,300,4,-1',
};
const mixed = gridText(60_000, (i) => specials[i] ?? null); // no final newline

describe('risk --grid --threads', () => {
  it('writes the bytes of the serial path, csv and JSON lines, from a file and from stdin', () => {
    const file = join(tmp, 'clean.csv');
    writeFileSync(file, clean);
    for (const format of ['csv', 'json']) {
      const one = cli(['risk', '--grid', file, '--format', format, '--threads', '1']);
      expect(one.status, one.stderr).toBe(0);
      expect(one.stdout.split('\n')).toHaveLength(60_000 + (format === 'csv' ? 2 : 1));
      for (const threads of ['2', '3']) {
        const many = cli(['risk', '--grid', file, '--format', format, '--threads', threads]);
        expect(many.status, many.stderr).toBe(0);
        expect(many.stdout === one.stdout, `--threads ${threads} --format ${format}`).toBe(true);
      }
    }
    const piped = cli(['risk', '--grid', '-', '--format', 'csv', '--threads', '2'], clean);
    expect(piped.stdout === cli(['risk', '--grid', file, '--format', 'csv', '--threads', '1']).stdout).toBe(true);
  });

  it('stops at the same first invalid row with the same one-line error, and --skip-invalid counts alike', () => {
    const file = join(tmp, 'mixed.csv');
    writeFileSync(file, mixed);
    for (const skip of [false, true]) {
      const flags = skip ? ['--skip-invalid'] : [];
      const one = cli(['risk', '--grid', file, '--format', 'csv', '--threads', '1', ...flags]);
      const two = cli(['risk', '--grid', file, '--format', 'csv', '--threads', '2', ...flags]);
      expect(two.status).toBe(one.status);
      expect(two.stderr).toBe(one.stderr);
      expect(two.stdout === one.stdout).toBe(true);
      expect(one.stderr.trim().split('\n')).toHaveLength(1);
      if (skip) {
        expect(one.status).toBe(0);
        expect(one.stderr).toMatch(/skipped 4 invalid row\(s\) of 59998 \(first: invalid .*mixed\.csv row 26999 \(line 27002\) column n: 0\.5/);
      } else {
        expect(one.status).toBe(2);
        expect(one.stderr).toMatch(/mixed\.csv row 26999 \(line 27002\) column n: 0\.5/);
      }
    }
    const piped = cli(['risk', '--grid', '-', '--json', '--threads', '2', '--skip-invalid'], mixed);
    expect(piped.stderr).toBe(cli(['risk', '--grid', file, '--json', '--threads', '1', '--skip-invalid']).stderr.replace(file, 'stdin'));
  });

  it('refuses a bad thread count with one line', () => {
    const bad = cli(['risk', '--grid', '-', '--threads', '0'], clean.slice(0, 100));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--threads.*0.*1\.\.16/);
    expect(cli(['risk', '--n', '100', '--m', '3', '--lambda', '1', '--threads', '2']).status).toBe(2);
  });
});
