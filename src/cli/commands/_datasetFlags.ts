import { InputError } from '../../errors.js';
import type { DatasetSpec } from '../../data/loadDataset.js';
import { parseNumber } from '../../util/validate.js';
import { refuseStdioDirs, str, type FlagSpec, type ParsedFlags } from '../args.js';

/** CLI flags naming a dataset (THEORY.md section 6), shared by `codec` and `dataset`. */
export const datasetFlags = {
  dataset: { type: 'string' },
  root: { type: 'string' },
  size: { type: 'string' },
  'test-fraction': { type: 'string' },
  'validation-fraction': { type: 'string' },
  'max-per-class': { type: 'string' },
  seed: { type: 'string' },
} as const satisfies FlagSpec;

export const datasetUsage = `
dataset options:
  --dataset fashion-mnist|folder   which dataset (default fashion-mnist)
  --root DIR                       fashion-mnist: folder of the IDX files (default /usr/share/datasets/fashion-mnist);
                                   folder: root/<class>/*.png|jpg|jpeg (Food-101: food-101 or food-101/images)
  --size N                         folder: scale the shorter side to N and centre-crop to N x N
  --test-fraction F                folder: stratified test share (default 0.2)
  --validation-fraction F          stratified validation share carved from training (default 0)
  --max-per-class N                folder: seeded sample of at most N images per class
  --seed S                         seed of the splits and samples (default 0)`;

/** An integer flag >= min; at most 2^53 - 1, beyond which integers are no longer exact (two seeds would be one). */
function intOf(values: ParsedFlags['values'], name: string, min: number): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const v = parseNumber(`--${name}`, text);
  if (!Number.isSafeInteger(v) || v < min) throw new InputError(`--${name}`, text, `an integer ${min}..${Number.MAX_SAFE_INTEGER}`);
  return v;
}

function fractionOf(values: ParsedFlags['values'], name: string): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const v = parseNumber(`--${name}`, text);
  if (!(v >= 0 && v < 1)) throw new InputError(`--${name}`, text, `0 <= ${name} < 1`);
  return v;
}

/** The DatasetSpec the flags describe. */
export function datasetSpecFromFlags(values: ParsedFlags['values']): DatasetSpec {
  const kind = str(values, 'dataset') ?? 'fashion-mnist';
  refuseStdioDirs(values, ['root']);
  const root = str(values, 'root');
  const seed = intOf(values, 'seed', 0);
  const validationFraction = fractionOf(values, 'validation-fraction');
  if (kind === 'fashion-mnist') {
    for (const f of ['size', 'test-fraction', 'max-per-class']) {
      if (str(values, f) !== undefined) throw new InputError(`--${f}`, str(values, f), 'only with --dataset folder');
    }
    return { kind, root, seed, validationFraction };
  }
  if (kind === 'folder') {
    if (!root) throw new InputError('--root', undefined, 'a folder root/<class>/*.png|jpg (required with --dataset folder)');
    return { kind, root, seed, validationFraction, testFraction: fractionOf(values, 'test-fraction'), maxPerClass: intOf(values, 'max-per-class', 1), size: intOf(values, 'size', 1) };
  }
  throw new InputError('--dataset', kind, 'fashion-mnist or folder');
}
