/**
 * Image preprocessing shared by every method and every importer: resizing, grayscale,
 * histogram equalisation, the uint8 <-> [-1, 1] mapping, horizontal flips (with the gaze
 * label) and crops with axis-aligned, rotated or general affine boxes.
 *
 * Everything here is a pure function on {@link PixelImage} or typed arrays, written for speed
 * (no tensors, no allocations inside pixel loops).
 *
 * Coordinate conventions: an image is `width x height` pixels, row-major, channels last. In
 * continuous coordinates pixel `(i, j)` (column i, row j) covers `[i, i+1) x [j, j+1)`, so its
 * centre is `(i + 0.5, j + 0.5)`. This "half-pixel centre" convention is the one of
 * `tf.image.resizeBilinear(..., halfPixelCenters = true)`, OpenCV's `resize` and PIL.
 *
 * @module
 */
import type { PixelImage } from "../image/io.ts";

// ---------------------------------------------------------------------------------------------
// Separable resampling
// ---------------------------------------------------------------------------------------------

/** Per-output-sample list of source taps along one axis (a sparse resampling matrix). */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const index = new Int32Array(outSize * 2);
  const weight = new Float64Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    // Half-pixel centres, clamped to the first/last pixel centre (= tf.image.resizeBilinear
    // with halfPixelCenters: its floor is clamped at 0 and its ceil at inSize - 1).
    let s = (o + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    if (s > inSize - 1) s = inSize - 1;
    const lo = Math.floor(s);
    const hi = Math.min(lo + 1, inSize - 1);
    const f = s - lo;
    start[o] = o * 2;
    count[o] = 2;
    index[o * 2] = lo;
    index[o * 2 + 1] = hi;
    weight[o * 2] = 1 - f;
    weight[o * 2 + 1] = f;
  }
  return { start, count, index, weight };
}

function areaTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const idx: number[] = [];
  const wts: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const a = o * scale;
    const b = Math.min((o + 1) * scale, inSize);
    starts[o] = idx.length;
    for (let i = Math.floor(a); i < b; i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 1e-12) {
        idx.push(i);
        wts.push(overlap / (b - a));
      }
    }
    counts[o] = idx.length - starts[o];
  }
  return {
    start: starts,
    count: counts,
    index: Int32Array.from(idx),
    weight: Float64Array.from(wts),
  };
}

/** Resampling filter of {@link resize}. */
export type ResizeMethod = "bilinear" | "area" | "auto";

function axisTaps(inSize: number, outSize: number, method: ResizeMethod): Taps {
  const useArea = method === "area"
    ? inSize > outSize
    : method === "auto"
    ? inSize >= 2 * outSize
    : false;
  return useArea ? areaTaps(inSize, outSize) : bilinearTaps(inSize, outSize);
}

function resample(
  src: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  ty: Taps,
  tx: Taps,
  outH: number,
  outW: number,
): Float32Array {
  // Horizontal pass into a float buffer (h x outW x c), then vertical pass.
  const mid = new Float32Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    const rowIn = y * w * c;
    const rowOut = y * outW * c;
    for (let o = 0; o < outW; o++) {
      const s = tx.start[o];
      const n = tx.count[o];
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weight[s + k] * src[rowIn + tx.index[s + k] * c + ch];
        mid[rowOut + o * c + ch] = acc;
      }
    }
  }
  const out = new Float32Array(outH * outW * c);
  const rowLen = outW * c;
  for (let o = 0; o < outH; o++) {
    const s = ty.start[o];
    const n = ty.count[o];
    const base = o * rowLen;
    for (let k = 0; k < n; k++) {
      const wgt = ty.weight[s + k];
      const rowIn = ty.index[s + k] * rowLen;
      for (let i = 0; i < rowLen; i++) out[base + i] += wgt * mid[rowIn + i];
    }
  }
  return out;
}

function checkSize(fn: string, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`${fn}: output size must be positive integers, got ${height}x${width}`);
  }
}

function checkImage(fn: string, img: PixelImage): void {
  if (img.data.length !== img.width * img.height * img.channels) {
    throw new RangeError(
      `${fn}: image data has ${img.data.length} values, expected ` +
        `${img.width}x${img.height}x${img.channels}`,
    );
  }
}

/** Rounds and clips floats to uint8 (NaN becomes 0). */
export function roundToUint8(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]);
    out[i] = v > 255 ? 255 : v > 0 ? v : 0; // NaN fails both tests -> 0
  }
  return out;
}

