import { selectImages, type ImageSet } from '../data/imageSet.js';
import { InputError } from '../errors.js';
import type { TrainJob } from '../trainers/trainer.js';
import type { SweepContext } from './context.js';
import type { PlannedJob } from './plan.js';
import { isPoolDistance } from './poolDistances.js';

/**
 * materializeJob (docs/architecture.md, sweep run): the decoded pixels a planned job names, from the codec cache
 * (THEORY.md section 6). Training images keep the planned order (nested chains stay
 * prefixes of one another, which the ridge trainer exploits); failed encodes are dropped.
 */
export async function materializeJob(planned: PlannedJob, ctx: SweepContext): Promise<TrainJob> {
  const idx = planned.train.indices;
  const dist = planned.train.distance;
  const perImage = Array.isArray(dist) ? dist : null;
  if (perImage && perImage.length !== idx.length) throw new InputError(`${planned.key} train.distance`, `${perImage.length} distances`, `${idx.length} (one per image)`);
  const positions = idx.map((i) => {
    const p = ctx.poolPosition.get(i);
    if (p === undefined) throw new InputError(`${planned.key} train.indices`, i, 'indices of the run\'s training pool');
    return p;
  });
  let train: ImageSet;
  if (!perImage) {
    const d = dist as number;
    if (isPoolDistance(ctx.config, d)) {
      const c = await ctx.poolAt(d);
      train = selectImages(c.decoded, keepOk(positions, new Set(c.failed.map((f) => f.index))));
    } else {
      const c = await ctx.compress(selectImages(ctx.poolSet, positions), d, `${planned.key}`);
      const bad = new Set(c.failed.map((f) => f.index));
      train = selectImages(c.decoded, positions.map((_, k) => k).filter((k) => !bad.has(k)));
    }
  } else {
    const groups = new Map<number, number[]>();
    perImage.forEach((d, k) => {
      const g = groups.get(d) ?? [];
      g.push(k);
      groups.set(d, g);
    });
    const per = ctx.poolSet.width * ctx.poolSet.height * ctx.poolSet.channels;
    const pixels = new Uint8Array(idx.length * per);
    const labels = new Int32Array(idx.length);
    const ok = new Uint8Array(idx.length);
    for (const [d, ks] of groups) {
      const c = await ctx.compress(selectImages(ctx.poolSet, ks.map((k) => positions[k])), d, `${planned.key} d=${d}`);
      const bad = new Set(c.failed.map((f) => f.index));
      ks.forEach((k, j) => {
        pixels.set(c.decoded.pixels.subarray(j * per, (j + 1) * per), k * per);
        labels[k] = c.decoded.labels[j];
        ok[k] = bad.has(j) ? 0 : 1;
      });
    }
    const all: ImageSet = { ...ctx.poolSet, count: idx.length, pixels, labels, ids: undefined };
    train = selectImages(all, Array.from(ok.keys()).filter((k) => ok[k]));
  }
  const evaluate: Record<string, ImageSet> = {};
  for (const [name, ref] of Object.entries(planned.evaluate)) {
    if (ref.set === 'test') evaluate[name] = ctx.testSet;
    else {
      const c = await ctx.matrixTestAt(ref.distance);
      const bad = new Set(c.failed.map((f) => f.index));
      evaluate[name] = bad.size ? selectImages(c.decoded, Array.from({ length: c.decoded.count }, (_, k) => k).filter((k) => !bad.has(k))) : c.decoded;
    }
  }
  return { id: planned.key, seed: ctx.config.seed * 1000 + planned.seed, train, validation: ctx.validationSet, evaluate, options: planned.trainerOptions };
}

function keepOk(positions: number[], bad: Set<number>): number[] {
  return bad.size ? positions.filter((p) => !bad.has(p)) : positions;
}
