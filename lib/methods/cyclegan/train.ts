/**
 * `deno task train-cyclegan` as a library call ({@link trainCycleGAN}), and the shared task of
 * the CycleGAN family ({@link trainCycleTask}, also `train-gazegan`'s): the skeleton of
 * `train-simgan` (`runUnpairedTask`, `lib/methods/simgan/unpaired_task.ts`), with its data roles,
 * checks and defaults (`simganDataDirs`, `checkSimganData`, `readTrainingImages`), the experiment
 * harness (`startRun`, `runTraining`, `--resume`), the evaluation protocol on G and the run
 * report. Before the run folder is made, a new run's learning-rate schedule, model config and
 * image size are checked too (a resume's schedule before anything changes).
 *
 * Sample grids (`samples/step-NNNNNN.png`) show both directions: rows x | G(x) | F(G(x)) and
 * y | F(y) | G(F(y)). The report adds SimGAN's refinement grid with G as the refiner and the
 * both-directions grid (`report.ts`, which also rebuilds them from a run folder for `eval-gaze`).
 *
 * Checkpoints hold G, F, D_Y, D_X, both Adam states, both image pools (`arrays.pool_Y`,
 * `arrays.pool_X`), the counters and the two image streams' positions.
 *
 * @module
 */
import { type Checkpoint, CheckpointError } from "../../train/checkpoint.ts";
import type { LoopSettings } from "../../train/config.ts";
import { checkScheduleCoversSteps } from "../../train/schedule.ts";
import { SetupError } from "../../util/cli.ts";
import type { ImageShape } from "../image_pool.ts";
import { checkSimganData, simganDataDirs } from "../simgan/data.ts";
import type { StreamState } from "../simgan/source.ts";
import {
  runUnpairedTask,
  type TrainTaskOptions,
  type UnpairedTaskResult,
  type UnpairedTaskSpec,
} from "../simgan/unpaired_task.ts";
import { CYCLEGAN_DEFAULTS, type CycleGANConfig, validateCycleganConfig } from "./config.ts";
import { generatorRefiner, methodPart } from "./load.ts";
import { checkCycleGANGeometry, CycleGAN, type CycleGANExtraState } from "./model.ts";
import { cycleReportSections, cycleRows, describeCycleConfig } from "./report.ts";
import {
  type CycleDataSettings,
  CYCLEGAN_CONFIG,
  type CycleGANTaskConfig,
  expandCycleArgs,
} from "./task_config.ts";

/** Options of {@link trainCycleGAN} (SimGAN's task options). */
export type TrainCycleOptions = TrainTaskOptions;

/** What a CycleGAN-family task did. */
export type TrainCycleResult = UnpairedTaskResult;

/** The JSON state of a CycleGAN-family checkpoint (besides the pools' images). */
export interface CycleCheckpointState {
  /** The model's pool bookkeeping and update counters. */
  cyclegan: CycleGANExtraState;
  /** Positions of the two image streams. */
  streams: { synthetic: StreamState; target: StreamState };
  /** Image size. */
  shape: ImageShape;
}

// moved to load.ts and report.ts; exported here too, as before
export { generatorRefiner, loadCycleRefiner, methodPart, REFINE_BATCH } from "./load.ts";
export { cycleRows } from "./report.ts";

/** Checks the model part of a checkpoint (state blob, pools, image size); changes nothing. */
export function checkCycleCheckpoint(
  ckpt: Checkpoint,
  shape: ImageShape,
  method: string,
): { state: CycleCheckpointState; pools: { pool_Y: Float32Array; pool_X: Float32Array } } {
  const file = ckpt.file ?? "checkpoint";
  const st = ckpt.state as Partial<CycleCheckpointState> | null;
  const ok = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!ok(st) || !ok(st!.cyclegan) || !ok(st!.streams) || !ok(st!.shape)) {
    throw new CheckpointError(
      `${file}: the ${method} state (metadata 'state') is ${JSON.stringify(st)}, not an object ` +
        `with cyclegan, streams and shape; was it written by train-${method.toLowerCase()}?`,
    );
  }
  const state = st as CycleCheckpointState;
  const size = (s: ImageShape) => `${s.height}x${s.width}x${s.channels}`;
  if (size(state.shape) !== size(shape)) {
    throw new CheckpointError(
      `${file}: trained on ${size(state.shape)} images, but the data sets now hold ` +
        `${size(shape)} images (were they changed or regenerated since?)`,
    );
  }
  const pool_Y = ckpt.arrays.pool_Y?.data, pool_X = ckpt.arrays.pool_X?.data;
  if (!pool_Y || !pool_X) {
    throw new CheckpointError(`${file}: the image pools (arrays 'pool_Y', 'pool_X') are missing`);
  }
  return { state, pools: { pool_Y, pool_X } };
}

