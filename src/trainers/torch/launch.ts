import { join } from 'node:path';
import { repoRoot } from '../../provenance.js';
import { InputError } from '../../errors.js';
import { findPython } from './python.js';
import { WorkerProcess } from './workerProcess.js';

/** Directory holding the Python package lossyscale_worker (put on PYTHONPATH for local workers). */
export const workerPackageDir = join(repoRoot, 'worker');

/** How to start a worker (shared by the torch trainer and the ridge-mc runner). */
export interface WorkerLaunchOptions {
  /** Python interpreter with torch (else LOSSYSCALE_PYTHON, /usr/bin/python3, python3). */
  python?: string;
  /**
   * Command that starts a worker speaking protocol v1 on stdio, as an argv list or a
   * whitespace-separated string (no shell quoting), e.g. "ssh gpu-host python3 -m lossyscale_worker serve".
   * Placeholders: {python} (the located interpreter), {device}, {group}. Default:
   * "{python} -m lossyscale_worker serve --device {device} --group {group}" with worker/ on PYTHONPATH.
   */
  command?: string | string[];
  /** torch device for the default command: auto (CUDA if present), cpu, cuda, cuda:N. */
  device?: string;
  /** Seconds to wait for the worker's hello. */
  startTimeoutSeconds?: number;
  /** Extra environment for the worker process. */
  env?: Record<string, string>;
  /** Receives the worker's stderr lines and the client's notes. Default: dropped. */
  log?: (line: string) => void;
}

/** The worker's argv after placeholder substitution (the interpreter is located only if {python} is used). */
export function workerArgv(options: WorkerLaunchOptions, group = 1): string[] {
  const device = options.device ?? 'auto';
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device)) throw new InputError('torch.device', device, 'auto, cpu, cuda or cuda:N');
  const template = options.command ?? ['{python}', '-m', 'lossyscale_worker', 'serve', '--device', '{device}', '--group', '{group}'];
  const parts = Array.isArray(template) ? template : template.trim().split(/\s+/);
  if (parts.length === 0 || parts[0] === '') throw new InputError('torch.command', options.command, 'a non-empty command line');
  const needsPython = parts.some((p) => p.includes('{python}'));
  const python = needsPython ? findPython({ python: options.python }).executable : '';
  return parts.map((p) => p.replaceAll('{python}', python).replaceAll('{device}', device).replaceAll('{group}', String(group)));
}

/** Start a worker and wait for its hello (THEORY.md section 6; protocol in worker/README.md). */
export function launchWorker(options: WorkerLaunchOptions, group = 1): Promise<WorkerProcess> {
  const env = { ...process.env, ...options.env, PYTHONPATH: [workerPackageDir, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' };
  return WorkerProcess.start({ argv: workerArgv(options, group), env, startTimeoutSeconds: options.startTimeoutSeconds ?? 300, onStderr: options.log });
}
