// A single-node Slurm cluster on this machine for trying `lossyscale slurm` (docs/cluster.md):
// Debian's munge, slurmctld and slurmd with their own key, socket, ports and state in a temporary
// directory (the same helper test/slurm.test.ts uses). Needs root and
// `apt-get install slurmctld slurmd slurm-client munge`. Runs in the foreground; Ctrl-C (or
// SIGTERM) cancels the cluster's jobs and stops the three daemons by their process ids.
//   node --import tsx scripts/slurmLocal.ts [--cpus N] [--partition NAME] [--gpus 0|1]
// --gpus 1 announces one generic "gpu" resource (Gres=gpu:1 with /dev/null as its device: scheduling
// only, no GPU is bound), so --gres gpu:1 submissions are accepted and scheduled like on a GPU partition.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSlurmCluster } from '../test/helpers/slurmCluster.js';

const { values } = parseArgs({ options: { cpus: { type: 'string' }, partition: { type: 'string' }, gpus: { type: 'string' } } });
const cpus = values.cpus === undefined ? 4 : Number(values.cpus);
if (!Number.isInteger(cpus) || cpus < 1 || cpus > 256) {
  process.stderr.write(`slurmLocal: invalid --cpus: ${JSON.stringify(values.cpus)} (valid: an integer 1..256)\n`);
  process.exit(2);
}
const gpus = values.gpus === undefined ? 0 : Number(values.gpus);
if (gpus !== 0 && gpus !== 1) {
  process.stderr.write(`slurmLocal: invalid --gpus: ${JSON.stringify(values.gpus)} (valid: 0 or 1)\n`);
  process.exit(2);
}
const cluster = await startSlurmCluster({ cpus, partition: values.partition, gpus: gpus === 1 ? 1 : 0 });
const envFile = join(cluster.dir, 'env.sh');
writeFileSync(envFile, `export SLURM_CONF=${cluster.env.SLURM_CONF}\n`);
console.log(`local Slurm cluster up: node ${cluster.node}, partition ${cluster.partition}, ${cpus} CPUs${gpus ? `, gres gpu:${gpus}` : ''}; daemons munged ${cluster.pids.munged}, slurmctld ${cluster.pids.slurmctld}, slurmd ${cluster.pids.slurmd}`);
console.log(`in another shell:  . ${envFile}   (sets SLURM_CONF; then sinfo, lossyscale slurm ...)`);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  console.log('local Slurm cluster stopped');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => undefined, 60_000);
