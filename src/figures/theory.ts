import { join } from 'node:path';
import { repoRoot } from '../provenance.js';
import { readTheoryRun, type TheoryRun } from '../simulate/theoryRunDir.js';
import { theoryViewVsL } from '../theory/theoryCurves.js';
import type { FigureSet } from './figureSet.js';
import { describeSource, type WrittenFigure } from './render.js';
import { writeTheoryFigures } from './theoryFigures.js';

/** The figures `<name>-theory-vs-n` and `<name>-theory-vs-L` of a theory run (THEORY.md sections 5 and 7). */
export function writeTheoryRunFigures(run: TheoryRun, dir: string): Promise<WrittenFigure[]> {
  const vsL = theoryViewVsL(run.points, run.config);
  return writeTheoryFigures({
    dir,
    prefix: run.config.name,
    points: run.points,
    vsLPoints: vsL,
    markerNs: [...new Set(vsL.map((p) => p.n))],
    model: run.config.model,
    schedule: run.config.lambda.schedule,
    provenance: run.provenance,
    sources: [describeSource(run.csvPath)],
  });
}

/** Figure-6 theory lines (THEORY.md section 5), redrawn from the committed sims/results/fig6-theory/theory.csv. */
export const figureSet: FigureSet = {
  name: 'theory',
  description: 'Figure-6 deterministic-risk lines: excess error vs n per L and vs L per n (fig6-theory-vs-n, fig6-theory-vs-L)',
  regenerate: (outDir: string) => writeTheoryRunFigures(readTheoryRun(join(repoRoot, 'sims', 'results', 'fig6-theory')), outDir),
};
