import { spawnSync } from 'node:child_process';
import { ResourceError } from '../../errors.js';

/**
 * Finding a Python interpreter that has PyTorch (worker/README.md). The first `python3` on
 * PATH is often a pyenv or venv interpreter without torch while Debian's python3-torch lives
 * under /usr/bin/python3, so the choice is deliberate: an explicit interpreter (trainer option
 * `python`, else env LOSSYSCALE_PYTHON) is the only one tried; otherwise /usr/bin/python3, then
 * python3 on PATH. Each candidate must import torch and numpy.
 */
export interface PythonInfo {
  executable: string;
  torch: string;
}

export interface ProbeFailure {
  executable: string;
  reason: string;
}

/** Try one interpreter: its torch version, or why it cannot run the worker. */
export function probePython(executable: string, timeoutMs = 60_000): PythonInfo | ProbeFailure {
  const r = spawnSync(executable, ['-c', 'import sys, numpy, torch; sys.stdout.write(torch.__version__)'], { encoding: 'utf8', timeout: timeoutMs, env: process.env });
  if (r.error) return { executable, reason: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { executable, reason: last || `exit status ${r.status}` };
  }
  const version = r.stdout.trim();
  if (!/^\d+\.\d+/.test(version)) return { executable, reason: `printed ${JSON.stringify(version.slice(0, 40))} instead of a torch version` };
  return { executable, torch: version };
}

/** The interpreter the worker runs with, or a ResourceError listing what was tried and how to fix it. */
export function findPython(opts: { python?: string; env?: NodeJS.ProcessEnv } = {}): PythonInfo {
  const env = opts.env ?? process.env;
  const explicit = opts.python ?? (env.LOSSYSCALE_PYTHON || undefined);
  const candidates = explicit ? [explicit] : ['/usr/bin/python3', 'python3'];
  const failures: ProbeFailure[] = [];
  for (const exe of candidates) {
    const r = probePython(exe);
    if ('torch' in r) return r;
    failures.push(r);
  }
  const tried = failures.map((f) => `${f.executable} (${f.reason})`).join('; ');
  const source = opts.python ? 'the trainer option "python"' : explicit ? 'LOSSYSCALE_PYTHON' : '/usr/bin/python3 and python3 on PATH';
  throw new ResourceError(
    `no Python interpreter with PyTorch found for the torch trainer: tried ${source}: ${tried}. ` +
      'Install it (Debian: sudo apt-get install python3-torch python3-numpy, or bash scripts/setup.sh --test; elsewhere: pip install torch numpy) ' +
      'or point LOSSYSCALE_PYTHON (or the trainer option "python") at an interpreter that has it',
  );
}
