/**
 * The CycleGAN family's own sections of the run report ("<method> refinement": SimGAN's grid
 * with G as the refiner; "<method> both directions": x | G(x) | F(G(x)) and y | F(y) | G(F(y))),
 * built by one function ({@link cycleReportSections}) for the training task (the live model)
 * and for a report rebuilt from a run folder ({@link loadCycleReportSections}: G and F from the
 * latest checkpoint, the images from the run's data sets), which `mod.ts` (and GazeGAN's)
 * registers with `registerRunReportSections`, so that `deno task eval-gaze --refiner RUN` keeps
 * them when it rewrites `RUN/report.html`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { quantiseImages } from "../../eval/refiner.ts";
import type { Report } from "../../report/report.ts";
import { comparisonGrid, type RunReportSection, runReportTitle } from "../../report/run_report.ts";
import type { MethodReportSections } from "../../report/run_report_sections.ts";
import type { ImageShape } from "../image_pool.ts";
import { readFirstTrainingImages, simganDataDirs } from "../simgan/data.ts";
import {
  pickSamples,
  refinementRows,
  SAMPLE_COUNT,
  type SampleImages,
  type SampleRow,
  splitImages,
} from "../simgan/samples.ts";
import type { SimGANTaskConfig } from "../simgan/task_config.ts";
import {
  CYCLEGAN_DEFAULTS,
  type CycleGANConfig,
  type CycleGANOverrides,
  resolveCycleganConfig,
} from "./config.ts";
import { loadCycleGenerators, methodPart } from "./load.ts";
import type { CycleGANExtraState } from "./model.ts";

/** The two directions of a CycleGAN-family model, for inference (`CycleGAN` is one). */
export interface CycleTranslators {
  /** G(x): synthetic to real; the caller disposes the result. */
  translate(x: tf.Tensor4D): tf.Tensor4D;
  /** F(y): real to synthetic; the caller disposes the result. */
  translateBack(y: tf.Tensor4D): tf.Tensor4D;
}

async function toBytes(t: tf.Tensor): Promise<Uint8Array> {
  try {
    return quantiseImages((await t.data()) as Float32Array).bytes;
  } finally {
    t.dispose();
  }
}

/**
 * The six rows of both directions: x | G(x) | F(G(x)) and y | F(y) | G(F(y)). Leaks no
 * tensors.
 *
 * @param gan the model (a `CycleGAN`, or G and F loaded from a run).
 * @param samples the fixed images.
 */
export async function cycleRows(
  gan: CycleTranslators,
  samples: SampleImages,
): Promise<SampleRow[]> {
  const { height, width, channels } = samples.shape;
  const per = height * width * channels;
  const asTensor = (b: Uint8Array): tf.Tensor4D =>
    tf.tidy(() => {
      const t = tf.tensor4d(b, [b.length / per, height, width, channels], "float32");
      return tf.sub(tf.div(t, 127.5), 1);
    });
  const x = asTensor(samples.synthetic);
  const y = asTensor(samples.target);
  try {
    const gx = await toBytes(gan.translate(x));
    const fgx = await toBytes(tf.tidy(() => gan.translateBack(gan.translate(x))));
    const fy = await toBytes(gan.translateBack(y));
    const gfy = await toBytes(tf.tidy(() => gan.translate(gan.translateBack(y))));
    const s = samples.shape;
    return [
      { label: "synthetic x", images: splitImages(samples.synthetic, s) },
      { label: "G(x)", images: splitImages(gx, s) },
      { label: "F(G(x))", images: splitImages(fgx, s) },
      { label: "target y", images: splitImages(samples.target, s) },
      { label: "F(y)", images: splitImages(fy, s) },
      { label: "G(F(y))", images: splitImages(gfy, s) },
    ];
  } finally {
    tf.dispose([x, y]);
  }
}

/** The update counters of a CycleGAN-family model. */
export type CycleUpdates = Pick<CycleGANExtraState, "updatesG" | "updatesD">;

/** How a CycleGAN-family model was trained, for the report, from its config and counters. */
export function describeCycleConfig(c: CycleGANConfig, updates: CycleUpdates): string {
  return `Loss: ${c.adversarial.loss} (a, b, c = ${c.adversarial.a}, ${c.adversarial.b}, ` +
    `${c.adversarial.c}; smoothing ${c.adversarial.labelSmoothing}), lambda_cyc = ` +
    `${c.lambdaCycle}, identity ${c.lambdaIdentity} x lambda_cyc, pools of ${c.poolSize}, ` +
    `batch ${c.batchSize}, Adam lr ${c.optimizer.lr} (constant ${c.schedule.constantSteps} ` +
    `steps, then ${c.schedule.decaySteps} decaying). Generators c7s1-${c.generator.filters}, ` +
    `${c.generator.blocks} blocks; PatchGAN ${c.discriminator.receptiveField}x` +
    `${c.discriminator.receptiveField} of ${c.discriminator.filters} maps. Updates: ` +
    `${updates.updatesG} of G and F, ${updates.updatesD} of D_Y and D_X.`;
}

