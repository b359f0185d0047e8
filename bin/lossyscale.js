#!/usr/bin/env node
// Entry point of the `lossyscale` CLI: the compiled library in dist/ (built by `npm run build`,
// which `npm install`/`npm ci` run through `prepare`, and scripts/setup.sh runs incrementally).
// A source checkout that has not been built yet runs the TypeScript through tsx (a dev
// dependency) and says so on stderr.
import { existsSync } from 'node:fs';

// `lossyscale ... | head` closes stdout early: stop quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (existsSync(compiled)) {
  ({ main } = await import(compiled.href));
} else if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('lossyscale: dist/ is missing; run `npm run build` (or `npm install`, which builds it)\n');
    process.exit(1);
  }
  process.stderr.write('lossyscale: dist/ is missing, running the sources through tsx (run `npm run build` for the compiled CLI)\n');
  register();
  ({ main } = await import(new URL('../src/cli/main.ts', import.meta.url).href));
} else {
  process.stderr.write('lossyscale: the compiled CLI (dist/cli/main.js) is missing from this installation\n');
  process.exit(1);
}
const status = await main(process.argv.slice(2));
// After SIGINT or SIGTERM (130, 143), exit here rather than letting the event loop drain: a
// natural exit closes the signal handles before the process is gone, and a second signal landing
// in that window would kill it by the default action instead of exiting with its status.
if (status === 130 || status === 143) process.exit(status);
process.exitCode = status;
