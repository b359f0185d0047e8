import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { provenance, repoRoot, type Provenance } from '../provenance.js';
import {
  defaultRunDirs,
  discoverFigures,
  displayPath,
  figureUsesDir,
  parseMarkdownTables,
  readRun,
  type FigureEntry,
  type LawSummary,
  type RunEntry,
  type TableEntry,
} from './discover.js';
import { exponentComparison, storageExponent } from './exponentsTable.js';
import { strategyHeadline } from './headline.js';
import { runVerdicts } from './verdicts.js';
import { plannerData } from './planner.js';
import { esc, fmt, renderReportHtml, type Block, type ReportModel, type Section } from './html.js';

/**
 * Assemble the report (THEORY.md section 7): the law and the Theorem-1 exponents beside the fitted ones
 * (THEORY.md sections 1 and 4), the stylized-model figures (section 5, Figure 6), the
 * storage allocation, the real-data Figures 1-5 with their tables (section 6), then runs,
 * provenance and any problems. Everything the report reads is discovered from files.
 */

export interface BuildReportOptions {
  /** Run directories to report on; empty or absent: the repo's committed runs and figures. */
  runs?: string[];
  /** Output directory (index.html is written there). */
  outDir: string;
  /** Figure directory of the repo (default figures/). */
  figuresDir?: string;
  /** Command line recorded in the report's provenance. */
  command?: string;
}

export interface BuiltReport {
  htmlPath: string;
  bytes: number;
  figures: string[];
  runs: string[];
  problems: string[];
  model: ReportModel;
}

/** Which narrative section a figure belongs to, from its file name (figure naming in docs/architecture.md). */
export function classifyFigure(name: string): { group: string; order: number } {
  if (name.startsWith('fig6-theory')) return { group: 'theory', order: 0 };
  if (name.startsWith('fig6')) return { group: 'fig6', order: 0 };
  if (name.startsWith('fig2-') || name.startsWith('stylized-optimum')) return { group: 'storage', order: 0 };
  const m = /^(.+?)-fig([1-5])(?=-|$)/.exec(name);
  if (m) return { group: `real:${m[1]}`, order: Number(m[2]) };
  return { group: 'other', order: realFigureNumber(name) ?? 0 };
}

/** Paper figure number 1-5 in a real-data figure name (`fig3-strategies`, `fmnist-cpu-fig3-...`), or null. */
export function realFigureNumber(name: string): number | null {
  const m = /(?:^|-)fig([1-5])(?=-|$)/.exec(name);
  return m ? Number(m[1]) : null;
}

const REAL_FIGURES: Record<number, string> = {
  1: 'Figure 1: scaling curves, error against n per L and against L per n, with the fitted law',
  2: 'Figure 2: optimal n*(S) and L*(S) against storage, with the original-format line',
  3: 'Figure 3: error against storage for scaling-optimal, original-format and randomized strategies',
  4: 'Figure 4: scaling-optimal against naive fixed-level compression at equal storage',
  5: 'Figure 5: accuracy matrix, training distance by test distance',
};

function isStylizedRun(run: RunEntry): { p: number; q: number; r: number } | null {
  const model = (run.run?.config as { model?: Record<string, unknown> } | undefined)?.model;
  if (model && typeof model.p === 'number' && typeof model.q === 'number' && typeof model.r === 'number') return { p: model.p, q: model.q, r: model.r };
  return null;
}

