import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away single-node Slurm cluster on this machine (Debian's munge, slurmctld and
 * slurmd, started as root): its own munge key and socket, its own ports, state, spool and
 * logs under one temporary directory, ProctrackType=proctrack/linuxproc, TaskPlugin=task/none
 * and no accounting. Clients reach it through SLURM_CONF (see `env`). The daemons are
 * started in the foreground as children of this process and stopped by their process ids.
 */
export interface SlurmCluster {
  dir: string;
  /** Environment for sbatch/squeue/... and for anything that calls them (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  partition: string;
  node: string;
  pids: { munged: number; slurmctld: number; slurmd: number };
  stop(): Promise<void>;
}

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scancel'] as const;

/** Why a local cluster cannot be started here, or undefined when it can (root and the Debian packages). */
export function slurmUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `Slurm test cluster needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the local Slurm test cluster is started as root (slurmd runs jobs as their user)';
  for (const d of DAEMONS) {
    const r = spawnSync('sh', ['-c', `command -v ${d}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${d} not found on PATH (install with: apt-get install slurmctld slurmd slurm-client munge, or scripts/setup.sh --test)`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function startDaemon(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  // Output straight to a file: a pipe into this process would stall the daemon whenever this
  // process is busy (a synchronous call) and the pipe buffer fills.
  const fd = openSync(log, 'a');
  try {
    return spawn(cmd, args, { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, logs: string[]): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) {
      const tails = logs.filter(existsSync).map((l) => `--- ${l}\n${readFileSync(l, 'utf8').split('\n').slice(-15).join('\n')}`);
      throw new Error(`local Slurm cluster: ${what} not ready after ${timeoutMs / 1000} s\n${tails.join('\n')}`);
    }
    await sleep(100);
  }
}

async function stopPid(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Start munged, slurmctld and slurmd with a fresh configuration; resolves once the node is idle. */
export async function startSlurmCluster(opts: { cpus?: number; partition?: string; keep?: boolean; /** 1: the node announces one generic GPU resource (scheduling only: its device file is /dev/null). */ gpus?: 0 | 1 } = {}): Promise<SlurmCluster> {
  const why = slurmUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'lossyscale-slurm-'));
  chmodSync(dir, 0o755); // munged requires its socket's directories to be searchable by all
  const d = (p: string): string => join(dir, p);
  for (const [p, mode] of [['munge', 0o755], ['munge/run', 0o755], ['munge/key', 0o700], ['state', 0o755], ['spool', 0o755], ['log', 0o755]] as const) {
    mkdirSync(d(p), { recursive: true });
    chmodSync(d(p), mode);
  }
  writeFileSync(d('munge/key/munge.key'), randomBytes(1024), { mode: 0o400 });
  const socket = d('munge/run/munge.socket');
  const node = hostname().split('.')[0];
  const partition = opts.partition ?? 'debug';
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = [
    'ClusterName=lossyscale-test',
    `SlurmctldHost=${node}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${socket}`,
    `StateSaveLocation=${d('state')}`,
    `SlurmdSpoolDir=${d('spool')}`,
    `SlurmctldPidFile=${d('slurmctld.pid')}`,
    `SlurmdPidFile=${d('slurmd.pid')}`,
    `SlurmctldLogFile=${d('log/slurmctld.log')}`,
    `SlurmdLogFile=${d('log/slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SwitchType=switch/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    // The node may announce more CPUs than the machine has, so a 4-task array runs at once.
    'SlurmdParameters=config_overrides',
    'ReturnToService=2',
    'KillWait=2',
    'MinJobAge=3600',
    'SchedulerType=sched/builtin',
    'SlurmctldDebug=info',
    'SlurmdDebug=info',
    ...(opts.gpus ? ['GresTypes=gpu'] : []),
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${opts.cpus ?? 4} RealMemory=1000${opts.gpus ? ` Gres=gpu:${opts.gpus}` : ''} State=UNKNOWN`,
    `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
  ];
  writeFileSync(d('slurm.conf'), conf.join('\n') + '\n');
  // One schedulable GPU slot whose device file is /dev/null: jobs asking --gres gpu:1 are scheduled, no device is bound.
  if (opts.gpus) writeFileSync(d('gres.conf'), `NodeName=${node} Name=gpu File=/dev/null\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: d('slurm.conf') };
  const logs = [d('log/munged.out'), d('log/slurmctld.out'), d('log/slurmd.out'), d('log/slurmctld.log'), d('log/slurmd.log')];
  const children: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    // Jobs first (their slurmstepd processes outlive slurmd otherwise), then the daemons, newest first.
    spawnSync('scancel', ['--full', '--user=root'], { env, timeout: 10_000 });
    const t0 = Date.now();
    while (Date.now() - t0 < 15_000) {
      const q = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8', timeout: 10_000 });
      if (q.status !== 0 || q.stdout.trim() === '') break;
      await sleep(200);
    }
    for (const c of [...children].reverse()) await stopPid(c);
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const munged = startDaemon('munged', ['-F', `--socket=${socket}`, `--key-file=${d('munge/key/munge.key')}`, `--pid-file=${d('munge/run/munged.pid')}`, `--seed-file=${d('munge/key/munged.seed')}`, `--log-file=${d('log/munged.log')}`], env, logs[0]);
    children.push(munged);
    await waitFor('munged', () => existsSync(socket), 15_000, logs);
    const ctld = startDaemon('slurmctld', ['-D', '-i'], env, logs[1]);
    children.push(ctld);
    await waitFor('slurmctld', () => spawnSync('scontrol', ['ping'], { env, encoding: 'utf8', timeout: 5000 }).stdout?.includes('UP') === true, 30_000, logs);
    const slurmd = startDaemon('slurmd', ['-D', '-N', node], env, logs[2]);
    children.push(slurmd);
    await waitFor('slurmd (node idle)', () => /^idle/.test(spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8', timeout: 5000 }).stdout?.trim() ?? ''), 30_000, logs);
    for (const c of children) if (c.exitCode !== null) throw new Error(`local Slurm cluster: a daemon exited (${c.spawnargs[0]})`);
    return { dir, env, partition, node, pids: { munged: munged.pid!, slurmctld: ctld.pid!, slurmd: slurmd.pid! }, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
