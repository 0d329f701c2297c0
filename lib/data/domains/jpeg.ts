/**
 * JPEG-like compression artefacts without a codec: the lossy part of baseline JPEG (8x8 DCT,
 * quantisation with the standard tables scaled by quality, inverse DCT), applied in place.
 * No entropy coding (it is lossless), no chroma subsampling.
 *
 * Forward DCT of a level-shifted block `B`: `F = M B M^T` with
 * `M[u][x] = c(u) / 2 * cos((2x + 1) u pi / 16)`, `c(0) = 1 / sqrt(2)`, `c(u > 0) = 1`;
 * quantisation `F' = Q round(F / Q)`; inverse `B' = M^T F' M`.
 *
 * @module
 */

/** Annex K luminance quantisation table (ITU-T T.81), row-major. */
const LUMA_Q = [
  16,
  11,
  10,
  16,
  24,
  40,
  51,
  61,
  12,
  12,
  14,
  19,
  26,
  58,
  60,
  55,
  14,
  13,
  16,
  24,
  40,
  57,
  69,
  56,
  14,
  17,
  22,
  29,
  51,
  87,
  80,
  62,
  18,
  22,
  37,
  56,
  68,
  109,
  103,
  77,
  24,
  35,
  55,
  64,
  81,
  104,
  113,
  92,
  49,
  64,
  78,
  87,
  103,
  121,
  120,
  101,
  72,
  92,
  95,
  98,
  112,
  100,
  103,
  99,
];

/** Annex K chrominance quantisation table. */
const CHROMA_Q = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
];

const M = new Float64Array(64);
for (let u = 0; u < 8; u++) {
  for (let x = 0; x < 8; x++) {
    M[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) / 2 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
}

/** The IJG quality scaling of a base table: `S = q < 50 ? 5000 / q : 200 - 2 q`. */
function scaledTable(base: number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const s = q < 50 ? 5000 / q : 200 - 2 * q;
  const out = new Float64Array(64);
  for (let i = 0; i < 64; i++) {
    out[i] = Math.min(255, Math.max(1, Math.floor((base[i] * s + 50) / 100)));
  }
  return out;
}

const tableCache = new Map<string, Float64Array>();
function table(kind: "luma" | "chroma", quality: number): Float64Array {
  const key = `${kind}:${Math.round(quality)}`;
  let t = tableCache.get(key);
  if (!t) {
    t = scaledTable(kind === "luma" ? LUMA_Q : CHROMA_Q, quality);
    tableCache.set(key, t);
  }
  return t;
}

const blk = new Float64Array(64);
const tmp = new Float64Array(64);

/** Quantises one plane (values 0..255, `h x w`) in place, 8x8 blocks, edge-replicated. */
function quantisePlane(plane: Float32Array, h: number, w: number, q: Float64Array): void {
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const sy = Math.min(h - 1, by + y) * w;
        for (let x = 0; x < 8; x++) blk[y * 8 + x] = plane[sy + Math.min(w - 1, bx + x)] - 128;
      }
      // tmp = M * blk
      for (let u = 0; u < 8; u++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += M[u * 8 + k] * blk[k * 8 + x];
          tmp[u * 8 + x] = s;
        }
      }
      // blk = tmp * M^T, quantised
      for (let u = 0; u < 8; u++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += tmp[u * 8 + k] * M[v * 8 + k];
          const qq = q[u * 8 + v];
          blk[u * 8 + v] = Math.round(s / qq) * qq;
        }
      }
      // tmp = M^T * blk
      for (let x = 0; x < 8; x++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += M[k * 8 + x] * blk[k * 8 + v];
          tmp[x * 8 + v] = s;
        }
      }
      // block = tmp * M, written back where it lies inside the plane
      for (let y = 0; y < 8 && by + y < h; y++) {
        for (let x = 0; x < 8 && bx + x < w; x++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += tmp[y * 8 + k] * M[k * 8 + x];
          plane[(by + y) * w + bx + x] = s + 128;
        }
      }
    }
  }
}

/**
 * Applies JPEG-like quantisation artefacts in place to an 8-bit `h x w x channels` image
 * (`channels` 1 or 3; colour goes through YCbCr, BT.601 full range).
 *
 * @param quality 1..100 as in libjpeg (lower = stronger artefacts)
 */
export function jpegArtefacts(
  img: Uint8Array,
  h: number,
  w: number,
  channels: 1 | 3,
  quality: number,
): void {
  const n = h * w;
  if (img.length !== n * channels) {
    throw new RangeError(`jpegArtefacts: ${img.length} values for ${h}x${w}x${channels}`);
  }
  if (channels === 1) {
    const plane = new Float32Array(img);
    quantisePlane(plane, h, w, table("luma", quality));
    for (let i = 0; i < n; i++) {
      img[i] = plane[i] < 0 ? 0 : plane[i] > 255 ? 255 : Math.round(plane[i]);
    }
    return;
  }
  const yp = new Float32Array(n), cb = new Float32Array(n), cr = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = img[3 * i], g = img[3 * i + 1], b = img[3 * i + 2];
    yp[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  quantisePlane(yp, h, w, table("luma", quality));
  quantisePlane(cb, h, w, table("chroma", quality));
  quantisePlane(cr, h, w, table("chroma", quality));
  const clip = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let i = 0; i < n; i++) {
    const y = yp[i], b = cb[i] - 128, r = cr[i] - 128;
    img[3 * i] = clip(y + 1.402 * r);
    img[3 * i + 1] = clip(y - 0.344136 * b - 0.714136 * r);
    img[3 * i + 2] = clip(y + 1.772 * b);
  }
}
