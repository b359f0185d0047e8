/** The JPEG XL codec layer (THEORY.md section 6): distance mapping, round trips, cache, size statistics. */
export { compressImages, dropFailed, defaultWorkers, type CompressedImages, type CompressOptions } from './compressImages.js';
export { sizeStats, type SizeStats } from './sizeStats.js';
export { defaultCodecCacheDir } from './cacheDir.js';
export { createEncodePool, type EncodePool } from './encodePool.js';
export { loadJxlCodec, jxlCodecVersion, DEFAULT_EFFORT, type JxlCodec, type JxlSettings } from './jxlCodec.js';
export {
  distanceForQuality,
  qualityForDistance,
  isReachableDistance,
  nearestReachableDistance,
  validateDistance,
  MAX_DISTANCE,
} from './jxlDistance.js';
export { JXL_BACKENDS, DEFAULT_BACKEND, codecVersionFor, validateBackend, validateDistanceFor, type JxlBackend } from './codecBackend.js';
export { libjxlCodecVersion, loadLibjxlCodec, readJxlStreamInfo, validateNativeDistance, NATIVE_MAX_DISTANCE, type JxlStreamInfo } from './libjxlCodec.js';
