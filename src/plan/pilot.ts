import { selectImages, type ImageSet } from '../data/imageSet.js';
import type { CompressedImages } from '../codec/compressImages.js';
import type { LawObservation } from '../fit/lawForms.js';
import type { Trainer } from '../trainers/trainer.js';
import { subsetSizeForFraction } from '../sweep/stratify.js';
import { InputError } from '../errors.js';

/**
 * The planner's pilot grid (THEORY.md section 6, a small Figure-1 grid): the pilot pool (a
 * stratified prefix of the training pool, in stratified order) is compressed at each pilot
 * distance; nested stratified prefixes of it (the given fractions) are trained on with the
 * chosen trainer, lambda chosen on the validation split, and scored on the uncompressed test
 * split. Each (n, L = mean bytes of that subset at d, error) is one row of the law fit.
 */
export interface PilotRow extends LawObservation {
  distance: number;
  fraction: number;
  storageBytes: number;
}

export interface PilotInput {
  /** Pilot pool in stratified order (every prefix is stratified). */
  pool: ImageSet;
  validation: ImageSet;
  test: ImageSet;
  distances: number[];
  fractions: number[];
  seed: number;
  trainer: Trainer;
  trainerOptions?: Record<string, unknown>;
  compress(set: ImageSet, distance: number): Promise<CompressedImages>;
  onJob?: (done: number, total: number, row: PilotRow) => void;
  checkInterrupt?: () => void;
}

export async function runPilot(input: PilotInput): Promise<PilotRow[]> {
  if (input.test.count === 0) throw new InputError('test split', 0, 'at least one held-out test image for the pilot (use more images or a larger --test-fraction)');
  const rows: PilotRow[] = [];
  const total = input.distances.length * input.fractions.length;
  for (const d of input.distances) {
    input.checkInterrupt?.();
    const c = await input.compress(input.pool, d);
    const bad = new Set(c.failed.map((f) => f.index));
    const ok = Array.from({ length: input.pool.count }, (_, k) => k).filter((k) => !bad.has(k));
    for (const f of input.fractions) {
      input.checkInterrupt?.();
      const n = Math.min(subsetSizeForFraction(f, ok.length), ok.length);
      const idx = ok.slice(0, n);
      let bytes = 0;
      for (const k of idx) bytes += c.bytesPerImage[k];
      const metrics = await input.trainer.train({
        id: `pilot/d=${d}/f=${f}`,
        seed: input.seed,
        train: selectImages(c.decoded, idx),
        validation: input.validation,
        evaluate: { test: input.test },
        options: input.trainerOptions,
      });
      const row: PilotRow = { n, L: bytes / n, error: metrics.error, seed: input.seed, distance: d, fraction: f, storageBytes: bytes };
      rows.push(row);
      input.onJob?.(rows.length, total, row);
    }
  }
  return rows;
}
