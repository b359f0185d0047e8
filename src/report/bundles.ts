import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ResourceError } from '../errors.js';

/**
 * The browser bundles the report inlines so it works opened from disk with no network:
 * vega (runtime), vega-lite (compiler) and vega-embed (tooltips via vega-tooltip, the
 * export/view-source menu). The UMD builds define globals vega, vegaLite, vegaEmbed.
 */
export interface BrowserBundle {
  name: string;
  version: string;
  code: string;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  let d = dirname(require.resolve(name));
  while (!existsSync(join(d, 'package.json')) || (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string }).name !== name) {
    const up = dirname(d);
    if (up === d) throw new ResourceError(`cannot find the ${name} package directory (run \`npm ci\`)`);
    d = up;
  }
  return d;
}

/** Read the three UMD bundles (order matters: vega, vega-lite, vega-embed). */
export function browserBundles(): BrowserBundle[] {
  const files: [string, string][] = [
    ['vega', 'build/vega.min.js'],
    ['vega-lite', 'build/vega-lite.min.js'],
    ['vega-embed', 'build/vega-embed.min.js'],
  ];
  return files.map(([name, file]) => {
    let dir: string;
    try {
      dir = packageDir(name);
    } catch (e) {
      if (e instanceof ResourceError) throw e;
      throw new ResourceError(`the ${name} package is not installed (run \`npm ci\` or \`bash scripts/setup.sh\`)`);
    }
    const path = join(dir, file);
    if (!existsSync(path)) throw new ResourceError(`${path} is missing (reinstall ${name}: \`npm ci\`)`);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    return { name, version, code: readFileSync(path, 'utf8') };
  });
}

/** Make a script's text safe to place inside <script>...</script>. */
export function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON that can sit inside <script type="application/json"> (no `<`, U+2028/9 escaped). */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
