import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseCsvTable } from '../src/io/csv.js';
import { writeNumberText } from '../src/io/numberText.js';
import { NumericCsvReader } from '../src/io/numericCsv.js';
import { RiskGridEvaluator } from '../src/theory/riskGrid.js';
import { RiskGridKernel } from '../src/cli/commands/_riskGridWasm.js';
import { evaluateBatch, RiskRowWriter } from '../src/cli/commands/_riskRowWriter.js';
import { repoRoot } from '../src/provenance.js';
import { writeBenchResult } from './benchResult.js';

/**
 * The compiled CLI as a process (THEORY.md section 3 for `risk`):
 *  1. start-up: `--help` and `exponents` against a bare `node -e 0`, median of 5 runs each,
 *     interleaved so that load from other jobs hits all three alike (wall clock: start-up is
 *     what a user waits for);
 *  2. `risk --grid` on 1e6 rows, whole process (read, validate, evaluate, write to a file),
 *     CSV and JSON lines, each with `--threads 2` and `--threads 1` (whose outputs must be the
 *     same bytes), GRID_RUNS runs each (default 5, interleaved), medians: rows per
 *     second of wall clock and of CPU time (user + sys of the child, from bash's `times`), the
 *     peak memory, the load average around the runs; the same number of rows cycling through
 *     eight models row by row (CSV, `--threads 2`, 3 runs); then where the time goes: start-up,
 *     the batch loop in this process with the WebAssembly kernel and with the TypeScript path
 *     alone, and the TypeScript path's stages (read + parse, fixed point, number-to-text) one by one;
 *  3. the same rows through the Python reference (bench/reference/risk_grid_reference.py: csv
 *     module, numpy, scipy brentq; written from THEORY.md because the authors' code is not in
 *     this repository) on the first PY_ROWS rows, rates compared per row in the same run, and
 *     the two routes' results compared row by row.
 * Needs dist/ (npm run build) and python3 with numpy and scipy (the Python part is skipped,
 * and said so, without them).
 */
const bin = join(repoRoot, 'bin', 'lossyscale.js');
if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) {
  console.error('bench cli: dist/ is missing; run npm run build first');
  process.exit(2);
}
const ROWS = 1_000_000;
const PY_ROWS = Number(process.env.LOSSYSCALE_BENCH_PY_ROWS ?? 20_000);
const GRID_RUNS = Number(process.env.LOSSYSCALE_BENCH_GRID_RUNS ?? 5);
const tmp = mkdtempSync(join(tmpdir(), 'lossyscale-cli-bench-'));
// The grid outputs (170 MB of CSV, 330 MB of JSON lines a run, 5 GB in all) go to a memory-backed
// file system where there is one, so that the disk's write-back of earlier runs does not
// throttle later ones (it made the same command 50% slower late in a run on this machine's ext4).
const outDir = ((): string => {
  try {
    return mkdtempSync(join('/dev/shm', 'lossyscale-cli-bench-'));
  } catch {
    return tmp;
  }
})();

interface Timed {
  wallS: number;
  cpuS: number;
  status: number | null;
}

