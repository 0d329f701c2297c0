/**
 * `deno task train-gazegan` as a library call ({@link trainGazeGAN}): the CycleGAN family's task
 * (`lib/methods/cyclegan/train.ts`) with GazeGAN's model and its frozen gaze estimator E.
 *
 * E is `--gaze.estimator FILE` when given; otherwise the evaluation protocol's raw-synthetic
 * estimator (a), trained on `--source` with the `eval.*` settings and taken from or put into the
 * estimator cache, as SimGAN's psi `features` does (same cache namespace, so the two share it).
 * It is copied to `RUN/gaze_estimator.safetensors`, which a resume reads.
 *
 * @module
 */
import type { Estimator } from "../../gaze/estimator.ts";
import type { MethodReportSections } from "../../report/run_report_sections.ts";
import type { RunSession } from "../../train/session.ts";
import { runEstimatorFile } from "../simgan/train.ts";
import {
  type TrainCycleOptions,
  type TrainCycleResult,
  trainCycleTask,
} from "../cyclegan/train.ts";
import { methodPart } from "../cyclegan/load.ts";
import type { CycleGAN } from "../cyclegan/model.ts";
import {
  type CycleUpdates,
  describeCycleConfig,
  loadCycleReportSections,
} from "../cyclegan/report.ts";
import {
  GAZEGAN_DEFAULTS,
  type GazeGANConfig,
  type GazeGANOverrides,
  resolveGazeganConfig,
} from "./config.ts";
import { GazeGAN } from "./model.ts";
import { GAZEGAN_CONFIG, type GazeGANTaskConfig } from "./task_config.ts";

/** File name of E inside a run folder (when not given by `--gaze.estimator`). */
export const GAZE_ESTIMATOR_FILE = "gaze_estimator.safetensors";

/** E of a run (see the module documentation). */
function gazeEstimator(
  s: RunSession<GazeGANTaskConfig>,
  source: string,
  print: (m: string) => void,
): Promise<Estimator> {
  return runEstimatorFile(s, {
    given: s.config.gaze.estimator,
    file: GAZE_ESTIMATOR_FILE,
    namespace: "gaze_E",
    label: "gaze estimator E",
    source,
    print,
  });
}

/**
 * Runs `train-gazegan` for `argv`.
 *
 * @returns what happened, or `undefined` after printing `--help`.
 */
export function trainGazeGAN(
  argv: readonly string[],
  options: TrainCycleOptions = {},
): Promise<TrainCycleResult | undefined> {
  return trainCycleTask<GazeGANTaskConfig>(
    {
      task: "train-gazegan",
      title: "GazeGAN",
      config: GAZEGAN_CONFIG,
      build: async (s, { shape, source, print }) => {
        const est = await gazeEstimator(s, source, print);
        try {
          const part = methodPart<GazeGANOverrides>(
            s.config as unknown as Record<string, unknown>,
            GAZEGAN_DEFAULTS,
          );
          const gan = GazeGAN.create(part, { seed: s.seeds.seed, shape, estimator: est });
          gan.adopt(est.net);
          return gan;
        } catch (e) {
          est.net.dispose();
          throw e;
        }
      },
      show: ["loss_G_adv", "loss_F_adv", "loss_cyc", "loss_gaze", "loss_D_Y", "loss_D_X"],
      describe: (gan: CycleGAN) =>
        describeGazeGANConfig((gan as GazeGAN).config, gan.extraState().state),
    },
    argv,
    options,
  );
}

/** How a GazeGAN model was trained, for the report, from its config and counters. */
export function describeGazeGANConfig(c: GazeGANConfig, updates: CycleUpdates): string {
  const g = c.gaze;
  return `${describeCycleConfig(c, updates)} Gaze cycle term: ${g.weight} x ${g.loss} distance ` +
    `of the frozen estimator E (${
      g.estimator === "" ? "the protocol's raw-synthetic estimator" : g.estimator
    }).`;
}

/**
 * GazeGAN's report sections of a run folder, as `train-gazegan` wrote them (the CycleGAN
 * family's, `loadCycleReportSections`, with GazeGAN's title and description); E is not loaded.
 */
export function loadGazeGANReportSections(runDir: string): Promise<MethodReportSections> {
  return loadCycleReportSections(runDir, {
    title: "GazeGAN",
    describe: (values, updates) =>
      describeGazeGANConfig(
        resolveGazeganConfig(methodPart<GazeGANOverrides>(values, GAZEGAN_DEFAULTS)),
        updates,
      ),
  });
}
