import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering of docs/architecture.md, checked on the source text: computing folders never
 * import drawing, report or CLI code; no import cycles (static and literal dynamic imports);
 * no `as unknown as` casts; no file over 450 lines; no references to outside trackers; the map names
 * every folder of src/ and only files that exist.
 */
const SRC = resolve(import.meta.dirname, '..', 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const files = tsFiles(SRC);
const rel = (p: string): string => relative(SRC, p);
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

/** Relative imports of a file (static, re-exports, and dynamic imports with a literal specifier), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const src = text.get(file) ?? '';
  const specs = [
    ...src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm),
    ...src.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...src.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const folderOf = (p: string): string => rel(p).split('/')[0].replace(/\.ts$/, '');
/** Folders above the computing layers, in layer order (each may import only those before it and the computing ones). */
const UPPER = ['figures', 'report', 'cli'];

describe('architecture', () => {
  it('computing folders import no figures/, report/ or cli/ code, and figures/ and report/ import nothing above them', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = folderOf(f);
      const rank = UPPER.indexOf(from);
      for (const target of importsOf(f)) {
        const to = folderOf(target);
        const toRank = UPPER.indexOf(to);
        if (toRank >= 0 && toRank > rank) bad.push(`${rel(f)} -> ${rel(target)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the import graph has no cycle', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => text.has(t))]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...stack, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('detects what it forbids (a cycle and an upward import in a synthetic graph)', () => {
    // Guards the checks above against matching nothing: the import pattern must see these lines.
    const sample = "import { a } from '../figures/render.js';\nexport { b } from './x.js';\nconst m = await import('../cli/main.js');";
    text.set(join(SRC, 'sweep', '__probe.ts'), sample);
    try {
      expect(importsOf(join(SRC, 'sweep', '__probe.ts')).map(rel)).toEqual(['figures/render.ts', 'sweep/x.ts', 'cli/main.ts']);
    } finally {
      text.delete(join(SRC, 'sweep', '__probe.ts'));
    }
  });

  it('has no `as unknown as` cast in src', () => {
    const casts = files.filter((f) => /\bas unknown as\b/.test(text.get(f) ?? '')).map(rel);
    expect(casts).toEqual([]);
  });

  it('has no file in src over 450 lines', () => {
    const long = files.map((f) => ({ f: rel(f), lines: (text.get(f) ?? '').split('\n').length - 1 })).filter((x) => x.lines > 450);
    expect(long).toEqual([]);
  });

  it('cites no outside tracker (issue numbers) in src', () => {
    const refs = files.filter((f) => /\bissues? #?\d+|\bissue item\b|\bitem \d+ of issue\b/i.test(text.get(f) ?? '')).map(rel);
    expect(refs).toEqual([]);
  });

  it('every non-null assertion has a `// non-null:` comment on the line above, saying why it holds', () => {
    const bare = new Map<string, number>();
    for (const f of files) {
      const src = text.get(f) ?? '';
      const lines = src.split('\n');
      const sf = ts.createSourceFile(f, src, ts.ScriptTarget.ES2022, true);
      const visit = (n: ts.Node): void => {
        if (n.kind === ts.SyntaxKind.NonNullExpression) {
          const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
          if (!/\/\/ non-null: /.test(lines[line - 1] ?? '')) bare.set(rel(f), (bare.get(rel(f)) ?? 0) + 1);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    const over = [...bare].map(([f, k]) => `${f}: ${k} unexplained non-null assertion(s)`);
    expect(over).toEqual([]);
  });

  it('docs/architecture.md names every folder of src/, and every src/ file it names exists', () => {
    const doc = readFileSync(resolve(SRC, '..', 'docs', 'architecture.md'), 'utf8');
    const entries = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? [rel(join(dir, f)) + '/', ...entries(join(dir, f))] : [rel(join(dir, f))]));
    const all = entries(SRC);
    // A sub-folder may be named relative to its parent's row (`wasm/` in the simulate/ row).
    const unnamed = all.filter((p) => p.endsWith('/')).filter((f) => !doc.includes(`\`${f}`) && !doc.includes(`\`${f.split('/').slice(1).join('/')}`) && !doc.includes(`\`src/${f}`));
    expect(unnamed).toEqual([]);
    // Paths with a folder, relative to src/ or to their row's folder (`torch/sweepBundle.ts` in the trainers/ row).
    const named = [...doc.matchAll(/`((?:src\/)?[A-Za-z]+\/[A-Za-z0-9_./]+\.(?:ts|wat|wasm))`/g)].map((m) => m[1].replace(/^src\//, '')).filter((p) => !p.startsWith('test/'));
    const missing = named.filter((p) => !all.some((f) => f === p || f.endsWith(`/${p}`)));
    expect(missing).toEqual([]);
  });
});
