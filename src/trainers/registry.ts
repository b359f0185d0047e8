import { InputError } from '../errors.js';
import type { RidgeTrainerOptions } from './ridgeClassifier.js';
import { createThreadedRidgeTrainer } from './ridgeThread.js';
import type { Trainer } from './trainer.js';

/**
 * Which trainer a sweep uses is one config field (THEORY.md section 6; config schema in
 * src/sweep/config.ts): `"trainer": "ridge"` (CPU closed-form ridge classifier on a worker thread, the
 * default) or `"trainer": "torch"` (the PyTorch worker, loaded lazily so the CPU path never
 * needs it). Extra fields are the trainer's options.
 */
export type TrainerSpec = { trainer: 'ridge' } & RidgeTrainerOptions | ({ trainer: 'torch' } & Record<string, unknown>);

export const TRAINER_NAMES = ['ridge', 'torch'] as const;

/** Create the trainer a spec names (THEORY.md section 6). */
export async function createTrainer(spec: { trainer: string; [option: string]: unknown }): Promise<Trainer> {
  const { trainer, ...options } = spec;
  if (trainer === 'ridge') return createThreadedRidgeTrainer(options as RidgeTrainerOptions);
  if (trainer === 'torch') {
    // Loaded on demand so the CPU path never starts (or needs) the PyTorch worker.
    const { createTorchTrainer } = await import('./torch/index.js');
    return await createTorchTrainer(options);
  }
  throw new InputError('trainer', trainer, TRAINER_NAMES.join(' or '));
}
