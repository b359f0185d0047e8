import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * On-disk cache of codec results (THEORY.md section 6): for every (image content, codec
 * version, settings) the compressed size and the decoded pixels, so a second sweep never
 * re-encodes.
 *
 * Layout: `<cacheDir>/<settingsKey>/settings.json` (what the key stands for, for humans)
 * and pack files `pack-<hash>.bin`, each holding many images:
 *   "LSJXLP1\n" | u32 LE header length | header JSON | index | pixels
 *   index  = count x (32-byte sha256 of the image's pixel bytes, u32 LE size, u8 status)
 *   pixels = count x recordBytes decoded pixels (zeros for failed images)
 * The header carries the sha256 of the index and of the pixels; a pack whose header,
 * index or pixels do not check out is reported, deleted and its images recomputed.
 * Packs are written to a temporary name and renamed, so a killed process leaves either a
 * whole pack or none; concurrent writers only ever add packs.
 */

const MAGIC = Buffer.from('LSJXLP1\n', 'latin1');
const INDEX_ENTRY_BYTES = 32 + 4 + 1;

export interface PackHeader {
  format: 1;
  settingsKey: string;
  count: number;
  recordBytes: number;
  indexSha256: string;
  pixelsSha256: string;
  /** Failure reasons by record number. */
  failedReasons: Record<string, string>;
}

/** Where one cached image lives. */
export interface CacheEntry {
  pack: string;
  record: number;
  sizeBytes: number;
  failedReason?: string;
}

export interface CacheRecord {
  /** sha256 of the image's pixel bytes (32 bytes). */
  key: Buffer;
  sizeBytes: number;
  /** recordBytes of decoded pixels. */
  decoded: Uint8Array;
  failedReason?: string;
}

/** sha256 of each image's pixel bytes; the content part of the cache key. */
export function imageKeys(pixels: Uint8Array, count: number, recordBytes: number): Buffer[] {
  const keys = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) keys[i] = createHash('sha256').update(pixels.subarray(i * recordBytes, (i + 1) * recordBytes)).digest();
  return keys;
}

/** The directory name for a settings object (codec version, distance, effort, shape...). */
export function settingsKey(settings: Record<string, unknown>): string {
  const canonical = JSON.stringify(settings, Object.keys(settings).sort());
  return 'jxl-' + createHash('sha256').update(canonical).digest('hex').slice(0, 20);
}

export interface CodecCache {
  readonly dir: string;
  /** Cached entries by hex image key (first pack wins). */
  readonly entries: Map<string, CacheEntry>;
  /** Problems found while scanning (corrupt packs, deleted). */
  readonly warnings: string[];
  /** Read the decoded pixels of the given records of one pack; null if the pack is corrupt (it is then deleted). */
  readPixels(pack: string): Uint8Array | null;
  /** Write records as one new pack. */
  writePack(records: CacheRecord[]): string;
}

