/**
 * From {@link EyeParams} to the projected 2-D geometry of one eye image, and its landmarks.
 *
 * ## Model (all lengths in mm)
 *
 * - Camera: ORTHOGRAPHIC along +z (the OpenCV/MPIIGaze camera frame: x right, y down,
 *   z away from the camera). A point `(x, y, z)` lands at image position
 *   `(cx + k x, cy + k y)` pixels, with `k` pixels per mm. At eye-patch distances
 *   (MPIIGaze normalises to 600 mm) perspective changes the eye's shape by under 2 %.
 * - Framing: the midpoint of the two eye corners is the image centre (plus `shiftX/Y`);
 *   the image width spans `1.22 * eyeWidth / zoom` (1.5 when the image is square-ish,
 *   H/W > 0.75), so `k = width / span` (about 1.65 px/mm at 60 px wide, 2.9 at 128).
 * - Head: the eye region (corners, lids, skin, eyeball centre) is rigid and rotated by the
 *   head rotation `R = Rz(roll) Ry(yaw) Rx(pitch)` (see `params.ts`). In the head frame the
 *   inner corner is at `(-w/2, 0, 0)` (image left, like UnityEyes), the outer corner at
 *   `(w/2, -w tan(tilt), 3)`, the eyeball centre at `(0.5, -1, 4)`.
 * - Eyeball: a sphere of radius `R = 12` centred at `C`. The iris is a flat disc of radius `r_i`
 *   with normal `g` (the gaze) at distance `d = sqrt(R^2 - r_i^2)` from `C`, so its rim (the
 *   limbus) lies on the sphere; the pupil is a concentric disc of radius `r_p`. The cornea in
 *   front of the disc is transparent (refraction is ignored); every ray that meets the disc from
 *   the front passes only through the cornea, so no occlusion test is needed.
 * - Eyelids: in the 2-D eye frame `(s, t)` (s along the corner axis from the inner to the outer
 *   corner, t perpendicular, down positive; origin at the corners' midpoint, half-width `a`)
 *   with `sigma = s / a` and `q = 1 - sigma^2`, the lid margins are
 *   `t_u(sigma) = -H_u q (1 + c_u q)/(1 + c_u) (1 + alpha_u sigma)` and
 *   `t_l(sigma) = +H_l q (1 + c_l q)/(1 + c_l) (1 + alpha_l sigma)`; the eye is open where
 *   `t_u < t < t_l`. `c < 0` makes the almond shape (steeper near the corners).
 *   The lids follow the gaze: with `Delta = d sin(pitch relative to the head)` (how far the
 *   iris centre moves up, clipped to +-4.5 mm),
 *   `H_u = max(0.35, 5.5 openness + 0.8 Delta) cos(headPitch)` and
 *   `H_l = max(0.8, 3.8 lowerLid - 0.35 Delta) cos(headPitch)`; the upper lid's highest point
 *   moves horizontally with the gaze yaw (`alpha_u = -0.1 - 0.3 sin(yaw rel. head)`).
 * - Caruncle: an ellipse (1.9 x 1.6 mm semi-axes) centred 1.3 mm inside the inner corner,
 *   clipped to the open region. Lid margin ("eyelid" class): a band just outside the opening,
 *   0.9 mm (upper) / 0.5 mm (lower) thick at the centre, thinner towards the corners.
 *
 * @module
 */
import { pitchYawToVector } from "../gaze.ts";
import { type EyeParams, headRotation, relativeGaze } from "./params.ts";

/** Eyeball radius, mm. */
export const EYEBALL_RADIUS = 12;

/** Numbers of UnityEyes-style landmarks, in the order they are stored. */
export const LANDMARK_COUNTS = { interiorMargin: 16, iris: 32, caruncle: 7 } as const;
/** Total landmarks per image (16 + 32 + 7). */
export const LANDMARK_TOTAL = 55;

