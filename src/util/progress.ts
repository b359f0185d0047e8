/**
 * A progress line with rate and ETA on stderr. On a terminal it redraws in place; otherwise
 * (CI, pipes) it prints a line at most every `intervalMs` so logs stay short.
 */
export interface Progress {
  tick(done?: number, note?: string): void;
  done(note?: string): void;
}

/** Where a progress line goes: stderr, or any sink that takes text (a terminal redraws in place). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function progress(label: string, total: number, opts: { stream?: ProgressStream; intervalMs?: number; quiet?: boolean; initial?: number } = {}): Progress {
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
    return `${label} [${bar}] ${count}/${total} ${pct}% ${formatDuration(elapsed)} elapsed${Number.isFinite(left) ? `, ETA ${formatDuration(left)}` : ''}${note ? ` ${note}` : ''}`;
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

/**
 * A duration as the progress line shows it: "4.2s" below 10 s, "42s", "9m05s", "2h03m". Rounded
 * once to the shown unit before it is split, so a carry moves up ("599.6 s" is "10m00s", never "9m60s").
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  const totalSeconds = Math.round(seconds);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  const totalMinutes = Math.round(seconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, '0')}m`;
}
