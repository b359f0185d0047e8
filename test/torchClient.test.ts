import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/imageSet.js';
import { ResourceError, InterruptedError } from '../src/errors.js';
import { evalMetrics, type TrainJob, type TrainProgress } from '../src/trainers/trainer.js';
import { createTorchTrainer, findPython, TorchJobError, workerPackageDir } from '../src/trainers/torch/index.js';
import { createRng } from '../src/util/rng.js';

/**
 * The torch trainer against a real worker process on CPU (Debian python3-torch): protocol
 * round trip and a short training, progress, cancel, and the timeout / crash / retry paths
 * with a worker that is really killed. Images are 8x8 with a class-dependent bright row, so
 * two epochs of a narrow CNN already separate the classes.
 */
function images(n: number, seed: number, classes = 4): ImageSet {
  const rng = createRng(seed);
  const size = 8;
  const pixels = new Uint8Array(n * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.below(classes);
    labels[i] = c;
    for (let p = 0; p < size * size; p++) pixels[i * size * size + p] = rng.below(60);
    for (let x = 0; x < size; x++) pixels[i * size * size + ((2 * c) % size) * size + x] = 250;
  }
  return { width: size, height: size, channels: 1, count: n, pixels, labels, classNames: ['a', 'b', 'c', 'd'] };
}

const train = images(128, 1);
const test = images(64, 2);
const shifted = images(48, 3);
const job = (id: string, options: Record<string, unknown> = {}): TrainJob => ({ id, seed: 7, train, validation: images(32, 4), evaluate: { test, shifted }, options });
const quick = { model: 'cnn', epochs: 3, batchSize: 16, lr: 3e-3, width: 0.25 };
// Enough steps to outlast the short timeouts below (about 0.2 ms per 8x8 image-epoch here).
const slow = { ...quick, epochs: 5000 };

describe('python interpreter discovery', () => {
  it('finds an interpreter with torch, and names what it tried when none has it', () => {
    expect(findPython().torch).toMatch(/^\d+\.\d+/);
    expect(() => findPython({ python: '/nonexistent/python3' })).toThrow(ResourceError);
    expect(() => findPython({ python: '/nonexistent/python3' })).toThrow(/\/nonexistent\/python3 \(not found\).*LOSSYSCALE_PYTHON/);
    expect(() => findPython({ env: { LOSSYSCALE_PYTHON: '/bin/true' } })).toThrow(/\/bin\/true/);
  });
});

describe('torch trainer, live worker on CPU', () => {
  const notes: string[] = [];
  // group 2: two jobs in flight, which the worker trains together as one stacked network.
  const bundleDir = join(mkdtempSync(join(tmpdir(), 'lossyscale-live-')), 'bundle');
  const trainer = createTorchTrainer({ device: 'cpu', group: 2, bundleDir, training: { ...quick, returnPredictions: true }, log: (l) => notes.push(l) });
  afterAll(async () => {
    await trainer.close?.();
    rmSync(dirname(bundleDir), { recursive: true, force: true });
  });

  it('round trip: hello, progress, result with metrics identical to evalMetrics on the returned predictions', async () => {
    const seen: TrainProgress[] = [];
    const m = await trainer.train(job('round-trip'), { onProgress: (p) => seen.push(p) });
    const hello = (m.details!.worker as { device: string; torch: string });
    expect(hello.device).toBe('cpu');
    expect(Object.keys(m.evaluations).sort()).toEqual(['shifted', 'test']);
    const preds = m.details!.predictions as Record<string, number[]>;
    // Independent route for the metric definitions: the shared TypeScript evalMetrics.
    expect(m.evaluations.test).toEqual(evalMetrics(preds.test, test.labels, 4));
    expect(m.evaluations.shifted).toEqual(evalMetrics(preds.shifted, shifted.labels, 4));
    expect(m.accuracy).toBe(m.evaluations.test.accuracy);
    expect(m.error).toBeCloseTo(1 - m.accuracy, 12);
    expect(m.accuracy).toBeGreaterThan(0.5); // chance is 0.25
    expect(m.details!.lossByEpoch).toHaveLength(3);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.jobId === 'round-trip')).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i].fraction).toBeGreaterThanOrEqual(seen[i - 1].fraction);
    expect(seen[seen.length - 1].fraction).toBe(1);
    // The job's training set is removed after the job; the shared test sets stay for the next jobs.
    expect(readdirSync(join(bundleDir, 'arrays')).filter((f) => f.endsWith('.u8')).length).toBe(3); // test, shifted, validation
  });

  it('same seed, same result, alone or in a stacked group; a bad option is an input failure naming the option', async () => {
    const a = await trainer.train(job('seeded-a'));
    const b = await trainer.train(job('seeded-b'));
    expect(a.details!.lossByEpoch).toEqual(b.details!.lossByEpoch);
    expect(a.details!.groupSize).toBe(1);
    const other = { ...job('other'), seed: 8 };
    const [g, h] = await Promise.all([trainer.train(job('grouped')), trainer.train(other)]);
    expect([g.details!.groupSize, h.details!.groupSize]).toEqual([2, 2]);
    // Stacked training equals training alone up to float summation order.
    (g.details!.lossByEpoch as number[]).forEach((x, i) => expect(x).toBeCloseTo((a.details!.lossByEpoch as number[])[i], 4));
    expect((g.details!.predictions as Record<string, number[]>).test).toEqual((a.details!.predictions as Record<string, number[]>).test);
    await expect(trainer.train(job('bad-opt', { epochs: 0 }))).rejects.toThrow(/input.*options\.epochs: 0/);
    await expect(trainer.train(job('bad-opt2', { model: 'vgg' }))).rejects.toBeInstanceOf(TorchJobError);
  });

  it('cancel through an AbortSignal stops the job (InterruptedError) and the worker stays usable', async () => {
    const ac = new AbortController();
    const pid = trainer.worker!.pid;
    const p = trainer.train(job('cancel-me', slow), { onProgress: () => ac.abort(), signal: ac.signal });
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    const m = await trainer.train(job('after-cancel'));
    expect(m.evaluations.test.count).toBe(64);
    expect(trainer.worker!.pid).toBe(pid);
  });
});

