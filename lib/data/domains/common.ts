/**
 * Helpers shared by the appearance processes: per-class albedo tables and tone curves.
 *
 * @module
 */
import type { Vec3 } from "../gaze.ts";
import type { EyeParams } from "../render/params.ts";

/** ITU-R BT.601 luma weights, used to render gray images from RGB albedos. */
export const LUMA: Vec3 = [0.299, 0.587, 0.114];

/** Number of semantic classes (see `SEMANTIC_CLASSES`). */
export const NUM_CLASSES = 6;

/**
 * A per-class albedo table `table[cls * channels + c]` from RGB albedos; gray images use the
 * luma of each albedo.
 */
export function albedoTable(rgb: Vec3[], channels: 1 | 3): Float32Array {
  const out = new Float32Array(rgb.length * channels);
  for (let k = 0; k < rgb.length; k++) {
    if (channels === 1) {
      out[k] = LUMA[0] * rgb[k][0] + LUMA[1] * rgb[k][1] + LUMA[2] * rgb[k][2];
    } else {
      out[3 * k] = rgb[k][0];
      out[3 * k + 1] = rgb[k][1];
      out[3 * k + 2] = rgb[k][2];
    }
  }
  return out;
}

/** Component-wise scale of an RGB triple. */
export function scale3(v: Vec3, s: number | Vec3): Vec3 {
  return typeof s === "number"
    ? [v[0] * s, v[1] * s, v[2] * s]
    : [v[0] * s[0], v[1] * s[1], v[2] * s[2]];
}

/** The base RGB albedos of the six classes for a parameter set (before domain changes). */
export function baseAlbedos(p: EyeParams): Vec3[] {
  const skin = p.skinColor;
  return [
    skin, // skin
    p.scleraColor, // sclera
    p.irisColor, // iris
    [0.012, 0.012, 0.012], // pupil
    scale3(skin, [0.5, 0.42, 0.42]), // eyelid margin
    scale3(skin, [1.05, 0.62, 0.62]), // caruncle
  ];
}

/** Length of tone lookup tables: linear values in [0, 1] are indexed by `v * (LUT_SIZE - 1)`. */
export const LUT_SIZE = 4096;

/**
 * A lookup table from linear radiance to 8-bit values: `round(255 * clip(v)^(1 / gamma))`,
 * optionally followed by a contrast S-curve `y + contrast * y (1 - y) (2 y - 1)` on the
 * gamma-encoded `y`.
 */
export function toneLut(gamma: number, contrast = 0): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) {
    let y = Math.pow(i / (LUT_SIZE - 1), 1 / gamma);
    y += contrast * y * (1 - y) * (2 * y - 1);
    lut[i] = Math.round(255 * Math.min(1, Math.max(0, y)));
  }
  return lut;
}

/** Applies a tone LUT to linear values (clipped to [0, 1]) and writes 8-bit pixels. */
export function applyLut(src: Float32Array, lut: Uint8Array, out: Uint8Array): Uint8Array {
  const top = LUT_SIZE - 1;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    out[i] = lut[v <= 0 ? 0 : v >= 1 ? top : (v * top + 0.5) | 0];
  }
  return out;
}
