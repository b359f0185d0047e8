import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { InputError, ResourceError } from '../errors.js';
import { installHint, loadNativeLibrary, type Koffi, type NativeFunction, type NativeLibrarySpec } from '../util/nativeLibrary.js';
import type { JxlCodec, JxlSettings } from './jxlCodec.js';

/**
 * JPEG XL encode/decode through the system's native libjxl 0.7 (Debian package libjxl0.7),
 * called with the `koffi` FFI (THEORY.md section 6). Unlike the @jsquash/jxl wasm encoder,
 * which only takes 8-bit RGBA, this backend encodes a grayscale image as ONE colour
 * channel without alpha (JxlBasicInfo num_color_channels = 1, alpha_bits = 0, gray sRGB
 * colour encoding) and an RGB image as three channels without alpha, so the compressed
 * sizes carry no alpha/colour overhead. The Butteraugli distance is handed to libjxl
 * directly (JxlEncoderSetFrameDistance); 0 means lossless (JxlEncoderSetFrameLossless).
 *
 * Struct layouts and enum values are taken from libjxl 0.7's public headers
 * (jxl/codestream_header.h, types.h, color_encoding.h, encode.h, decode.h; checked against
 * a C compiler: sizeof(JxlBasicInfo) = 204, sizeof(JxlPixelFormat) = 24,
 * sizeof(JxlColorEncoding) = 104). One encoder and one decoder per thread, no libjxl
 * parallel runner (parallelism comes from the worker pool, as for the wasm backend).
 */

/** libjxl 0.7 accepts frame distances in [0, 25] (encode.h: JxlEncoderSetFrameDistance). */
export const NATIVE_MAX_DISTANCE = 25;

const LIB_NAME = 'libjxl.so.0.7';

// Enum values from the libjxl 0.7 headers.
const JXL_ENC_SUCCESS = 0;
const JXL_ENC_NEED_MORE_OUTPUT = 2;
const JXL_ENC_FRAME_SETTING_EFFORT = 0;
const JXL_TYPE_UINT8 = 2;
const JXL_NATIVE_ENDIAN = 0;
const JXL_DEC_SUCCESS = 0;
const JXL_DEC_ERROR = 1;
const JXL_DEC_NEED_MORE_INPUT = 2;
const JXL_DEC_NEED_IMAGE_OUT_BUFFER = 5;
const JXL_DEC_BASIC_INFO = 0x40;
const JXL_DEC_FULL_IMAGE = 0x1000;

/** What the decoder reports about a stream (JxlBasicInfo, the fields used here). */
export interface JxlStreamInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  numColorChannels: number;
  numExtraChannels: number;
  alphaBits: number;
  usesOriginalProfile: boolean;
}

/** JxlBasicInfo as koffi marshals it (all fields of codestream_header.h, in order). */
interface BasicInfo {
  have_container: number;
  xsize: number;
  ysize: number;
  bits_per_sample: number;
  exponent_bits_per_sample: number;
  intensity_target: number;
  min_nits: number;
  relative_to_max_display: number;
  linear_below: number;
  uses_original_profile: number;
  have_preview: number;
  have_animation: number;
  orientation: number;
  num_color_channels: number;
  num_extra_channels: number;
  alpha_bits: number;
  alpha_exponent_bits: number;
  alpha_premultiplied: number;
  [more: string]: unknown;
}

type Fn = NativeFunction;

interface Lib {
  koffi: Koffi;
  version: string;
  encoderVersion: number;
  f: Record<string, Fn>;
}
let lib: Lib | undefined;

/** libjxl as src/util/nativeLibrary.ts locates it ($LOSSYSCALE_LIBJXL, else the system library directories). */
const LIBJXL: NativeLibrarySpec = { user: 'the native JPEG XL backend', soname: LIB_NAME, debianPackage: 'libjxl0.7', fileVariable: 'LOSSYSCALE_LIBJXL' };
const INSTALL_HINT = installHint(LIBJXL);

