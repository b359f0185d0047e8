import { buildSync } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResourceError } from '../errors.js';

/**
 * lossyscale's own computing code for the page (src/report/browser/entry.ts), bundled with
 * esbuild when the report is built into one IIFE that defines the global `lossyscaleLib`;
 * the planner and the theory explorer call it, so their numbers come from the same
 * functions as `lossyscale optimize`, `exponents` and `risk` (THEORY.md sections 1-4).
 */
const here = dirname(fileURLToPath(import.meta.url));
let cached: string | undefined;

export function lossyscaleBrowserBundle(): { name: string; code: string } {
  if (cached === undefined) {
    const entry = [join(here, 'browser', 'entry.ts'), join(here, 'browser', 'entry.js')];
    let result;
    try {
      result = buildSync({ entryPoints: [fileURLToPath(import.meta.url).endsWith('.ts') ? entry[0] : entry[1]], bundle: true, format: 'iife', globalName: 'lossyscaleLib', platform: 'browser', target: 'es2020', minify: true, write: false, logLevel: 'silent', legalComments: 'none' });
    } catch (e) {
      throw new ResourceError(`cannot bundle the report's browser code with esbuild: ${(e as Error).message.split('\n')[0]}`);
    }
    cached = result.outputFiles[0].text;
  }
  return { name: 'lossyscale', code: cached };
}
