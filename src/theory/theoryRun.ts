import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceError } from '../errors.js';
import { parseStylizedConfig, type StylizedConfig } from '../config/fig6Config.js';
import { provenance, repoRoot, type Provenance } from '../provenance.js';
import { describeSource, type WrittenFigure } from '../plot/render.js';
import { writeTheoryFigures } from '../plot/theoryFigures.js';
import { readTheoryCsv, theoryCurves, theoryViewVsL, writeTheoryCsv, type TheoryPoint } from './theoryCurves.js';

/**
 * `lossyscale theory`: compute the Figure-6 theory lines of a stylized config (THEORY.md
 * section 5), write `<outDir>/theory.csv` and `<outDir>/run.json` (provenance), and the figures
 * `<name>-theory-vs-n` and `<name>-theory-vs-L` into figuresDir.
 */
export interface TheoryRunResult {
  outDir: string;
  csvPath: string;
  runJsonPath: string;
  points: TheoryPoint[];
  figures: WrittenFigure[];
}

/** Default output directory for a config's theory curves: `<config.out>-theory` (sims/results/fig6-theory). */
export function defaultTheoryDir(config: StylizedConfig): string {
  return join(repoRoot, `${config.out.replace(/\/+$/, '')}-theory`);
}

/** Compute and write the theory curves and their figures (THEORY.md sections 5 and 7). */
export async function runTheory(config: StylizedConfig, opts: { outDir?: string; figuresDir?: string | null; command?: string } = {}): Promise<TheoryRunResult> {
  const outDir = opts.outDir ?? defaultTheoryDir(config);
  mkdirSync(outDir, { recursive: true });
  const points = theoryCurves(config);
  const csvPath = join(outDir, 'theory.csv');
  writeTheoryCsv(csvPath, points);
  const prov = provenance({ config, seed: null, command: opts.command });
  const runJsonPath = join(outDir, 'run.json');
  writeFileSync(runJsonPath, JSON.stringify({ ...prov, kind: 'theory-curves', outputs: ['theory.csv'] }, null, 2) + '\n');
  const figures = opts.figuresDir === null ? [] : await theoryFiguresFrom(points, config, prov, csvPath, opts.figuresDir ?? join(repoRoot, 'figures'));
  return { outDir, csvPath, runJsonPath, points, figures };
}

function theoryFiguresFrom(points: TheoryPoint[], config: StylizedConfig, prov: Provenance, csvPath: string, dir: string): Promise<WrittenFigure[]> {
  return writeTheoryFigures({
    dir,
    prefix: config.name,
    points,
    vsLPoints: theoryViewVsL(points, config),
    markerNs: [...new Set(theoryViewVsL(points, config).map((p) => p.n))],
    model: config.model,
    schedule: config.lambda.schedule,
    provenance: prov,
    sources: [describeSource(csvPath)],
  });
}

/** Re-draw the figures of a committed theory run directory (theory.csv + run.json), no recomputation. */
export async function regenerateTheoryFigures(runDir: string, figuresDir: string): Promise<WrittenFigure[]> {
  const runJsonPath = join(runDir, 'run.json');
  let run: Provenance;
  try {
    run = JSON.parse(readFileSync(runJsonPath, 'utf8')) as Provenance;
  } catch {
    throw new ResourceError(`cannot read ${runJsonPath} (run: lossyscale theory --config sims/fig6.json)`);
  }
  const config = parseStylizedConfig(run.config);
  const csvPath = join(runDir, 'theory.csv');
  return theoryFiguresFrom(readTheoryCsv(csvPath), config, run, csvPath, figuresDir);
}

