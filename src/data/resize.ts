/**
 * Resampling of uint8 HWC images for folder datasets (THEORY.md section 6: images of one
 * fixed size). Separable filter: when shrinking, each output pixel is the area-weighted
 * mean of the source pixels it covers (box filter, no aliasing); when enlarging, linear
 * interpolation between the nearest source pixels (tent filter).
 */

interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  stride: number;
}

function axisWeights(srcLen: number, dstLen: number, srcOffset: number, srcSpan: number): AxisWeights {
  // Output pixel i covers source interval [srcOffset + i*scale, srcOffset + (i+1)*scale).
  const scale = srcSpan / dstLen;
  const shrink = scale >= 1;
  const support = shrink ? scale / 2 : 1;
  const stride = Math.ceil(2 * support) + 4;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const weights = new Float64Array(dstLen * stride);
  for (let i = 0; i < dstLen; i++) {
    const center = srcOffset + (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support - 0.5));
    const hi = Math.min(srcLen - 1, Math.ceil(center + support - 0.5));
    let total = 0;
    let n = 0;
    for (let j = lo; j <= hi && n < stride; j++) {
      let w: number;
      if (shrink) {
        // Overlap of source pixel [j, j+1) with [center - support, center + support).
        w = Math.max(0, Math.min(j + 1, center + support) - Math.max(j, center - support));
      } else {
        w = Math.max(0, 1 - Math.abs(j + 0.5 - center));
      }
      weights[i * stride + n] = w;
      total += w;
      n++;
    }
    if (total === 0) {
      // Degenerate (should not happen): take the nearest pixel.
      weights[i * stride] = 1;
      total = 1;
      n = 1;
      start[i] = Math.min(srcLen - 1, Math.max(0, Math.floor(center)));
    } else start[i] = lo;
    for (let k = 0; k < n; k++) weights[i * stride + k] /= total;
    count[i] = n;
  }
  return { start, count, weights, stride };
}

/** Resample the crop (x0, y0, cropW, cropH) of an image to dstW x dstH; THEORY.md section 6. */
export function resampleCrop(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  channels: number,
  crop: { x0: number; y0: number; width: number; height: number },
  dstW: number,
  dstH: number,
): Uint8Array {
  const wx = axisWeights(srcW, dstW, crop.x0, crop.width);
  const wy = axisWeights(srcH, dstH, crop.y0, crop.height);
  // Horizontal pass over all source rows the vertical pass needs.
  const tmp = new Float64Array(srcH * dstW * channels);
  for (let y = 0; y < srcH; y++) {
    for (let i = 0; i < dstW; i++) {
      const s = wx.start[i];
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < wx.count[i]; k++) acc += wx.weights[i * wx.stride + k] * src[((y * srcW) + s + k) * channels + c];
        tmp[(y * dstW + i) * channels + c] = acc;
      }
    }
  }
  const out = new Uint8Array(dstW * dstH * channels);
  for (let j = 0; j < dstH; j++) {
    const s = wy.start[j];
    for (let i = 0; i < dstW; i++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < wy.count[j]; k++) acc += wy.weights[j * wy.stride + k] * tmp[((s + k) * dstW + i) * channels + c];
        out[(j * dstW + i) * channels + c] = Math.min(255, Math.max(0, Math.round(acc)));
      }
    }
  }
  return out;
}

/** Scale the shorter side to `size` and crop the centre to size x size; THEORY.md section 6. */
export function resizeCenterCrop(src: Uint8Array, srcW: number, srcH: number, channels: number, size: number): Uint8Array {
  const side = Math.min(srcW, srcH);
  // The centred square of the source, in whole source pixels.
  const x0 = Math.floor((srcW - side) / 2);
  const y0 = Math.floor((srcH - side) / 2);
  return resampleCrop(src, srcW, srcH, channels, { x0, y0, width: side, height: side }, size, size);
}
