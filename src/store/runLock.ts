import { closeSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError, ResourceError } from '../errors.js';

/**
 * One writer per run directory: an exclusive lock file `DIR/.lock` holding the writer's pid,
 * host and start time. It is created atomically (written to a private file, then hard-linked
 * into place, which fails if a lock exists), checked on start, and removed on release or when
 * the process exits. A lock whose pid no longer runs on this host is stale and taken over.
 */
export interface RunLock {
  readonly path: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  time: string;
  command?: string;
}

const LOCK_NAME = '.lock';

/** Create `dir` (and parents) or explain in one line why it cannot be a run directory. */
export function ensureRunDir(dir: string, param: string): void {
  try {
    const s = statSync(dir, { throwIfNoEntry: false });
    if (s && !s.isDirectory()) throw new InputError(param, dir, 'a directory (or a path that does not exist yet)', 'it is a file');
    if (!s) mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw fsError(param, dir, e);
  }
}

/** A file-system error as a one-line user error naming the parameter and path. */
export function fsError(param: string, path: string, e: unknown): InputError | ResourceError {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOTDIR: 'a parent is a file',
    EEXIST: 'a file is in the way',
    EISDIR: 'it is a directory',
    ENOSPC: 'no space left on the device',
    ENOENT: 'no such file or directory',
  };
  if (code && why[code]) return new InputError(param, path, 'a writable directory path', why[code]);
  return new ResourceError(`cannot use ${param} ${path}: ${(e as Error).message}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof j.pid === 'number' && typeof j.host === 'string' ? j : undefined;
  } catch {
    return undefined;
  }
}

/** Take the lock of run directory `dir` (created if missing); InputError naming `param` when another process holds it. */
export function acquireRunLock(dir: string, param: string): RunLock {
  ensureRunDir(dir, param);
  const path = join(dir, LOCK_NAME);
  const me: LockInfo = { pid: process.pid, host: hostname(), time: new Date().toISOString(), command: process.argv.slice(2).join(' ') };
  const mine = join(dir, `${LOCK_NAME}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  try {
    const fd = openSync(mine, 'wx');
    writeSync(fd, JSON.stringify(me) + '\n');
    closeSync(fd);
  } catch (e) {
    throw fsError(param, dir, e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(param, dir, e);
      }
      const held = readLock(path);
      const stale = held !== undefined && held.host === me.host && !alive(held.pid);
      if ((stale || held === undefined) && attempt < 3) {
        // Stale (its process is gone) or unreadable: take it over.
        try {
          unlinkSync(path);
        } catch {
          /* another process took it over first; try again */
        }
        continue;
      }
      const who = held ? `pid ${held.pid} on ${held.host} since ${held.time}` : 'an unknown process';
      throw new InputError(param, dir, 'a run directory no other process is writing', `it is locked by ${who} (${path}; delete it if that process is gone)`);
    }
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      /* already gone */
    }
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const held = readLock(path);
    if (held && held.pid === me.pid && held.time === me.time) {
      try {
        unlinkSync(path);
      } catch {
        /* the directory is gone */
      }
    }
  };
  process.on('exit', release);
  return { path, release };
}
