/**
 * The config of `deno task train-gazegan`: the loop settings, GazeGAN's own
 * ({@link GAZEGAN_DEFAULTS}, `gaze.estimator` included), and `train-simgan`'s data and
 * evaluation fields, with the `smoke`, `quick` and `paper` presets ({@link GAZEGAN_PRESETS}
 * with `train-simgan`'s loop and evaluation settings). Short flag: `--no-eval`.
 *
 * @module
 */
import type { ConfigSpec, LoopSettings } from "../../train/config.ts";
import { type CycleDataSettings, cycleTaskSpec } from "../cyclegan/task_config.ts";
import { GAZEGAN_DEFAULTS, GAZEGAN_FIELDS, GAZEGAN_PRESETS, type GazeGANConfig } from "./config.ts";

/** Everything `train-gazegan` is configured by. */
export interface GazeGANTaskConfig extends LoopSettings, GazeGANConfig, CycleDataSettings {}

/** The harness's declaration of `train-gazegan`'s config. */
export const GAZEGAN_CONFIG: ConfigSpec<GazeGANTaskConfig> = cycleTaskSpec<GazeGANTaskConfig>({
  name: "gazegan",
  description:
    "GazeGAN (Sela et al. 2017): CycleGAN between synthetic and target-domain eyes with LSGAN, " +
    "generator label smoothing and the gaze cycle term lambda_gaze d(E(F(G(x))), E(x)) of a " +
    "frozen estimator E: --gaze.estimator FILE, or (when '') the evaluation protocol's " +
    "estimator trained on --source (eval.* settings, estimator cache). Trains, evaluates G " +
    "with the gaze protocol and writes report.html. Short flag: --no-eval.",
  defaults: GAZEGAN_DEFAULTS,
  presets: GAZEGAN_PRESETS,
  fields: GAZEGAN_FIELDS,
});
