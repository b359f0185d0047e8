import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../provenance.js';
import type { FigureSet } from './figureSet.js';
import { writeSweepFigures } from './fashionMnist.js';

/** `npm run figures`: figures/fmnist-cnn-cpu-* from the committed CNN run results/fashion-mnist-cnn-cpu/ (THEORY.md section 7), once it has been analysed. */
export const figureSet: FigureSet = {
  name: 'fashion-mnist-cnn-cpu',
  description: 'Real-data Figures 1-5, residuals and the paired storage test (Fashion-MNIST, small CNN through the PyTorch worker on CPU) from results/fashion-mnist-cnn-cpu/',
  async regenerate(outDir: string) {
    const runDir = join(repoRoot, 'results', 'fashion-mnist-cnn-cpu');
    if (!existsSync(join(runDir, 'summary.json'))) return [];
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config: { figures?: { prefix?: string } } };
    return writeSweepFigures(runDir, outDir, run.config.figures?.prefix ?? 'fmnist-cnn-cpu-');
  },
};
