import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix, CholeskyDecomposition } from 'ml-matrix';
import { readFashionMnistSplit } from '../src/data/fashionMnist.js';
import { selectImages } from '../src/data/imageSet.js';
import { accumulateGram, centeredSystem, createGramAccumulator, createRidgeTrainer, solveRidge } from '../src/trainers/ridgeClassifier.js';
import { loadSweepConfig } from '../src/sweep/config.js';
import { runSweep } from '../src/sweep/runSweep.js';
import { writeRunFigures } from '../src/figures/fashionMnist.js';
import { repoRoot } from '../src/provenance.js';
import { timeMedian, writeBenchResult } from './benchResult.js';

/**
 * Real-data sweep costs (THEORY.md section 6), one core unless stated:
 *  - Gram kernel: Fashion-MNIST images accumulated per second into X^T X (784 x 784), against
 *    ml-matrix's X^T X on the same images (peer ratio, machine-independent);
 *  - one lambda: Cholesky + solve of the 784 x 784 system, against ml-matrix's Cholesky;
 *  - one ridge job (6,000 images, 9 lambdas chosen on 2,000 validation images, 10,000 test);
 *  - the default sweep (sims/fashion-mnist-cpu.json): wall and CPU seconds per phase from the
 *    committed run results/fashion-mnist-cpu/run.json, and, with BENCH_SWEEP_FULL=1, a fresh run
 *    from a cold codec cache in a temporary directory (about 10 minutes on a quiet 2-core machine).
 */
const root = '/usr/share/datasets/fashion-mnist';
const train = readFashionMnistSplit(root, 'train');
const test = readFashionMnistSplit(root, 't10k');
const d = 784;

const gramN = 4000;
const gramSet = selectImages(train, Array.from({ length: gramN }, (_, i) => i));
const tOwn = timeMedian(() => {
  const acc = createGramAccumulator(d, 10);
  accumulateGram(acc, gramSet);
}, 3);
const peerN = 1000;
const X = new Matrix(peerN, d);
for (let k = 0; k < peerN; k++) for (let i = 0; i < d; i++) X.set(k, i, train.pixels[k * d + i] / 255);
const tPeer = timeMedian(() => {
  X.transpose().mmul(X);
}, 2);
const ownRate = gramN / tOwn;
const peerRate = peerN / tPeer;

const acc = createGramAccumulator(d, 10);
accumulateGram(acc, gramSet);
const sys = centeredSystem(acc);
const tSolve = timeMedian(() => {
  solveRidge(sys, 1);
}, 3);
const A = new Matrix(d, d);
for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) A.set(i, j, sys.gram[i * d + j] + (i === j ? 1 : 0));
const tPeerChol = timeMedian(() => {
  new CholeskyDecomposition(A);
}, 3);

const trainer = createRidgeTrainer();
const job = {
  id: 'bench',
  seed: 0,
  train: selectImages(train, Array.from({ length: 6000 }, (_, i) => i)),
  validation: selectImages(train, Array.from({ length: 2000 }, (_, i) => 58000 + i)),
  evaluate: { test },
};
const t0 = performance.now();
const m = await trainer.train(job);
const jobSeconds = (performance.now() - t0) / 1000;

const committedRun = join(repoRoot, 'results', 'fashion-mnist-cpu', 'run.json');
const committed = existsSync(committedRun)
  ? (JSON.parse(readFileSync(committedRun, 'utf8')) as { sessions: { phases: Record<string, number>; cpuPhases?: Record<string, number>; start: string; end?: string; status: string }[]; provenance: { machine: unknown } })
  : null;

let fresh: Record<string, unknown> | null = null;
if (process.env.BENCH_SWEEP_FULL === '1') {
  const tmp = mkdtempSync(join(tmpdir(), 'sweep-bench-'));
  const config = loadSweepConfig(join(repoRoot, 'sims', 'fashion-mnist-cpu.json'));
  const cold = { ...config, codec: { ...config.codec, cacheDir: join(tmp, 'cache') } };
  const w0 = performance.now();
  const r = await runSweep(cold, { runDir: join(tmp, 'run'), drawFigures: writeRunFigures });
  fresh = { wallSeconds: (performance.now() - w0) / 1000, phases: r.phases, cpuPhases: r.cpuPhases, jobs: r.jobsRun };
  rmSync(tmp, { recursive: true, force: true });
}

const results = {
  gram: { images: gramN, seconds: tOwn, imagesPerSecond: ownRate, mlMatrixImagesPerSecond: peerRate, speedupVsMlMatrix: ownRate / peerRate },
  choleskySolve: { dim: d, seconds: tSolve, mlMatrixCholeskySeconds: tPeerChol, speedupVsMlMatrix: tPeerChol / tSolve },
  ridgeJob: { trainImages: 6000, validationImages: 2000, testImages: test.count, lambdas: 9, seconds: jobSeconds, testError: m.error },
  defaultSweepCommitted: committed ? committed.sessions.map((s) => ({ start: s.start, end: s.end, status: s.status, wallSeconds: s.phases, cpuSeconds: s.cpuPhases ?? null })) : null,
  defaultSweepFresh: fresh,
  note: 'Absolute rates were taken on a shared 2-core machine; the ml-matrix ratios are the machine-independent numbers.',
};
console.log(JSON.stringify(results, null, 2));
console.log(`wrote ${writeBenchResult('sweep', results)}`);
