import { InputError } from '../errors.js';

/**
 * Butteraugli distance <-> encoder "quality" for the JPEG XL encoder shipped in
 * @jsquash/jxl 1.3.0 (THEORY.md section 6: images are addressed by distance `d`).
 *
 * That wasm build takes only a libjpeg-like `quality` in [0, 100]; its C++ wrapper
 * (jSquash packages/jxl/codec/enc/jxl_enc.cpp, the same mapping as cjxl's old `-q`) sets
 *   quality == 100          -> lossless modular mode (no colour transform),
 *   30 <= quality < 100     -> distance = 0.1 + (100 - quality) * 0.09,
 *   quality < 30            -> distance = 6.4 + 2.5^((30 - quality) / 5) / 6.25.
 * `quality` is a float32 field and the distance is stored as a float32, so the distance
 * the encoder really uses is `distanceForQuality(qualityForDistance(d))`, within ~2e-6 of d.
 *
 * The two branches do not meet: quality 30 gives 6.4, quality just below 30 gives just
 * above 6.56. Distances in (6.4, 6.56] and in (0, 0.1] cannot be reached by this encoder;
 * asking for one is an InputError (use `nearestReachableDistance`).
 */

/** Largest distance of the linear branch (quality 30). */
export const LINEAR_BRANCH_MAX_DISTANCE = Math.max(6.4, Math.fround(6.4)); // 0.1 + 70 * 0.09, as the float32 the encoder stores
/** Infimum of the exponential branch (quality -> 30 from below): 6.4 + 1/6.25. */
export const EXP_BRANCH_MIN_DISTANCE = 6.56; // 6.4 + 1 / 6.25
/** Largest distance the encoder can use (quality 0). */
export const MAX_DISTANCE = Math.max(45.4625, Math.fround(45.4625)); // 6.4 + 2.5^6 / 6.25, as float32
/** Smallest lossy distance is just above this (quality -> 100 from below). */
export const MIN_LOSSY_DISTANCE = 0.1;

/** The encoder's distance for a quality in [0, 100] (0 = lossless at quality 100); THEORY.md section 6. */
export function distanceForQuality(quality: number): number {
  if (!(quality >= 0 && quality <= 100)) throw new InputError('quality', quality, '0 <= quality <= 100');
  const q = Math.fround(quality);
  if (q >= 100) return 0;
  const d = q >= 30 ? 0.1 + (100 - q) * 0.09 : 6.4 + Math.pow(2.5, (30 - q) / 5) / 6.25;
  return Math.fround(d);
}

/** Whether the encoder can use exactly this Butteraugli distance (0 = lossless). */
export function isReachableDistance(distance: number): boolean {
  if (distance === 0) return true;
  if (!Number.isFinite(distance)) return false;
  return (distance > MIN_LOSSY_DISTANCE && distance <= LINEAR_BRANCH_MAX_DISTANCE) || (distance > EXP_BRANCH_MIN_DISTANCE && distance <= MAX_DISTANCE);
}

const VALID_DISTANCES = "0 (lossless), 0.1 < distance <= 6.4, or 6.56 < distance <= 45.4625";

/** The quality setting that makes the encoder use Butteraugli distance `distance`; THEORY.md section 6. */
export function qualityForDistance(distance: number): number {
  if (!isReachableDistance(distance)) throw new InputError('distance', distance, VALID_DISTANCES);
  if (distance === 0) return 100;
  if (distance <= LINEAR_BRANCH_MAX_DISTANCE) return 100 - (distance - 0.1) / 0.09;
  // Inverse of 6.4 + 2.5^((30 - q)/5) / 6.25.
  return 30 - (5 * Math.log(6.25 * (distance - 6.4))) / Math.log(2.5);
}

/**
 * The reachable distance closest to `distance` (clamped to [0, MAX_DISTANCE]); a search over
 * distances (e.g. for a target mean size) can snap candidates with this.
 */
export function nearestReachableDistance(distance: number): number {
  if (!Number.isFinite(distance)) throw new InputError('distance', distance, 'a finite number');
  if (distance <= 0) return 0;
  if (distance >= MAX_DISTANCE) return MAX_DISTANCE;
  if (isReachableDistance(distance)) return distance;
  if (distance <= MIN_LOSSY_DISTANCE) return distance < MIN_LOSSY_DISTANCE / 2 ? 0 : distanceForQuality(Math.fround(99.9999));
  // In the gap (6.4, 6.56]: the nearest end (the upper end is approached from above).
  return distance - LINEAR_BRANCH_MAX_DISTANCE <= EXP_BRANCH_MIN_DISTANCE - distance
    ? LINEAR_BRANCH_MAX_DISTANCE
    : distanceForQuality(Math.fround(29.999));
}

/** Validate a distance given by a user (CLI, config); returns it unchanged. */
export function validateDistance(distance: unknown, param = 'distance'): number {
  if (typeof distance !== 'number' || !isReachableDistance(distance)) throw new InputError(param, distance, VALID_DISTANCES);
  return distance;
}