/** The projected geometry of one eye, ready for the rasteriser. Lengths in mm. */
export interface EyeGeometry {
  /** Output image size. */
  height: number;
  width: number;
  /** Output pixels per mm. */
  k: number;
  /** Image position (output pixels, pixel centres at integers) of the eye-frame origin. */
  cx: number;
  cy: number;
  /** Unit vector of the corner axis (inner to outer corner) in the image plane. */
  ex: number;
  ey: number;
  /** Half the projected corner distance. */
  a: number;
  /** Lid margin constants (see the module documentation). */
  hu: number;
  hl: number;
  cu: number;
  cl: number;
  au: number;
  al: number;
  /** Lid margin band thickness at the centre (upper, lower). */
  marginU: number;
  marginL: number;
  /** Crease height above the upper margin at the centre. */
  crease: number;
  /** Eyeball centre relative to the eye-frame origin (image-plane x, y). */
  bx: number;
  by: number;
  /** Eyeball radius. */
  r: number;
  /** Unit gaze vector (camera frame). */
  g: [number, number, number];
  /** Iris disc distance from the eyeball centre, iris and pupil radii. */
  d: number;
  ri: number;
  rp: number;
  /** In-disc unit axes (3-D): e1 towards image right, e2 towards image down. */
  e1: [number, number, number];
  e2: [number, number, number];
  /** Caruncle ellipse in the eye frame: centre and semi-axes. */
  carS: number;
  carT: number;
  carW: number;
  carH: number;
  /** Unit light direction (towards the light) and strengths. */
  light: [number, number, number];
  lightIntensity: number;
  ambient: number;
  /** Upward iris displacement relative to the head used for the lids, mm. */
  delta: number;
}

