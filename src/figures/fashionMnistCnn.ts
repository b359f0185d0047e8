import type { FigureSet } from './figureSet.js';
import { committedSweepFigureSet } from './fashionMnist.js';

/** `npm run figures`: figures/fmnist-cnn-cpu-* from the committed CNN run results/fashion-mnist-cnn-cpu/ (THEORY.md section 7), once it has been analysed. */
export const figureSet: FigureSet = committedSweepFigureSet(
  'fashion-mnist-cnn-cpu',
  'fmnist-cnn-cpu-',
  'Real-data Figures 1-5, residuals and the paired storage test (Fashion-MNIST, small CNN through the PyTorch worker on CPU) from results/fashion-mnist-cnn-cpu/',
);
