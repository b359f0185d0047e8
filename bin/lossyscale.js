#!/usr/bin/env node
// Entry point of the `lossyscale` CLI. The library is TypeScript; tsx (esbuild) loads
// it directly so the CLI is always the source you are reading, with no stale build.
import { register } from 'tsx/esm/api';

// `lossyscale ... | head` closes stdout early: stop quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
