/**
 * `deno task train-cyclegan` as a library call ({@link trainCycleGAN}), and the shared task of
 * the CycleGAN family ({@link trainCycleTask}, also `train-gazegan`'s): built like
 * `train-simgan` (`lib/methods/simgan/train.ts`), with its data roles, checks and defaults
 * (`simganDataDirs`, `checkSimganData`, `readTrainingImages`), the experiment harness
 * (`startRun`, `runTraining`, `--resume`), the evaluation protocol on G and the run report.
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
import { formatEvalSummary, type GazeEvalFile } from "../../eval/eval_file.ts";
import { runReportTitle, writeRunReport } from "../../report/run_report.ts";
import { parseRunArgs } from "../../train/args.ts";
import { type Checkpoint, CheckpointError, restoreCheckpoint } from "../../train/checkpoint.ts";
import { type ConfigSpec, type LoopSettings, resolveConfig } from "../../train/config.ts";
import { runTraining } from "../../train/loop.ts";
import { checkScheduleCoversSteps } from "../../train/schedule.ts";
import { type RunSession, startRun } from "../../train/session.ts";
import { SetupError } from "../../util/cli.ts";
import type { ImageShape } from "../image_pool.ts";
import { checkSimganData, readTrainingImages, simganDataDirs } from "../simgan/data.ts";
import { pickSamples, SAMPLE_COUNT, writeSampleRows } from "../simgan/samples.ts";
import { ImageStream, streamSource, type StreamState } from "../simgan/source.ts";
import { evaluateRun, loopSettings, type TrainSimGANOptions } from "../simgan/train.ts";
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
export type TrainCycleOptions = TrainSimGANOptions;

/** What a CycleGAN-family task did. */
export interface TrainCycleResult {
  /** 0 done, 130 interrupted (checkpoint written; no evaluation). */
  exitCode: 0 | 130;
  /** The run folder. */
  runDir: string;
  /** Completed training steps. */
  step: number;
  /** The evaluation (absent with `--no-eval` or after an interruption). */
  eval?: GazeEvalFile;
  /** `report.html`'s path. */
  report: string;
}

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

function restoreStream(stream: ImageStream, state: StreamState, file: string, dir: string): void {
  try {
    stream.restore(state);
  } catch (e) {
    throw new CheckpointError(
      `${file}: the image stream of ${dir} cannot continue: ` +
        (e as Error).message.replace(/^ImageStream: /, ""),
    );
  }
}

/** What distinguishes a task of the CycleGAN family. */
export interface CycleTaskSpec<C extends LoopSettings & CycleDataSettings & CycleGANConfig> {
  /** `train-cyclegan`, `train-gazegan`. */
  task: string;
  /** Method name in the report and `eval.json` (`CycleGAN`, `GazeGAN`). */
  title: string;
  /** The harness's config declaration. */
  config: ConfigSpec<C>;
  /** Builds the model of a started run (GazeGAN: with its frozen estimator). */
  build: (
    s: RunSession<C>,
    ctx: { shape: ImageShape; source: string; print: (m: string) => void },
  ) => Promise<CycleGAN>;
  /** Metrics on the progress bar. */
  show: string[];
  /** The report's paragraph on how the model was trained. */
  describe: (gan: CycleGAN) => string;
}

