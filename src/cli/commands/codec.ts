import { resolve } from 'node:path';
import { defaultCodecCacheDir } from '../../codec/cacheDir.js';
import { compressImages, defaultWorkers, dropFailed } from '../../codec/compressImages.js';
import { createEncodePool } from '../../codec/encodePool.js';
import { codecVersionFor, DEFAULT_BACKEND, JXL_BACKENDS, validateDistanceFor } from '../../codec/codecBackend.js';
import { DEFAULT_EFFORT } from '../../codec/jxlCodec.js';
import { distanceForQuality, qualityForDistance, validateDistance } from '../../codec/jxlDistance.js';
import { sizeStats, type SizeStats } from '../../codec/sizeStats.js';
import { selectImages, type ImageSet } from '../../data/imageSet.js';
import { loadDataset } from '../../data/loadDataset.js';
import { InputError } from '../../errors.js';
import { provenance } from '../../provenance.js';
import { progress } from '../../util/progress.js';
import { watchInterrupt } from '../../util/interrupt.js';
import { oneOf, parseNumber, parseNumberList } from '../../util/validate.js';
import { maybeHelp, parseFlags, str, intFlag, refuseStdioDirs } from '../args.js';
import { datasetFlags, datasetSpecFromFlags, datasetUsage } from './_datasetFlags.js';
import { formatTable } from './_table.js';
import { COMMAND_SUMMARIES } from '../registry.js';
import { OUTPUT_FLAGS, outputFormat, writeJsonLines } from './_output.js';
import { formatCsv, formatCsvObjects } from '../../io/csv.js';

export const summary = COMMAND_SUMMARIES.codec;

const usage = `
usage:
  lossyscale codec sizes [--distances 0,1,2,4,7,10,15] [--part train|test|validation|all] [--limit N]
                         [--effort E] [--backend jsquash|libjxl] [--workers K] [--cache DIR] [--quiet] [--json | --format csv] [dataset options]
      Encode the images at each distance (0 = lossless), decode them back, and print the
      compressed size per image (mean, quantiles) per distance. Results are cached on disk
      (default .cache/codec or $LOSSYSCALE_CACHE_DIR): a second run encodes nothing.
      --limit N uses the first N images of the part.
      --backend: jsquash (default; @jsquash/jxl wasm, gray encoded as RGB + opaque alpha) or
      libjxl (the system's libjxl 0.7 through koffi, gray encoded as 1 channel without alpha;
      needs sudo apt-get install libjxl0.7). The quality column applies to jsquash only.
  lossyscale codec quality [--distances 0,1,2,4,7,10,15] [--json | --format csv]
      The encoder quality setting used for each Butteraugli distance (and back).
${datasetUsage}
`;

