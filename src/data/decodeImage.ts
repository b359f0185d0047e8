import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/**
 * Decoding of PNG and JPEG files to 8-bit RGB for folder datasets (THEORY.md section 6).
 * pngjs and jpeg-js are pure JavaScript (no wasm to load, synchronous, usable in any
 * thread), small and widely used; the format is detected from the file's first bytes,
 * not its extension. Transparent pixels are composited over white.
 */
export interface DecodedImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB. */
  rgb: Uint8Array;
  /** True when R = G = B at every pixel. */
  gray: boolean;
}

/** Largest image accepted, in megapixels (guards against decompression bombs). */
export const MAX_MEGAPIXELS = 100;

export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Decode a PNG or JPEG file's bytes; throws an Error saying why when it cannot. */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  const format = imageFormat(bytes);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (format === 'png') {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    ({ width, height } = png);
    if (width * height > MAX_MEGAPIXELS * 1e6) throw new Error(`${width}x${height} exceeds ${MAX_MEGAPIXELS} megapixels`);
    rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  } else if (format === 'jpeg') {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 2048 });
    ({ width, height } = img);
    rgba = img.data;
  } else {
    throw new Error('not a PNG or JPEG file (unrecognised signature)');
  }
  if (!(width > 0 && height > 0) || rgba.length < width * height * 4) throw new Error(`decoder returned ${width}x${height} with ${rgba.length} bytes`);
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  let gray = true;
  for (let k = 0; k < n; k++) {
    const a = rgba[4 * k + 3];
    for (let c = 0; c < 3; c++) {
      const v = rgba[4 * k + c];
      rgb[3 * k + c] = a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255);
    }
    if (gray && (rgb[3 * k] !== rgb[3 * k + 1] || rgb[3 * k] !== rgb[3 * k + 2])) gray = false;
  }
  return { width, height, rgb, gray };
}
