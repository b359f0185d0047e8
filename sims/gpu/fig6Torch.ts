import { parseArgs } from 'node:util';
import { loadStylizedConfig } from '../../src/config/fig6Config.js';
import { reportError } from '../../src/cli/main.js';
import { writeFig6Figures } from '../../src/figures/fig6.js';
import { analyzeRun } from '../../src/simulate/analyzeRun.js';
import { simulateStylizedTorch } from '../../src/trainers/torch/ridgeMc.js';
import { join } from 'node:path';

/**
 * The Figure-6 Monte Carlo (THEORY.md section 5) on a live torch worker (ridge-mc), into the
 * same run directory layout as `lossyscale simulate` (resumable), then its fit, tables and
 * figures. The bundle route (`lossyscale sweep plan --config CONFIG`) does the same for GPU
 * machines without Node.
 *
 *   node --import tsx sims/gpu/fig6Torch.ts --config sims/gpu/fig6-gpu.json [--device cuda] [--out DIR] [--reps N] [--command "ssh gpu python3 -m lossyscale_worker serve"]
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, device: { type: 'string' }, out: { type: 'string' }, reps: { type: 'string' }, command: { type: 'string' }, 'reps-per-job': { type: 'string' } } });
  if (!values.config) {
    process.stderr.write('usage: node --import tsx sims/gpu/fig6Torch.ts --config FILE [--device auto|cpu|cuda] [--out DIR] [--reps N] [--reps-per-job K] [--command CMD]\n');
    return 2;
  }
  const config = loadStylizedConfig(values.config);
  const outDir = values.out ?? config.out;
  const r = await simulateStylizedTorch(config, {
    outDir,
    device: values.device,
    command: values.command,
    reps: values.reps ? Number(values.reps) : undefined,
    repsPerJob: values['reps-per-job'] ? Number(values['reps-per-job']) : 10,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  console.log(`${config.name}: ${r.computed} repetitions computed on ${r.device} in ${r.seconds.toFixed(1)} s; ${r.summary.reps} in ${outDir}`);
  analyzeRun(outDir, { config });
  await writeFig6Figures(outDir, join(outDir, 'figures'), { config });
  return 0;
}

main().then((c) => process.exit(c), (e) => process.exit(reportError(e)));