async function precheck<C extends LoopSettings & CycleDataSettings & CycleGANConfig>(
  spec: ConfigSpec<C>,
  argv: readonly string[],
  options: { log: (line: string) => void; command: string },
): Promise<void> {
  const { flags, overrides } = parseRunArgs(argv, spec);
  if (flags.help || flags.resume !== undefined) return;
  const { values } = resolveConfig(spec, { preset: flags.preset, overrides });
  checkScheduleCoversSteps(values.steps, values.schedule);
  try {
    // what CycleGAN.create would refuse (an unsupported receptive field, bce with LSGAN codes, ...)
    validateCycleganConfig(values, spec.name);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
  const dirs = simganDataDirs(values);
  const shape = await checkSimganData(dirs, { ...options, quiet: flags.quiet });
  checkCycleGANGeometry(values, shape, { data: `--source ${dirs.source}` });
}

/**
 * Runs a task of the CycleGAN family for `argv` (see the module documentation).
 *
 * @returns what happened, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (also for `--steps` past the learning-rate schedule, new
 *   run or resume), `SetupError` for bad data sets, `CheckpointError` for a run that cannot be
 *   resumed.
 */
export async function trainCycleTask<C extends LoopSettings & CycleDataSettings & CycleGANConfig>(
  spec: CycleTaskSpec<C>,
  argv: readonly string[],
  options: TrainCycleOptions = {},
): Promise<TrainCycleResult | undefined> {
  const print = options.print ?? ((m: string) => console.error(m));
  const output = options.output ?? ((m: string) => console.log(m));
  const args = expandCycleArgs(argv);
  const command = [`deno task ${spec.task}`, ...argv].join(" ");
  await precheck(spec.config, args, { log: print, command });
  const s = await startRun(spec.config, args, { task: spec.task, print, git: options.git });
  if (!s) return undefined;
  const cfg = s.config;
  // a new run's schedule was checked before its folder was made; a resume's changes nothing yet
  if (s.checkpoint) checkScheduleCoversSteps(cfg.steps, cfg.schedule, { resume: true });
  const dirs = simganDataDirs(cfg);
  if (s.checkpoint) await checkSimganData(dirs, { quiet: s.quiet, log: print, command });
  const data = await readTrainingImages(dirs);
  const { shape } = data;
  const gan = await spec.build(s, { shape, source: dirs.source, print });
  try {
    const streams = {
      synthetic: new ImageStream(data.synthetic, shape, s.seeds.derive("data", "synthetic")),
      target: new ImageStream(data.target, shape, s.seeds.derive("data", "target")),
    };
    if (s.checkpoint) {
      // everything is checked and restored before the resume changes the run folder
      const file = s.checkpoint.file ?? "checkpoint";
      const saved = checkCycleCheckpoint(s.checkpoint, shape, spec.title);
      restoreStream(streams.synthetic, saved.state.streams.synthetic, file, dirs.source);
      restoreStream(streams.target, saved.state.streams.target, file, dirs.trainTarget);
      await restoreCheckpoint(s.checkpoint, {
        networks: gan.networks(),
        optimizers: gan.optimizers(),
      });
      try {
        gan.restoreExtraState(saved.pools, saved.state.cyclegan);
      } catch (e) {
        throw new CheckpointError(
          `${file}: ${spec.title}'s image pools do not fit this run: ${(e as Error).message}`,
        );
      }
      await s.commitResume();
    }
    const source = streamSource({ synthetic: streams.synthetic, real: streams.target });
    const samples = pickSamples(data.synthetic, data.target, shape, SAMPLE_COUNT);

    const result = await runTraining({
      ...loopSettings(s, options, print),
      show: spec.show,
      step: (i) => gan.step(i, source),
      save: () => {
        const p = gan.checkpointPayload();
        const state: CycleCheckpointState = {
          cyclegan: p.state,
          streams: { synthetic: streams.synthetic.state(), target: streams.target.state() },
          shape,
        };
        return { networks: p.networks, optimizers: p.optimizers, arrays: p.arrays, state };
      },
      onSample: async (step) => {
        const rows = await cycleRows(gan, samples);
        await writeSampleRows(s.run, step, rows, options.onSample);
      },
    });

    let evalResult: GazeEvalFile | undefined;
    if (result.status === "completed" && dirs.protocol) {
      const refiner = generatorRefiner(gan.G, {
        name: spec.title,
        source: { run: s.run.paths.dir, step: result.step, live: true },
      });
      evalResult = await evaluateRun(s, refiner, { data: dirs.protocol, print, command });
      output(formatEvalSummary(evalResult));
    }
    const step = result.step;
    const { path } = await writeRunReport(s.run.paths.dir, {
      title: runReportTitle(spec.title, s.run.paths.dir),
      extraSections: cycleReportSections(
        {
          title: spec.title,
          translate: (x) => gan.translate(x),
          translateBack: (y) => gan.translateBack(y),
          description: spec.describe(gan),
          step,
        },
        samples,
        { realTarget: dirs.trainTargetIsReal },
      ),
    });
    output(`report: ${path}`);
    return {
      exitCode: result.exitCode,
      runDir: s.run.paths.dir,
      step,
      eval: evalResult,
      report: path,
    };
  } finally {
    gan.dispose();
  }
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
