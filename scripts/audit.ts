// Bad-input audit: runs the CLI of a checkout (default: this one) as a new user would, on a few
// hundred invalid or edge-case invocations of every command, each in its own process, and counts
// the outcomes against the contract (exit 2 and one stderr line for bad input, exit 0 for valid
// input, never a stack trace, a native crash, NaN/Infinity on stdout or a hang).
//   node --import tsx scripts/audit.ts [REPO_ROOT] [--jobs 2] [--timeout 60]
// Prints one line per failed probe and a summary table; exit status 0 when every probe holds.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const root = resolve(args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))) ?? '.');
const jobs = opt('jobs', 2);
const timeoutS = opt('timeout', 60);
const tmp = mkdtempSync(join(tmpdir(), 'audit-'));
const bin = join(root, 'bin', 'lossyscale.js');
let k = 0;
const fresh = (n: string): string => join(tmp, `${n}-${k++}`);
const file = (n: string, content: string | Buffer): string => {
  const p = fresh(n);
  writeFileSync(p, content);
  return p;
};

// Fixtures.
const fig6 = JSON.parse(readFileSync(join(root, 'sims', 'fig6.json'), 'utf8')) as Record<string, any>;
const tiny = { ...fig6, levels: [2, 3, 4], lambda: { schedule: 'theorem1', lambda0: { from: 0.1, to: 10, count: 3 } }, theory: { n: { from: 100, to: 1000, count: 3 } }, simulation: { n: { from: 300, to: 1500, count: 3, floor: true }, reps: 2, extraLevels: 1, validationSize: 200, testSize: 200 } };
const stylized = (edit: (c: Record<string, any>) => void = () => {}, prefix = ''): string => {
  const c = structuredClone(tiny);
  c.out = fresh('sim-out');
  edit(c);
  return file('stylized.json', prefix + JSON.stringify(c, null, 1));
};
const folder = join(tmp, 'folder');
for (const c of ['a', 'b', 'empty']) mkdirSync(join(folder, c), { recursive: true });
for (const c of ['a', 'b']) {
  for (let i = 0; i < 12; i++) {
    const p = new PNG({ width: 8, height: 8 });
    for (let q = 0; q < 64; q++) p.data.set([(q * 9 + i * 17 + c.charCodeAt(0)) % 256, (q * 5) % 256, i * 20, 255], q * 4);
    writeFileSync(join(folder, c, `${i}.png`), PNG.sync.write(p));
  }
}
writeFileSync(join(folder, 'a', 'broken.png'), 'not a png');
const sweepCfg = (edit: (c: Record<string, any>) => void = () => {}): string => {
  const c: Record<string, any> = {
    name: 'audit', dataset: { kind: 'folder', root: folder, testFraction: 0.25 }, trainer: 'ridge', trainerOptions: { lambdaGrid: [0.1, 1] }, seed: 1,
    split: { validationSize: 4 }, codec: { cacheDir: join(tmp, 'codec'), workers: 0, effort: 1 }, grid: { fractions: [0.5, 1], distances: [0, 1, 3], seeds: 1 }, fit: {}, figures: { png: false },
  };
  edit(c);
  return file('sweep.json', JSON.stringify(c));
};
const goodCsv = ['n,L,error', ...[100, 200, 400, 800].flatMap((n) => [10, 20, 40].map((L) => `${n},${L},${(0.1 + 2 * n ** -0.5 + 0.5 * L ** -0.7).toFixed(6)}`))].join('\n') + '\n';
const flatCsv = ['n,L,error', ...[100, 200, 400, 800, 1600].flatMap((n) => [10, 20, 40, 80].map((L) => `${n},${L},0.25`))].join('\n') + '\n';
const aFile = file('a-file', 'x');

interface Probe {
  name: string;
  argv: string[];
  /** 0: valid input; 2: user error. */
  expect: 0 | 2;
  /** Run before the probe (prepares a run directory). */
  before?: () => Promise<void>;
}
const probes: Probe[] = [];
const bad = (name: string, argv: string[]): void => void probes.push({ name, argv, expect: 2 });
const good = (name: string, argv: string[], before?: () => Promise<void>): void => void probes.push({ name, argv, expect: 0, before });

