import { join } from 'node:path';
import { linalgBackend } from '../../src/linalg/backend.js';
import { repoRoot } from '../../src/provenance.js';
import { loadSweepConfig } from '../../src/sweep/config.js';
import { runSweep } from '../../src/sweep/runSweep.js';

/**
 * One fresh run of the default sweep (sims/fashion-mnist-cpu.json, THEORY.md section 6) into
 * RUN_DIR with its codec cache in CACHE_DIR, on the backend LOSSYSCALE_BLAS selects; prints one
 * JSON line with the wall and CPU seconds per phase (bench/sweep.bench.ts runs it per backend).
 * usage: node --import tsx bench/reference/sweepRun.ts RUN_DIR CACHE_DIR
 */
const [runDir, cacheDir] = process.argv.slice(2);
const config = loadSweepConfig(join(repoRoot, 'sims', 'fashion-mnist-cpu.json'));
const w0 = performance.now();
const r = await runSweep({ ...config, codec: { ...config.codec, cacheDir } }, { runDir, quiet: true });
console.log(JSON.stringify({ backend: linalgBackend().description, wallSeconds: (performance.now() - w0) / 1000, phases: r.phases, cpuPhases: r.cpuPhases, jobs: r.jobsRun }));
