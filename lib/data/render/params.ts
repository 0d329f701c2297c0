/**
 * Parameters of one rendered eye, and the distributions they are drawn from.
 *
 * Units: millimetres for lengths, radians for angles (distribution specs are in degrees, keys
 * ending in `Deg`), linear RGB in [0, 1] for colours. Gaze and head pose follow the project's
 * convention (`lib/data/gaze.ts`): pitch up positive, yaw towards the image's left positive.
 *
 * @module
 */
import { DEG, pitchYawToVector, type Vec3 } from "../gaze.ts";
import type { Rng } from "../../util/random.ts";

/** Everything that decides one eye's geometry and base colours. */
export interface EyeParams {
  /** Gaze pitch in the camera frame, radians (the label). */
  pitch: number;
  /** Gaze yaw in the camera frame, radians (the label). */
  yaw: number;
  /** Head (eye region) pitch, radians; positive tilts the face up. */
  headPitch: number;
  /** Head yaw, radians; positive turns the face towards the image's left. */
  headYaw: number;
  /** Head roll, radians; positive turns the eye clockwise in the image. */
  headRoll: number;
  /** Distance between the eye corners, mm (adults: about 28-32). */
  eyeWidth: number;
  /** Upper-lid aperture multiplier: 1 puts the upper lid 5.5 mm above the corner line. */
  openness: number;
  /** Lower-lid aperture multiplier: 1 puts the lower lid 3.8 mm below the corner line. */
  lowerLid: number;
  /** Iris (limbus) radius, mm (adults: about 5.5-6.5). */
  irisRadius: number;
  /** Pupil radius, mm (1-4). */
  pupilRadius: number;
  /** Height of the upper-lid crease above the lid margin at the eye's centre, mm. */
  creaseHeight: number;
  /** Upward tilt of the outer corner relative to the inner one, radians. */
  canthalTilt: number;
  /** Iris albedo, linear RGB. */
  irisColor: Vec3;
  /** Skin albedo, linear RGB. */
  skinColor: Vec3;
  /** Sclera albedo, linear RGB. */
  scleraColor: Vec3;
  /** Unit vector from the surface towards the light, camera frame (z < 0: light near camera). */
  lightDir: Vec3;
  /** Strength of the directional light (Lambert term multiplier). */
  lightIntensity: number;
  /** Strength of the ambient light. */
  ambient: number;
  /** Framing: > 1 zooms in. At 1 the image width spans 1.22 eye widths (1.5 for square-ish). */
  zoom: number;
  /** Framing: horizontal shift of the eye centre, fraction of the image width. */
  shiftX: number;
  /** Framing: vertical shift of the eye centre, fraction of the image height. */
  shiftY: number;
}

/** A scalar distribution, as written to `meta.json`. */
export type Dist =
  | { type: "const"; value: number }
  | { type: "uniform"; lo: number; hi: number }
  | { type: "normal"; mean: number; std: number; lo: number; hi: number };

/** The distributions of every parameter; one per domain (see `lib/data/domains/`). */
export interface ShapeDistribution {
  /** Gaze pitch, degrees (camera frame). */
  pitchDeg: Dist;
  /** Gaze yaw, degrees (camera frame). */
  yawDeg: Dist;
  /** Head pitch, degrees. */
  headPitchDeg: Dist;
  /** Head yaw, degrees. */
  headYawDeg: Dist;
  /** Head roll, degrees. */
  headRollDeg: Dist;
  /** Gaze relative to the head is limited to this many degrees in pitch (rejection). */
  maxRelPitchDeg: number;
  /** ... and in yaw. */
  maxRelYawDeg: number;
  eyeWidth: Dist;
  openness: Dist;
  lowerLid: Dist;
  irisRadius: Dist;
  pupilRadius: Dist;
  creaseHeight: Dist;
  canthalTiltDeg: Dist;
  /** 0 = lightest skin of the palette, 1 = darkest. */
  skinTone: Dist;
  /** Relative weights of {@link IRIS_PALETTE} entries. */
  irisWeights: number[];
  /** Angle between the light and the camera axis, degrees (azimuth is uniform). */
  lightElevationDeg: Dist;
  lightIntensity: Dist;
  ambient: Dist;
  zoom: Dist;
  shiftX: Dist;
  shiftY: Dist;
}

/** Iris albedos (linear RGB): dark brown, brown, hazel, green, blue, grey. */
export const IRIS_PALETTE: readonly { name: string; rgb: Vec3 }[] = [
  { name: "dark-brown", rgb: [0.06, 0.035, 0.02] },
  { name: "brown", rgb: [0.16, 0.08, 0.035] },
  { name: "hazel", rgb: [0.22, 0.16, 0.06] },
  { name: "green", rgb: [0.13, 0.2, 0.1] },
  { name: "blue", rgb: [0.14, 0.24, 0.38] },
  { name: "grey", rgb: [0.22, 0.25, 0.28] },
];

/** Skin albedos (linear RGB) at tone 0 (light) and tone 1 (dark); tones interpolate. */
export const SKIN_LIGHT: Vec3 = [0.78, 0.56, 0.45];
/** See {@link SKIN_LIGHT}. */
export const SKIN_DARK: Vec3 = [0.2, 0.11, 0.065];

/** Draws one value. Normal draws are clipped to `[lo, hi]`. */
export function sampleDist(rng: Rng, d: Dist): number {
  switch (d.type) {
    case "const":
      return d.value;
    case "uniform":
      return rng.uniform(d.lo, d.hi);
    case "normal":
      return Math.min(d.hi, Math.max(d.lo, rng.normal(d.mean, d.std)));
  }
}