// Numbers in flags.
const BAD_NUMBERS = ['', 'abc', 'NaN', 'Infinity', '-Infinity', '1e400', '0x10', '0b11', '1_000', '1e', '--', '1,2', '١'];
for (const v of BAD_NUMBERS) {
  bad(`risk --n ${JSON.stringify(v)}`, ['risk', '--n', v, '--m', '3', '--lambda', '1']);
  bad(`risk --lambda ${JSON.stringify(v)}`, ['risk', '--n', '100', '--m', '3', '--lambda', v]);
  bad(`exponents --p ${JSON.stringify(v)}`, ['exponents', '--p', v]);
  bad(`simulate --reps ${JSON.stringify(v)}`, ['simulate', '--config', stylized(), '--reps', v, '--workers', '1', '--quiet']);
  bad(`optimize --storage ${JSON.stringify(v)}`, ['optimize', '--stylized', '--storage', v]);
  bad(`codec --effort ${JSON.stringify(v)}`, ['codec', 'sizes', '--limit', '2', '--effort', v, '--cache', fresh('c')]);
}
for (const v of ['-1', '-0.5', '-1e3']) {
  bad(`risk --lambda ${v} (space)`, ['risk', '--n', '100', '--m', '3', '--lambda', v]);
  bad(`simulate --n ${v} (space)`, ['simulate', '--p', '2.01', '--q', '2', '--r', '0.99', '--tau', '1', '--n', v, '--m', '3', '--lambda', '1']);
  bad(`codec --limit ${v} (space)`, ['codec', 'sizes', '--limit', v, '--cache', fresh('c')]);
}
// Unknown, valueless, duplicated flags and stray arguments, per command.
const bases: Record<string, string[]> = {
  exponents: ['exponents'], risk: ['risk', '--n', '100', '--m', '3', '--lambda', '1'], fit: ['fit', '--in', file('obs.csv', goodCsv), '--bootstrap', '0'],
  optimize: ['optimize', '--stylized', '--storage-grid', '1e3,1e5,3'], theory: ['theory', '--config', stylized(), '--no-figures', '--out', fresh('th')],
  simulate: ['simulate', '--config', stylized(), '--workers', '1', '--quiet', '--figures', fresh('f')], codec: ['codec', 'sizes', '--limit', '2', '--distances', '1', '--effort', '1', '--workers', '0', '--cache', fresh('c')],
  dataset: ['dataset', 'info', '--dataset', 'folder', '--root', folder], report: ['report', '--run', fresh('none'), '--out', fresh('rep')],
  sweep: ['sweep', '--config', sweepCfg(), '--run', fresh('run'), '--quiet'], 'sweep ingest': ['sweep', 'ingest', fresh('none.jsonl'), '--run', fresh('run')],
};
for (const [name, argv] of Object.entries(bases)) {
  bad(`${name} --bogus`, [...argv, '--bogus', '1']);
  bad(`${name} --json=1`, [...argv, '--json=1']);
  bad(`${name} stray`, [...argv.slice(0, argv[0] === 'codec' || argv[0] === 'dataset' || argv[1] === 'ingest' ? 2 : 1), 'stray-argument', ...argv.slice(argv[0] === 'codec' || argv[0] === 'dataset' || argv[1] === 'ingest' ? 2 : 1)]);
  bad(`${name} --help=x`, [...argv, '--help=x']);
}
bad('risk --n given twice', ['risk', '--n', '100', '--m', '3', '--lambda', '1', '--n', '-5']);
bad('theory --out empty', ['theory', '--config', stylized(), '--no-figures', '--out', '']);
bad('report --out -', ['report', '--run', fresh('none'), '--out', '-']);
bad('risk --tau 1e300', ['risk', '--n', '100', '--m', '3', '--lambda', '1', '--tau', '1e300']);
bad('optimize --law with --out', ['optimize', '--law', file('law.json', '{"Estar":0.1,"A":1,"alpha":0.5,"B":1,"beta":0.5}'), '--storage', '1e6', '--out', fresh('o')]);
bad('fit --save-csv - with --json', ['fit', '--in', file('obs.csv', goodCsv), '--bootstrap', '0', '--save-csv', '-', '--json']);
good('optimize law with a BOM', ['optimize', '--law', file('law.json', '\ufeff{"Estar":0.1,"A":1,"alpha":0.5,"B":1,"beta":0.5}\r\n'), '--storage', '1e6']);
bad('unknown command', ['frobnicate']);
bad('no command', []);
// Configs: bounded counts, bad fields, BOM, malformed JSON.
bad('theory n.count 1e9', ['theory', '--config', stylized((c) => (c.theory.n.count = 1e9)), '--no-figures', '--out', fresh('th')]);
bad('theory lambda0.count 1e8', ['theory', '--config', stylized((c) => (c.lambda.lambda0.count = 1e8)), '--no-figures', '--out', fresh('th')]);
bad('simulate reps 1e12', ['simulate', '--config', stylized((c) => (c.simulation.reps = 1e12)), '--quiet']);
bad('simulate validationSize 1e12', ['simulate', '--config', stylized((c) => (c.simulation.validationSize = 1e12)), '--quiet']);
bad('simulate testSize 1e12', ['simulate', '--config', stylized((c) => (c.simulation.testSize = 1e12)), '--quiet']);
bad('simulate n.count 1e6', ['simulate', '--config', stylized((c) => (c.simulation.n.count = 1e6)), '--quiet']);
bad('optimize storage-grid 1e9 points', ['optimize', '--stylized', '--storage-grid', '1e3,1e10,1e9']);
bad('optimize storage list 2e4 points', ['optimize', '--stylized', '--storage', Array.from({ length: 20_000 }, (_, i) => String(1000 + i)).join(',')]);
for (const [field, value] of [['levels', 'x'], ['levels', []], ['seed', -1], ['model', null], ['lambda', { schedule: 'nope' }], ['simulation', 5], ['name', ''], ['extra', 1]] as const) {
  bad(`simulate config ${field}=${JSON.stringify(value)}`, ['simulate', '--config', stylized((c) => (c[field] = value)), '--quiet']);
  bad(`theory config ${field}=${JSON.stringify(value)}`, ['theory', '--config', stylized((c) => (c[field] = value)), '--no-figures', '--out', fresh('th')]);
}
good('theory BOM config', ['theory', '--config', stylized(() => {}, '\ufeff'), '--no-figures', '--out', fresh('th')]);
bad('theory malformed config', ['theory', '--config', file('bad.json', '{\n "name": \n'), '--no-figures']);
bad('theory missing config', ['theory', '--config', join(tmp, 'nope.json'), '--no-figures']);
bad('theory config is a directory', ['theory', '--config', tmp, '--no-figures']);
bad('sweep testSize 1e12', ['sweep', '--config', sweepCfg((c) => (c.split.testSize = 1e12)), '--run', fresh('run'), '--quiet']);
bad('sweep validationSize 1e12', ['sweep', '--config', sweepCfg((c) => (c.split.validationSize = 1e12)), '--run', fresh('run'), '--quiet']);
bad('sweep lambdaGrid 1e4 items', ['sweep', '--config', sweepCfg((c) => (c.trainerOptions.lambdaGrid = Array.from({ length: 10_000 }, () => 1))), '--run', fresh('run'), '--quiet']);
bad('sweep lambdaGrid negative', ['sweep', '--config', sweepCfg((c) => (c.trainerOptions.lambdaGrid = [1, -1])), '--run', fresh('run'), '--quiet']);
bad('sweep seeds 1e9', ['sweep', '--config', sweepCfg((c) => (c.grid.seeds = 1e9)), '--run', fresh('run'), '--quiet']);
bad('sweep skipped above 1%', ['sweep', '--config', sweepCfg(), '--run', fresh('run'), '--quiet']);
good('sweep --allow-skipped', ['sweep', '--config', sweepCfg(), '--run', fresh('run'), '--allow-skipped', '--quiet']);
bad('sweep --resume missing run', ['sweep', '--config', sweepCfg(), '--run', fresh('missing'), '--resume', '--quiet']);
bad('sweep --max-memory 1M', ['sweep', '--config', sweepCfg(), '--run', fresh('run'), '--allow-skipped', '--max-memory', '1M', '--quiet']);
bad('simulate --max-memory 16M (fig6)', ['simulate', '--config', join(root, 'sims', 'fig6.json'), '--out', fresh('f6'), '--max-memory', '16M']);
// Output paths.
bad('simulate --out is a file', ['simulate', '--config', stylized(), '--out', aFile, '--quiet']);
bad('optimize --out is a file', ['optimize', '--stylized', '--storage-grid', '1e3,1e5,3', '--out', aFile]);
bad('fit --out is a directory', ['fit', '--in', file('obs.csv', goodCsv), '--bootstrap', '0', '--out', tmp]);
bad('codec --cache is a file', ['codec', 'sizes', '--limit', '2', '--distances', '1', '--cache', aFile]);
bad('theory --out under a file', ['theory', '--config', stylized(), '--no-figures', '--out', join(aFile, 'sub')]);
bad('report --out is a file', ['report', '--run', fresh('none'), '--out', aFile]);
// Run directories.
const corrupt = fresh('corrupt');
mkdirSync(corrupt);
writeFileSync(join(corrupt, 'run.json'), '{"planIdentity": ');
bad('simulate corrupt run.json', ['simulate', '--config', stylized(), '--out', corrupt, '--quiet']);
bad('sweep corrupt run.json', ['sweep', '--config', sweepCfg(), '--run', corrupt, '--resume', '--quiet']);
const orphan = fresh('orphan');
probes.push({
  name: 'simulate results without run.json', argv: ['simulate', '--config', stylized(), '--out', orphan, '--quiet', '--workers', '1'], expect: 2,
  before: async () => {
    await run(['simulate', '--config', stylized(), '--out', orphan, '--quiet', '--workers', '1']);
    rmSync(join(orphan, 'run.json'));
  },
});
const cellsRun = fresh('cells');
probes.push({
  name: 'simulate row with cells: []', argv: ['simulate', '--config', join(tmp, 'cells.json'), '--quiet', '--workers', '1'], expect: 2,
  before: async () => {
    const c = structuredClone(tiny);
    c.out = cellsRun;
    writeFileSync(join(tmp, 'cells.json'), JSON.stringify(c));
    await run(['simulate', '--config', join(tmp, 'cells.json'), '--quiet', '--workers', '1']);
    const lines = readFileSync(join(cellsRun, 'results.jsonl'), 'utf8').split('\n').filter(Boolean);
    const row = JSON.parse(lines[0]);
    row.cells = [];
    writeFileSync(join(cellsRun, 'results.jsonl'), [JSON.stringify(row), ...lines.slice(1)].join('\n') + '\n');
  },
});
// CSV and JSON inputs.
for (const [name, text] of [
  ['empty', ''], ['header only', 'n,L,error\n'], ['missing column', 'n,L\n1,2\n'], ['text cell', goodCsv + 'abc,10,0.1\n'], ['hex cell', goodCsv + '0x10,10,0.1\n'],
  ['NaN cell', goodCsv + 'NaN,10,0.1\n'], ['ragged', goodCsv + '1,2\n'], ['BOM', '\ufeff' + 'n,L\n'], ['binary', '\u0000\u0001\u0002'], ['negative n', goodCsv + '-5,10,0.1\n'],
] as const) {
  bad(`fit csv ${name}`, ['fit', '--in', file('obs.csv', text), '--bootstrap', '0']);
}
good('fit flat data set', ['fit', '--in', file('flat.csv', flatCsv), '--bootstrap', '0', '--format', 'csv']);
good('fit flat data set --json', ['fit', '--in', file('flat.csv', flatCsv), '--bootstrap', '0', '--json']);
for (const [name, text] of [['empty', ''], ['bad column', 'p,q\n1,2\n'], ['text', 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,abc,3,1\n'], ['hex', 'p,q,r,tau,n,m,lambda\n2.01,2,0.99,1,0x10,3,1\n']] as const) {
  bad(`risk grid ${name}`, ['risk', '--grid', file('grid.csv', text)]);
}
for (const [name, text] of [['empty', ''], ['not json', '{'], ['array of junk', '[1,2]'], ['law with text', '{"Estar":0.1,"A":1,"alpha":"x","B":1,"beta":1}']] as const) {
  bad(`optimize law ${name}`, ['optimize', '--law', file('law.json', text), '--storage', '1e6']);
}
for (const [name, text] of [['empty', ''], ['junk line', 'not json\n{}\n'], ['no manifest', '{"key":"a","kind":"ridge-mc","result":{}}\n']] as const) {
  bad(`sweep ingest ${name}`, ['sweep', 'ingest', file('results.jsonl', text), '--run', fresh('ing')]);
}
// Valid edge cases.
good('simulate n below 300', ['simulate', '--config', stylized((c) => (c.simulation.n = { from: 20, to: 250, count: 3, floor: true })), '--quiet', '--workers', '1', '--figures', fresh('f')]);
good('simulate one repetition', ['simulate', '--config', stylized((c) => (c.simulation.reps = 1)), '--quiet', '--workers', '1', '--figures', fresh('f')]);
good('risk lambda opt', ['risk', '--n', '1', '--m', '1', '--lambda', 'opt']);
good('exponents extreme', ['exponents', '--p', '1000', '--q', '2', '--r', '0.001']);
good('codec quality', ['codec', 'quality', '--distances', '0,0.5,25']);
good('dataset info with skipped files', ['dataset', 'info', '--dataset', 'folder', '--root', folder]);

interface Outcome { code: number | null; signal: string | null; stdout: string; stderr: string; seconds: number; timedOut: boolean }
function run(argv: string[]): Promise<Outcome> {
  return new Promise((res) => {
    const t0 = Date.now();
    const ch = spawn(process.execPath, [bin, ...argv], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    ch.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    ch.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      ch.kill('SIGKILL');
    }, timeoutS * 1000);
    ch.on('exit', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000, timedOut });
    });
  });
}

