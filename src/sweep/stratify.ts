import { InputError } from '../errors.js';
import { createRng, shuffled } from '../util/rng.js';

/**
 * Stratified nested subsets (THEORY.md section 6: "about 20/40/60/80/100% of the training
 * split, stratified by class"). One seeded ordering of a pool serves every subset size: the
 * subset of size n is the ordering's first n images, so subsets are nested across fractions
 * by construction. Within a class the order is a seeded shuffle; across classes the next
 * image comes from the class with the largest Webster priority N_c / (k_c + 1/2) (k_c taken
 * so far, ties to the lower class index). Sequential Webster is house-monotone and every
 * prefix is the Webster (round-to-nearest) apportionment of n over the class sizes, so a
 * prefix of n = f * N holds exactly f * N_c images of class c whenever those are integers,
 * and round-to-nearest counts otherwise.
 */
export function stratifiedOrder(labels: ArrayLike<number>, numClasses: number, seed: number, stream = 0): Int32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new InputError('numClasses', numClasses, 'an integer >= 1');
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new InputError(`labels[${i}]`, c, `0..${numClasses - 1}`);
    byClass[c].push(i);
  }
  const perClass = byClass.map((members, c) => shuffled(members, createRng(seed, 101, stream, c)));
  const taken = new Array<number>(numClasses).fill(0);
  const out = new Int32Array(labels.length);
  for (let k = 0; k < labels.length; k++) {
    let best = -1;
    let bestPriority = -1;
    for (let c = 0; c < numClasses; c++) {
      const size = perClass[c].length;
      if (taken[c] >= size) continue;
      const priority = size / (taken[c] + 0.5);
      if (priority > bestPriority) {
        bestPriority = priority;
        best = c;
      }
    }
    out[k] = perClass[best][taken[best]++];
  }
  return out;
}

/** Subset size for a fraction of a pool of `poolSize`: round(f * N), at least 1 (THEORY.md section 6). */
export function subsetSizeForFraction(fraction: number, poolSize: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new InputError('fraction', fraction, '0 < fraction <= 1');
  return Math.max(1, Math.round(fraction * poolSize));
}

/** Per-class counts of the first n entries of an ordering. */
export function prefixClassCounts(order: ArrayLike<number>, labels: ArrayLike<number>, n: number, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let k = 0; k < n; k++) counts[labels[order[k]]]++;
  return counts;
}
