import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/provenance.js';

/**
 * `npm run bench [-- NAME...]`: runs every bench/*.bench.ts (or those named) in its own
 * process, one after another so they do not compete for the two cores. Each writes
 * bench/results/<name>.json; commit those with the code they measured.
 */
const dir = join(repoRoot, 'bench');
const all = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length)).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (valid: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n=== bench ${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${name}.bench.ts`)], { stdio: 'inherit', cwd: repoRoot });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${name} failed with status ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