describe('torch trainer failure paths with a real worker process', () => {
  // One trainer for the timeout, crash and retry paths (each kill costs a torch import, ~2-4 s here).
  const t = createTorchTrainer({ device: 'cpu', training: quick, jobTimeoutSeconds: 5, maxRetries: 1 });
  afterAll(async () => t.close?.());

  it('a job past its timeout fails with reason timeout; the worker is killed and the next job gets a fresh one', async () => {
    const started = Date.now();
    const err = await t.train(job('too-slow', slow)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorchJobError);
    expect((err as TorchJobError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(20_000);
    const pid = t.worker!.pid!; // the killed worker (a fresh one starts with the next job)
    expect(t.worker!.alive).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow(); // gone
    const m = await t.train(job('after-timeout'));
    expect(t.worker!.pid).not.toBe(pid);
    expect(m.evaluations.test.count).toBe(64);
  });

  it('a job whose worker is killed is retried on a fresh worker; with no retries left it fails (worker-died), never hangs', async () => {
    let killed = 0;
    const killOnFirstProgress = (): void => {
      if (killed === 0) {
        killed++;
        process.kill(t.worker!.pid!, 'SIGKILL');
      }
    };
    // Long enough (80 steps) that the kill, sent at the first progress line, lands before the end.
    const m = await t.train(job('crash-once', { epochs: 10 }), { onProgress: killOnFirstProgress });
    expect(killed).toBe(1);
    expect(m.details!.attempts).toBe(2);
    expect(m.evaluations.test.count).toBe(64);

    const killEveryTime = (): void => {
      const pid = t.worker?.pid;
      if (pid && t.worker!.alive) process.kill(pid, 'SIGKILL');
    };
    const err = await t.train(job('crash-always', slow), { onProgress: killEveryTime }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorchJobError);
    expect((err as TorchJobError).reason).toBe('worker-died');
    expect((err as TorchJobError).attempts).toBe(2);
    expect((err as Error).message).toMatch(/SIGKILL/);
  });

  it('a worker that never says hello, speaks another protocol version, or does not exist fails to start with a clear error', async () => {
    const silent = createTorchTrainer({ command: ['/usr/bin/python3', '-c', 'import time; time.sleep(60)'], startTimeoutSeconds: 1 });
    await expect(silent.train(job('x'))).rejects.toThrow(/did not start: no hello within 1 s/);
    await silent.close?.();
    const other = createTorchTrainer({ command: ['/usr/bin/python3', '-c', 'print(\'{"type":"hello","protocol":99}\', flush=True); import time; time.sleep(60)'] });
    await expect(other.train(job('x'))).rejects.toThrow(/speaks protocol 99, this client speaks 1/);
    await other.close?.();
    const noCuda = createTorchTrainer({ device: 'cuda' }); // CI has no GPU: the worker refuses at once
    await expect(noCuda.train(job('x'))).rejects.toThrow(/invalid --device: 'cuda' \(valid here: cpu, auto; torch .* sees no CUDA device\)/);
    await noCuda.close?.();
    const missing = createTorchTrainer({ command: '/nonexistent/worker serve' });
    await expect(missing.train(job('x'))).rejects.toThrow(ResourceError);
    await missing.close?.();
    expect(() => createTorchTrainer({ group: 0 })).toThrow(/torch\.group/);
  });
});

describe('worker unit tests (Python unittest)', () => {
  let out: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    out = spawnSync(findPython().executable, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], { cwd: workerPackageDir, encoding: 'utf8', timeout: 120_000 });
  });
  it('pass', () => {
    expect(out.status, String(out.stderr).slice(-3000)).toBe(0);
    expect(String(out.stderr)).toMatch(/OK/);
  });
});
