import type { WrittenFigure } from './render.js';

/**
 * A group of committed figures that `npm run figures` can regenerate from committed results
 * (no re-simulation, no re-training). Each module `src/figures/<group>.ts` exports
 * `figureSet: FigureSet`; `src/report/regenerateFigures.ts` discovers and runs them all.
 */
export interface FigureSet {
  name: string;
  description: string;
  /** Rewrite the group's figures into `outDir` (default: the repo's figures/) from committed results. */
  regenerate(outDir: string): Promise<WrittenFigure[]>;
}
