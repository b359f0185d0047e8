// Runs the vitest suite (default reporter on the terminal) and ends with one plain line,
// "tests: N passed, N failed, N skipped", so CI logs state the count whatever reads them.
// Exit status is vitest's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'lossyscale-tests-'));
const out = join(dir, 'vitest.json');
const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let line = 'tests: no result file written by vitest';
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  line = `tests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped`;
} catch {}
rmSync(dir, { recursive: true, force: true });
console.log(line);
process.exit(r.status ?? 1);
