import { join } from 'node:path';
import { repoRoot } from '../provenance.js';
import { regenerateTheoryFigures } from '../theory/theoryRun.js';
import type { FigureSet } from './figureSet.js';

/** Figure-6 theory lines (THEORY.md section 5), redrawn from the committed sims/results/fig6-theory/theory.csv. */
export const figureSet: FigureSet = {
  name: 'theory',
  description: 'Figure-6 deterministic-risk lines: excess error vs n per L and vs L per n (fig6-theory-vs-n, fig6-theory-vs-L)',
  regenerate: (outDir: string) => regenerateTheoryFigures(join(repoRoot, 'sims', 'results', 'fig6-theory'), outDir),
};
