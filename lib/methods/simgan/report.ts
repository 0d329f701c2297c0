/**
 * SimGAN's own section of the run report ("SimGAN refinement": the refinement grid and how the
 * run was trained), built by one function ({@link simganReportSections}) for the training task
 * (the live model) and for a report rebuilt from a run folder ({@link loadSimganReportSections}:
 * R from the latest checkpoint, the images from the run's data sets), which `mod.ts` registers
 * with `registerRunReportSections` so that `deno task eval-gaze --refiner RUN` keeps the section
 * when it rewrites `RUN/report.html`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Report } from "../../report/report.ts";
import { comparisonGrid, type RunReportSection, runReportTitle } from "../../report/run_report.ts";
import type { MethodReportSections } from "../../report/run_report_sections.ts";
import type { ImageShape } from "../image_pool.ts";
import type { SimGANConfig } from "./config.ts";
import { readFirstTrainingImages, simganDataDirs } from "./data.ts";
import type { SimGANExtraState } from "./model.ts";
import { loadSimganRefinerNetwork } from "./refiner.ts";
import { pickSamples, refinementRows, SAMPLE_COUNT, type SampleImages } from "./samples.ts";
import type { SimGANTaskConfig } from "./task_config.ts";

/** What SimGAN's report section shows of a model: R and how it was trained. */
export interface SimganReportModel {
  /** R(x) for inference (e.g. `gan.refine`); the caller disposes the result. */
  refine: (x: tf.Tensor4D) => tf.Tensor4D;
  /** The resolved config. */
  config: SimGANConfig;
  /** The update counters (`SimGAN.extraState().state`, or a checkpoint's `state.simgan`). */
  updates: Pick<SimGANExtraState, "updatesR" | "updatesD">;
  /** Images in the history buffer. */
  historySize: number;
  /** Completed training steps (the caption's step). */
  step: number;
}

/**
 * The run report's SimGAN section: the refinement grid x | R(x) | |R(x) - x| | y on the fixed
 * samples, and a paragraph on the loss, the schedule and the update counts. Leaks no tensors.
 *
 * @param model R, the config and the counters.
 * @param samples the fixed images (`pickSamples` of the training sets).
 * @param options `realTarget`: the training target is the unlabelled real set.
 */
export function simganReportSections(
  model: SimganReportModel,
  samples: SampleImages,
  options: { realTarget: boolean },
): RunReportSection[] {
  return [{
    heading: "SimGAN refinement",
    build: async (report: Report) => {
      const rows = await refinementRows(model.refine, samples, {
        target: options.realTarget ? "real images (training target)" : "target training images",
      });
      const { shape } = samples;
      await comparisonGrid(report, rows.map((r) => ({ label: r.label, images: r.images })), {
        shape: [shape.height, shape.width, shape.channels],
        caption: `The final refiner (step ${model.step}) on the first ${
          rows[0].images.length
        } synthetic training images`,
      });
      const c = model.config;
      report.paragraph(
        `Refiner loss L_R = L_local(D(R(x)), real) + lambda * |psi(R(x)) - psi(x)|_1 with ` +
          `lambda = ${c.lambda} (${c.reduction} over patches and pixels), psi = ${c.psi.name}. ` +
          `Schedule: ${c.pretrainRefinerSteps} steps of refiner pretraining, ` +
          `${c.pretrainDiscriminatorSteps} of discriminator pretraining, then K_g = ${c.kG} ` +
          `refiner and K_d = ${c.kD} discriminator updates per step (batch ${c.batchSize}; D sees ` +
          `half real, a quarter current refined, a quarter from the history buffer). ` +
          `Updates: ${model.updates.updatesR} of R, ${model.updates.updatesD} of D; history ` +
          `buffer ${model.historySize} of ${c.bufferSize} images.`,
      );
    },
  }];
}

const sizeOf = (s: ImageShape) => `${s.height}x${s.width}x${s.channels}`;

/**
 * The SimGAN section of a run folder, as `train-simgan` wrote it: R from the latest checkpoint
 * (its step and counters too), the first training images of the run's data sets
 * (`config.json`'s `source` and `real`, else `target`). `dispose` releases R.
 *
 * @throws when the run is not a SimGAN run, its checkpoint or data sets cannot be read, or the
 *   data sets' images are not the size R was trained on.
 */
export async function loadSimganReportSections(runDir: string): Promise<MethodReportSections> {
  const loaded = await loadSimganRefinerNetwork(runDir);
  try {
    const values = loaded.values as unknown as SimGANTaskConfig;
    // only the training sets are read: the evaluation's roles are not needed here
    const dirs = simganDataDirs({ ...values, eval: { ...values.eval, enabled: false } });
    const data = await readFirstTrainingImages(dirs, SAMPLE_COUNT);
    const state = loaded.state as {
      simgan?: SimGANExtraState;
      shape?: ImageShape;
    } | null;
    if (state?.shape && sizeOf(state.shape) !== sizeOf(data.shape)) {
      throw new Error(
        `${loaded.file}: R was trained on ${sizeOf(state.shape)} images, but ${dirs.source} ` +
          `now holds ${sizeOf(data.shape)} images`,
      );
    }
    const sim = state?.simgan;
    if (!sim) throw new Error(`${loaded.file}: no SimGAN state (metadata 'state.simgan')`);
    const samples = pickSamples(data.synthetic, data.target, data.shape, SAMPLE_COUNT);
    const R = loaded.R;
    const sections = simganReportSections(
      {
        refine: (x) => tf.tidy(() => R.apply(x, { training: false })),
        config: loaded.config,
        updates: sim,
        historySize: sim.history?.size ?? 0,
        step: loaded.step,
      },
      samples,
      { realTarget: dirs.trainTargetIsReal },
    );
    return {
      title: runReportTitle("SimGAN", runDir),
      sections,
      dispose: () => R.dispose(),
    };
  } catch (e) {
    loaded.R.dispose();
    throw e;
  }
}
