import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Tests that run bin/lossyscale.js run the compiled dist/: build it first (incremental tsc,
 * about a second when nothing changed) so they always test the sources as they are.
 */
export default function setup(): void {
  const root = join(__dirname, '..');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed before the tests:\n${r.stdout}${r.stderr}`);
}
