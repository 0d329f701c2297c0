/**
 * The "real" appearance process (the target domain): the same geometry as the simulator seen
 * through a different appearance and camera model. Refiners only ever see its images, never
 * its labels or this code's parameters.
 *
 * Surface (per supersample, radiance `albedo * (ambient + I * lambert) / (ambient + I) * m +
 * glint`):
 * - skin: two octaves of seeded value noise (pores, blotches), wrinkles under the lower lid
 *   (`1 - A max(0, cos(2 pi v / P + noise))^4`), a dark, sharp upper-lid crease
 *   `1 - D / (1 + (dist / width)^2)`, and sometimes the lower edge of an eyebrow;
 * - eyelashes: upper lashes as dark streaks rooted on the lid margin, tilted outwards and
 *   fading with height `u` (mm): `dark = L (1 - u / len) (0.4 + 0.6 c)^2` with
 *   `c = 0.5 + 0.5 cos(2 pi n (sigma - 1.2 u (sigma + 0.2) / a))`; short, lighter lower lashes;
 *   a darker upper lid margin and a light lower one (the waterline);
 * - eyeball: a shadow under the upper lid `1 - S / (1 + (depth / w)^2)` over sclera and iris,
 *   darker sclera corners, iris with radial streaks, collarette ring, limbal ring and darker
 *   colours;
 * - cornea: one or two specular glints, Gaussian spots at the reflection of the light(s) on a
 *   cornea sphere (radius 7.8 mm through the limbus), where the normal is the half vector of
 *   the light and view directions.
 *
 * Camera (per pixel, after box-averaging), in this order: white balance (colour) and exposure
 * gain `exp(N(0, 0.22))`, vignetting `1 - v r^2`, sensor noise `N(0, read^2 + shot^2 L)` (before
 * the blur: the sensor is noisy at its own, lower resolution and resampling blurs both),
 * defocus (Gaussian, sigma 0.7-1.4 px at 60 px wide, scaled by sqrt(width / 60)) and in 25 %
 * of images motion blur (1-2.5 px), a random gamma (1.8-2.8) and contrast S-curve, partial
 * histogram equalisation for gray images (amount 0.8-1; MPIIGaze's normalised patches are
 * equalised, which gives their flat histogram) and JPEG quantisation at quality 45-90.
 *
 * @module
 */
import type { Rng } from "../../util/random.ts";
import type { EyeGeometry } from "../render/geometry.ts";
import type { EyeParams } from "../render/params.ts";
import type { GBuffer } from "../render/raster.ts";
import { fastCos } from "../render/fastmath.ts";
import { albedoTable, applyLut, baseAlbedos, scale3, toneLut } from "./common.ts";
import { gaussianBlur, motionBlur, partialEqualize, sensorNoise, vignetteGain } from "./filters.ts";
import { jpegArtefacts } from "./jpeg.ts";

/** A bilinearly interpolated lattice of seeded values (mean 0, variance 1) over the image plane (mm). */
class NoiseGrid {
  readonly values: Float32Array;
  readonly cols: number;
  readonly rows: number;
  constructor(
    rng: Rng,
    readonly x0: number,
    readonly y0: number,
    readonly spacing: number,
    widthMm: number,
    heightMm: number,
  ) {
    this.cols = Math.ceil(widthMm / spacing) + 3;
    this.rows = Math.ceil(heightMm / spacing) + 3;
    this.values = new Float32Array(this.cols * this.rows);
    // uniform values with unit variance (value noise needs no Gaussian lattice)
    for (let i = 0; i < this.values.length; i++) {
      this.values[i] = rng.uniform(-1.7320508, 1.7320508);
    }
  }

