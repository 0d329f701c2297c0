/**
 * GazeGAN's typed config: CycleGAN's ({@link CycleGANConfig}) with GazeGAN's choices as
 * defaults, plus the gaze cycle-consistency term.
 *
 * What GazeGAN changes (Sela et al. 2017, as described in the project's source article; the
 * weights are not published):
 * - LSGAN (a = 0, b = 1) with one-sided label smoothing on the generators' side in both
 *   directions: G and F aim at c = 0.9 on their images (`adversarial.labelSmoothing:
 *   "generator"`, `smoothTo: 0.9`).
 * - The cycle loss has a second part, `gaze.weight * d(E(F(G(x))), E(x))`, with E a gaze
 *   estimator trained on synthetic images and frozen (`gaze.estimator`: a file of
 *   `deno task train-estimator`); d is `l2` on (pitch, yaw) in radians (default) or `angular`,
 *   2 (1 - cos theta) of the gaze vectors; both are about theta^2 (see
 *   `lib/losses/gaze_cycle.ts`).
 * - Weight: FP-GAN (the public gaze-preserving CycleGAN on UnityEyes <-> MPIIGaze, 36x60 gray)
 *   used lambda_gaze 25; we take 25 as the default. With d ~ theta^2, a gaze drift of 5 deg
 *   (0.087 rad) through the cycle costs 25 x 0.0076 = 0.19, about one LSGAN generator term at
 *   equilibrium ((0.5 - 0.9)^2 = 0.16), and 10 deg costs 0.76; a cycle that keeps the gaze
 *   within 2-3 deg pays almost nothing, so the term does not fight the pixel cycle loss.
 *
 * @module
 */
import { GAZE_DISTANCES, type GazeDistance } from "../../losses/gaze_cycle.ts";
import {
  CYCLEGAN_DEFAULTS,
  CYCLEGAN_FIELDS,
  CYCLEGAN_PRESETS,
  type CycleGANConfig,
  mergeConfig,
  validateCycleganConfig,
} from "../cyclegan/config.ts";

/** GazeGAN's settings: CycleGAN's plus the gaze cycle-consistency term. */
export interface GazeGANConfig extends CycleGANConfig {
  /**
   * The gaze cycle term `weight * d(E(F(G(x))), E(x))`: distance `loss` (`l2` on pitch/yaw in
   * radians, or `angular`), `weight` (lambda_gaze; 0 = off, plain CycleGAN with smoothing) and
   * the frozen `estimator` file (`saveEstimator` format; used by `loadGazeGAN`).
   */
  gaze: { loss: GazeDistance; weight: number; estimator: string };
}

/** A partial config: any subset of the fields (nested objects partial too). */
export type GazeGANOverrides = {
  [K in keyof GazeGANConfig]?: GazeGANConfig[K] extends object ? Partial<GazeGANConfig[K]>
    : GazeGANConfig[K];
};

/**
 * Defaults: CycleGAN's paper settings (128x128 colour networks, lambda_cyc 10, identity 0.5,
 * pool 50, Adam 2e-4 / 0.5, 100k + 100k steps) with the generators' targets smoothed to 0.9
 * and the gaze term `l2`, weight 25.
 */
export const GAZEGAN_DEFAULTS: GazeGANConfig = {
  ...structuredClone(CYCLEGAN_DEFAULTS),
  adversarial: {
    ...CYCLEGAN_DEFAULTS.adversarial,
    loss: "lsgan",
    labelSmoothing: "generator",
    smoothTo: 0.9,
  },
  gaze: { loss: "l2", weight: 25, estimator: "" },
};

/** A preset: overrides plus the loop's total `steps`. */
export type GazeGANPreset = GazeGANOverrides & { steps: number };

/**
 * Suggested presets (wasm backend, two CPU cores; timings and the measured 150-step run in
 * `mod.ts`), CycleGAN's networks and schedules with GazeGAN's defaults (generator targets 0.9,
 * gaze `l2` x 25):
 * - `smoke`: seconds; tests and CI.
 * - `quick`: 36x60x1, c7s1-16 / 3 blocks / `resize_conv` ups, 34x34 PatchGAN of 16 maps,
 *   batch 4, Adam 5e-4, 400 + 200 steps: 4-10 minutes (0.4-1 s a step, idle to loaded).
 * - `paper`: the paper's networks at 128x128 colour, batch 1, 100k + 100k steps; the task's
 *   `paper` preset trains on the 128x128x3 default data sets (`cycleTaskSpec`).
 */
export const GAZEGAN_PRESETS: { smoke: GazeGANPreset; quick: GazeGANPreset; paper: GazeGANPreset } =
  {
    smoke: structuredClone(CYCLEGAN_PRESETS.smoke),
    quick: structuredClone(CYCLEGAN_PRESETS.quick),
    paper: structuredClone(CYCLEGAN_PRESETS.paper),
  };

/** Per-field details in the harness's `FieldInfo` shape (docs, choices, bounds). */
export const GAZEGAN_FIELDS = {
  ...CYCLEGAN_FIELDS,
  "gaze.loss": {
    doc: "gaze distance: l2 on pitch/yaw (rad) or angular 2(1 - cos)",
    choices: [...GAZE_DISTANCES],
  },
  "gaze.weight": { doc: "lambda_gaze of the gaze cycle term (0 = off)", min: 0 },
  "gaze.estimator": { doc: "frozen gaze estimator file (deno task train-estimator)" },
} as const;

/**
 * The defaults with `overrides` applied, checked.
 *
 * @throws for unknown keys, mistyped values and invalid settings.
 */
export function resolveGazeganConfig(overrides: GazeGANOverrides = {}): GazeGANConfig {
  const cfg = mergeConfig("gazegan", GAZEGAN_DEFAULTS, overrides);
  validateCycleganConfig(cfg, "gazegan");
  if (!GAZE_DISTANCES.includes(cfg.gaze.loss)) {
    throw new Error(
      `gazegan: gaze.loss must be one of ${GAZE_DISTANCES.join(", ")}, got '${cfg.gaze.loss}'`,
    );
  }
  if (!Number.isFinite(cfg.gaze.weight) || cfg.gaze.weight < 0) {
    throw new Error(`gazegan: gaze.weight must be a finite number >= 0, got ${cfg.gaze.weight}`);
  }
  return cfg;
}
