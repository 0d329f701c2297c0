/**
 * The "synthetic" appearance process: the clean simulator render.
 *
 * Radiance of a supersample of class `k`:
 * `albedo_k * (ambient + I * lambert) / (ambient + I) * m_k`, with smooth, noise-free
 * modifiers `m_k`:
 *
 * - skin: a soft crease line, `1 - 0.22 fade(sigma) / (1 + ((t - t_u + c(sigma)) / 0.7)^2)`;
 * - sclera: occlusion under the upper lid, `1 - 0.35 / (1 + (depth / 0.8)^2)`, and darker
 *   corners beyond 60 % of the eyeball radius;
 * - iris: radial gradient `0.7 + 0.45 (1 - rho)` and a dark limbal ring for `rho > 0.85`;
 * - caruncle: darker towards its rim.
 *
 * Samples are box-averaged into pixels and encoded with a fixed gamma of 2.2. No texture, no
 * noise, no blur beyond the anti-aliasing: this is what refiners start from.
 *
 * @module
 */
import type { EyeGeometry } from "../render/geometry.ts";
import type { EyeParams } from "../render/params.ts";
import type { GBuffer } from "../render/raster.ts";
import { albedoTable, baseAlbedos } from "./common.ts";

/**
 * Shades the G-buffer into `acc` (linear radiance, `H x W x channels`, overwritten), averaging
 * the supersamples of each pixel.
 */
export function shadeSynthetic(
  geo: EyeGeometry,
  p: EyeParams,
  buf: GBuffer,
  acc: Float32Array,
  channels: 1 | 3,
): void {
  const alb = albedoTable(baseAlbedos(p), channels);
  const { cls, sh, ga, gb, gc, ss, sw, width } = buf;
  // Exposure is normalised so that a fully lit white surface has radiance 1:
  // L = albedo (ambient + I lambert) / (ambient + I).
  const norm = 1 / (geo.ambient + geo.lightIntensity);
  const amb = geo.ambient * norm, li = geo.lightIntensity * norm;
  const w = 1 / (ss * ss);
  const crease = geo.crease;
  acc.fill(0);
  for (let iy = 0, idx = 0; iy < buf.sh2; iy++) {
    const rowBase = ((iy / ss) | 0) * width;
    for (let ix = 0; ix < sw; ix++, idx++) {
      const k = cls[idx];
      let f = amb + li * sh[idx];
      if (k === 0) {
        const sigma = gc[idx];
        const q = sigma * sigma < 1 ? 1 - sigma * sigma : 0;
        // the crease fades out between |sigma| = 0.9 and 1.25
        const fade = sigma * sigma < 0.81 ? 1 : Math.max(0, (1.25 - Math.abs(sigma)) / 0.35);
        const z = (ga[idx] + crease * (0.45 + 0.55 * q)) / 0.7;
        f *= 1 - (0.22 * fade) / (1 + z * z);
      } else if (k === 1) {
        const z = ga[idx] / 0.8;
        f *= 1 - 0.35 / (1 + z * z);
        const c = gc[idx];
        if (c > 0.6) f *= c < 1.6 ? 1 - 0.6 * (c - 0.6) : 0.4;
      } else if (k === 2) {
        const rho = gb[idx];
        f *= 0.7 + 0.45 * (1 - rho);
        if (rho > 0.85) f *= 1 - 2.5 * (rho - 0.85);
        const z = ga[idx] / 0.8;
        f *= 1 - 0.25 / (1 + z * z);
      } else if (k === 5) {
        f *= 1 - 0.3 * gb[idx];
      }
      f *= w;
      const o = (rowBase + ((ix / ss) | 0)) * channels;
      const ab = k * channels;
      for (let c = 0; c < channels; c++) acc[o + c] += alb[ab + c] * f;
    }
  }
}
