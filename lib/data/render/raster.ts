/**
 * The geometry pass: classifies every supersample of an image and records what the appearance
 * processes (`lib/data/domains/`) need to shade it, in a reusable "G-buffer".
 *
 * Supersamples: an output pixel `(i, j)` is split into `ss x ss` samples at
 * `(j - 0.5 + (u + 0.5) / ss, i - 0.5 + (v + 0.5) / ss)`; shading averages them (box filter),
 * which anti-aliases every edge, and the semantic map takes the most frequent class.
 *
 * Per sample the G-buffer holds:
 *
 * | field | skin / eyelid | sclera | iris / pupil | caruncle |
 * |---|---|---|---|---|
 * | `cls` | class id ({@link SEMANTIC_CLASSES}) | | | |
 * | `sh` | Lambert term `max(0, n . L)` of the skin height field | of the sphere | `max(0, g . L)` | skin's |
 * | `ga` | `t - t_u`: mm below the upper lid margin (negative above) | same | same | same |
 * | `gb` | `t - t_l`: mm below the lower lid margin | mm outside the limbus | `rho / r_i` | ellipse radius^2 |
 * | `gc` | `sigma = s / a` (position along the eye) | `|r_xy|^2 / R^2` | angle in the disc | sigma |
 *
 * Skin height field (depth, mm, away from the camera), in the eye frame:
 * `h = D (1 - rho^2)^2` for `rho^2 = (s / S_x)^2 + (t / S_y)^2 < 1` (the eye socket, D = 3,
 * S_x = 1.3 a, S_y = 9), plus the upper-lid bulge `-0.5 sin(pi u / crease)` for
 * `0 < u = t_u - t < crease` and the lower-lid bulge `-0.2 sin(pi v / 2.5)` for
 * `0 < v = t - t_l < 2.5`; the normal is `(dh/dx, dh/dy, -1) / |.|`.
 *
 * @module
 */
import type { EyeGeometry } from "./geometry.ts";
import { fastCos } from "./fastmath.ts";

/** Class ids of the semantic map (`maps.npy`). */
export const SEMANTIC_CLASSES = {
  /** Periocular skin, everything outside the eye opening that is not lid margin. */
  skin: 0,
  /** Visible sclera (white of the eye), including the shadowed corners. */
  sclera: 1,
  /** Visible iris (limbus disc minus pupil). */
  iris: 2,
  /** Visible pupil. */
  pupil: 3,
  /** Lid margin and lash line: a thin band just outside the opening along both lids. */
  eyelid: 4,
  /** Caruncle (the pink tissue in the inner corner). */
  caruncle: 5,
} as const;

/** Class names indexed by id. */
export const CLASS_NAMES: readonly string[] = [
  "skin",
  "sclera",
  "iris",
  "pupil",
  "eyelid",
  "caruncle",
];

const SKIN = 0, SCLERA = 1, IRIS = 2, PUPIL = 3, EYELID = 4, CARUNCLE = 5;

/** Per-supersample buffers of one image; reused from image to image. */
export class GBuffer {
  /** Supersampled size. */
  readonly sw: number;
  readonly sh2: number;
  readonly cls: Uint8Array;
  readonly sh: Float32Array;
  readonly ga: Float32Array;
  readonly gb: Float32Array;
  readonly gc: Float32Array;

  /**
   * @param height output height in pixels
   * @param width output width in pixels
   * @param ss supersampling factor per axis (1-4)
   */
  constructor(readonly height: number, readonly width: number, readonly ss: number) {
    if (!Number.isInteger(ss) || ss < 1 || ss > 4) {
      throw new RangeError(`GBuffer: supersample must be 1..4, got ${ss}`);
    }
    this.sw = width * ss;
    this.sh2 = height * ss;
    const n = this.sw * this.sh2;
    this.cls = new Uint8Array(n);
    this.sh = new Float32Array(n);
    this.ga = new Float32Array(n);
    this.gb = new Float32Array(n);
    this.gc = new Float32Array(n);
  }

  /** x (mm, relative to the eye-frame origin) of supersample column `ix`. */
  sampleX(geo: EyeGeometry, ix: number): number {
    return ((ix + 0.5) / this.ss - 0.5 - geo.cx) / geo.k;
  }

  /** y (mm, relative to the eye-frame origin) of supersample row `iy`. */
  sampleY(geo: EyeGeometry, iy: number): number {
    return ((iy + 0.5) / this.ss - 0.5 - geo.cy) / geo.k;
  }
}

