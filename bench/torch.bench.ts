import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
 * 2. The ridge-mc job on the worker's CPU, one thread (torch.set_num_threads(1), BLAS
 *    threads 1), against the CPU engine on one thread, in CPU seconds (the worker process's
 *    user + system time from /proc, the engine's process.cpuUsage): one repetition of the
 *    Figure-6 protocol truncated at n_max = 1e4 (m = 2..9, 5 extra levels, 20 lambdas, 10,000
 *    validation and test samples, sampled test error), and one full-scale repetition of the
 *    committed protocol (n_max = 1e5, exact scoring). The worker runs the engine's algorithm
 *    class (worker/lossyscale_worker/ridge_mc.py): nested prefixes sharing one Gram, leading
 *    blocks for the levels, ONE symmetric eigendecomposition (torch.linalg.eigh) per (n, m) for
 *    all lambdas, back-transformed in one matrix product, validation from sufficient
 *    statistics; it is built for a GPU, and on a CPU it pays for full-matrix Gram products
 *    (torch has no symmetric rank-k update) and an eigendecomposition where the engine reduces
 *    to tridiagonal form.
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
/** User + system CPU seconds of a process (all its threads) from /proc/PID/stat (Linux; null elsewhere). */
function processCpuSeconds(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}
const engineCpu = (p: typeof full): number => {
  const c0 = process.cpuUsage();
  runRepetition(p, 0);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
const oneThread = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
const w = await launchWorker({ device: 'cpu', command: ['{python}', '-m', 'lossyscale_worker', 'serve', '--device', 'cpu', '--threads', '1'], env: oneThread });
const ridgeMc: Record<string, unknown> = {};
let mcDevice = '';
try {
  await runRidgeMcTorch({ ...plan, n: [100], lambdas: [plan.lambdas[0]] }, [0], { worker: w }); // warm-up
  for (const [name, p] of [['truncated', plan], ['fullScale', full]] as const) {
    const c0 = processCpuSeconds(w.pid);
    const t0 = now();
    const r = await runRidgeMcTorch({ ...p, reps: 1 }, [0], { worker: w });
    const torchSeconds = now() - t0;
    const c1 = processCpuSeconds(w.pid);
    const torchCpuSeconds = c0 !== null && c1 !== null ? c1 - c0 : null;
    mcDevice = `${r.device} (${r.deviceName})`;
    runRepetition({ ...p, n: [100], lambdas: [p.lambdas[0]] }, 9); // warm-up
    const engineCpuSeconds = engineCpu(p);
    ridgeMc[name] = { torchSeconds, torchCpuSeconds, engineCpuSeconds, torchCpuOverEngineCpu: torchCpuSeconds === null ? null : torchCpuSeconds / engineCpuSeconds, workerTiming: r.results[0].timing };
    console.log(`ridge-mc on the worker's CPU (1 thread), one ${name === 'truncated' ? 'repetition truncated at n_max 1e4 (sampled test)' : 'full-scale Figure-6 repetition (n_max 1e5)'}: ${torchSeconds.toFixed(2)} s wall, ${torchCpuSeconds?.toFixed(2)} CPU-s; CPU engine (1 thread) ${engineCpuSeconds.toFixed(2)} CPU-s; worker/engine CPU x${torchCpuSeconds === null ? '?' : (torchCpuSeconds / engineCpuSeconds).toFixed(2)}; worker phases ${JSON.stringify(r.results[0].timing)}`);
  }
} finally {
  await w.shutdown();
}
rmSync(dir, { recursive: true, force: true });

const path = writeBenchResult('torch', {
  loadAverage: { start: load0, end: loadavg()[0] },
  training: { device: seq.device, deviceName: seq.deviceName, models: K, imagesPerModel: nTrain, epochs: 1, model: 'cnn width 0.5', sequentialSeconds: seq.seconds, groupedSeconds: grp.seconds, sequentialImagesPerSecond: imgs / seq.seconds, groupedImagesPerSecond: imgs / grp.seconds, groupSpeedup: seq.seconds / grp.seconds },
  ridgeMc: {
    device: mcDevice,
    threads: 'worker: torch.set_num_threads(1) and BLAS threads 1; engine: one thread on its default backend',
    algorithm: 'worker/lossyscale_worker/ridge_mc.py: one torch.linalg.eigh per (n, m) for all 20 lambdas (one matrix product), validation from sufficient statistics, nested prefixes and leading blocks, as the engine',
    truncated: { plan: 'fig6 truncated at n_max = 1e4, sampled test, validation-selected lambda', ...(ridgeMc.truncated as object) },
    fullScale: { plan: 'fig6 as committed (n_max = 1e5, exact scoring, validation-selected lambda)', ...(ridgeMc.fullScale as object) },
  },
});
console.log(`wrote ${path}`);