  /** Value at `(x, y)` mm (smoothstep-weighted bilinear; clamped at the lattice border). */
  at(x: number, y: number): number {
    let fx = (x - this.x0) / this.spacing, fy = (y - this.y0) / this.spacing;
    fx = fx < 0 ? 0 : fx > this.cols - 1.001 ? this.cols - 1.001 : fx;
    fy = fy < 0 ? 0 : fy > this.rows - 1.001 ? this.rows - 1.001 : fy;
    const ix = fx | 0, iy = fy | 0;
    // smoothstep weights (no creases at lattice lines)
    let ax = fx - ix, ay = fy - iy;
    ax = ax * ax * (3 - 2 * ax);
    ay = ay * ay * (3 - 2 * ay);
    const v = this.values, i = iy * this.cols + ix;
    const top = v[i] + ax * (v[i + 1] - v[i]);
    const bot = v[i + this.cols] + ax * (v[i + this.cols + 1] - v[i + this.cols]);
    return top + ay * (bot - top);
  }
}

/** A specular spot: position in mm (image plane, relative to the eye-frame origin). */
interface Glint {
  x: number;
  y: number;
  sigma: number;
  amp: number;
}

/** The per-image random choices of the target domain. */
export interface RealAppearance {
  skinFine: number;
  skinCoarse: number;
  wrinkleAmp: number;
  wrinklePeriod: number;
  lashLength: number;
  lashDark: number;
  lashCount: number;
  lowerLashDark: number;
  marginDark: number;
  creaseDark: number;
  creaseWidth: number;
  brow: { edge: number; arch: number; thickness: number; dark: number } | null;
  irisScale: number;
  streakAmp: number;
  streakK1: number;
  streakK2: number;
  phase1: number;
  phase2: number;
  lidShadow: number;
  lidShadowWidth: number;
  glints: Glint[];
  balance: number[];
  exposure: number;
  vignette: number;
  blurSigma: number;
  motion: { length: number; angle: number } | null;
  readNoise: number;
  shotNoise: number;
  gamma: number;
  contrast: number;
  equalize: number;
  jpegQuality: number;
}

const lutCache = new Map<string, Uint8Array>();
/** Tone LUTs of the (gamma, contrast) grid the domain draws from (steps of 0.05), cached. */
function cachedToneLut(gamma: number, contrast: number): Uint8Array {
  const key = `${gamma}:${contrast}`;
  let lut = lutCache.get(key);
  if (!lut) {
    lut = toneLut(gamma, contrast);
    lutCache.set(key, lut);
  }
  return lut;
}

/** The glint of a light `l` (unit, towards the light) on the cornea, or null if not on it. */
function cornealGlint(geo: EyeGeometry, l: number[]): { x: number; y: number } | null {
  const rc = 7.8;
  const offset = geo.d - Math.sqrt(rc * rc - geo.ri * geo.ri); // cornea centre along g
  // half vector of light and view (view = towards the camera = (0, 0, -1))
  let hx = l[0], hy = l[1], hz = l[2] - 1;
  const n = Math.hypot(hx, hy, hz);
  hx /= n;
  hy /= n;
  hz /= n;
  const cosLimbus = Math.sqrt(rc * rc - geo.ri * geo.ri) / rc;
  const [gx, gy, gz] = geo.g;
  if (hx * gx + hy * gy + hz * gz < cosLimbus) return null;
  return { x: geo.bx + offset * gx + rc * hx, y: geo.by + offset * gy + rc * hy };
}