function loadLib(): Lib {
  if (lib) return lib;
  const so = loadNativeLibrary(LIBJXL);
  const { koffi, file } = so;
  // Types (layouts from the libjxl 0.7 headers).
  koffi.struct('JxlPreviewHeader', { xsize: 'uint32_t', ysize: 'uint32_t' });
  koffi.struct('JxlAnimationHeader', { tps_numerator: 'uint32_t', tps_denominator: 'uint32_t', num_loops: 'uint32_t', have_timecodes: 'int' });
  const basicInfo = koffi.struct('JxlBasicInfo', {
    have_container: 'int',
    xsize: 'uint32_t',
    ysize: 'uint32_t',
    bits_per_sample: 'uint32_t',
    exponent_bits_per_sample: 'uint32_t',
    intensity_target: 'float',
    min_nits: 'float',
    relative_to_max_display: 'int',
    linear_below: 'float',
    uses_original_profile: 'int',
    have_preview: 'int',
    have_animation: 'int',
    orientation: 'int',
    num_color_channels: 'uint32_t',
    num_extra_channels: 'uint32_t',
    alpha_bits: 'uint32_t',
    alpha_exponent_bits: 'uint32_t',
    alpha_premultiplied: 'int',
    preview: 'JxlPreviewHeader',
    animation: 'JxlAnimationHeader',
    intrinsic_xsize: 'uint32_t',
    intrinsic_ysize: 'uint32_t',
    padding: koffi.array('uint8_t', 100),
  });
  const pixelFormat = koffi.struct('JxlPixelFormat', { num_channels: 'uint32_t', data_type: 'int', endianness: 'int', align: 'size_t' });
  const colorEncoding = koffi.struct('JxlColorEncoding', {
    color_space: 'int',
    white_point: 'int',
    white_point_xy: koffi.array('double', 2),
    primaries: 'int',
    primaries_red_xy: koffi.array('double', 2),
    primaries_green_xy: koffi.array('double', 2),
    primaries_blue_xy: koffi.array('double', 2),
    transfer_function: 'int',
    gamma: 'double',
    rendering_intent: 'int',
  });
  const sizes = { basicInfo: koffi.sizeof(basicInfo), pixelFormat: koffi.sizeof(pixelFormat), colorEncoding: koffi.sizeof(colorEncoding) };
  if (sizes.basicInfo !== 204 || sizes.pixelFormat !== 24 || sizes.colorEncoding !== 104) {
    throw new ResourceError(`the native JPEG XL backend's struct layouts do not match libjxl 0.7 on this platform (${JSON.stringify(sizes)}); use --backend jsquash`);
  }
  koffi.pointer('JxlEncoderPtr', koffi.opaque('JxlEncoder'));
  koffi.pointer('JxlFrameSettingsPtr', koffi.opaque('JxlEncoderFrameSettings'));
  koffi.pointer('JxlDecoderPtr', koffi.opaque('JxlDecoder'));
  const decls = [
    'uint32_t JxlEncoderVersion()',
    'uint32_t JxlDecoderVersion()',
    'JxlEncoderPtr JxlEncoderCreate(void *memory_manager)',
    'void JxlEncoderReset(JxlEncoderPtr enc)',
    'void JxlEncoderDestroy(JxlEncoderPtr enc)',
    'int JxlEncoderGetError(JxlEncoderPtr enc)',
    'int JxlEncoderUseContainer(JxlEncoderPtr enc, int use_container)',
    'void JxlEncoderInitBasicInfo(_Out_ JxlBasicInfo *info)',
    'int JxlEncoderSetBasicInfo(JxlEncoderPtr enc, const JxlBasicInfo *info)',
    'void JxlColorEncodingSetToSRGB(_Out_ JxlColorEncoding *color, int is_gray)',
    'int JxlEncoderSetColorEncoding(JxlEncoderPtr enc, const JxlColorEncoding *color)',
    'JxlFrameSettingsPtr JxlEncoderFrameSettingsCreate(JxlEncoderPtr enc, void *source)',
    'int JxlEncoderFrameSettingsSetOption(JxlFrameSettingsPtr fs, int option, int64_t value)',
    'int JxlEncoderSetFrameDistance(JxlFrameSettingsPtr fs, float distance)',
    'int JxlEncoderSetFrameLossless(JxlFrameSettingsPtr fs, int lossless)',
    'int JxlEncoderAddImageFrame(JxlFrameSettingsPtr fs, const JxlPixelFormat *format, void *buffer, size_t size)',
    'void JxlEncoderCloseInput(JxlEncoderPtr enc)',
    'int JxlEncoderProcessOutput(JxlEncoderPtr enc, void *next_out, void *avail_out)',
    'JxlDecoderPtr JxlDecoderCreate(void *memory_manager)',
    'void JxlDecoderReset(JxlDecoderPtr dec)',
    'void JxlDecoderDestroy(JxlDecoderPtr dec)',
    'int JxlDecoderSubscribeEvents(JxlDecoderPtr dec, int events)',
    'int JxlDecoderSetInput(JxlDecoderPtr dec, void *data, size_t size)',
    'void JxlDecoderCloseInput(JxlDecoderPtr dec)',
    'int JxlDecoderProcessInput(JxlDecoderPtr dec)',
    'int JxlDecoderGetBasicInfo(JxlDecoderPtr dec, _Out_ JxlBasicInfo *info)',
    'int JxlDecoderImageOutBufferSize(JxlDecoderPtr dec, const JxlPixelFormat *format, _Out_ size_t *size)',
    'int JxlDecoderSetImageOutBuffer(JxlDecoderPtr dec, const JxlPixelFormat *format, void *buffer, size_t size)',
  ];
  const f: Record<string, Fn> = {};
  for (const d of decls) {
    // non-null: every declaration in the list matches the pattern (static table above).
    const name = /\b(Jxl\w+)\(/.exec(d)![1];
    f[name] = so.func(d); // a missing symbol is a ResourceError naming it and the install hint
  }
  const encoderVersion = f.JxlEncoderVersion() as number;
  const decoderVersion = f.JxlDecoderVersion() as number;
  const semver = (v: number): string => `${Math.floor(v / 1e6)}.${Math.floor(v / 1e3) % 1000}.${v % 1000}`;
  if (Math.floor(encoderVersion / 1000) !== 7) {
    throw new ResourceError(`the native JPEG XL backend was written for libjxl 0.7, found ${semver(encoderVersion)}: ${INSTALL_HINT}`);
  }
  const fileHash = file ? createHash('sha256').update(readFileSync(realpathSync(file))).digest('hex').slice(0, 12) : 'unknown';
  lib = { koffi, f, encoderVersion, version: `libjxl@${semver(encoderVersion)}+dec.${semver(decoderVersion)}+so.${fileHash}` };
  return lib;
}

/** The native backend's version string (libjxl version + sha256 of the shared library); throws ResourceError if unavailable. */
export function libjxlCodecVersion(): string {
  return loadLib().version;
}

/** Validate a distance for the native backend: 0 (lossless) or 0 < d <= 25 (libjxl 0.7's range). */
export function validateNativeDistance(distance: number, param = 'distance'): number {
  if (!Number.isFinite(distance) || distance < 0 || distance > NATIVE_MAX_DISTANCE) {
    throw new InputError(param, distance, `0 (lossless) or 0 < distance <= ${NATIVE_MAX_DISTANCE} (libjxl backend)`);
  }
  return distance;
}

/** A growable native (stable-address) byte buffer. */
interface NativeBuf {
  ptr: unknown;
  bytes: Uint8Array;
  address: bigint;
}

let codec: JxlCodec | undefined;

/** The native libjxl codec of this thread (created once per thread); THEORY.md section 6. */
export function loadLibjxlCodec(): JxlCodec {
  codec ??= createLibjxlCodec();
  return codec;
}

/** Decode a stream's basic info (dimensions, colour channels, alpha) with libjxl. */
export function readJxlStreamInfo(stream: Uint8Array): JxlStreamInfo {
  const c = loadLibjxlCodec() as JxlCodec & { info(stream: Uint8Array): JxlStreamInfo };
  return c.info(stream);
}

function createLibjxlCodec(): JxlCodec {
  const { koffi, f, version } = loadLib();
  const bufs: Record<'in' | 'out' | 'img', NativeBuf | undefined> = { in: undefined, out: undefined, img: undefined };
  const buffer = (which: 'in' | 'out' | 'img', size: number): NativeBuf => {
    const have = bufs[which];
    if (have && have.bytes.length >= size) return have;
    if (have) koffi.free(have.ptr);
    const cap = Math.max(4096, 2 ** Math.ceil(Math.log2(size)));
    const ptr = koffi.alloc('uint8_t', cap);
    const b = { ptr, bytes: new Uint8Array(koffi.view(ptr, cap)), address: koffi.address(ptr) };
    bufs[which] = b;
    return b;
  };
  const enc = f.JxlEncoderCreate(null);
  const dec = f.JxlDecoderCreate(null);
  if (!enc || !dec) throw new ResourceError('libjxl could not create an encoder/decoder (out of memory?)');
  const nextOut = new BigUint64Array(1);
  const availOut = new BigUint64Array(1);

  const encode = (pixels: Uint8Array, width: number, height: number, channels: number, settings: JxlSettings): Uint8Array => {
    validateNativeDistance(settings.distance);
    if (channels !== 1 && channels !== 3) throw new Error(`JPEG XL encode: ${channels} channels (supported: 1, 3)`);
    if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1)) throw new Error(`JPEG XL encode: bad size ${width}x${height}`);
    if (pixels.length !== width * height * channels) throw new Error(`JPEG XL encode: ${pixels.length} bytes for ${width}x${height}x${channels}`);
    const lossless = settings.distance === 0;
    f.JxlEncoderReset(enc);
    const check = (status: unknown, what: string): void => {
      if (status !== JXL_ENC_SUCCESS) throw new Error(`libjxl ${what} failed (JxlEncoderError ${String(f.JxlEncoderGetError(enc))})`);
    };
    check(f.JxlEncoderUseContainer(enc, 0), 'JxlEncoderUseContainer');
    const info = {} as BasicInfo;
    f.JxlEncoderInitBasicInfo(info);
    info.xsize = width;
    info.ysize = height;
    info.bits_per_sample = 8;
    info.exponent_bits_per_sample = 0;
    info.num_color_channels = channels;
    info.num_extra_channels = 0;
    info.alpha_bits = 0;
    info.alpha_exponent_bits = 0;
    // Lossless needs the original colour space (no XYB); lossy uses XYB like cjxl.
    info.uses_original_profile = lossless ? 1 : 0;
    check(f.JxlEncoderSetBasicInfo(enc, info), 'JxlEncoderSetBasicInfo');
    const color = {};
    f.JxlColorEncodingSetToSRGB(color, channels === 1 ? 1 : 0);
    check(f.JxlEncoderSetColorEncoding(enc, color), 'JxlEncoderSetColorEncoding');
    const fs = f.JxlEncoderFrameSettingsCreate(enc, null);
    if (!fs) throw new Error('libjxl JxlEncoderFrameSettingsCreate failed');
    check(f.JxlEncoderFrameSettingsSetOption(fs, JXL_ENC_FRAME_SETTING_EFFORT, settings.effort), `effort ${settings.effort}`);
    if (lossless) {
      check(f.JxlEncoderSetFrameDistance(fs, 0), 'JxlEncoderSetFrameDistance(0)');
      check(f.JxlEncoderSetFrameLossless(fs, 1), 'JxlEncoderSetFrameLossless');
    } else {
      check(f.JxlEncoderSetFrameDistance(fs, settings.distance), `JxlEncoderSetFrameDistance(${settings.distance})`);
    }
    const input = buffer('in', pixels.length);
    input.bytes.set(pixels);
    const format = { num_channels: channels, data_type: JXL_TYPE_UINT8, endianness: JXL_NATIVE_ENDIAN, align: 0 };
    check(f.JxlEncoderAddImageFrame(fs, format, input.ptr, pixels.length), 'JxlEncoderAddImageFrame');
    f.JxlEncoderCloseInput(enc);
    let out = buffer('out', Math.max(4096, pixels.length + 1024));
    let written = 0;
    for (;;) {
      nextOut[0] = out.address + BigInt(written);
      availOut[0] = BigInt(out.bytes.length - written);
      const status = f.JxlEncoderProcessOutput(enc, nextOut, availOut);
      written = Number(nextOut[0] - out.address);
      if (status === JXL_ENC_SUCCESS) break;
      if (status !== JXL_ENC_NEED_MORE_OUTPUT) check(status, 'JxlEncoderProcessOutput');
      const keep = out.bytes.slice(0, written);
      out = buffer('out', 2 * out.bytes.length);
      out.bytes.set(keep);
    }
    return out.bytes.slice(0, written);
  };

  /** Run the decoder over a stream; with `want` set, also decode the pixels. */
  const runDecoder = (stream: Uint8Array, want?: { width: number; height: number; channels: number }): { info: BasicInfo; pixels?: Uint8Array } => {
    if (stream.length === 0) throw new Error('JPEG XL decode: empty stream');
    f.JxlDecoderReset(dec);
    if (f.JxlDecoderSubscribeEvents(dec, JXL_DEC_BASIC_INFO | (want ? JXL_DEC_FULL_IMAGE : 0)) !== JXL_DEC_SUCCESS) throw new Error('libjxl JxlDecoderSubscribeEvents failed');
    const input = buffer('in', stream.length);
    input.bytes.set(stream);
    if (f.JxlDecoderSetInput(dec, input.ptr, stream.length) !== JXL_DEC_SUCCESS) throw new Error('libjxl JxlDecoderSetInput failed');
    f.JxlDecoderCloseInput(dec);
    let info: BasicInfo | undefined;
    let image: NativeBuf | undefined;
    let imageBytes = 0;
    const format = want ? { num_channels: want.channels, data_type: JXL_TYPE_UINT8, endianness: JXL_NATIVE_ENDIAN, align: 0 } : undefined;
    for (let step = 0; step < 64; step++) {
      const status = f.JxlDecoderProcessInput(dec) as number;
      if (status === JXL_DEC_ERROR) throw new Error('JPEG XL decoder failed (libjxl: invalid or corrupt stream)');
      if (status === JXL_DEC_NEED_MORE_INPUT) throw new Error('JPEG XL decoder failed (libjxl: truncated stream)');
      if (status === JXL_DEC_BASIC_INFO) {
        info = {} as BasicInfo;
        if (f.JxlDecoderGetBasicInfo(dec, info) !== JXL_DEC_SUCCESS) throw new Error('libjxl JxlDecoderGetBasicInfo failed');
        if (!want) return { info };
        if (info.xsize !== want.width || info.ysize !== want.height) {
          throw new Error(`JPEG XL decode: got ${info.xsize}x${info.ysize}, expected ${want.width}x${want.height}`);
        }
      } else if (status === JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
        const size = [0];
        if (f.JxlDecoderImageOutBufferSize(dec, format, size) !== JXL_DEC_SUCCESS) throw new Error('libjxl JxlDecoderImageOutBufferSize failed');
        imageBytes = Number(size[0]);
        // non-null: want is set by the basic-info event that precedes the pixel event.
        const expected = want!.width * want!.height * want!.channels;
        if (imageBytes !== expected) throw new Error(`JPEG XL decode: output needs ${imageBytes} bytes, expected ${expected}`);
        image = buffer('img', imageBytes);
        if (f.JxlDecoderSetImageOutBuffer(dec, format, image.ptr, imageBytes) !== JXL_DEC_SUCCESS) throw new Error('libjxl JxlDecoderSetImageOutBuffer failed');
      } else if (status === JXL_DEC_FULL_IMAGE) {
        // One frame decoded; JXL_DEC_SUCCESS follows.
      } else if (status === JXL_DEC_SUCCESS) {
        if (!info) throw new Error('JPEG XL decode: stream ended before its header');
        if (want && !image) throw new Error('JPEG XL decode: stream has no image');
        return { info, ...(image ? { pixels: image.bytes.slice(0, imageBytes) } : {}) };
      } else {
        throw new Error(`JPEG XL decode: unexpected libjxl decoder status ${status}`);
      }
    }
    throw new Error('JPEG XL decode: libjxl decoder did not finish');
  };

  const c: JxlCodec & { info(stream: Uint8Array): JxlStreamInfo } = {
    version,
    encode,
    decode(stream, expect) {
      if (expect.channels !== 1 && expect.channels !== 3) throw new Error(`JPEG XL decode: ${expect.channels} channels (supported: 1, 3)`);
      // non-null: runDecoder returns pixels whenever it does not throw.
      return runDecoder(stream, expect).pixels!;
    },
    info(stream) {
      const i = runDecoder(stream).info;
      return {
        width: i.xsize,
        height: i.ysize,
        bitsPerSample: i.bits_per_sample,
        numColorChannels: i.num_color_channels,
        numExtraChannels: i.num_extra_channels,
        alphaBits: i.alpha_bits,
        usesOriginalProfile: i.uses_original_profile !== 0,
      };
    },
  };
  return c;
}