/**
 * What distinguishes a task of the CycleGAN family: its names, config, model, metrics (the
 * fields of {@link UnpairedTaskSpec} of the same names) and the report's paragraph on training.
 */
export interface CycleTaskSpec<C extends LoopSettings & CycleDataSettings & CycleGANConfig>
  extends Pick<UnpairedTaskSpec<C, CycleGAN>, "task" | "title" | "config" | "build" | "show"> {
  /** The report's paragraph on how the model was trained. */
  describe: (gan: CycleGAN) => string;
}

/**
 * Runs a task of the CycleGAN family for `argv` (see the module documentation):
 * {@link runUnpairedTask} with the CycleGAN family's checks, checkpoint state (the pools), sample
 * rows, refiner (G) and report, and the model `spec` builds.
 *
 * @returns what happened, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (also for `--steps` past the learning-rate schedule, new
 *   run or resume), `SetupError` for bad data sets, `CheckpointError` for a run that cannot be
 *   resumed.
 */
export function trainCycleTask<C extends LoopSettings & CycleDataSettings & CycleGANConfig>(
  spec: CycleTaskSpec<C>,
  argv: readonly string[],
  options: TrainCycleOptions = {},
): Promise<TrainCycleResult | undefined> {
  return runUnpairedTask<C, CycleGAN>(
    {
      task: spec.task,
      title: spec.title,
      config: spec.config,
      expandArgs: expandCycleArgs,
      precheck: async (values, check) => {
        checkScheduleCoversSteps(values.steps, values.schedule);
        try {
          // what CycleGAN.create would refuse (an unsupported receptive field, bce with LSGAN
          // codes, ...)
          validateCycleganConfig(values, spec.config.name);
        } catch (e) {
          throw new SetupError((e as Error).message);
        }
        const dirs = simganDataDirs(values);
        const shape = await checkSimganData(dirs, check);
        checkCycleGANGeometry(values, shape, { data: `--source ${dirs.source}` });
      },
      // a new run's schedule was checked before its folder was made; a resume's changes nothing yet
      checkResume: (cfg) => checkScheduleCoversSteps(cfg.steps, cfg.schedule, { resume: true }),
      build: spec.build,
      checkCheckpoint: (ckpt, shape) => {
        const { state, pools } = checkCycleCheckpoint(ckpt, shape, spec.title);
        return { streams: state.streams, arrays: pools, extra: state.cyclegan };
      },
      streamLabel: (_name, dir) => `the image stream of ${dir}`,
      extraStateMisfit: (detail) => `${spec.title}'s image pools do not fit this run: ${detail}`,
      stateKey: "cyclegan",
      show: spec.show,
      sampleRows: (gan, samples) => cycleRows(gan, samples),
      refiner: (gan, info) => generatorRefiner(gan.G, info),
      reportSections: (gan, samples, { step, realTarget }) =>
        cycleReportSections(
          {
            title: spec.title,
            translate: (x) => gan.translate(x),
            translateBack: (y) => gan.translateBack(y),
            description: spec.describe(gan),
            step,
          },
          samples,
          { realTarget },
        ),
    },
    argv,
    options,
  );
}

/** How a CycleGAN-family model was trained, for the report. */
export function describeCycle(gan: CycleGAN): string {
  return describeCycleConfig(gan.config, gan.extraState().state);
}

/**
 * Runs `train-cyclegan` for `argv`.
 *
 * @returns what happened, or `undefined` after printing `--help`.
 */
export function trainCycleGAN(
  argv: readonly string[],
  options: TrainCycleOptions = {},
): Promise<TrainCycleResult | undefined> {
  return trainCycleTask<CycleGANTaskConfig>(
    {
      task: "train-cyclegan",
      title: "CycleGAN",
      config: CYCLEGAN_CONFIG,
      build: (s, { shape }) =>
        Promise.resolve(
          CycleGAN.create(
            methodPart(s.config as unknown as Record<string, unknown>, CYCLEGAN_DEFAULTS),
            {
              seed: s.seeds.seed,
              shape,
            },
          ),
        ),
      show: ["loss_G_adv", "loss_F_adv", "loss_cyc", "loss_D_Y", "loss_D_X"],
      describe: describeCycle,
    },
    argv,
    options,
  );
}
