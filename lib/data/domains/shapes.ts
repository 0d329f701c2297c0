/**
 * The parameter distributions of the two domains. The target ("real") domain differs from the
 * simulator on purpose: more squinting, larger irises, wider head poses, darker irises, a
 * forward-down gaze distribution and looser framing; these are written to `meta.json`.
 *
 * @module
 */
import type { ShapeDistribution } from "../render/params.ts";

/**
 * The simulator: gaze uniform over pitch [-25, 25] deg and yaw [-35, 35] deg (even label
 * coverage, like UnityEyes sampled in a box), small head poses, open eyes, exact framing.
 */
export const SYNTHETIC_SHAPES: ShapeDistribution = {
  pitchDeg: { type: "uniform", lo: -25, hi: 25 },
  yawDeg: { type: "uniform", lo: -35, hi: 35 },
  headPitchDeg: { type: "uniform", lo: -8, hi: 8 },
  headYawDeg: { type: "uniform", lo: -8, hi: 8 },
  headRollDeg: { type: "uniform", lo: -4, hi: 4 },
  maxRelPitchDeg: 30,
  maxRelYawDeg: 40,
  eyeWidth: { type: "uniform", lo: 28, hi: 32 },
  openness: { type: "uniform", lo: 0.8, hi: 1.15 },
  lowerLid: { type: "uniform", lo: 0.85, hi: 1.1 },
  irisRadius: { type: "uniform", lo: 5.6, hi: 6.2 },
  pupilRadius: { type: "uniform", lo: 1.2, hi: 3.0 },
  creaseHeight: { type: "uniform", lo: 3.5, hi: 5.5 },
  canthalTiltDeg: { type: "uniform", lo: 0, hi: 6 },
  skinTone: { type: "uniform", lo: 0, hi: 1 },
  irisWeights: [1, 1, 1, 1, 1, 1],
  lightElevationDeg: { type: "uniform", lo: 5, hi: 55 },
  lightIntensity: { type: "uniform", lo: 0.6, hi: 0.9 },
  ambient: { type: "uniform", lo: 0.3, hi: 0.45 },
  zoom: { type: "const", value: 1 },
  shiftX: { type: "const", value: 0 },
  shiftY: { type: "const", value: 0 },
};

/**
 * The target domain: gaze concentrated forward and slightly down (pitch N(-6, 11) deg, yaw
 * N(0, 15) deg, clipped to the simulator's box), head poses up to +-15 deg, narrower and more
 * varied lid openings, larger and mostly dark irises, light skin more often, framing jitter of
 * +-8 % zoom and +-3 % shift.
 */
export const REAL_SHAPES: ShapeDistribution = {
  pitchDeg: { type: "normal", mean: -6, std: 11, lo: -25, hi: 25 },
  yawDeg: { type: "normal", mean: 0, std: 15, lo: -35, hi: 35 },
  headPitchDeg: { type: "normal", mean: 0, std: 7, lo: -15, hi: 15 },
  headYawDeg: { type: "normal", mean: 0, std: 8, lo: -15, hi: 15 },
  headRollDeg: { type: "normal", mean: 0, std: 4, lo: -8, hi: 8 },
  maxRelPitchDeg: 30,
  maxRelYawDeg: 40,
  eyeWidth: { type: "uniform", lo: 27, hi: 33 },
  openness: { type: "normal", mean: 0.82, std: 0.14, lo: 0.45, hi: 1.15 },
  lowerLid: { type: "uniform", lo: 0.75, hi: 1.15 },
  irisRadius: { type: "uniform", lo: 5.9, hi: 6.7 },
  pupilRadius: { type: "uniform", lo: 1.5, hi: 3.2 },
  creaseHeight: { type: "uniform", lo: 2.5, hi: 6 },
  canthalTiltDeg: { type: "uniform", lo: -2, hi: 8 },
  skinTone: { type: "normal", mean: 0.3, std: 0.25, lo: 0, hi: 1 },
  irisWeights: [6, 3, 1, 0.5, 0.5, 0.5],
  lightElevationDeg: { type: "uniform", lo: 0, hi: 65 },
  lightIntensity: { type: "uniform", lo: 0.5, hi: 1.0 },
  ambient: { type: "uniform", lo: 0.2, hi: 0.5 },
  zoom: { type: "uniform", lo: 0.92, hi: 1.08 },
  shiftX: { type: "uniform", lo: -0.03, hi: 0.03 },
  shiftY: { type: "uniform", lo: -0.03, hi: 0.03 },
};
