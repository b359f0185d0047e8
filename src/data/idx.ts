import { gunzipSync } from 'node:zlib';
import { ResourceError } from '../errors.js';

/**
 * The IDX file format of (Fashion-)MNIST (THEORY.md section 6 data): a big-endian header
 * `0x00 0x00 <type> <ndims>`, then ndims u32 sizes, then the data. Only unsigned bytes
 * (type 0x08) occur in (Fashion-)MNIST and only those are read here.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Parse an IDX buffer (gzip-compressed or not); `source` names the file in errors. */
export function parseIdx(buffer: Uint8Array, source: string): IdxArray {
  let buf = buffer;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new ResourceError(`${source}: not a valid gzip file (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (buf.length < 4) throw new ResourceError(`${source}: too short for an IDX header (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    const magic = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ResourceError(`${source}: bad IDX magic number ${magic} (expected 00 00 <type> <ndims>); not an IDX file`);
  }
  const type = buf[2];
  const ndims = buf[3];
  if (type !== 0x08) {
    throw new ResourceError(`${source}: IDX data type 0x${type.toString(16)} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported (only 0x08 uint8)`);
  }
  if (ndims < 1 || ndims > 4) throw new ResourceError(`${source}: IDX with ${ndims} dimensions (supported: 1..4)`);
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) throw new ResourceError(`${source}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - headerBytes;
  if (actual !== expected) {
    throw new ResourceError(`${source}: IDX dimensions ${dims.join('x')} need ${expected} data bytes, file has ${actual}${actual < expected ? ' (truncated?)' : ''}`);
  }
  return { dims, data: buf.subarray(headerBytes) };
}
