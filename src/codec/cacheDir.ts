import { join, resolve } from 'node:path';
import { repoRoot } from '../provenance.js';

/**
 * Where the codec cache lives unless a command or config says otherwise (THEORY.md
 * section 6): $LOSSYSCALE_CACHE_DIR, else `.cache/codec` in the repository (git-ignored).
 */
export function defaultCodecCacheDir(): string {
  const env = process.env.LOSSYSCALE_CACHE_DIR;
  return env && env.trim() !== '' ? resolve(env) : join(repoRoot, '.cache', 'codec');
}