function runLabel(run: RunEntry): string {
  const name = (run.run?.config as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name ? `${name} (${run.displayPath})` : run.displayPath;
}

/** Model parameters of the committed Figure-6 config, for the theory table when no stylized run is given. */
function defaultStylizedModel(problems: string[]): { p: number; q: number; r: number } | null {
  const path = join(repoRoot, 'sims', 'fig6.json');
  if (!existsSync(path)) return null;
  try {
    const m = (JSON.parse(readFileSync(path, 'utf8')) as { model?: { p: number; q: number; r: number } }).model;
    if (m && [m.p, m.q, m.r].every((v) => typeof v === 'number')) return m;
  } catch (e) {
    problems.push(`sims/fig6.json: not valid JSON (${(e as Error).message.split('\n')[0]}); theory exponents not shown`);
  }
  return null;
}

/** Tables longer than this are folded (with their row count) so a run's raw grids do not bury the story. */
export const FOLD_TABLE_ROWS = 25;

/** A run's tables as blocks: the law first, short tables shown, long ones folded and last. */
export function tableBlocks(tables: TableEntry[], caption: (t: TableEntry) => string): Block[] {
  const sorted = [...tables].sort((a, b) => Number(b.name === 'law') - Number(a.name === 'law') || a.rows.length - b.rows.length || a.name.localeCompare(b.name));
  return sorted.map((t) =>
    t.rows.length > FOLD_TABLE_ROWS
      ? { kind: 'details' as const, open: false, summary: `Table: ${esc(caption(t))} (${t.rows.length.toLocaleString('en-US')} rows, <code>${esc(t.displayPath)}</code>)`, blocks: [{ kind: 'table' as const, table: t, caption: caption(t) }] }
      : { kind: 'table' as const, table: t, caption: caption(t) },
  );
}

/** Real-data sections and other figures by paper figure number then name; the stylized sections by name. */
function sortFigures(figs: FigureEntry[], byFigureNumber = false): FigureEntry[] {
  const order = (f: FigureEntry): number => (byFigureNumber ? (realFigureNumber(f.name) ?? 0) : 0);
  return [...figs].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}

/** Build the report model from discovered files (no HTML yet). */
export function assembleReport(opts: Omit<BuildReportOptions, 'outDir'>, generated: Provenance): ReportModel {
  const problems: string[] = [];
  const explicitRuns = (opts.runs ?? []).length > 0;
  const runDirs = explicitRuns ? (opts.runs ?? []).map((d) => resolve(d)) : defaultRunDirs();
  for (const d of runDirs) {
    if (!existsSync(d)) throw new InputError('--run', d, 'an existing run directory (with run.json, results.jsonl, law.json, tables/, figures/)');
    if (!statSync(d).isDirectory()) throw new InputError('--run', d, 'a directory, not a file');
  }
  const runs = runDirs.map((d) => {
    const before = problems.length;
    const r = readRun(d, problems);
    // A directory named with --run that holds nothing readable is a wrong path, not a run with problems.
    if (explicitRuns && r.run === null && r.law === null && r.tables.length === 0 && r.figures.length === 0 && r.summary === undefined) {
      const why = problems.slice(before).join('; ');
      throw new InputError('--run', r.displayPath, 'a run directory with a readable run.json, law.json, summary.json, tables/ or figures/', `nothing readable in it (${why})`);
    }
    return r;
  });

  // Figures: each run's own figures/, plus the repo's figures/ (all of them by default; with
  // --run only those computed from the given runs' files).
  const byName = new Map<string, FigureEntry>();
  for (const r of runs) for (const f of r.figures) byName.set(f.name, f);
  const repoFigs = discoverFigures(opts.figuresDir ?? join(repoRoot, 'figures'), explicitRuns ? [] : problems);
  for (const f of repoFigs) {
    if (byName.has(f.name)) continue;
    if (!explicitRuns || runs.some((r) => figureUsesDir(f, r.dir))) byName.set(f.name, f);
  }
  const figures = [...byName.values()];
  const runOf = (f: FigureEntry): RunEntry | undefined => runs.find((r) => r.figures.includes(f)) ?? runs.find((r) => figureUsesDir(f, r.dir));
  const groups = new Map<string, FigureEntry[]>();
  const groupOf = new Map<FigureEntry, string>();
  for (const f of figures) {
    let g = classifyFigure(f.name).group;
    // A sweep may name its figures without a prefix (fig1-scaling, fig2-allocation): a paper
    // figure number in a figure of a non-stylized run makes it real data, named after the run.
    const run = runOf(f);
    if (run && !isStylizedRun(run) && realFigureNumber(f.name) !== null && !g.startsWith('real:')) g = `real:${run.displayPath.split('/').pop()}`;
    groups.set(g, [...(groups.get(g) ?? []), f]);
    groupOf.set(f, g);
  }
  /** The section holding most of a run's figures: its tables are shown there. */
  const homeGroup = (r: RunEntry): string | null => {
    const count = new Map<string, number>();
    // non-null: groupOf maps every figure (filled for all figures above).
    for (const f of figures) if (runOf(f) === r) count.set(groupOf.get(f)!, (count.get(groupOf.get(f)!) ?? 0) + 1);
    return [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  };

  const sections: Section[] = [];
  const glance: ReportModel['glance'] = [];
  const placedTables = new Set<RunEntry>();
  /** Table blocks of the runs at home in `group` (or matching `extra`), each run placed once. */
  const tablesFor = (group: string, extra: (r: RunEntry) => boolean = () => false): Block[] => {
    const out: Block[] = [];
    for (const r of runs) {
      if (placedTables.has(r) || !(homeGroup(r) === group || extra(r))) continue;
      placedTables.add(r);
      out.push(...tableBlocks(r.tables, (t) => `${t.name.replace(/[-_]/g, ' ')}, ${r.displayPath}`));
    }
    return out;
  };

  // 1. The law and its exponents.
  const stylizedRuns = runs.filter((r) => isStylizedRun(r));
  const stylizedWithLaw = stylizedRuns.find((r) => r.law);
  const model = stylizedWithLaw ? isStylizedRun(stylizedWithLaw) : stylizedRuns.length ? isStylizedRun(stylizedRuns[0]) : explicitRuns ? null : defaultStylizedModel(problems);
  const lawBlocks: Block[] = [];
  if (model) {
    try {
      const cmp = exponentComparison(model, stylizedWithLaw?.law ?? null);
      lawBlocks.push({ kind: 'exponents', comparison: cmp, lawLabel: stylizedWithLaw ? runLabel(stylizedWithLaw) : null, lawPath: stylizedWithLaw?.law?.displayPath ?? null });
      // non-null: exponentComparison always has alpha and beta rows.
      const alpha = cmp.rows.find((r) => r.key === 'alpha')!;
      // non-null: exponentComparison always has alpha and beta rows.
      const beta = cmp.rows.find((r) => r.key === 'beta')!;
      if (alpha.fitted) glance.push({ label: 'α, stylized model: fitted vs theory', value: `${fmt(alpha.fitted.value, 3)} <span style="font-size:14px;font-weight:400">vs ${fmt(alpha.optimal, 3)}</span>`, detail: `Theorem-1 schedule ${fmt(alpha.theorem, 3)}, optimal λ ${fmt(alpha.optimal, 3)}` });
      else glance.push({ label: 'α, stylized model (Theorem 1)', value: `${fmt(alpha.theorem, 3)} – ${fmt(alpha.optimal, 3)}`, detail: 'Theorem-1 schedule – optimal λ' });
      if (beta.fitted) glance.push({ label: 'β, stylized model: fitted vs theory', value: `${fmt(beta.fitted.value, 3)} <span style="font-size:14px;font-weight:400">vs ${fmt(beta.theorem, 3)}</span>`, detail: `β = ln(p/r)/ln q, regime ${cmp.theory.regime}` });
      else glance.push({ label: 'β, stylized model (Theorem 1)', value: fmt(beta.theorem, 3), detail: `ln(p/r)/ln q, regime ${cmp.theory.regime}` });
    } catch (e) {
      problems.push(`theory exponents for p=${model.p}, q=${model.q}, r=${model.r}: ${(e as Error).message}`);
    }
  }
  // Local slopes of R_det converging to the exponents (theory/exponentSlopes.md, THEORY.md section 4).
  const slopesPath = join(repoRoot, 'theory', 'exponentSlopes.md');
  if (model && existsSync(slopesPath)) {
    const tables = parseMarkdownTables(readFileSync(slopesPath, 'utf8')).filter((t) => /slope/i.test(t.heading));
    if (tables.length) {
      lawBlocks.push({
        kind: 'details',
        open: false,
        summary: 'Convergence: local log-log slopes of the deterministic risk against n (and of K<sub>m</sub> against L) approach the predicted exponents as n grows, for the paper\'s and seven other (p, q, r)',
        blocks: [
          { kind: 'note', tone: 'info', html: 'Predicted exponents in bold; convergence is slowest at the boundary β = 2κ. From <code>theory/exponentSlopes.md</code> (<code>node --import tsx theory/exponentSlopes.ts</code>).' },
          ...tables.map((t) => ({ kind: 'table' as const, caption: t.heading, table: { name: t.heading, path: slopesPath, displayPath: displayPath(slopesPath), kind: 'md' as const, header: t.header, rows: t.rows } })),
        ],
      });
    }
  }
  const laws = runs.filter((r) => r.law).map((r) => ({ label: runLabel(r), law: r.law as LawSummary }));
  if (laws.length) lawBlocks.push({ kind: 'laws', laws });
  for (const r of runs.filter((x) => x.law && !isStylizedRun(x))) {
    // non-null: runs without a law were filtered out just above.
    const p = r.law!.params;
    // non-null: runs without a law were filtered out just above.
    glance.push({ label: `fitted law, ${r.displayPath}`, value: `α ${fmt(p.alpha, 3)} · β ${fmt(p.beta, 3)}`, detail: `ν = ${fmt(storageExponent(p.alpha, p.beta), 3)}, E* = ${fmt(p.Estar, 3)}${r.law!.r2 !== null ? `, R² ${fmt(r.law!.r2, 3)}` : ''}` });
  }
  if (!lawBlocks.length) lawBlocks.push({ kind: 'note', tone: 'warn', html: 'No stylized-model config and no fitted law (law.json) found, so no exponents can be shown.' });
  sections.push({
    id: 'law',
    title: 'The law and its exponents',
    intro: `<p>Test error of a model trained on <var>n</var> samples stored at <var>L</var> bytes each follows Err(n, L) ≈ E* + A n<sup>−α</sup> + B L<sup>−β</sup>. Under a storage budget S = n·L the best split makes the excess error fall like S<sup>−ν</sup> with ν = αβ/(α+β), and the optimum keeps more, more compressed samples than the original format allows. ${lawBlocks.some((b) => b.kind === 'exponents') ? " In the stylized multiscale model, Theorem 1 predicts the exponents from the model's (p, q, r); the first table puts them beside the exponents fitted to the simulation, the second lists every fitted law." : ' The table lists the law fitted to each run.'}</p>`,
    blocks: lawBlocks,
  });

  // 2-4. Stylized model.
  const theory = groups.get('theory') ?? [];
  if (theory.length)
    sections.push({
      id: 'theory',
      title: 'Stylized model: what the theory predicts',
      intro: '<p>Deterministic-risk curves of the stylized model (Lemma 1): the error ridge regression reaches in the limit, before any sampling. Their local log-log slopes converge to the Theorem-1 exponents above (slowly near β = 2κ).</p>',
      blocks: [{ kind: 'figures', figures: sortFigures(theory) }, ...tablesFor('theory')],
    });
  const fig6 = groups.get('fig6') ?? [];
  const fig6Blocks: Block[] = fig6.length ? [{ kind: 'figures', figures: sortFigures(fig6) }] : [];
  if (!fig6.length && (theory.length || stylizedRuns.length)) fig6Blocks.push({ kind: 'note', tone: 'warn', html: 'No Figure-6 simulation figure (<code>fig6-sim-*.vl.json</code>) was found: run <code>lossyscale simulate --config sims/fig6.json</code> and <code>npm run figures</code>.' });
  fig6Blocks.push(...tablesFor('fig6', (r) => !!isStylizedRun(r) && homeGroup(r) === null));
  if (fig6Blocks.length)
    sections.push({
      id: 'figure-6',
      title: 'Figure 6: theory against simulation',
      intro: '<p>The paper\'s Figure 6: simulated ridge regression on the stylized model (points: mean over repetitions of the excess error Err − τ²) against the deterministic risk (lines), as a function of n for each L and of L for each n. If the theory is right the points sit on the lines, and the fitted law\'s exponents match the table above.</p>',
      blocks: fig6Blocks,
    });
  const storage = groups.get('storage') ?? [];
  if (storage.length)
    sections.push({
      id: 'storage',
      title: 'Spending a storage budget',
      intro: '<p>Given the law, a budget S buys the split n*(S), L*(S) that minimises the predicted error (paper Figure 2 and Equation 3). Compare it with keeping every sample at original quality: the optimum keeps more samples at fewer bytes each.</p>',
      blocks: [{ kind: 'figures', figures: sortFigures(storage) }, ...tablesFor('storage')],
    });

  // The planner (one per fitted real-data law) and the theory explorer, computed in the page.
  const planners = runs.map((r, i) => plannerData(r, i, problems)).filter((d): d is NonNullable<typeof d> => d !== null && d.curve !== null);
  sections.push({
    id: 'planner',
    title: 'Plan a storage budget',
    intro: '<p>Type a storage budget (with units) and, if you like, how many images you have: the fitted law gives the number of images n* and bytes per image L* that minimise the predicted error, the run\'s size curve gives the JPEG XL distance d* that reaches L*, and the law\'s bootstrap refits give the band. The numbers are computed in this page by the same code as <code>lossyscale optimize</code> (and <code>lossyscale plan</code> does all of it, pilot included, for your own images).</p>',
    blocks: planners.length
      ? planners.map((data) => ({ kind: 'planner' as const, data }))
      : [{ kind: 'note', tone: 'info', html: 'No real-data run with a fitted law (law.json) and a size curve (sizes.json) was found, so there is no law to plan with. Run a sweep, or <code>lossyscale plan</code> on your images.' }],
  });
  sections.push({
    id: 'theory-explorer',
    title: 'Theory explorer',
    intro: '<p>Change the stylized model\'s parameters: the Theorem-1 exponents, the regime and the deterministic-risk curves (Lemma 1, λ tuned for every n and L) are recomputed in the page by lossyscale\'s own theory code. Invalid parameters (p ≤ q, r ≥ p, ...) show the message the CLI prints and draw nothing.</p>',
    blocks: [{ kind: 'explorer' }],
  });

  // 5. Real data, one section per figure prefix (one per sweep).
  const realGroups = [...groups.keys()].filter((g) => g.startsWith('real:')).sort();
  for (const g of realGroups) {
    const prefix = g.slice(5);
    // non-null: g iterates over the keys of groups.
    const figs = sortFigures(groups.get(g)!, true);
    const run = figs.map(runOf).find((r) => r);
    const blocks: Block[] = [];
    const head = run ? strategyHeadline(run.summary) : null;
    const verdicts = run ? runVerdicts(run.summary) : null;
    if (verdicts) {
      const items = [...(verdicts.law ? [verdicts.law] : []), ...verdicts.storage, ...(verdicts.coverage ? [verdicts.coverage] : [])];
      const pre = verdicts.preRegistered === null ? '' : verdicts.preRegistered ? ' (prediction pre-registered before any strategy model was trained)' : ' (NOT pre-registered)';
      blocks.push({ kind: 'note', tone: verdicts.lawRejected ? 'warn' : 'info', html: `<strong>Verdicts computed from this run${esc(pre)}:</strong><ul>${items.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` });
    }
    if (head) {
      const last = head.comparisons[head.comparisons.length - 1];
      const pctf = (x: number): string => `${fmt(100 * x, 3)}%`;
      const int = (x: number): string => Math.round(x).toLocaleString('en-US');
      const rows = head.comparisons
        .map((c) => `<tr><td class="num">${int(c.budgetBytes)}</td><td class="num"><strong>${pctf(c.optimal.error)}</strong></td><td class="num">${int(c.optimal.n)} × ${int(c.optimal.bytesPerImage)} B</td><td class="num">${pctf(c.original.error)}</td><td class="num">${int(c.original.n)} × ${int(c.original.bytesPerImage)} B</td></tr>`)
        .join('');
      blocks.push({
        kind: 'note',
        tone: head.wins === head.comparisons.length ? 'info' : 'warn',
        html: `<strong>At equal storage, scaling-optimal had the lower mean error than the original format at ${head.wins} of ${head.comparisons.length} budgets</strong> (means only; the paired test above says which differences are resolved). Test error (mean over seeds), images × bytes per image:<table class="data compact"><thead><tr><th>budget S (bytes)</th><th>scaling-optimal</th><th>n × L</th><th>original format</th><th>n × L</th></tr></thead><tbody>${rows}</tbody></table>`,
      });
      glance.push({ label: `test error at equal storage, ${prefix}`, value: `${pctf(last.optimal.error)} <span style="font-size:14px;font-weight:400">vs ${pctf(last.original.error)}</span>`, detail: `scaling-optimal vs original format at S = ${int(last.budgetBytes)} B; optimal better at ${head.wins}/${head.comparisons.length} budgets` });
    }
    blocks.push({ kind: 'figures', figures: figs });
    const present = new Set(figs.map((f) => realFigureNumber(f.name)));
    const missing = [1, 2, 3, 4, 5].filter((k) => !present.has(k));
    if (missing.length)
      blocks.push({ kind: 'note', tone: 'warn', html: `Not in this report (no <code>figK</code> figure of ${esc(prefix)}): ${missing.map((k) => esc(REAL_FIGURES[k])).join('; ')}. The sweep may not have reached that phase yet; rerun the sweep to finish it, then <code>npm run figures</code>.` });
    if (run && !placedTables.has(run)) {
      blocks.push(...tableBlocks(run.tables, (t) => t.name.replace(/[-_]/g, ' ')));
      placedTables.add(run);
    }
    sections.push({
      id: `real-${prefix}`,
      title: `Real data: ${prefix}${run ? ` (${run.displayPath})` : ''}`,
      intro: `<p>The paper's Section 2 protocol on real images: train on n images compressed to L bytes each (JPEG XL at several Butteraugli distances), fit the law, then test what it predicts. In order: ${Object.values(REAL_FIGURES).map(esc).join('; ')}.</p>`,
      blocks,
    });
  }

  // Runs whose tables were not shown next to figures.
  for (const r of runs) {
    if (placedTables.has(r) || r.tables.length === 0) continue;
    sections.push({
      id: `tables-${r.displayPath.replace(/[^a-zA-Z0-9]+/g, '-')}`,
      title: `Tables: ${r.displayPath}`,
      intro: '',
      blocks: tableBlocks(r.tables, (t) => t.name.replace(/[-_]/g, ' ')),
    });
  }

  const other = groups.get('other') ?? [];
  if (other.length) sections.push({ id: 'other', title: 'Other figures', intro: '', blocks: [{ kind: 'figures', figures: sortFigures(other, true) }] });

  if (figures.length === 0)
    sections.push({
      id: 'no-figures',
      title: 'No figures yet',
      intro: `<p>No figure specs (<code>*.vl.json</code>) were found in ${explicitRuns ? 'the given run directories' : '<code>figures/</code>'}. Produce them with <code>npm run figures</code> (from committed results) or by running a simulation or sweep.</p>`,
      blocks: [],
    });

  sections.push({
    id: 'runs',
    title: 'Runs and provenance',
    intro: '<p>Every result directory the report read: the command, seed, version and time that produced it (<code>run.json</code>), and its files. Each figure above carries its own provenance under it.</p>',
    blocks: runs.length ? runs.map((r) => ({ kind: 'run' as const, run: r })) : [{ kind: 'note', tone: 'info', html: 'No run directories (with a run.json) were found under <code>results/</code> or <code>sims/results/</code>.' }],
  });
  sections.push({ id: 'problems', title: `Problems (${problems.length})`, intro: '', blocks: [{ kind: 'problems', problems }] });

  const names = runs.map((r) => r.displayPath);
  return {
    title: explicitRuns ? `The storage scaling law: ${names.join(', ')}` : 'The storage scaling law',
    subtitle: 'Err(n, L) = E* + A n<sup>−α</sup> + B L<sup>−β</sup> &nbsp;·&nbsp; storage S = n·L &nbsp;⇒&nbsp; Err*(S) − E* ∝ S<sup>−ν</sup>, ν = αβ/(α+β)',
    generated,
    glance,
    sections,
    problems,
  };
}

/** Build the report and write `<outDir>/index.html` (THEORY.md section 7). */
export function buildReport(opts: BuildReportOptions): BuiltReport {
  const generated = provenance({ command: opts.command, config: { runs: opts.runs ?? [], outDir: opts.outDir } });
  const model = assembleReport(opts, generated);
  const html = renderReportHtml(model);
  const out = resolve(opts.outDir);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new InputError('--out', opts.outDir, 'a directory (index.html is written inside it)');
  mkdirSync(out, { recursive: true });
  const htmlPath = join(out, 'index.html');
  writeFileSync(htmlPath, html);
  const figures: string[] = [];
  for (const s of model.sections) for (const b of s.blocks) if (b.kind === 'figures') figures.push(...b.figures.map((f) => f.name));
  const runs: string[] = [];
  for (const s of model.sections) for (const b of s.blocks) if (b.kind === 'run') runs.push(b.run.displayPath);
  return { htmlPath: displayPath(htmlPath), bytes: Buffer.byteLength(html), figures, runs, problems: model.problems, model };
}
