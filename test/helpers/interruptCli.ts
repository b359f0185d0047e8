/** Interrupting a real CLI process (test/interrupts.test.ts, scripts/stressSignals.ts). */
import { spawn } from 'node:child_process';

export interface Outcome {
  code: number | null;
  /** The signal that ended the process when it did not exit (code null). */
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Seconds from the (first) signal to the exit. */
  afterSignal: number;
}

/** Start the CLI (bin/lossyscale.js, from the repository root), send `signals` (spaced by `gapMs`) once `ready()` holds (polled every 25 ms), and time the exit. */
export async function interruptCli(args: string[], ready: (stderr: string) => boolean, signals: NodeJS.Signals[], gapMs = 100, deadlineMs = 90_000): Promise<Outcome> {
  const child = spawn(process.execPath, ['bin/lossyscale.js', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (code, signal) => res([code, signal])));
  let sentAt = 0;
  await new Promise<void>((res, rej) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (ready(stderr)) {
        clearInterval(poll);
        sentAt = Date.now();
        signals.forEach((s, i) => setTimeout(() => child.kill(s), i * gapMs));
        res();
      } else if (Date.now() - t0 > deadlineMs) {
        clearInterval(poll);
        child.kill('SIGKILL');
        rej(new Error(`not ready after ${deadlineMs} ms: ${stderr}`));
      }
    }, 25);
    child.on('exit', () => {
      clearInterval(poll);
      if (!sentAt) rej(new Error(`exited before the signal: ${stderr}`));
    });
  });
  const [code, signal] = await exited;
  return { code, signal, stderr, afterSignal: (Date.now() - sentAt) / 1000 };
}

/** A `ready` for `codec sizes`: holds once it has been encoding (its `codec d=1` progress line) for `ms`. */
export function encodingFor(ms: number): (stderr: string) => boolean {
  let seen = 0;
  return (stderr) => {
    if (!seen && stderr.includes('codec d=1')) seen = Date.now();
    return seen > 0 && Date.now() - seen > ms;
  };
}
