import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
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

/** Text chunks of an input (`-` = stdin), 64 KiB at a time, decoded as UTF-8 across chunk boundaries. */
export async function* inputChunks(path: string, param: string): AsyncGenerator<string> {
  const stream = path === STDIO ? process.stdin : createReadStream(path, { highWaterMark: 1 << 16 });
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream) yield chunk as string;
  } catch (e) {
    throw new ResourceError(`cannot read ${param} ${path === STDIO ? 'stdin' : path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Collects output text and writes it to stdout in blocks of about 1 MiB, waiting for the
 * stream to drain, so that a long stream of rows needs bounded memory.
 */
export class BufferedOutput {
  private text = '';
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout, private readonly blockChars = 1 << 18) {}

  write(text: string): void {
    this.text += text;
  }

  /** Write the collected text when it exceeds the block size. */
  async flushIfFull(): Promise<void> {
    if (this.text.length >= this.blockChars) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.text.length === 0) return;
    const text = this.text;
    this.text = '';
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }

  async end(): Promise<void> {
    await this.flush();
  }
}