const flags = {
  ...datasetFlags,
  distances: { type: 'string' },
  part: { type: 'string' },
  limit: { type: 'string' },
  effort: { type: 'string' },
  backend: { type: 'string' },
  workers: { type: 'string' },
  cache: { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const DEFAULT_DISTANCES = '0,1,2,4,7,10,15';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, true);
  if (maybeHelp(values, usage)) return 0;
  refuseStdioDirs(values, ['cache']);
  const sub = oneOf('subcommand', positionals[0], ['sizes', 'quality'] as const);
  const format = outputFormat(values, ['text', 'json', 'csv']);
  if (positionals.length > 1) throw new InputError('arguments', positionals.slice(1).join(' '), 'one subcommand (sizes or quality)');
  const backend = oneOf('--backend', str(values, 'backend') ?? DEFAULT_BACKEND, JXL_BACKENDS);
  const distanceList = parseNumberList('--distances', str(values, 'distances') ?? DEFAULT_DISTANCES);
  if (new Set(distanceList).size !== distanceList.length) throw new InputError('--distances', str(values, 'distances'), 'distinct distances (each once)');
  if (sub === 'quality') {
    // The mapping needs no images or encoder: a flag of `codec sizes` is refused rather than ignored.
    const extra = Object.keys(values).find((k) => values[k] !== undefined && !['distances', 'json', 'format', 'quiet'].includes(k));
    if (extra !== undefined) throw new InputError(`--${extra}`, values[extra], 'only with codec sizes (codec quality takes --distances and the output flags)');
  }
  if (sub === 'quality') return qualityTable(distanceList.map((d) => validateDistance(d, '--distances')), format);
  const distances = distanceList.map((d) => validateDistanceFor(backend, d, '--distances'));
  const codecVersion = codecVersionFor(backend);

  const spec = datasetSpecFromFlags(values);
  const part = oneOf('--part', str(values, 'part') ?? 'train', ['train', 'test', 'validation', 'all'] as const);
  const limit = intFlag(values, 'limit', 1, Number.MAX_SAFE_INTEGER);
  const effort = intFlag(values, 'effort', 1, 9) ?? DEFAULT_EFFORT;
  const workers = intFlag(values, 'workers', 0, 256) ?? defaultWorkers();
  // non-null: str(values, 'cache') was just tested to be defined.
  const cacheDir = str(values, 'cache') ? resolve(str(values, 'cache')!) : defaultCodecCacheDir();
  const quiet = values.quiet === true || values.json === true;

  // Notes on stderr (skipped files, codec warnings) follow --quiet like every warning.
  const note = (line: string): void => void (values.quiet === true || process.stderr.write(`lossyscale: ${line}\n`));
  const data = await loadDataset(spec, { onSkip: (p, why) => note(`skipped ${p}: ${why}`) });
  let images: ImageSet = part === 'all' ? concatSets([data.train, data.validation, data.test]) : data[part];
  if (images.count === 0) throw new InputError('--part', part, 'a part with images (validation is empty unless --validation-fraction > 0)');
  if (limit !== undefined && limit < images.count) images = selectImages(images, Array.from({ length: limit }, (_, i) => i));

  const rows: (SizeStats & { distance: number; quality: number; images: number; failed: number; encoded: number; cached: number; seconds: number; bitsPerPixel: number; rawBytes: number })[] = [];
  const interrupt = watchInterrupt();
  const pool = createEncodePool(workers);
  try {
    for (const distance of distances) {
      const bar = progress(`codec d=${distance}`, images.count, { quiet });
      let last = 0;
      const t0 = performance.now();
      const c = await compressImages(images, distance, {
        cacheDir,
        effort,
        backend,
        pool,
        checkInterrupt: () => interrupt.check(),
        signal: interrupt.signal,
        onProgress: (done) => {
          bar.tick(done - last);
          last = done;
        },
      });
      bar.done();
      const seconds = (performance.now() - t0) / 1000;
      for (const w of c.warnings) note(w);
      for (const f of c.failed.slice(0, 5)) note(`image ${images.ids?.[f.index] ?? f.index} not encoded: ${f.reason}`);
      const ok = dropFailed(c);
      if (ok.bytesPerImage.length === 0) throw new InputError('images', images.count, 'images the codec can encode', `every image failed at distance ${distance}`);
      const stats = sizeStats(ok.bytesPerImage);
      rows.push({
        distance,
        quality: backend === 'jsquash' ? qualityForDistance(distance) : NaN,
        images: images.count,
        failed: c.failed.length,
        ...stats,
        bitsPerPixel: (8 * stats.mean) / (images.width * images.height),
        rawBytes: images.width * images.height * images.channels,
        encoded: c.encodedCount,
        cached: c.cachedCount,
        seconds,
      });
    }
  } finally {
    interrupt.dispose();
    await pool.close();
  }

  if (format === 'json') {
    // JSON lines: one object per distance, each carrying the run's provenance.
    const prov = provenance({ config: { dataset: spec, part, limit, distances, effort, backend, workers } });
    writeJsonLines(rows.map((r) => ({ ...r, quality: Number.isNaN(r.quality) ? null : r.quality, backend, codecVersion, cacheDir, provenance: prov })));
    return 0;
  }
  if (format === 'csv') {
    const cols = ['distance', 'quality', 'images', 'failed', 'mean', 'median', 'q05', 'q25', 'q75', 'q95', 'min', 'max', 'bitsPerPixel', 'rawBytes', 'encoded', 'cached', 'seconds'] as const;
    process.stdout.write(formatCsv(cols, rows.map((r) => cols.map((c) => (c === 'quality' && Number.isNaN(r.quality) ? null : r[c])))));
    return 0;
  }
  console.log(`${data.source} (${part}${limit !== undefined ? `, first ${images.count}` : ''}): ${images.count} images ${images.width}x${images.height}x${images.channels} (${images.width * images.height * images.channels} raw bytes), JPEG XL effort ${effort}, ${codecVersion}`);
  console.log(
    formatTable(
      ['distance', 'quality', 'mean B', 'median', 'q05', 'q25', 'q75', 'q95', 'min', 'max', 'bits/px', 'failed', 'encoded', 'cached', 'seconds'],
      rows.map((r) => [r.distance, Number.isNaN(r.quality) ? '-' : round(r.quality, 3), round(r.mean, 1), r.median, r.q05, r.q25, r.q75, r.q95, r.min, r.max, round(r.bitsPerPixel, 3), r.failed, r.encoded, r.cached, round(r.seconds, 2)]),
    ),
  );
  return 0;
}

function qualityTable(distances: number[], format: 'text' | 'json' | 'csv'): number {
  const rows = distances.map((d) => {
    const quality = qualityForDistance(d);
    return { distance: d, quality, encoderDistance: distanceForQuality(quality) };
  });
  if (format === 'json') writeJsonLines(rows);
  else if (format === 'csv') process.stdout.write(formatCsvObjects(['distance', 'quality', 'encoderDistance'], rows));
  else console.log(formatTable(['distance', 'quality', 'encoder distance (float32)'], rows.map((r) => [r.distance, round(r.quality, 6), round(r.encoderDistance, 7)])));
  return 0;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function concatSets(sets: ImageSet[]): ImageSet {
  const nonEmpty = sets.filter((s) => s.count > 0);
  const first = nonEmpty[0];
  const pixels = new Uint8Array(nonEmpty.reduce((a, s) => a + s.pixels.length, 0));
  let o = 0;
  for (const s of nonEmpty) {
    pixels.set(s.pixels, o);
    o += s.pixels.length;
  }
  // non-null: every set has ids here (checked by the every() just before).
  const ids = nonEmpty.every((s) => s.ids) ? nonEmpty.flatMap((s) => s.ids!) : undefined;
  return { ...first, count: nonEmpty.reduce((a, s) => a + s.count, 0), pixels, labels: Int32Array.from(nonEmpty.flatMap((s) => Array.from(s.labels))), ids };
}