/** Index drawn with probability proportional to `weights`. */
function sampleWeighted(rng: Rng, weights: number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.uniform(0, total);
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Gaze relative to the head, for a camera-frame gaze and a head pose: the gaze vector rotated
 * by the inverse head rotation, as (pitch, yaw) in radians.
 */
export function relativeGaze(
  p: Pick<EyeParams, "pitch" | "yaw" | "headPitch" | "headYaw" | "headRoll">,
): { pitch: number; yaw: number } {
  const g = pitchYawToVector(p.pitch, p.yaw);
  const r = headRotation(p.headPitch, p.headYaw, p.headRoll);
  // g_head = R^T g
  const x = r[0] * g[0] + r[3] * g[1] + r[6] * g[2];
  const y = r[1] * g[0] + r[4] * g[1] + r[7] * g[2];
  const z = r[2] * g[0] + r[5] * g[1] + r[8] * g[2];
  return { pitch: Math.asin(Math.max(-1, Math.min(1, -y))), yaw: Math.atan2(-x, -z) };
}

/**
 * The head rotation `R = Rz(roll) Ry(yaw) Rx(pitch)` as a row-major 3x3 array. It maps the
 * face's forward direction `(0, 0, -1)` to `pitchYawToVector(pitch, yaw)`:
 * `Rx = [[1,0,0],[0,c,s],[0,-s,c]]`, `Ry = [[c,0,s],[0,1,0],[-s,0,c]]`,
 * `Rz = [[c,-s,0],[s,c,0],[0,0,1]]`.
 */
export function headRotation(pitch: number, yaw: number, roll: number): Float64Array {
  const cp = Math.cos(pitch), sp = Math.sin(pitch);
  const cy = Math.cos(yaw), sy = Math.sin(yaw);
  const cr = Math.cos(roll), sr = Math.sin(roll);
  // Ry * Rx
  const a = [cy, sy * -sp, sy * cp, 0, cp, sp, -sy, cy * -sp, cy * cp];
  // Rz * (Ry Rx)
  const out = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    out[c] = cr * a[c] - sr * a[3 + c];
    out[3 + c] = sr * a[c] + cr * a[3 + c];
    out[6 + c] = a[6 + c];
  }
  return out;
}

/**
 * Draws one parameter set. Head pose and gaze are drawn independently and redrawn (up to 50
 * times) while the gaze relative to the head exceeds `maxRelPitchDeg`/`maxRelYawDeg`.
 */
export function sampleEyeParams(rng: Rng, dist: ShapeDistribution): EyeParams {
  let pitch = 0, yaw = 0, headPitch = 0, headYaw = 0, headRoll = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    pitch = sampleDist(rng, dist.pitchDeg) * DEG;
    yaw = sampleDist(rng, dist.yawDeg) * DEG;
    headPitch = sampleDist(rng, dist.headPitchDeg) * DEG;
    headYaw = sampleDist(rng, dist.headYawDeg) * DEG;
    headRoll = sampleDist(rng, dist.headRollDeg) * DEG;
    const rel = relativeGaze({ pitch, yaw, headPitch, headYaw, headRoll });
    if (
      Math.abs(rel.pitch) <= dist.maxRelPitchDeg * DEG &&
      Math.abs(rel.yaw) <= dist.maxRelYawDeg * DEG
    ) break;
  }
  const tone = Math.min(1, Math.max(0, sampleDist(rng, dist.skinTone)));
  const skinColor: Vec3 = [0, 1, 2].map((c) =>
    SKIN_LIGHT[c] + (SKIN_DARK[c] - SKIN_LIGHT[c]) * tone
  ) as Vec3;
  const irisBase = IRIS_PALETTE[sampleWeighted(rng, dist.irisWeights)].rgb;
  const irisJitter = rng.uniform(0.75, 1.3);
  const irisColor: Vec3 = [0, 1, 2].map((c) =>
    Math.min(1, irisBase[c] * irisJitter * rng.uniform(0.92, 1.08))
  ) as Vec3;
  const scleraBright = rng.uniform(0.62, 0.8);
  const scleraColor: Vec3 = [scleraBright, scleraBright * rng.uniform(0.9, 0.97), 0];
  scleraColor[2] = scleraColor[1] * rng.uniform(0.9, 1.0);
  const elevation = sampleDist(rng, dist.lightElevationDeg) * DEG;
  const azimuth = rng.uniform(0, 2 * Math.PI);
  const lightDir: Vec3 = [
    Math.sin(elevation) * Math.cos(azimuth),
    Math.sin(elevation) * Math.sin(azimuth),
    -Math.cos(elevation),
  ];
  return {
    pitch,
    yaw,
    headPitch,
    headYaw,
    headRoll,
    eyeWidth: sampleDist(rng, dist.eyeWidth),
    openness: sampleDist(rng, dist.openness),
    lowerLid: sampleDist(rng, dist.lowerLid),
    irisRadius: sampleDist(rng, dist.irisRadius),
    pupilRadius: sampleDist(rng, dist.pupilRadius),
    creaseHeight: sampleDist(rng, dist.creaseHeight),
    canthalTilt: sampleDist(rng, dist.canthalTiltDeg) * DEG,
    irisColor,
    skinColor,
    scleraColor,
    lightDir,
    lightIntensity: sampleDist(rng, dist.lightIntensity),
    ambient: sampleDist(rng, dist.ambient),
    zoom: sampleDist(rng, dist.zoom),
    shiftX: sampleDist(rng, dist.shiftX),
    shiftY: sampleDist(rng, dist.shiftY),
  };
}