/** Run a shell command line under bash, with wall time and the children's CPU time. */
function timed(command: string): Timed {
  const script = `${command}\nrc=$?\ntimes >&2\nexit $rc`;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: repoRoot, maxBuffer: 1 << 26 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  // `times` prints two lines: the shell's own user/sys, then its children's.
  const lines = r.stderr.trim().split('\n');
  const kids = lines[lines.length - 1].match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  const cpuS = kids ? Number(kids[1]) * 60 + Number(kids[2]) + Number(kids[3]) * 60 + Number(kids[4]) : NaN;
  if (r.status !== 0) console.error(r.stderr);
  return { wallS, cpuS, status: r.status };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Start-up.
const startCmds = { bare: ['-e', '0'], help: [bin, '--help'], exponents: [bin, 'exponents'] };
const starts: Record<keyof typeof startCmds, number[]> = { bare: [], help: [], exponents: [] };
for (let i = 0; i < 6; i++) {
  for (const k of Object.keys(startCmds) as (keyof typeof startCmds)[]) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, startCmds[k], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${k} failed`);
    if (i > 0) starts[k].push(Number(process.hrtime.bigint() - t0) / 1e9); // the first round warms the file cache
  }
}
const startup = {
  runs: 5,
  bareNodeS: median(starts.bare),
  helpS: median(starts.help),
  exponentsS: median(starts.exponents),
  helpRatio: median(starts.help) / median(starts.bare),
  exponentsRatio: median(starts.exponents) / median(starts.bare),
  target: 'within 2x of node -e 0',
};

// 2. risk --grid on 1e6 rows.
const grid = join(tmp, 'grid.csv');
{
  const ns = [100, 200, 500, 1000, 2000, 5000, 10000];
  const parts: string[] = ['p,q,r,tau,n,m,lambda\n'];
  for (let i = 0; i < ROWS; i++) parts.push(`2.01,2,0.99,1,${ns[i % 7]},${1 + ((i * 7919) % 9)},${(1e-3 * Math.exp((i % 97) / 8)).toPrecision(6)}\n`);
  writeFileSync(grid, parts.join(''));
}
const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
// Each format with 2 threads (the main thread and one worker) and with --threads 1 (serial).
const VARIANTS = { csv: ['csv', 2], json: ['json', 2], csvSerial: ['csv', 1], jsonSerial: ['json', 1] } as const;
type Variant = keyof typeof VARIANTS;
const runs: Record<Variant, Timed[]> = { csv: [], json: [], csvSerial: [], jsonSerial: [] };
for (let i = 0; i < GRID_RUNS; i++) {
  for (const v of Object.keys(VARIANTS) as Variant[]) {
    const [format, threads] = VARIANTS[v];
    runs[v].push(timed(`node ${bin} risk --grid ${grid} --format ${format} --threads ${threads} > ${join(outDir, `out.${v}`)}`));
  }
}
const loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);
for (const [a, b] of [['csv', 'csvSerial'], ['json', 'jsonSerial']]) {
  if (!readFileSync(join(outDir, `out.${a}`)).equals(readFileSync(join(outDir, `out.${b}`)))) throw new Error(`risk --grid: --threads 2 and --threads 1 differ (${a})`);
}
const through: Record<string, { threads: number; runs: number; wallS: number; cpuS: number; wallSRuns: number[]; cpuSRuns: number[]; rowsPerWallS: number; rowsPerCpuS: number }> = {};
for (const format of Object.keys(VARIANTS) as Variant[]) {
  const rs = runs[format];
  if (rs.some((r) => r.status !== 0)) throw new Error(`risk --grid ${format} failed`);
  const wallS = median(rs.map((r) => r.wallS));
  const cpuS = median(rs.map((r) => r.cpuS));
  through[format] = { threads: VARIANTS[format][1], runs: rs.length, wallS, cpuS, wallSRuns: rs.map((r) => r.wallS), cpuSRuns: rs.map((r) => r.cpuS), rowsPerWallS: ROWS / wallS, rowsPerCpuS: ROWS / cpuS };
}
const rss = spawnSync('bash', ['-c', `command -v /usr/bin/time >/dev/null && /usr/bin/time -f %M node ${bin} risk --grid ${grid} --format csv > /dev/null`], { encoding: 'utf8' });
const maxRssKiB = rss.status === 0 ? Number(rss.stderr.trim().split('\n').pop()) : null;

// 2a. The same rows with the model changing on every row, cycling through eight models (as many
// as the kernel holds): CSV, two threads, median of 3.
const interleavedGrid = join(tmp, 'grid-8-models.csv');
{
  const ns = [100, 200, 500, 1000, 2000, 5000, 10000];
  const models = ['2.01,2,0.99,1', '3,2,0.5,0.25', '2.5,2,2.4,0', '4,3,1,0.5', '5.5,5,0.1,2', '2.2,2,2.1,0.01', '7,4,3,1', '10,2,9,3'];
  const parts: string[] = ['p,q,r,tau,n,m,lambda\n'];
  for (let i = 0; i < ROWS; i++) parts.push(`${models[i % 8]},${ns[i % 7]},${1 + ((i * 7919) % 9)},${(1e-3 * Math.exp((i % 97) / 8)).toPrecision(6)}\n`);
  writeFileSync(interleavedGrid, parts.join(''));
}
const interleavedRuns = [0, 1, 2].map(() => timed(`node ${bin} risk --grid ${interleavedGrid} --format csv --threads 2 > ${join(outDir, 'out.interleaved')}`));
if (interleavedRuns.some((r) => r.status !== 0)) throw new Error('risk --grid on the interleaved grid failed');
const interleavedWallS = median(interleavedRuns.map((r) => r.wallS));
const interleavedCpuS = median(interleavedRuns.map((r) => r.cpuS));
const interleaved = { models: 8, threads: 2, runs: 3, wallS: interleavedWallS, cpuS: interleavedCpuS, rowsPerWallS: ROWS / interleavedWallS, rowsPerCpuS: ROWS / interleavedCpuS };

// 2b. Where the time goes: the stages of the stream one by one, in this process (CPU time,
// median of 3), on the same rows.
const cpuOf = (fn: () => void): number => {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    xs.push((d.user + d.system) / 1e6);
  }
  return median(xs);
};
const cols = Array.from({ length: 7 }, () => new Float64Array(ROWS));
const bytes = readFileSync(grid);
const parseS = cpuOf(() => {
  const reader = new NumericCsvReader();
  let i = 0;
  const to = {
    numericRow(v: Float64Array): boolean {
      for (let c = 0; c < 7; c++) cols[c][i] = v[c];
      i++;
      return true;
    },
    textRow(): void {
      reader.columns = 7;
    },
  };
  for (let at = 0; at < bytes.length; at += 1 << 18) reader.push(bytes.subarray(at, at + (1 << 18)), to);
  reader.end(to);
});
const FIELDS7 = ['lambdaStar', 'bias', 'variance', 'risk', 'excess', 'varianceFactor', 'dof'] as const;
const results7 = Array.from({ length: 7 }, () => new Float64Array(ROWS));
const kernelS = cpuOf(() => {
  const ev = new RiskGridEvaluator();
  for (let i = 0; i < ROWS; i++) {
    const r = ev.evaluateNumbers(cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i], cols[5][i], cols[6][i]);
    if (r === null) throw new Error(`row ${i} rejected`);
    for (let f = 0; f < 7; f++) results7[f][i] = r[FIELDS7[f]];
  }
});
const scratch = new Uint8Array(1 << 20);
const numberTextS = cpuOf(() => {
  let pos = 0;
  for (let i = 0; i < ROWS; i++) {
    if (pos > scratch.length - 256) pos = 0;
    for (let f = 0; f < 7; f++) pos = writeNumberText(scratch, pos, results7[f][i]);
  }
});
const v8StringS = cpuOf(() => {
  let n = 0;
  for (let i = 0; i < ROWS; i++) for (let f = 0; f < 7; f++) n += String(results7[f][i]).length;
  if (n === 0) throw new Error('no text');
});
// The batch loop of the CLI on the same rows (256 KiB batches, CSV), with the WebAssembly kernel
// and with the TypeScript path alone (the kernel's fallback), in this process.
const body = bytes.subarray(bytes.indexOf(10) + 1);
const batchS = (kernel: RiskGridKernel | null): number =>
  cpuOf(() => {
    const ev = new RiskGridEvaluator();
    const writer = new RiskRowWriter(false);
    let spare = new ArrayBuffer(0);
    let rows = 0;
    for (let at = 0; at < body.length; ) {
      let end = Math.min(at + (1 << 18), body.length);
      while (end < body.length && body[end - 1] !== 10) end++;
      const r = evaluateBatch({ id: 0, bytes: body.subarray(at, end), header: [0, 1, 2, 3, 4, 5, 6], json: false, spare }, ev, writer, kernel);
      rows += r.rows;
      spare = r.out.buffer;
      at = end;
    }
    if (rows !== ROWS) throw new Error(`batch loop wrote ${rows} rows`);
  });
const kernel = RiskGridKernel.create();
if (kernel === null) throw new Error('bench cli: the WebAssembly kernel did not load');
const batchKernelS = batchS(kernel);
const batchTypeScriptS = batchS(null);
const small = timed(`node ${bin} risk --n 100 --m 3 --lambda 1 --format csv > /dev/null`);
const stages = {
  note: 'CPU seconds for all 1e6 rows, median of 3, measured in the bench process on the same rows; startup = one whole `risk --n --m --lambda` process; batch* = the batch loop of the CLI (read, evaluate, write CSV into memory) with the WebAssembly kernel and with the TypeScript path alone; the other stages are the TypeScript path\'s parts',
  batchKernelS,
  batchTypeScriptS,
  batchKernelSpeedup: batchTypeScriptS / batchKernelS,
  startupCpuS: small.cpuS,
  readAndParseS: parseS,
  kernelS,
  numberTextS,
  numberTextPerValueNs: (numberTextS / (7 * ROWS)) * 1e9,
  v8StringSameValuesS: v8StringS,
  v8StringPerValueNs: (v8StringS / (7 * ROWS)) * 1e9,
};

// 3. The Python reference on the first PY_ROWS rows.
let python: Record<string, unknown> = { skipped: 'python3 with numpy and scipy not found' };
const havePy = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0;
if (havePy) {
  const sub = join(tmp, 'sub.csv');
  const text = readFileSync(grid, 'utf8');
  let cut = 0;
  for (let i = 0; i <= PY_ROWS; i++) cut = text.indexOf('\n', cut) + 1;
  writeFileSync(sub, text.slice(0, cut));
  const pyOut = join(tmp, 'py.csv');
  const py = timed(`python3 ${join(repoRoot, 'bench', 'reference', 'risk_grid_reference.py')} ${sub} ${pyOut}`);
  const a = parseCsvTable(readFileSync(pyOut, 'utf8'), 'python');
  const b = parseCsvTable(readFileSync(join(outDir, 'out.csv'), 'utf8').split('\n').slice(0, PY_ROWS + 1).join('\n') + '\n', 'lossyscale');
  let maxRel = 0;
  for (const f of ['risk', 'lambdaStar', 'bias', 'variance', 'dof']) {
    const ia = a.header.indexOf(f);
    const ib = b.header.indexOf(f);
    a.records.forEach((r, i) => {
      const x = Number(r.cells[ia]);
      const y = Number(b.records[i].cells[ib]);
      maxRel = Math.max(maxRel, Math.abs(x - y) / Math.max(Math.abs(y), 1e-300));
    });
  }
  const pyRowsPerCpuS = PY_ROWS / py.cpuS;
  python = {
    rows: PY_ROWS,
    wallS: py.wallS,
    cpuS: py.cpuS,
    rowsPerCpuS: pyRowsPerCpuS,
    rowsPerWallS: PY_ROWS / py.wallS,
    speedupCsvPerCpuS: through.csv.rowsPerCpuS / pyRowsPerCpuS,
    speedupJsonPerCpuS: through.json.rowsPerCpuS / pyRowsPerCpuS,
    maxRelativeDifference: maxRel,
    note: 'Python rate includes its start-up (numpy/scipy import, about 0.5 s) spread over PY_ROWS rows',
  };
}
rmSync(tmp, { recursive: true, force: true });
rmSync(outDir, { recursive: true, force: true });

const results = {
  startup,
  riskGrid: {
    rows: ROWS,
    outputFileSystem: outDir.startsWith('/dev/shm') ? 'tmpfs (/dev/shm)' : `the temporary directory (${tmpdir()})`,
    csv: through.csv,
    json: through.json,
    csvSerial: through.csvSerial,
    jsonSerial: through.jsonSerial,
    csvEightModelsInterleaved: interleaved,
    maxRssKiB,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    targets: { csvRowsPerS: 1_000_000, jsonRowsPerS: 300_000 },
    meetsTargets: Object.fromEntries(
      (Object.keys(VARIANTS) as Variant[]).map((v) => {
        const target = VARIANTS[v][0] === 'csv' ? 1e6 : 3e5;
        return [v, { perCpuS: through[v].rowsPerCpuS >= target, perWallS: through[v].rowsPerWallS >= target }];
      }),
    ),
    stages,
  },
  python,
  note: 'shared 2-core machine: wall times are inflated by other jobs (see loadAverageAtWrite); CPU-time rates and same-run ratios are the comparable numbers',
};
const f0 = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`start-up (median of 5, wall): node -e 0 ${(startup.bareNodeS * 1e3).toFixed(0)} ms, --help ${(startup.helpS * 1e3).toFixed(0)} ms (${startup.helpRatio.toFixed(2)}x), exponents ${(startup.exponentsS * 1e3).toFixed(0)} ms (${startup.exponentsRatio.toFixed(2)}x); target <= 2x`);
for (const k of Object.keys(VARIANTS) as Variant[]) {
  console.log(`risk --grid ${f0(ROWS)} rows, --format ${VARIANTS[k][0]} --threads ${VARIANTS[k][1]} (median of ${GRID_RUNS}): ${f0(through[k].rowsPerCpuS)} rows per CPU s, ${f0(through[k].rowsPerWallS)} rows per wall s (${through[k].cpuS.toFixed(2)} s CPU, ${through[k].wallS.toFixed(2)} s wall)`);
}
console.log(`risk --grid ${f0(ROWS)} rows cycling through 8 models row by row, --format csv --threads 2 (median of 3): ${f0(interleaved.rowsPerCpuS)} rows per CPU s, ${f0(interleaved.rowsPerWallS)} rows per wall s`);
console.log(`  peak RSS ${maxRssKiB ?? 'n/a'} KiB; load average ${loadBefore[0]} before, ${loadAfter[0]} after; targets 1,000,000 (csv) and 300,000 (json) rows/s`);
console.log(`  batch loop in process (CPU s for 1e6 CSV rows): WebAssembly kernel ${batchKernelS.toFixed(2)}, TypeScript path ${batchTypeScriptS.toFixed(2)} (${stages.batchKernelSpeedup.toFixed(2)}x)`);
console.log(`  TypeScript path's stages (CPU s for 1e6 rows): start-up ${stages.startupCpuS.toFixed(2)}, read+parse ${parseS.toFixed(2)}, kernel ${kernelS.toFixed(2)}, 7 numbers/row as text ${numberTextS.toFixed(2)} (${stages.numberTextPerValueNs.toFixed(0)} ns each; String(x) ${stages.v8StringPerValueNs.toFixed(0)} ns)`);
if (havePy) console.log(`Python reference on the first ${f0(PY_ROWS)} rows: ${f0(python.rowsPerCpuS as number)} rows per CPU s; lossyscale ${(python.speedupCsvPerCpuS as number).toFixed(0)}x (csv), ${(python.speedupJsonPerCpuS as number).toFixed(0)}x (json); max relative difference ${(python.maxRelativeDifference as number).toExponential(2)}`);
else console.log('Python reference skipped: python3 with numpy and scipy not found');
console.log(`  wrote ${writeBenchResult('cli', results)}`);
