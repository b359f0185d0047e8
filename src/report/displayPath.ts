import { relative, resolve } from 'node:path';
import { repoRoot } from '../provenance.js';

/** Path as shown to a reader: repo-relative when inside the repo. */
export function displayPath(path: string): string {
  const rel = relative(repoRoot, resolve(path));
  return rel.startsWith('..') || rel === '' ? resolve(path) : rel;
}
