import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { ResourceError } from '../errors.js';

/**
 * File arguments of the CLI: `-` means stdin (when reading) or stdout (when writing), any other
 * value a path. Read errors become ResourceErrors naming the flag and the path.
 */
export const STDIO = '-';

/** Read a whole text input (`-` = stdin). */
export function readTextInput(path: string, param: string): string {
  try {
    return readFileSync(path === STDIO ? 0 : path, 'utf8');
  } catch (e) {
    throw new ResourceError(`cannot read ${param} ${path === STDIO ? 'stdin' : path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The text without a leading UTF-8 byte-order mark (some Windows editors write one; it is not part of JSON or CSV). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Write a whole text output (`-` = stdout). */
export function writeTextOutput(path: string, text: string, param: string): void {
  if (path === STDIO) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new ResourceError(`cannot write ${param} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Byte chunks of an input (`-` = stdin), about `chunkBytes` at a time. A file is read with
 * synchronous reads into one reused buffer (each chunk is valid until the next is asked for);
 * stdin is read as a stream.
 */
export async function* inputByteChunks(path: string, param: string, chunkBytes = 1 << 18): AsyncGenerator<Uint8Array> {
  const fail = (e: unknown): ResourceError => new ResourceError(`cannot read ${param} ${path === STDIO ? 'stdin' : path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  if (path === STDIO) {
    try {
      for await (const chunk of process.stdin) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    } catch (e) {
      throw fail(e);
    }
    return;
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fail(e);
  }
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, chunkBytes, null);
      } catch (e) {
        throw fail(e);
      }
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Output assembled as bytes: writers fill `buf` from `pos` (keeping `ROW_RESERVE` bytes free per
 * row through `room()`), full blocks of about `blockBytes` go to the stream as they fill, and
 * `drain()` waits for the stream between input chunks, so memory stays bounded.
 */
export class ByteOutput {
  /** Bytes a caller may write after each `room()` call. */
  static readonly ROW_RESERVE = 8192;
  buf: Uint8Array;
  pos = 0;
  private pending = false;
  private handed = false;
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout, private readonly blockBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(blockBytes + ByteOutput.ROW_RESERVE);
  }

  /** Make sure ROW_RESERVE bytes are free at `pos` (hands a full block to the stream). */
  room(): void {
    if (this.pos >= this.blockBytes) this.hand();
  }

  /** Append the bytes of an ASCII/UTF-8 string (for rare, long or non-ASCII text). */
  writeText(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    let from = 0;
    while (from < bytes.length) {
      this.room();
      const n = Math.min(bytes.length - from, ByteOutput.ROW_RESERVE);
      this.buf.set(bytes.subarray(from, from + n), this.pos);
      this.pos += n;
      from += n;
    }
  }

  /** Blocks the stream has finished with, for reuse. */
  private readonly free: Uint8Array[] = [];

  private hand(): void {
    if (this.pos === 0) return;
    const full = this.buf;
    const block = full.subarray(0, this.pos);
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(this.blockBytes + ByteOutput.ROW_RESERVE);
    this.pos = 0;
    this.handed = true;
    if (!this.stream.write(block, () => this.free.length < 4 && this.free.push(full))) this.pending = true;
  }

  /**
   * Wait until the stream has taken the blocks handed so far (and let its write callbacks run,
   * which return the blocks for reuse: without a turn of the event loop they would wait for
   * the end of input).
   */
  async drain(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
    } else if (this.handed) await new Promise<void>((resolve) => setImmediate(resolve));
    this.handed = false;
  }

  /** Write out everything collected. */
  async end(): Promise<void> {
    this.hand();
    await this.drain();
  }
}