/** Draws the target domain's per-image appearance choices. */
export function sampleRealAppearance(
  rng: Rng,
  geo: EyeGeometry,
  channels: 1 | 3,
): RealAppearance {
  const glints: Glint[] = [];
  if (rng.bool(0.8)) {
    const g = cornealGlint(geo, geo.light);
    if (g) glints.push({ ...g, sigma: rng.uniform(0.2, 0.45), amp: rng.uniform(1.2, 3) });
  }
  if (rng.bool(0.3)) {
    const el = rng.uniform(0, 0.6), az = rng.uniform(0, 2 * Math.PI);
    const g = cornealGlint(geo, [
      Math.sin(el) * Math.cos(az),
      Math.sin(el) * Math.sin(az),
      -Math.cos(el),
    ]);
    if (g) glints.push({ ...g, sigma: rng.uniform(0.15, 0.35), amp: rng.uniform(0.8, 2) });
  }
  const wb = channels === 3 ? [rng.uniform(0.9, 1.1), 1, rng.uniform(0.85, 1.1)] : [1];
  const scale = geo.width / 60;
  return {
    skinFine: rng.uniform(0.01, 0.035) * (channels === 1 ? 1 : 0.6),
    skinCoarse: rng.uniform(0.02, 0.06) * (channels === 1 ? 1 : 0.6),
    wrinkleAmp: rng.uniform(0, 0.25),
    wrinklePeriod: rng.uniform(1.4, 2.6),
    lashLength: rng.uniform(1.5, 3.2),
    lashDark: rng.uniform(0.55, 0.9),
    lashCount: rng.uniform(14, 24),
    lowerLashDark: rng.uniform(0.1, 0.4),
    marginDark: rng.uniform(0.35, 0.7),
    creaseDark: rng.uniform(0.25, 0.6),
    creaseWidth: rng.uniform(0.35, 0.9),
    brow: rng.bool(0.5)
      ? {
        edge: rng.uniform(8, 12),
        arch: rng.uniform(1, 3.5),
        thickness: rng.uniform(3, 6),
        dark: rng.uniform(0.4, 0.8),
      }
      : null,
    irisScale: rng.uniform(0.45, 1),
    streakAmp: rng.uniform(0.1, 0.35),
    streakK1: rng.int(9, 20),
    streakK2: rng.int(23, 41),
    phase1: rng.uniform(0, 2 * Math.PI),
    phase2: rng.uniform(0, 2 * Math.PI),
    lidShadow: rng.uniform(0.35, 0.7),
    lidShadowWidth: rng.uniform(0.8, 2.0),
    glints,
    balance: wb,
    exposure: Math.exp(rng.normal(0, channels === 1 ? 0.22 : 0.15)),
    vignette: rng.uniform(0, 0.35),
    blurSigma: rng.uniform(0.7, 1.4) * Math.sqrt(scale),
    motion: rng.bool(0.25)
      ? { length: rng.uniform(1, 2.5) * Math.sqrt(scale), angle: rng.uniform(0, Math.PI) }
      : null,
    readNoise: rng.uniform(0.002, 0.012),
    shotNoise: rng.uniform(0.004, 0.02),
    gamma: Math.round((channels === 1 ? rng.uniform(1.8, 2.8) : rng.uniform(1.9, 2.5)) * 20) / 20,
    contrast: Math.round(rng.uniform(0, 0.6) * 20) / 20,
    // MPIIGaze's gray patches are histogram-equalised; colour camera images are not.
    equalize: channels === 1 ? rng.uniform(0.8, 1) : 0,
    jpegQuality: rng.int(45, 91),
  };
}

/** Reusable scratch buffers of the target-domain renderer. */
export class RealScratch {
  /** `H x W x C` floats for the filters. */
  readonly tmp: Float32Array;
  /** Per-pixel fine and coarse skin noise. */
  readonly fine: Float32Array;
  readonly coarse: Float32Array;
  constructor(height: number, width: number, channels: number) {
    this.tmp = new Float32Array(height * width * channels);
    this.fine = new Float32Array(height * width);
    this.coarse = new Float32Array(height * width);
  }
}

/**
 * Renders the target-domain image of one G-buffer into `out` (8-bit `H x W x channels`).
 * `acc` is scratch of the same length (linear radiance).
 */
