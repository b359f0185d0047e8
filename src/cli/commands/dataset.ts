import { loadDataset } from '../../data/loadDataset.js';
import { InputError } from '../../errors.js';
import { provenance } from '../../provenance.js';
import { oneOf } from '../../util/validate.js';
import { maybeHelp, parseFlags } from '../args.js';
import { datasetFlags, datasetSpecFromFlags, datasetUsage } from './_datasetFlags.js';
import { formatTable } from './_table.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { OUTPUT_FLAGS, outputFormat, writeJsonLine } from './_output.js';
import { formatCsv } from '../../io/csv.js';

export const summary = COMMAND_SUMMARIES.dataset;

const usage = `
usage:
  lossyscale dataset info [dataset options] [--json | --format csv] [--quiet]
      Load the dataset exactly as a sweep would (same splits for the same seed) and print
      its shape, the number of images per class in each split, and any files skipped as
      unreadable.
${datasetUsage}
`;

const flags = { ...datasetFlags, ...OUTPUT_FLAGS } as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, true);
  if (maybeHelp(values, usage)) return 0;
  const format = outputFormat(values, ['text', 'json', 'csv']);
  oneOf('subcommand', positionals[0], ['info'] as const);
  if (positionals.length > 1) throw new InputError('arguments', positionals.slice(1).join(' '), 'one subcommand (info)');
  const spec = datasetSpecFromFlags(values);
  const d = await loadDataset(spec);
  const classNames = d.train.classNames;
  const perClass = (labels: ArrayLike<number>): number[] => {
    const counts = new Array<number>(classNames.length).fill(0);
    for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
    return counts;
  };
  const parts = { train: perClass(d.train.labels), validation: perClass(d.validation.labels), test: perClass(d.test.labels) };
  const shape = { width: d.train.width, height: d.train.height, channels: d.train.channels };
  if (format === 'json') {
    writeJsonLine({ provenance: provenance({ config: spec, seed: spec.seed ?? 0 }), source: d.source, ...shape, counts: { train: d.train.count, validation: d.validation.count, test: d.test.count }, classNames, perClass: parts, skipped: d.skipped });
    return 0;
  }
  if (format === 'csv') {
    process.stdout.write(formatCsv(['classIndex', 'className', 'train', 'validation', 'test'], classNames.map((name, c) => [c, name, parts.train[c], parts.validation[c], parts.test[c]])));
    return 0;
  }
  console.log(`${spec.kind} from ${d.source}: ${shape.width}x${shape.height}, ${shape.channels === 1 ? 'grayscale (1 channel)' : 'RGB (3 channels)'}, ${classNames.length} classes, seed ${spec.seed ?? 0}`);
  console.log(`train ${d.train.count}, validation ${d.validation.count}, test ${d.test.count}${d.skipped.length ? `, ${d.skipped.length} files skipped` : ''}`);
  console.log(formatTable(['class', 'name', 'train', 'validation', 'test'], classNames.map((name, c) => [c, name, parts.train[c], parts.validation[c], parts.test[c]])));
  if (values.quiet !== true) {
    for (const s of d.skipped.slice(0, 20)) process.stderr.write(`lossyscale: skipped ${s.path}: ${s.reason}\n`);
    if (d.skipped.length > 20) process.stderr.write(`lossyscale: ... and ${d.skipped.length - 20} more skipped files\n`);
  }
  return 0;
}
