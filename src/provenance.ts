import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What produced an output: every result file and figure carries one of these. */
export interface Provenance {
  tool: 'lossyscale';
  version: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  command: string;
  config?: unknown;
  seed?: number | string | null;
  time: string;
  machine: MachineInfo;
}

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  platform: string;
  node: string;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    cpuCount: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()}`,
    node: process.version,
  };
}

/**
 * The command line of this process as a user would retype it: `lossyscale <args>` under the
 * CLI, else `node <script> <args>` (e.g. `node src/report/regenerateFigures.ts` for `npm run figures`).
 */
export function currentCommand(): string {
  const script = process.argv[1] ? relative(repoRoot, process.argv[1]) : '';
  const args = process.argv.slice(2);
  if (script === '' || script.endsWith(join('bin', 'lossyscale.js')) || script.endsWith('lossyscale')) return ['lossyscale', ...args].join(' ');
  return ['node', script.startsWith('..') ? process.argv[1] : script, ...args].join(' ');
}

/** Provenance record for an output produced now by this process. */
export function provenance(extra: { config?: unknown; seed?: number | string | null; command?: string } = {}): Provenance {
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit ? git(['status', '--porcelain', '--untracked-files=no']) : null;
  return {
    tool: 'lossyscale',
    version: toolVersion(),
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    command: extra.command ?? currentCommand(),
    config: extra.config,
    seed: extra.seed ?? null,
    time: new Date().toISOString(),
    machine: machineInfo(),
  };
}