export function renderReal(
  geo: EyeGeometry,
  p: EyeParams,
  buf: GBuffer,
  rng: Rng,
  channels: 1 | 3,
  acc: Float32Array,
  out: Uint8Array,
  scratch: RealScratch,
): RealAppearance {
  const app = sampleRealAppearance(rng.fork("appearance"), geo, channels);
  const base = baseAlbedos(p);
  base[2] = scale3(base[2], app.irisScale);
  base[4] = scale3(base[4], 1 - app.marginDark);
  base[1] = scale3(base[1], 0.92);
  const alb = albedoTable(base, channels);
  const { cls, sh, ga, gb, gc, ss, sw, width, height } = buf;
  const wMm = width / geo.k, hMm = height / geo.k;
  const x0 = -geo.cx / geo.k - 2, y0 = -geo.cy / geo.k - 2;
  const noiseRng = rng.fork("noise");
  const fineGrid = new NoiseGrid(noiseRng, x0, y0, 0.55, wMm + 4, hMm + 4);
  const coarseGrid = new NoiseGrid(noiseRng, x0, y0, 3.5, wMm + 4, hMm + 4);
  // Textures are evaluated once per output pixel (at its centre) and shared by its supersamples.
  const fine = scratch.fine, coarse = scratch.coarse;
  for (let i = 0, o = 0; i < height; i++) {
    const py = (i - geo.cy) / geo.k;
    for (let j = 0; j < width; j++, o++) {
      const px = (j - geo.cx) / geo.k;
      fine[o] = fineGrid.at(px, py);
      coarse[o] = coarseGrid.at(px, py);
    }
  }
  // Exposure is normalised so that a fully lit white surface has radiance 1:
  // L = albedo (ambient + I lambert) / (ambient + I).
  const norm = 1 / (geo.ambient + geo.lightIntensity);
  const amb = geo.ambient * norm, li = geo.lightIntensity * norm;
  const w = 1 / (ss * ss);
  const { ex, ey, crease, a } = geo;
  const invK = 1 / geo.k, step = invK / ss;
  const sx0 = (0.5 / ss - 0.5 - geo.cx) * invK;
  let y = (0.5 / ss - 0.5 - geo.cy) * invK;
  const lashLen = app.lashLength, lashDark = app.lashDark, lashN = app.lashCount;
  const glints = app.glints;
  const brow = app.brow;
  acc.fill(0);
  for (let iy = 0, idx = 0; iy < buf.sh2; iy++, y += step) {
    const rowBase = ((iy / ss) | 0) * width;
    let x = sx0;
    for (let ix = 0; ix < sw; ix++, idx++, x += step) {
      const k = cls[idx];
      const pix = rowBase + ((ix / ss) | 0);
      let f = amb + li * sh[idx];
      let add = 0;
      const du = ga[idx];
      if (k === 0 || k === 4) {
        const sigma = gc[idx];
        const q = sigma * sigma < 1 ? 1 - sigma * sigma : 0;
        f *= 1 + app.skinFine * fine[pix] + app.skinCoarse * coarse[pix];
        // crease: dark line at u = crease(sigma) above the margin
        const fade = sigma * sigma < 0.81 ? 1 : Math.max(0, (1.4 - Math.abs(sigma)) / 0.5);
        const z = (du + crease * (0.45 + 0.55 * q)) / app.creaseWidth;
        f *= 1 - (app.creaseDark * (0.3 + 0.7 * q) * fade) / (1 + z * z);
        const u = -du;
        if (u >= 0 && q > 0) {
          const len = lashLen * (0.35 + 0.65 * q);
          if (u < len) {
            const ph = lashN * (sigma - (1.2 * u * (sigma + 0.2)) / a);
            const c = 0.5 + 0.5 * fastCos(2 * Math.PI * ph);
            const str = 0.4 + 0.6 * c;
            f *= 1 - lashDark * (1 - u / len) * str * str;
          }
        }
        const v = gb[idx];
        if (v >= 0 && q > 0) {
          if (v < 1.1) f *= 1 - app.lowerLashDark * (1 - v / 1.1);
          else if (v < 8) {
            const c = fastCos((2 * Math.PI * v) / app.wrinklePeriod + 2 * coarse[pix]);
            const c2 = c > 0 ? c * c : 0;
            f *= 1 - app.wrinkleAmp * c2 * c2 * (1 - v / 8);
            const zz = (v - 4) / 1.8;
            f *= 1 - 0.12 / (1 + zz * zz);
          }
        }
        if (brow) {
          // The brow's lower edge arches over the eye: t_b(s) = -edge - arch (1 - (s / 1.4a)^2).
          const t = y * ex - x * ey, sb = (x * ex + y * ey) / (1.4 * a);
          const above = -brow.edge - brow.arch * (1 - sb * sb) - t; // mm above the lower edge
          const ends = sb < -1.25 || sb > 1.15 ? 0 : sb > 0.85 ? (1.15 - sb) / 0.3 : 1;
          if (above > -1 && ends > 0) {
            const edge = above < 0.8 ? (above + 1) / 1.8 : 1;
            const thick = brow.thickness * (sb > 0 ? 1 - 0.4 * sb : 1); // thinner laterally
            const fade = (above > thick ? Math.max(0, 1 - (above - thick) / 2) : 1) * ends;
            const hair = 0.6 + 0.4 * (0.5 + 0.5 * fastCos(9 * (x + 0.6 * y) + 2 * fine[pix]));
            f *= 1 - brow.dark * edge * fade * hair;
          }
        }
      } else if (k === 1 || k === 2 || k === 3) {
        // shadow under the upper lid, lash overhang just under the margin
        const z = du / app.lidShadowWidth;
        f *= 1 - app.lidShadow / (1 + z * z);
        if (du < 0.35) f *= 0.55 + du;
        if (k === 1) {
          const c = gc[idx];
          if (c > 0.5) f *= c < 1.5 ? 1 - 0.7 * (c - 0.5) : 0.3;
          f *= 1 + 0.03 * fine[pix];
        } else if (k === 2) {
          const rho = gb[idx], phi = gc[idx];
          f *= 1 + app.streakAmp * (0.3 + rho) *
              (0.6 * fastCos(app.streakK1 * phi + app.phase1) +
                0.4 * fastCos(app.streakK2 * phi + app.phase2));
          const zc = (rho - 0.45) / 0.08;
          f *= (1 + 0.25 / (1 + zc * zc)) * (1 + 0.15 * fine[pix]);
          if (rho > 0.78) f *= Math.max(0.25, 1 - 3 * (rho - 0.78));
        }
        for (let gi = 0; gi < glints.length; gi++) {
          const gl = glints[gi];
          const dx = x - gl.x, dy = y - gl.y;
          const d2 = (dx * dx + dy * dy) / (gl.sigma * gl.sigma);
          if (d2 < 9) add += gl.amp * Math.exp(-0.5 * d2);
        }
      } else if (k === 5) {
        f *= (1 - 0.35 * gb[idx]) * (1 + 0.1 * fine[pix]);
      }
      f *= w;
      add *= w;
      const o = pix * channels;
      // The lower lid margin (waterline) is light: skin albedo, slightly darker.
      const ab = (k === 4 && gb[idx] >= 0 ? 0 : k) * channels;
      if (k === 4 && gb[idx] >= 0) f *= 0.8;
      for (let c = 0; c < channels; c++) acc[o + c] += alb[ab + c] * f + add;
    }
  }
  // Camera model on the pixel grid.
  const tmp = scratch.tmp;
  vignetteGain(acc, height, width, channels, {
    strength: app.vignette,
    gain: app.exposure,
    cx: (width - 1) / 2,
    cy: (height - 1) / 2,
    balance: app.balance,
  });
  // The sensor is noisy at its own (lower) resolution; resampling to the patch then blurs both
  // the image and its noise, so the noise comes first.
  sensorNoise(acc, rng.fork("sensor"), app.readNoise, app.shotNoise);
  gaussianBlur(acc, height, width, channels, app.blurSigma, tmp);
  if (app.motion) {
    motionBlur(acc, height, width, channels, app.motion.length, app.motion.angle, tmp);
  }
  applyLut(acc, cachedToneLut(app.gamma, app.contrast), out);
  partialEqualize(out, app.equalize, channels);
  jpegArtefacts(out, height, width, channels, app.jpegQuality);
  return app;
}
