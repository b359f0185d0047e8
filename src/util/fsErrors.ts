/**
 * File-system failures the user can act on (a path that is a file where a folder is needed,
 * a read-only or full disk, a missing or unreadable path), told apart from bugs: the CLI prints
 * them as one line naming the path and exits 2.
 */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'a file is in the way',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

const VERBS: Record<string, string> = { open: 'open', mkdir: 'create the folder', scandir: 'list', write: 'write', read: 'read', rename: 'rename', unlink: 'remove', rmdir: 'remove', copyfile: 'copy', link: 'create', stat: 'read', lstat: 'read' };

/** One-line message for a user-caused file-system error (with its path), or undefined for anything else. */
export function fsErrorMessage(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (!err.code || !REASONS[err.code] || typeof err.path !== 'string') return undefined;
  const verb = VERBS[err.syscall ?? ''] ?? 'use';
  return `cannot ${verb} ${err.path}${err.dest ? ` -> ${err.dest}` : ''}: ${REASONS[err.code]}`;
}
