import type { ImageSet } from '../data/imageSet.js';

/**
 * The trainer interface (THEORY.md section 6): a sweep hands a trainer one job (training
 * images as decoded pixels, a validation split, and one or more evaluation sets such as
 * the uncompressed test split or the test split compressed at distance d) and gets metrics
 * back. The in-process CPU ridge classifier and the PyTorch worker client both implement it,
 * so the sweep code never knows which one runs.
 */
export interface TrainJob {
  /** Stable key of this job in the results store, e.g. "grid/n=12000/d=2/seed=3". */
  id: string;
  seed: number;
  train: ImageSet;
  validation: ImageSet;
  /** Evaluation sets by name; "test" is the uncompressed test split and is always present. */
  evaluate: Record<string, ImageSet>;
  /** Trainer-specific options (model name, epochs, lr, lambda grid...). */
  options?: Record<string, unknown>;
}

export interface EvalMetrics {
  accuracy: number;
  /** 1 - accuracy. */
  error: number;
  perClassAccuracy: number[];
  count: number;
}

export interface TrainMetrics {
  /** Metrics per evaluation set, same keys as TrainJob.evaluate. */
  evaluations: Record<string, EvalMetrics>;
  /** Convenience copy of evaluations.test. */
  accuracy: number;
  error: number;
  perClassAccuracy: number[];
  trainSeconds: number;
  /** What the trainer chose or ran with (selected lambda, epochs, device...). */
  details?: Record<string, unknown>;
}

export interface TrainProgress {
  jobId: string;
  /** 0..1 within the job. */
  fraction: number;
  message?: string;
}

export interface Trainer {
  readonly name: string;
  train(job: TrainJob, hooks?: { onProgress?: (p: TrainProgress) => void; signal?: AbortSignal }): Promise<TrainMetrics>;
  /** Release processes or threads the trainer holds. */
  close?(): Promise<void>;
}

/** Accuracy, error and per-class accuracy from predicted and true labels. */
export function evalMetrics(predicted: ArrayLike<number>, truth: ArrayLike<number>, numClasses: number): EvalMetrics {
  if (predicted.length !== truth.length) throw new RangeError(`predictions (${predicted.length}) and labels (${truth.length}) differ in length`);
  const hit = new Array<number>(numClasses).fill(0);
  const tot = new Array<number>(numClasses).fill(0);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    tot[truth[i]]++;
    if (predicted[i] === truth[i]) {
      hit[truth[i]]++;
      correct++;
    }
  }
  const accuracy = truth.length ? correct / truth.length : NaN;
  return { accuracy, error: 1 - accuracy, perClassAccuracy: hit.map((h, c) => (tot[c] ? h / tot[c] : NaN)), count: truth.length };
}