/**
 * Resizes float pixels (`height x width x channels`, row-major) and returns floats, without
 * rounding. `method`: see {@link resize}.
 */
export function resizeFloat(
  data: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  method: ResizeMethod = "bilinear",
): Float32Array {
  checkSize("resizeFloat", outHeight, outWidth);
  if (data.length !== height * width * channels) {
    throw new RangeError(
      `resizeFloat: data has ${data.length} values, expected ${height}x${width}x${channels}`,
    );
  }
  return resample(
    data,
    height,
    width,
    channels,
    axisTaps(height, outHeight, method),
    axisTaps(width, outWidth, method),
    outHeight,
    outWidth,
  );
}

/**
 * Bilinear resize with half-pixel centres, identical (up to the final rounding to uint8) to
 * `tf.image.resizeBilinear(x, [outHeight, outWidth], false, true)`: output pixel `o` samples
 * source position `(o + 0.5) * in / out - 0.5`, clamped to the first and last pixel centres.
 * Downscaling by large factors aliases; use {@link resize} with `"auto"` for that.
 */
export function resizeBilinear(img: PixelImage, outHeight: number, outWidth: number): PixelImage {
  return resize(img, outHeight, outWidth, "bilinear");
}

/**
 * Resizes an image.
 *
 * @param method `"bilinear"`: see {@link resizeBilinear}. `"area"`: each output pixel is the
 *   coverage-weighted mean of the source pixels under its footprint (OpenCV `INTER_AREA`) on
 *   axes that shrink; bilinear on axes that grow. `"auto"` (default): area on axes shrunk by a
 *   factor of 2 or more, bilinear otherwise, decided per axis.
 */
export function resize(
  img: PixelImage,
  outHeight: number,
  outWidth: number,
  method: ResizeMethod = "auto",
): PixelImage {
  checkImage("resize", img);
  checkSize("resize", outHeight, outWidth);
  if (outHeight === img.height && outWidth === img.width) {
    return { ...img, data: img.data.slice() };
  }
  const f = resizeFloat(
    img.data,
    img.height,
    img.width,
    img.channels,
    outHeight,
    outWidth,
    method,
  );
  return { width: outWidth, height: outHeight, channels: img.channels, data: roundToUint8(f) };
}

// ---------------------------------------------------------------------------------------------
// Colour and intensity
// ---------------------------------------------------------------------------------------------

/**
 * Converts RGB to gray with the ITU-R BT.601 luma `Y = 0.299 R + 0.587 G + 0.114 B`, rounded
 * (the weights of OpenCV `COLOR_RGB2GRAY`, PIL `convert("L")` and `tf.image.rgbToGrayscale`).
 * A gray image is returned as a copy.
 */