function normalize3(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Computes the projected geometry of `p` for an output image of `height x width` pixels. */
export function computeGeometry(p: EyeParams, height: number, width: number): EyeGeometry {
  const square = height / width > 0.75;
  const span = (p.eyeWidth * (square ? 1.5 : 1.22)) / p.zoom;
  const k = width / span;
  const rot = headRotation(p.headPitch, p.headYaw, p.headRoll);
  const apply = (v: number[]): [number, number, number] => [
    rot[0] * v[0] + rot[1] * v[1] + rot[2] * v[2],
    rot[3] * v[0] + rot[4] * v[1] + rot[5] * v[2],
    rot[6] * v[0] + rot[7] * v[1] + rot[8] * v[2],
  ];
  const w2 = p.eyeWidth / 2;
  const inner = apply([-w2, 0, 0]);
  const outer = apply([w2, -p.eyeWidth * Math.tan(p.canthalTilt), 3]);
  const mx = (inner[0] + outer[0]) / 2, my = (inner[1] + outer[1]) / 2;
  const ax = outer[0] - inner[0], ay = outer[1] - inner[1];
  const a = Math.hypot(ax, ay) / 2;
  const centre = apply([0.5, -1, 4]);
  const g = pitchYawToVector(p.pitch, p.yaw);
  const r = EYEBALL_RADIUS;
  const ri = p.irisRadius;
  const d = Math.sqrt(r * r - ri * ri);
  const rel = relativeGaze(p);
  const delta = Math.max(-4.5, Math.min(4.5, d * Math.sin(rel.pitch)));
  const cosHead = Math.cos(p.headPitch);
  const e1 = normalize3([1 - g[0] * g[0], -g[0] * g[1], -g[0] * g[2]]);
  // e2 = e1 x g points down the image for a forward-looking eye (g ~ (0,0,-1), e1 ~ (1,0,0)).
  const e2 = normalize3([
    e1[1] * g[2] - e1[2] * g[1],
    e1[2] * g[0] - e1[0] * g[2],
    e1[0] * g[1] - e1[1] * g[0],
  ]);
  const cu = -0.45, cl = 0;
  return {
    height,
    width,
    k,
    cx: (width - 1) / 2 + p.shiftX * width,
    cy: (height - 1) / 2 + p.shiftY * height,
    ex: ax / (2 * a),
    ey: ay / (2 * a),
    a,
    hu: (Math.max(0.35, 5.5 * p.openness + 0.8 * delta) * cosHead) / (1 + cu),
    hl: (Math.max(0.8, 3.8 * p.lowerLid - 0.35 * delta) * cosHead) / (1 + cl),
    cu,
    cl,
    au: Math.max(-0.4, Math.min(0.4, -0.1 - 0.3 * Math.sin(rel.yaw))),
    al: 0.12,
    marginU: 0.9,
    marginL: 0.5,
    crease: Math.max(1.2, p.creaseHeight - 0.4 * delta),
    bx: centre[0] - mx,
    by: centre[1] - my,
    r,
    g,
    d,
    ri,
    rp: Math.min(p.pupilRadius, ri * 0.8),
    e1,
    e2,
    carS: -a + 1.3,
    carT: 0.3,
    carW: 1.9,
    carH: 1.6,
    light: normalize3([...p.lightDir]),
    lightIntensity: p.lightIntensity,
    ambient: p.ambient,
    delta,
  };
}

/** Upper lid margin `t_u(sigma)` (mm, negative = above the corner line). */
export function upperLid(geo: EyeGeometry, sigma: number): number {
  const q = Math.max(0, 1 - sigma * sigma);
  return -geo.hu * q * (1 + geo.cu * q) * (1 + geo.au * sigma);
}

/** Lower lid margin `t_l(sigma)` (mm, positive = below the corner line). */
export function lowerLid(geo: EyeGeometry, sigma: number): number {
  const q = Math.max(0, 1 - sigma * sigma);
  return geo.hl * q * (1 + geo.cl * q) * (1 + geo.al * sigma);
}

/** Eye-frame `(s, t)` in mm to output-image pixel coordinates (pixel centres at integers). */
export function eyeFrameToImage(geo: EyeGeometry, s: number, t: number): [number, number] {
  return [
    geo.cx + geo.k * (s * geo.ex - t * geo.ey),
    geo.cy + geo.k * (s * geo.ey + t * geo.ex),
  ];
}

/**
 * UnityEyes-style landmarks in output-image pixel coordinates (x right, y down, the centre of
 * the top-left pixel at (0, 0)), as `[x0, y0, x1, y1, ...]` for 55 points:
 *
 * - 0-15 interior margin: 0 = inner corner, 1-7 along the upper lid towards the outer corner,
 *   8 = outer corner, 9-15 along the lower lid back towards the inner corner
 *   (`sigma = -cos(pi i / 8)`, denser near the corners);
 * - 16-47 iris (limbus) outline: 32 points starting at the image-left point of the disc and
 *   going over its top (clockwise on screen), `P = D - r_i (cos(phi) e1 + sin(phi) e2)`,
 *   `phi = 2 pi j / 32`, `D = C + d g`; points hidden by the lids are included;
 * - 48-54 caruncle: 7 points around the caruncle ellipse, starting at its eye-side end,
 *   each clipped to the open region between the lids.
 */
export function computeLandmarks(geo: EyeGeometry, out = new Float32Array(LANDMARK_TOTAL * 2)) {
  let n = 0;
  const put = (xy: [number, number]) => {
    out[n++] = xy[0];
    out[n++] = xy[1];
  };
  for (let i = 0; i <= 8; i++) {
    const sigma = -Math.cos((Math.PI * i) / 8);
    put(eyeFrameToImage(geo, sigma * geo.a, i === 0 || i === 8 ? 0 : upperLid(geo, sigma)));
  }
  for (let i = 9; i < 16; i++) {
    const sigma = Math.cos((Math.PI * (i - 8)) / 8);
    put(eyeFrameToImage(geo, sigma * geo.a, lowerLid(geo, sigma)));
  }
  const { g, d, ri, e1, e2 } = geo;
  for (let j = 0; j < 32; j++) {
    const phi = (2 * Math.PI * j) / 32;
    const c = Math.cos(phi), s = Math.sin(phi);
    const x = geo.bx + d * g[0] - ri * (c * e1[0] + s * e2[0]);
    const y = geo.by + d * g[1] - ri * (c * e1[1] + s * e2[1]);
    put([geo.cx + geo.k * x, geo.cy + geo.k * y]);
  }
  for (let j = 0; j < 7; j++) {
    const phi = (2 * Math.PI * j) / 7;
    const s = geo.carS + geo.carW * Math.cos(phi);
    const sigma = s / geo.a;
    const t = Math.max(
      upperLid(geo, sigma),
      Math.min(lowerLid(geo, sigma), geo.carT + geo.carH * Math.sin(phi)),
    );
    put(eyeFrameToImage(geo, s, t));
  }
  return out;
}