/** What the CycleGAN family's report sections show of a model. */
export interface CycleReportModel extends CycleTranslators {
  /** The method as the report names it: `CycleGAN`, `GazeGAN`. */
  title: string;
  /** The paragraph on how the model was trained (e.g. {@link describeCycleConfig}). */
  description: string;
  /** Completed training steps (the captions' step). */
  step: number;
}

/**
 * The run report's sections of the CycleGAN family: "<title> refinement" (x | G(x) |
 * |G(x) - x| | y and the description) and "<title> both directions". Leak no tensors.
 *
 * @param model G, F, the title, the description and the step.
 * @param samples the fixed images (`pickSamples` of the training sets).
 * @param options `realTarget`: the training target is the unlabelled real set.
 */
export function cycleReportSections(
  model: CycleReportModel,
  samples: SampleImages,
  options: { realTarget: boolean },
): RunReportSection[] {
  const { shape } = samples;
  const shapeArr = [shape.height, shape.width, shape.channels] as const;
  return [
    {
      heading: `${model.title} refinement`,
      build: async (report: Report) => {
        const rows = await refinementRows((x) => model.translate(x), samples, {
          refined: "refined G(x)",
          target: options.realTarget ? "real images (training target)" : "target training images",
        });
        await comparisonGrid(report, rows, {
          shape: shapeArr,
          caption: `The final G (step ${model.step}) on the first ${
            rows[0].images.length
          } synthetic training images`,
        });
        report.paragraph(model.description);
      },
    },
    {
      heading: `${model.title} both directions`,
      build: async (report: Report) => {
        const rows = await cycleRows(model, samples);
        await comparisonGrid(report, rows, {
          shape: shapeArr,
          caption: `Step ${model.step}: x, G(x), F(G(x)) and y, F(y), G(F(y)) on the first ` +
            `training images of each domain`,
        });
      },
    },
  ];
}

const sizeOf = (s: ImageShape) => `${s.height}x${s.width}x${s.channels}`;

/**
 * The sections of a CycleGAN-family run folder, as its training task wrote them: G and F from
 * the latest checkpoint (its step and counters too), the first training images of the run's
 * data sets (`config.json`'s `source` and `real`, else `target`). `dispose` releases G and F.
 *
 * @param runDir the run folder.
 * @param spec the method's title and description (from `config.json`'s values and the
 *   checkpoint's counters); default CycleGAN's.
 * @throws when the run is not of the family, its checkpoint or data sets cannot be read, or the
 *   data sets' images are not the size G was trained on.
 */
export async function loadCycleReportSections(
  runDir: string,
  spec: {
    title: string;
    describe: (values: Record<string, unknown>, updates: CycleUpdates) => string;
  } = {
    title: "CycleGAN",
    describe: (values, updates) =>
      describeCycleConfig(
        resolveCycleganConfig(methodPart<CycleGANOverrides>(values, CYCLEGAN_DEFAULTS)),
        updates,
      ),
  },
): Promise<MethodReportSections> {
  const loaded = await loadCycleGenerators(runDir, { F: true });
  try {
    const values = loaded.values as unknown as SimGANTaskConfig;
    // only the training sets are read: the evaluation's roles are not needed here
    const dirs = simganDataDirs({ ...values, eval: { ...values.eval, enabled: false } });
    const data = await readFirstTrainingImages(dirs, SAMPLE_COUNT);
    const state = loaded.state as { cyclegan?: CycleGANExtraState; shape?: ImageShape } | null;
    if (state?.shape && sizeOf(state.shape) !== sizeOf(data.shape)) {
      throw new Error(
        `${loaded.file}: G was trained on ${sizeOf(state.shape)} images, but ${dirs.source} ` +
          `now holds ${sizeOf(data.shape)} images`,
      );
    }
    const counters = state?.cyclegan;
    if (!counters) throw new Error(`${loaded.file}: no ${spec.title} state ('state.cyclegan')`);
    const samples = pickSamples(data.synthetic, data.target, data.shape, SAMPLE_COUNT);
    const { G, F } = loaded as { G: typeof loaded.G; F: typeof loaded.G };
    const sections = cycleReportSections(
      {
        title: spec.title,
        translate: (x) => tf.tidy(() => G.apply(x, { training: false })),
        translateBack: (y) => tf.tidy(() => F.apply(y, { training: false })),
        description: spec.describe(loaded.values, counters),
        step: loaded.step,
      },
      samples,
      { realTarget: dirs.trainTargetIsReal },
    );
    return { title: runReportTitle(spec.title, runDir), sections, dispose: loaded.dispose };
  } catch (e) {
    loaded.dispose();
    throw e;
  }
}