/** Open (create) the cache for one settings key and scan its packs' indexes. */
export function openCodecCache(cacheDir: string, settings: Record<string, unknown>, recordBytes: number): CodecCache {
  const key = settingsKey(settings);
  const dir = join(cacheDir, key);
  mkdirSync(dir, { recursive: true });
  const settingsPath = join(dir, 'settings.json');
  if (!existsSync(settingsPath)) writeFileSync(settingsPath, JSON.stringify({ settingsKey: key, recordBytes, ...settings }, null, 2) + '\n');
  const entries = new Map<string, CacheEntry>();
  const warnings: string[] = [];
  const headers = new Map<string, { header: PackHeader; pixelsOffset: number }>();

  const discard = (pack: string, why: string): void => {
    warnings.push(`codec cache: ${join(dir, pack)} is corrupt (${why}); deleted, its images will be re-encoded`);
    rmSync(join(dir, pack), { force: true });
    headers.delete(pack);
    for (const [k, e] of entries) if (e.pack === pack) entries.delete(k);
  };

  // Temporary files of writers that were killed mid-write (older than an hour) are removed.
  for (const f of readdirSync(dir).filter((f) => /^\.pack-.*\.tmp$/.test(f))) {
    try {
      if (Date.now() - statSync(join(dir, f)).mtimeMs > 3600_000) rmSync(join(dir, f), { force: true });
    } catch {
      // another process removed or renamed it meanwhile
    }
  }
  for (const pack of readdirSync(dir).filter((f) => /^pack-[0-9a-f]+\.bin$/.test(f)).sort()) {
    const path = join(dir, pack);
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const head = Buffer.alloc(12);
      if (readSync(fd, head, 0, 12, 0) !== 12 || !head.subarray(0, 8).equals(MAGIC)) throw new Error('bad magic');
      const headerLen = head.readUInt32LE(8);
      if (headerLen > 1 << 26) throw new Error('header length out of range');
      const headerBuf = Buffer.alloc(headerLen);
      if (readSync(fd, headerBuf, 0, headerLen, 12) !== headerLen) throw new Error('truncated header');
      const header = JSON.parse(headerBuf.toString('utf8')) as PackHeader;
      if (header.format !== 1 || header.settingsKey !== key || header.recordBytes !== recordBytes || !(Number.isInteger(header.count) && header.count >= 0)) {
        throw new Error('header does not match these settings');
      }
      const indexLen = header.count * INDEX_ENTRY_BYTES;
      const index = Buffer.alloc(indexLen);
      if (readSync(fd, index, 0, indexLen, 12 + headerLen) !== indexLen) throw new Error('truncated index');
      if (createHash('sha256').update(index).digest('hex') !== header.indexSha256) throw new Error('index checksum mismatch');
      headers.set(pack, { header, pixelsOffset: 12 + headerLen + indexLen });
      for (let r = 0; r < header.count; r++) {
        const o = r * INDEX_ENTRY_BYTES;
        const hex = index.toString('hex', o, o + 32);
        if (entries.has(hex)) continue;
        const status = index[o + 36];
        entries.set(hex, { pack, record: r, sizeBytes: index.readUInt32LE(o + 32), ...(status ? { failedReason: header.failedReasons[String(r)] ?? 'codec failure' } : {}) });
      }
    } catch (e) {
      discard(pack, e instanceof Error ? e.message : String(e));
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  return {
    dir,
    entries,
    warnings,
    readPixels(pack) {
      const h = headers.get(pack);
      if (!h) return null;
      const len = h.header.count * recordBytes;
      const buf = Buffer.alloc(len);
      let fd: number | undefined;
      try {
        fd = openSync(join(dir, pack), 'r');
        if (readSync(fd, buf, 0, len, h.pixelsOffset) !== len) throw new Error('truncated pixels');
        const extra = Buffer.alloc(1);
        if (readSync(fd, extra, 0, 1, h.pixelsOffset + len) !== 0) throw new Error('trailing bytes');
        if (createHash('sha256').update(buf).digest('hex') !== h.header.pixelsSha256) throw new Error('pixel checksum mismatch');
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
      } catch (e) {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
        discard(pack, e instanceof Error ? e.message : String(e));
        return null;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
    writePack(records) {
      const index = Buffer.alloc(records.length * INDEX_ENTRY_BYTES);
      const pixels = Buffer.alloc(records.length * recordBytes);
      const failedReasons: Record<string, string> = {};
      records.forEach((rec, r) => {
        const o = r * INDEX_ENTRY_BYTES;
        rec.key.copy(index, o);
        index.writeUInt32LE(rec.sizeBytes, o + 32);
        index[o + 36] = rec.failedReason === undefined ? 0 : 1;
        if (rec.failedReason !== undefined) failedReasons[String(r)] = rec.failedReason;
        pixels.set(rec.decoded, r * recordBytes);
      });
      const header: PackHeader = {
        format: 1,
        settingsKey: key,
        count: records.length,
        recordBytes,
        indexSha256: createHash('sha256').update(index).digest('hex'),
        pixelsSha256: createHash('sha256').update(pixels).digest('hex'),
        failedReasons,
      };
      const headerBuf = Buffer.from(JSON.stringify(header), 'utf8');
      const lenBuf = Buffer.alloc(4);
      lenBuf.writeUInt32LE(headerBuf.length);
      const name = `pack-${header.indexSha256.slice(0, 16)}${randomBytes(4).toString('hex')}.bin`;
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      const fd = openSync(tmp, 'w');
      try {
        for (const part of [MAGIC, lenBuf, headerBuf, index, pixels]) writeSync(fd, part);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(dir, name));
      const pixelsOffset = 12 + headerBuf.length + index.length;
      headers.set(name, { header, pixelsOffset });
      records.forEach((rec, r) => {
        const hex = rec.key.toString('hex');
        if (!entries.has(hex)) entries.set(hex, { pack: name, record: r, sizeBytes: rec.sizeBytes, ...(rec.failedReason !== undefined ? { failedReason: rec.failedReason } : {}) });
      });
      return name;
    },
  };
}
