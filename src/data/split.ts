import { InputError } from '../errors.js';
import { createRng, shuffled } from '../util/rng.js';

/** Indices of the three parts of a dataset (each sorted ascending). */
export interface SplitIndices {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Seeded stratified split (THEORY.md section 6): within each class of size n_c, the test
 * part gets exactly round(testFraction * n_c) images and the validation part
 * round(validationFraction * n_c), drawn by a shuffle from the stream (seed, class);
 * the rest is training. Same labels and seed -> same split.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  fractions: { test?: number; validation?: number },
  seed: number,
): SplitIndices {
  const test = fractions.test ?? 0;
  const validation = fractions.validation ?? 0;
  for (const [name, f] of [['testFraction', test], ['validationFraction', validation]] as const) {
    if (!(Number.isFinite(f) && f >= 0 && f < 1)) throw new InputError(name, f, `0 <= ${name} < 1`);
  }
  if (test + validation >= 1) throw new InputError('testFraction + validationFraction', test + validation, 'a sum < 1');
  if (!(Number.isInteger(seed) && seed >= 0)) throw new InputError('seed', seed, 'an integer >= 0');
  const byClass = groupByClass(labels);
  const parts: number[][] = [[], [], []];
  for (const [c, members] of byClass) {
    const order = shuffled(members, createRng(seed, 0x5b1, c));
    const nTest = Math.round(test * members.length);
    const nVal = Math.min(members.length - nTest, Math.round(validation * members.length));
    parts[2].push(...order.slice(0, nTest));
    parts[1].push(...order.slice(nTest, nTest + nVal));
    parts[0].push(...order.slice(nTest + nVal));
  }
  const [tr, va, te] = parts.map((p) => Int32Array.from(p).sort());
  return { train: tr, validation: va, test: te };
}

/**
 * A seeded stratified sample of at most `maxPerClass` images per class (sorted indices);
 * classes with fewer images keep all of them.
 */
export function samplePerClass(labels: ArrayLike<number>, maxPerClass: number, seed: number): Int32Array {
  if (!(Number.isInteger(maxPerClass) && maxPerClass >= 1)) throw new InputError('maxPerClass', maxPerClass, 'an integer >= 1');
  const out: number[] = [];
  for (const [c, members] of groupByClass(labels)) {
    out.push(...(members.length <= maxPerClass ? members : shuffled(members, createRng(seed, 0x5a3, c)).slice(0, maxPerClass)));
  }
  return Int32Array.from(out).sort();
}

function groupByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0)) throw new InputError(`labels[${i}]`, c, 'an integer class index >= 0');
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  return new Map([...byClass].sort((a, b) => a[0] - b[0]));
}
