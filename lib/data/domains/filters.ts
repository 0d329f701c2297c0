/**
 * Image filters on linear float images (`H x W x C`, channels last) used by the target-domain
 * camera model: Gaussian defocus blur, linear motion blur, vignetting, sensor noise, partial
 * histogram equalisation.
 *
 * @module
 */
import type { Rng } from "../../util/random.ts";

/**
 * Separable Gaussian blur in place, `sigma` in pixels, kernel radius `ceil(2.5 sigma)`,
 * borders clamped. `tmp` must hold at least `img.length` values.
 */
export function gaussianBlur(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  sigma: number,
  tmp: Float32Array,
): void {
  if (sigma < 0.15) return;
  const rad = Math.max(1, Math.ceil(2.5 * sigma));
  const ker = new Float32Array(2 * rad + 1);
  let sum = 0;
  for (let i = -rad; i <= rad; i++) sum += ker[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < ker.length; i++) ker[i] /= sum;
  // horizontal: img -> tmp
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = -rad; k <= rad; k++) {
          const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
          s += ker[k + rad] * img[(row + xx) * c + ch];
        }
        tmp[(row + x) * c + ch] = s;
      }
    }
  }
  // vertical: tmp -> img
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = -rad; k <= rad; k++) {
          const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
          s += ker[k + rad] * tmp[(yy * w + x) * c + ch];
        }
        img[(y * w + x) * c + ch] = s;
      }
    }
  }
}

/**
 * Linear motion blur in place: the average of `taps` bilinear samples along a segment of
 * `length` pixels at `angle` radians, centred on each pixel. `tmp` as for {@link gaussianBlur}.
 */
export function motionBlur(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  length: number,
  angle: number,
  tmp: Float32Array,
): void {
  if (length < 0.5) return;
  const taps = Math.max(3, Math.ceil(length * 1.5));
  const dx = Math.cos(angle), dy = Math.sin(angle);
  tmp.fill(0, 0, img.length);
  for (let k = 0; k < taps; k++) {
    const off = (k / (taps - 1) - 0.5) * length;
    const ox = off * dx, oy = off * dy;
    const fx = Math.floor(ox), fy = Math.floor(oy);
    const ax = ox - fx, ay = oy - fy;
    const w00 = (1 - ax) * (1 - ay) / taps, w10 = ax * (1 - ay) / taps;
    const w01 = (1 - ax) * ay / taps, w11 = ax * ay / taps;
    for (let y = 0; y < h; y++) {
      const y0 = Math.min(h - 1, Math.max(0, y + fy)),
        y1 = Math.min(h - 1, Math.max(0, y + fy + 1));
      for (let x = 0; x < w; x++) {
        const x0 = Math.min(w - 1, Math.max(0, x + fx)),
          x1 = Math.min(w - 1, Math.max(0, x + fx + 1));
        for (let ch = 0; ch < c; ch++) {
          tmp[(y * w + x) * c + ch] += w00 * img[(y0 * w + x0) * c + ch] +
            w10 * img[(y0 * w + x1) * c + ch] + w01 * img[(y1 * w + x0) * c + ch] +
            w11 * img[(y1 * w + x1) * c + ch];
        }
      }
    }
  }
  img.set(tmp.subarray(0, img.length));
}

/**
 * Multiplies by `gain * (1 - strength * r^2)`, `r` the distance from the image centre
 * (`cx`, `cy` in pixels) divided by the half diagonal, and by per-channel `balance`.
 */
export function vignetteGain(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  opts: { strength: number; gain: number; cx: number; cy: number; balance: number[] },
): void {
  const inv = 1 / ((w * w + h * h) / 4);
  for (let y = 0; y < h; y++) {
    const dy = y - opts.cy;
    for (let x = 0; x < w; x++) {
      const dx = x - opts.cx;
      const g = opts.gain * (1 - opts.strength * (dx * dx + dy * dy) * inv);
      for (let ch = 0; ch < c; ch++) img[(y * w + x) * c + ch] *= g * opts.balance[ch];
    }
  }
}

/**
 * Sensor noise in place: `v + N(0, read^2 + shot^2 max(v, 0))` per value (linear units;
 * shot noise grows with the signal like photon noise). The normal draw is the Irwin-Hall sum of
 * four uniforms (variance-matched), which is fast and close enough for noise.
 */
export function sensorNoise(img: Float32Array, rng: Rng, read: number, shot: number): void {
  const r2 = read * read, s2 = shot * shot;
  for (let i = 0; i < img.length; i++) {
    const v = img[i];
    const sd = Math.sqrt(r2 + s2 * (v > 0 ? v : 0));
    // Irwin-Hall approximation of N(0, 1): (u1 + u2 + u3 + u4 - 2) * sqrt(3), four uniforms
    // from two 32-bit draws (16 bits each).
    const a = rng.nextUint32(), b = rng.nextUint32();
    const sum = (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16);
    img[i] = v + sd * (sum / 65536 - 2) * 1.7320508;
  }
}

/**
 * Partial histogram equalisation of an 8-bit image in place. With the luma histogram's CDF,
 * `eq(v) = 255 (CDF(v) - CDF_min) / (N - CDF_min)` and `m(v) = (1 - amount) v + amount eq(v)`.
 * Gray images map every value through `m`; colour images scale each pixel's RGB by
 * `m(Y) / Y` (Y = BT.601 luma), which keeps hue and saturation. `amount` 0 leaves the image.
 */
export function partialEqualize(img: Uint8Array, amount: number, channels: 1 | 3 = 1): void {
  if (amount <= 0) return;
  const n = img.length / channels;
  const luma = channels === 1 ? img : new Uint8Array(n);
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      luma[i] = Math.round(0.299 * img[3 * i] + 0.587 * img[3 * i + 1] + 0.114 * img[3 * i + 2]);
    }
  }
  const hist = new Uint32Array(256);
  for (let i = 0; i < n; i++) hist[luma[i]]++;
  const lut = new Float32Array(256);
  let cdf = 0, cdfMin = -1;
  for (let v = 0; v < 256; v++) {
    cdf += hist[v];
    if (cdfMin < 0 && cdf > 0) cdfMin = cdf;
    const eq = n > cdfMin ? (255 * (cdf - cdfMin)) / (n - cdfMin) : v;
    lut[v] = (1 - amount) * v + amount * eq;
  }
  if (channels === 1) {
    for (let i = 0; i < n; i++) img[i] = Math.round(lut[img[i]]);
    return;
  }
  for (let i = 0; i < n; i++) {
    const y = luma[i];
    const ratio = y > 0 ? lut[y] / y : 1;
    for (let c = 0; c < 3; c++) {
      const v = img[3 * i + c] * ratio;
      img[3 * i + c] = v > 255 ? 255 : Math.round(v);
    }
  }
}
