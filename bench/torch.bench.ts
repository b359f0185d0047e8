import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStylizedConfig } from '../src/config/fig6Config.js';
import type { ImageSet } from '../src/data/imageSet.js';
import { repoRoot } from '../src/provenance.js';
import { planFromConfig } from '../src/simulate/plan.js';
import { runRepetition } from '../src/simulate/repetition.js';
import { writeImageArray } from '../src/trainers/torch/bundle.js';
import { launchWorker, type WorkerProcess } from '../src/trainers/torch/index.js';
import type { JobMessage } from '../src/trainers/torch/protocol.js';
import { runRidgeMcTorch } from '../src/trainers/torch/ridgeMc.js';
import { createRng } from '../src/util/rng.js';
import { writeBenchResult } from './benchResult.js';

/**
 * The torch worker (THEORY.md sections 5-6), on whatever device it finds (CUDA if present):
 * 1. Classifier training throughput, K small CNNs one after another vs the same K trained
 *    together as one stacked network (worker --group K): images per second and the ratio
 *    (machine-independent in spirit: both measured here, same jobs).
 * 2. One Monte Carlo repetition of the Figure-6 protocol truncated at n_max = 1e4 (m = 2..9,
 *    5 extra levels, 20 lambdas, 10,000 validation and test samples): ridge-mc on the worker
 *    (float64) vs the CPU engine (one thread), and the ratio.
 * On the shared 2-core CI machine the absolute numbers are inflated by load (recorded).
 */
const now = (): number => performance.now() / 1000;
const K = 4;
const dir = mkdtempSync(join(tmpdir(), 'lossyscale-bench-torch-'));

function images(n: number, seed: number): ImageSet {
  const rng = createRng(seed);
  const pixels = new Uint8Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.below(10);
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = (rng.below(80) + (p % 28 === labels[i] * 2 ? 170 : 0)) & 255;
  }
  return { width: 28, height: 28, channels: 1, count: n, pixels, labels, classNames: Array.from({ length: 10 }, (_, c) => `c${c}`) };
}

const nTrain = 1024;
const train = writeImageArray(dir, images(nTrain, 1));
const test = writeImageArray(dir, images(512, 2));
const jobs = (tag: string): JobMessage[] =>
  Array.from({ length: K }, (_, k) => ({
    type: 'job', id: `${tag}-${k}`, kind: 'classify', seed: k, bundle: dir,
    arrays: { [train.name]: train.desc, [test.name]: test.desc },
    data: { train: { array: train.name }, evaluate: { test: { array: test.name } } },
    options: { model: 'cnn', epochs: 1, batchSize: 64, lr: 1e-3, width: 0.5 },
  }));

async function timeTraining(group: number): Promise<{ seconds: number; device: string; deviceName: string }> {
  const w: WorkerProcess = await launchWorker({}, group);
  try {
    await w.run({ ...jobs('warm')[0], id: 'warm' }); // first-call costs (allocator, cuDNN autotune)
    const t0 = now();
    if (group === 1) for (const j of jobs('seq')) await w.run(j);
    else await Promise.all(jobs('grp').map((j) => w.run(j)));
    return { seconds: now() - t0, device: w.hello.device, deviceName: w.hello.deviceName };
  } finally {
    await w.shutdown();
  }
}

const load0 = loadavg()[0];
const seq = await timeTraining(1);
const grp = await timeTraining(K);
const imgs = K * nTrain;
console.log(`training, ${K} CNNs (width 0.5) x ${nTrain} images x 1 epoch on ${seq.device} (${seq.deviceName}):`);
console.log(`  one at a time: ${seq.seconds.toFixed(2)} s (${(imgs / seq.seconds).toFixed(0)} images/s)`);
console.log(`  stacked group: ${grp.seconds.toFixed(2)} s (${(imgs / grp.seconds).toFixed(0)} images/s), speed-up x${(seq.seconds / grp.seconds).toFixed(2)}`);

const cfg = loadStylizedConfig(join(repoRoot, 'sims', 'fig6.json'));
const full = planFromConfig(cfg);
const keep = full.n.map((n, i) => [n, i] as const).filter(([n]) => n <= 10_000);
const plan = { ...full, n: keep.map(([n]) => n), lambdas: keep.map(([, i]) => full.lambdas[i]), scoring: 'sampled' as const, lambdaSelection: 'validation' as const, reps: 1 };
const w = await launchWorker({});
let torchSeconds: number;
let mcDevice: string;
try {
  await runRidgeMcTorch({ ...plan, n: [100], lambdas: [plan.lambdas[0]] }, [0], { worker: w }); // warm-up
  const t0 = now();
  const r = await runRidgeMcTorch(plan, [0], { worker: w });
  torchSeconds = now() - t0;
  mcDevice = `${r.device} (${r.deviceName})`;
} finally {
  await w.shutdown();
}
const t1 = now();
runRepetition(plan, 0);
const cpuSeconds = now() - t1;
console.log(`ridge-mc, one repetition (n_max 1e4, m 2..9, 20 lambdas, 1e4 validation + test): torch on ${mcDevice} ${torchSeconds.toFixed(2)} s, CPU engine (1 thread) ${cpuSeconds.toFixed(2)} s, ratio CPU/torch x${(cpuSeconds / torchSeconds).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });

const path = writeBenchResult('torch', {
  loadAverage: { start: load0, end: loadavg()[0] },
  training: { device: seq.device, deviceName: seq.deviceName, models: K, imagesPerModel: nTrain, epochs: 1, model: 'cnn width 0.5', sequentialSeconds: seq.seconds, groupedSeconds: grp.seconds, sequentialImagesPerSecond: imgs / seq.seconds, groupedImagesPerSecond: imgs / grp.seconds, groupSpeedup: seq.seconds / grp.seconds },
  ridgeMc: { device: mcDevice, plan: 'fig6 truncated at n_max = 1e4, sampled test, validation-selected lambda', torchSeconds, cpuEngineSeconds: cpuSeconds, cpuOverTorch: cpuSeconds / torchSeconds },
});
console.log(`wrote ${path}`);
