/**
 * A progress line with rate and ETA on stderr. On a terminal it redraws in place; otherwise
 * (CI, pipes) it prints a line at most every `intervalMs` so logs stay short.
 */
export interface Progress {
  tick(done?: number, note?: string): void;
  done(note?: string): void;
}

export function progress(label: string, total: number, opts: { stream?: NodeJS.WriteStream; intervalMs?: number; quiet?: boolean; initial?: number } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const interval = opts.intervalMs ?? (tty ? 100 : 5000);
  const start = Date.now();
  const initial = opts.initial ?? 0;
  let count = initial;
  let last = 0;
  const render = (note?: string): string => {
    const elapsed = (Date.now() - start) / 1000;
    const rate = (count - initial) / Math.max(elapsed, 1e-9);
    const left = rate > 0 ? (total - count) / rate : NaN;
    const pct = total > 0 ? ((100 * count) / total).toFixed(1) : '100.0';
    const width = 24;
    const filled = total > 0 ? Math.round((width * count) / total) : width;
    const bar = '#'.repeat(filled) + '-'.repeat(Math.max(0, width - filled));
    return `${label} [${bar}] ${count}/${total} ${pct}% ${fmt(elapsed)} elapsed${Number.isFinite(left) ? `, ETA ${fmt(left)}` : ''}${note ? ` ${note}` : ''}`;
  };
  return {
    tick(done = 1, note) {
      count += done;
      if (opts.quiet) return;
      const now = Date.now();
      if (now - last < interval && count < total) return;
      last = now;
      stream.write(tty ? `\r\x1b[2K${render(note)}` : `${render(note)}\n`);
    },
    done(note) {
      if (opts.quiet) return;
      stream.write(tty ? `\r\x1b[2K${render(note)}\n` : `${render(note)}\n`);
    },
  };
}

function fmt(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