/** Fills `buf` for the geometry `geo` (which must have been computed for the same size). */
export function rasterize(geo: EyeGeometry, buf: GBuffer): void {
  if (geo.width !== buf.width || geo.height !== buf.height) {
    throw new Error(
      `rasterize: geometry is ${geo.height}x${geo.width}, buffer ${buf.height}x${buf.width}`,
    );
  }
  const { cls, sh, ga, gb, gc, ss, sw } = buf;
  const { ex, ey, a, hu, hl, cu, cl, au, al, bx, by, r, d, ri, rp, g, e1, e2 } = geo;
  const invA = 1 / a;
  const [gx, gy, gz] = g;
  const [lx, ly, lz] = geo.light;
  const r2max = r * r, ri2 = ri * ri, rp2 = rp * rp, invR = 1 / r;
  const dgx = d * gx, dgy = d * gy, dgz = d * gz;
  const invGz = 1 / gz;
  const irisSh = Math.max(0, gx * lx + gy * ly + gz * lz);
  const invCarW = 1 / geo.carW, invCarH = 1 / geo.carH;
  const sx2 = 1 / (1.3 * a) ** 2, sy2 = 1 / 81, depth = 3;
  const crease = geo.crease, piCrease = Math.PI / crease;
  const bulgeU = 0.5, bulgeL = 0.2, lowBand = 2.5;
  const invK = 1 / geo.k, step = invK / ss;
  const x0 = (0.5 / ss - 0.5 - geo.cx) * invK;
  let y = (0.5 / ss - 0.5 - geo.cy) * invK;
  for (let iy = 0, idx = 0; iy < buf.sh2; iy++, y += step) {
    let x = x0;
    for (let ix = 0; ix < sw; ix++, idx++, x += step) {
      const s = x * ex + y * ey;
      const t = y * ex - x * ey;
      const sigma = s * invA;
      let q = 1 - sigma * sigma;
      if (q < 0) q = 0;
      const tu = -hu * q * (1 + cu * q) * (1 + au * sigma);
      const tl = hl * q * (1 + cl * q) * (1 + al * sigma);
      const du = t - tu;
      ga[idx] = du;
      if (t > tu && t < tl) {
        const cs = (s - geo.carS) * invCarW, ct = (t - geo.carT) * invCarH;
        const cr2 = cs * cs + ct * ct;
        if (cr2 < 1) {
          cls[idx] = CARUNCLE;
          gb[idx] = cr2;
          gc[idx] = sigma;
          sh[idx] = 0.7 * irisSh + 0.2;
          continue;
        }
        const rx = x - bx, ry = y - by;
        const rr = rx * rx + ry * ry;
        // Intersection with the iris plane (P - C) . g = d: z_rel = (d - rx gx - ry gy) / gz.
        const rz = (d - rx * gx - ry * gy) * invGz;
        const wx = rx - dgx, wy = ry - dgy, wz = rz - dgz;
        const rho2 = wx * wx + wy * wy + wz * wz;
        if (rho2 < ri2) {
          const rho = Math.sqrt(rho2);
          cls[idx] = rho2 < rp2 ? PUPIL : IRIS;
          gb[idx] = rho / ri;
          gc[idx] = Math.atan2(
            wx * e2[0] + wy * e2[1] + wz * e2[2],
            wx * e1[0] + wy * e1[1] + wz * e1[2],
          );
          sh[idx] = irisSh;
        } else {
          cls[idx] = SCLERA;
          gb[idx] = Math.sqrt(rho2) - ri;
          gc[idx] = rr / r2max;
          if (rr < r2max) {
            // Front of the sphere: n = (rx, ry, -sqrt(R^2 - rx^2 - ry^2)) / R.
            const nz = -Math.sqrt(r2max - rr);
            const l = (rx * lx + ry * ly + nz * lz) * invR;
            sh[idx] = l > 0 ? l : 0;
          } else {
            // Beyond the silhouette (deep corners): grazing normal, dim.
            const l = (rx * lx + ry * ly) / Math.sqrt(rr);
            sh[idx] = l > 0 ? 0.3 * l : 0;
          }
        }
        continue;
      }
      const dl = t - tl;
      gb[idx] = dl;
      gc[idx] = sigma;
      // Class: lid margin band just outside the opening, else skin.
      const taper = 0.35 + 0.65 * q;
      if (
        q > 0 && ((du <= 0 && du > -geo.marginU * taper) || (dl >= 0 && dl < geo.marginL * taper))
      ) {
        cls[idx] = EYELID;
      } else {
        cls[idx] = SKIN;
      }
      // Skin height field gradient in the eye frame (hs, ht), then the Lambert term.
      let hs = 0, ht = 0;
      const rho2 = s * s * sx2 + t * t * sy2;
      if (rho2 < 1) {
        // h = D (1 - rho^2)^2  =>  dh/ds = -4 D (1 - rho^2) s / S_x^2
        const f = -4 * depth * (1 - rho2);
        hs = f * s * sx2;
        ht = f * t * sy2;
      }
      const u = -du;
      const localCrease = crease * (0.45 + 0.55 * q);
      if (u > 0 && u < localCrease && q > 0) {
        // bulge -B sin(pi u / c); u = t_u - t  =>  dh/dt = B (pi / c) cos(pi u / c)
        ht += bulgeU * (piCrease / (0.45 + 0.55 * q)) * fastCos((Math.PI * u) / localCrease);
      } else if (dl > 0 && dl < lowBand && q > 0) {
        ht -= bulgeL * (Math.PI / lowBand) * fastCos((Math.PI * dl) / lowBand);
      }
      const hx = hs * ex - ht * ey, hy = hs * ey + ht * ex;
      const l = (hx * lx + hy * ly - lz) / Math.sqrt(hx * hx + hy * hy + 1);
      sh[idx] = l > 0 ? l : 0;
    }
  }
}

/**
 * The semantic map: for each output pixel the most frequent class among its supersamples
 * (ties go to the higher class id, so thin structures such as the pupil survive).
 */
export function semanticMap(buf: GBuffer, out = new Uint8Array(buf.width * buf.height)) {
  const { ss, sw, cls } = buf;
  const counts = new Uint8Array(8);
  for (let i = 0, p = 0; i < buf.height; i++) {
    for (let j = 0; j < buf.width; j++, p++) {
      counts.fill(0);
      for (let v = 0; v < ss; v++) {
        const row = (i * ss + v) * sw + j * ss;
        for (let u = 0; u < ss; u++) counts[cls[row + u]]++;
      }
      let best = 0;
      for (let c = 1; c < 8; c++) if (counts[c] >= counts[best]) best = c;
      out[p] = best;
    }
  }
  return out;
}