const NON_FINITE = /(?<![A-Za-z])-?(NaN|Infinity)(?![A-Za-z])/;
function verdict(p: Probe, o: Outcome): string {
  if (o.timedOut) return 'timeout';
  if (o.code === null || o.code > 128) return 'crash';
  if (/\n\s+at .+[:(]\d+|FATAL ERROR|v8::internal/.test(o.stderr)) return 'stack trace';
  if (o.code === 1) return 'exit 1';
  if (o.code !== p.expect) return `exit ${o.code} (expected ${p.expect})`;
  // The notice of a source checkout without dist/ (bin/lossyscale.js) is not the command's output.
  // Warnings are not the error line: the notice of a source checkout without dist/ (bin/lossyscale.js),
  // skipped dataset files (listed by design) and the estimate of a large job.
  const lines = o.stderr.split('\n').filter((l) => l.trim() !== '' && !/^lossyscale: (dist\/ is missing, running the sources|skipped |estimate for )/.test(l));
  if (o.code === 2 && lines.length > 1) return 'more than one stderr line';
  const own = p.argv.reduce((t, a) => (a.length > 2 ? t.split(a).join('') : t), o.stdout);
  if (NON_FINITE.test(own)) return 'NaN/Infinity on stdout';
  return 'ok';
}

const counts = new Map<string, number>();
let next = 0;
async function worker(): Promise<void> {
  while (next < probes.length) {
    const p = probes[next++];
    let v: string;
    let o: Outcome | undefined;
    try {
      await p.before?.();
      o = await run(p.argv);
      v = verdict(p, o);
    } catch (e) {
      v = 'setup failed';
      o = { code: null, signal: null, stdout: '', stderr: String(e), seconds: 0, timedOut: false };
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (v !== 'ok') process.stdout.write(`FAIL ${v}: ${p.name}: ${o!.stderr.split('\n').filter(Boolean).slice(0, 2).join(' | ').slice(0, 240)}\n`);
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
rmSync(tmp, { recursive: true, force: true });
console.log(`audit of ${root}: ${probes.length} probes (${probes.filter((p) => p.expect === 2).length} bad inputs, ${probes.filter((p) => p.expect === 0).length} valid edge cases)`);
for (const [v, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`  ${v.padEnd(30)} ${n}`);
process.exit(counts.size === 1 && counts.has('ok') ? 0 : 1);