export function toGray(img: PixelImage): PixelImage {
  checkImage("toGray", img);
  if (img.channels === 1) return { ...img, data: img.data.slice() };
  const n = img.width * img.height;
  const src = img.data;
  const out = new Uint8Array(n);
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    out[p] = Math.round(0.299 * src[q] + 0.587 * src[q + 1] + 0.114 * src[q + 2]);
  }
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/** Replicates a gray image into 3 channels; an RGB image is returned as a copy. */
export function toRgb(img: PixelImage): PixelImage {
  checkImage("toRgb", img);
  if (img.channels === 3) return { ...img, data: img.data.slice() };
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = img.data[p];
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Converts to the requested number of channels (luma for RGB -> gray, replication back). */
export function toChannels(img: PixelImage, channels: 1 | 3): PixelImage {
  return channels === 1 ? toGray(img) : toRgb(img);
}

/**
 * Histogram equalisation with OpenCV's `equalizeHist` formula, per channel: with `cdf` the
 * cumulative histogram and `i0` the lowest level present, level `v` maps to
 * `round((cdf[v] - cdf[i0]) * 255 / (N - cdf[i0]))`. A constant channel is left unchanged.
 * (Usually applied to gray images; for RGB each channel is equalised on its own.)
 */
export function equalizeHistogram(img: PixelImage): PixelImage {
  checkImage("equalizeHistogram", img);
  const c = img.channels;
  const n = img.width * img.height;
  const out = new Uint8Array(img.data.length);
  const hist = new Int32Array(256);
  const lut = new Uint8Array(256);
  for (let ch = 0; ch < c; ch++) {
    hist.fill(0);
    for (let p = ch; p < img.data.length; p += c) hist[img.data[p]]++;
    let i0 = 0;
    while (i0 < 255 && hist[i0] === 0) i0++;
    if (hist[i0] === n) {
      for (let v = 0; v < 256; v++) lut[v] = v;
    } else {
      const scale = 255 / (n - hist[i0]);
      let sum = 0;
      for (let v = 0; v < 256; v++) {
        if (v > i0) sum += hist[v];
        lut[v] = v < i0 ? 0 : Math.round(sum * scale);
      }
    }
    for (let p = ch; p < img.data.length; p += c) out[p] = lut[img.data[p]];
  }
  return { width: img.width, height: img.height, channels: img.channels, data: out };
}

/** Maps uint8 `[0, 255]` to float `[-1, 1]`: `v / 127.5 - 1`. */
export function uint8ToUnit(data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / 127.5 - 1;
  return out;
}

/**
 * Maps float `[-1, 1]` back to uint8: `round((v + 1) * 127.5)` clipped to `[0, 255]`
 * (NaN -> 0). Inverse of {@link uint8ToUnit} for every uint8 value.
 */
export function unitToUint8(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round((data[i] + 1) * 127.5);
    out[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Flips
// ---------------------------------------------------------------------------------------------

/** Mirrors an image left-right. */
export function flipHorizontal(img: PixelImage): PixelImage {
  checkImage("flipHorizontal", img);
  return {
    width: img.width,
    height: img.height,
    channels: img.channels,
    data: flipBatchHorizontal(img.data, 1, img.height, img.width, img.channels),
  };
}

/**
 * Mirrors every image of a stack (`n x height x width x channels`, uint8 or float) left-right;
 * returns a new array of the same type.
 */
export function flipBatchHorizontal<T extends Uint8Array | Float32Array>(
  data: T,
  n: number,
  height: number,
  width: number,
  channels: number,
): T {
  if (data.length !== n * height * width * channels) {
    throw new RangeError(
      `flipBatchHorizontal: data has ${data.length} values, expected ` +
        `${n}x${height}x${width}x${channels}`,
    );
  }
  const out = data.slice() as T;
  const rowLen = width * channels;
  for (let r = 0; r < n * height; r++) {
    const base = r * rowLen;
    for (let x = 0; x < width; x++) {
      const from = base + x * channels;
      const to = base + (width - 1 - x) * channels;
      for (let ch = 0; ch < channels; ch++) out[to + ch] = data[from + ch];
    }
  }
  return out;
}

/**
 * The gaze (or head pose) label of a horizontally mirrored image: pitch kept, yaw negated.
 * Works on a `{pitch, yaw}` pair.
 */
export function flipPitchYaw(g: { pitch: number; yaw: number }): { pitch: number; yaw: number } {
  return { pitch: g.pitch, yaw: -g.yaw };
}

/** Negates the yaw (odd entries) of packed `(pitch, yaw)` pairs; returns a new array. */
export function flipPitchYawArray(values: Float32Array): Float32Array {
  if (values.length % 2 !== 0) {
    throw new RangeError(`flipPitchYawArray: ${values.length} values is not a list of pairs`);
  }
  const out = values.slice();
  for (let i = 1; i < out.length; i += 2) out[i] = -out[i];
  return out;
}

/** Mirrors an image and its gaze label together (yaw negated). */
export function flipSample(
  img: PixelImage,
  gaze: { pitch: number; yaw: number },
): { image: PixelImage; gaze: { pitch: number; yaw: number } } {
  return { image: flipHorizontal(img), gaze: flipPitchYaw(gaze) };
}

// ---------------------------------------------------------------------------------------------
// Crops and affine warps
// ---------------------------------------------------------------------------------------------

/**
 * A crop box in continuous source-pixel coordinates (pixel centres at `i + 0.5`).
 * `angle` (radians, default 0) rotates the box's x axis from the image x axis towards the
 * image y axis (y points down, so a positive angle turns the box clockwise on screen).
 */
export interface CropBox {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle?: number;
}

/** What to sample outside the source image: a constant value, or the nearest edge pixel. */
export type Fill = number | "edge";

/** Options of {@link warpAffine} and {@link cropBox}. */
export interface WarpOptions {
  /** Out-of-image value (default 0) or `"edge"` to replicate the border. */
  fill?: Fill;
}

/**
 * Samples `src` at the affine map of every output pixel centre, bilinearly.
 *
 * @param m `[a, b, c, d, e, f]`: output point `(u, v)` (continuous coordinates, pixel centres
 *   at `+0.5`) samples source point `(a u + b v + c, d u + e v + f)` (same convention).
 *   This is the inverse map (`cv.warpAffine` with `WARP_INVERSE_MAP`, modulo the half pixel).
 * @returns float values, `outHeight x outWidth x src.channels`.
 */
export function warpAffineFloat(
  src: PixelImage,
  m: readonly number[],
  outWidth: number,
  outHeight: number,
  options: WarpOptions = {},
): Float32Array {
  checkImage("warpAffine", src);
  checkSize("warpAffine", outHeight, outWidth);
  if (m.length !== 6 || m.some((v) => !Number.isFinite(v))) {
    throw new RangeError(`warpAffine: matrix must be 6 finite numbers, got [${m.join(", ")}]`);
  }
  const [a, b, c, d, e, f] = m;
  const { width: w, height: h, channels: ch, data } = src;
  const fill = options.fill ?? 0;
  const edge = fill === "edge";
  const fillValue = edge ? 0 : fill;
  const out = new Float32Array(outWidth * outHeight * ch);
  const px = (xi: number, yi: number, k: number): number => {
    if (xi < 0 || yi < 0 || xi >= w || yi >= h) {
      if (!edge) return fillValue;
      xi = xi < 0 ? 0 : xi >= w ? w - 1 : xi;
      yi = yi < 0 ? 0 : yi >= h ? h - 1 : yi;
    }
    return data[(yi * w + xi) * ch + k];
  };
  let o = 0;
  for (let v = 0; v < outHeight; v++) {
    const vc = v + 0.5;
    for (let u = 0; u < outWidth; u++) {
      const uc = u + 0.5;
      // Source index coordinates: continuous minus the half pixel.
      const sx = a * uc + b * vc + c - 0.5;
      const sy = d * uc + e * vc + f - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h;
      for (let k = 0; k < ch; k++) {
        let p00: number, p10: number, p01: number, p11: number;
        if (inside) {
          const i00 = (y0 * w + x0) * ch + k;
          p00 = data[i00];
          p10 = data[i00 + ch];
          p01 = data[i00 + w * ch];
          p11 = data[i00 + w * ch + ch];
        } else {
          p00 = px(x0, y0, k);
          p10 = px(x0 + 1, y0, k);
          p01 = px(x0, y0 + 1, k);
          p11 = px(x0 + 1, y0 + 1, k);
        }
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[o++] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** {@link warpAffineFloat} rounded to a uint8 image. */
export function warpAffine(
  src: PixelImage,
  m: readonly number[],
  outWidth: number,
  outHeight: number,
  options: WarpOptions = {},
): PixelImage {
  return {
    width: outWidth,
    height: outHeight,
    channels: src.channels,
    data: roundToUint8(warpAffineFloat(src, m, outWidth, outHeight, options)),
  };
}

/** The inverse affine map ({@link warpAffine}'s `m`) that samples `box` into `outW x outH`. */
export function cropBoxMatrix(box: CropBox, outWidth: number, outHeight: number): number[] {
  const angle = box.angle ?? 0;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const sx = box.width / outWidth;
  const sy = box.height / outHeight;
  // Box-local point (p, q) = (u * sx - W/2, v * sy - H/2); source = centre + R (p, q).
  const a = cos * sx;
  const b = -sin * sy;
  const d = sin * sx;
  const e = cos * sy;
  const c = box.cx - cos * box.width / 2 + sin * box.height / 2;
  const f = box.cy - sin * box.width / 2 - cos * box.height / 2;
  return [a, b, c, d, e, f];
}

/** Options of {@link cropBox}. */
export interface CropOptions extends WarpOptions {
  /**
   * Anti-aliasing when the box is much larger than the output (default true): the box is first
   * sampled at `k` times the output size on each axis (`k = floor(box size / output size)`)
   * and then `k x k` blocks are averaged, so every source pixel contributes.
   */
  antialias?: boolean;
}

/**
 * Crops a (possibly rotated) box out of an image and scales it to `outWidth x outHeight` with
 * bilinear sampling; points outside the image take `options.fill`.
 */
export function cropBox(
  src: PixelImage,
  box: CropBox,
  outWidth: number,
  outHeight: number,
  options: CropOptions = {},
): PixelImage {
  checkSize("cropBox", outHeight, outWidth);
  if (![box.cx, box.cy, box.width, box.height, box.angle ?? 0].every(Number.isFinite)) {
    throw new RangeError(`cropBox: box has non-finite values: ${JSON.stringify(box)}`);
  }
  if (box.width <= 0 || box.height <= 0) {
    throw new RangeError(`cropBox: box must have a positive size, got ${box.width}x${box.height}`);
  }
  const antialias = options.antialias ?? true;
  const kx = antialias ? Math.max(1, Math.floor(box.width / outWidth)) : 1;
  const ky = antialias ? Math.max(1, Math.floor(box.height / outHeight)) : 1;
  const m = cropBoxMatrix(box, outWidth * kx, outHeight * ky);
  const big = warpAffineFloat(src, m, outWidth * kx, outHeight * ky, options);
  if (kx === 1 && ky === 1) {
    return { width: outWidth, height: outHeight, channels: src.channels, data: roundToUint8(big) };
  }
  const ch = src.channels;
  const bigW = outWidth * kx;
  const out = new Float32Array(outWidth * outHeight * ch);
  for (let y = 0; y < outHeight * ky; y++) {
    const oy = Math.floor(y / ky);
    for (let x = 0; x < bigW; x++) {
      const ox = Math.floor(x / kx);
      const from = (y * bigW + x) * ch;
      const to = (oy * outWidth + ox) * ch;
      for (let k = 0; k < ch; k++) out[to + k] += big[from + k];
    }
  }
  const norm = 1 / (kx * ky);
  for (let i = 0; i < out.length; i++) out[i] *= norm;
  return { width: outWidth, height: outHeight, channels: ch, data: roundToUint8(out) };
}

/**
 * Copies the integer pixel rectangle `[x, x + width) x [y, y + height)` (no resampling);
 * pixels outside the source take `fill` (default 0) or the nearest edge pixel.
 */
export function cropRect(
  src: PixelImage,
  x: number,
  y: number,
  width: number,
  height: number,
  fill: Fill = 0,
): PixelImage {
  checkImage("cropRect", src);
  checkSize("cropRect", height, width);
  if (![x, y].every(Number.isInteger)) {
    throw new RangeError(`cropRect: x and y must be integers, got ${x}, ${y}`);
  }
  const ch = src.channels;
  const out = new Uint8Array(width * height * ch);
  const fillValue = fill === "edge" ? 0 : Math.max(0, Math.min(255, Math.round(fill)));
  for (let j = 0; j < height; j++) {
    let sy = y + j;
    const rowInside = sy >= 0 && sy < src.height;
    if (!rowInside && fill === "edge") sy = sy < 0 ? 0 : src.height - 1;
    for (let i = 0; i < width; i++) {
      let sx = x + i;
      const o = (j * width + i) * ch;
      const inside = rowInside && sx >= 0 && sx < src.width;
      if (!inside && fill !== "edge") {
        for (let k = 0; k < ch; k++) out[o + k] = fillValue;
        continue;
      }
      if (sx < 0) sx = 0;
      if (sx >= src.width) sx = src.width - 1;
      const s = (sy * src.width + sx) * ch;
      for (let k = 0; k < ch; k++) out[o + k] = src.data[s + k];
    }
  }
  return { width, height, channels: ch, data: out };
}

// ---------------------------------------------------------------------------------------------
// The common pipeline
// ---------------------------------------------------------------------------------------------

/** Options of {@link prepareImage}. */
export interface PrepareOptions {
  /** Output height and width; default: keep the input size. */
  height?: number;
  width?: number;
  /** Output channels; default: keep. */
  channels?: 1 | 3;
  /** Histogram-equalise after resizing (default false). */
  equalize?: boolean;
  /** Resize filter (default "auto"). */
  method?: ResizeMethod;
}

/**
 * The preprocessing every importer applies to an already cropped eye image: channel
 * conversion (luma), resize, optional histogram equalisation, in that order.
 */
export function prepareImage(img: PixelImage, options: PrepareOptions = {}): PixelImage {
  let out = options.channels && options.channels !== img.channels
    ? toChannels(img, options.channels)
    : img;
  const h = options.height ?? out.height;
  const w = options.width ?? out.width;
  if (h !== out.height || w !== out.width) out = resize(out, h, w, options.method ?? "auto");
  if (options.equalize) out = equalizeHistogram(out);
  return out === img ? { ...img, data: img.data.slice() } : out;
}
