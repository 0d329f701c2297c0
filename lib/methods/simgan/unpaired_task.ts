/**
 * The skeleton of the unpaired training tasks ({@link runUnpairedTask}: `train-simgan`,
 * `train-cyclegan`, `train-gazegan`), and the pieces every method's training task shares
 * ({@link loopSettings}, {@link evaluateRun}, {@link estimatorSettings}; `train-pix2pix` uses
 * them too).
 *
 * An unpaired task reads two image sets (the labelled synthetic `--source`, and `--real`, else
 * `--target`, without labels) and trains a model on batches of each, drawn by two seeded
 * {@link ImageStream}s. What differs between the methods (the model, its checkpoint state, its
 * sample rows, its refiner and its report) comes in as the hooks of an {@link UnpairedTaskSpec};
 * the skeleton does the rest, in this order:
 *
 * 1. precheck: a new run's flags resolve to a config the method accepts (`spec.precheck`, which
 *    also checks the data sets) before anything is written;
 * 2. `startRun` (`--help`, backend, run folder or `--resume`); on resume the method's config
 *    check (`spec.checkResume`) and the data check again;
 * 3. the two image sets, the model (`spec.build`), the two streams;
 * 4. on resume, everything is checked and restored before `commitResume` changes the run folder:
 *    the method's checkpoint state (`spec.checkCheckpoint`), the streams' positions, networks and
 *    optimisers, the method's extra state (history buffer, image pools);
 * 5. `runTraining` with the method's metrics, checkpoints (the model's payload, its JSON state
 *    under `spec.stateKey` beside the streams' positions and the image size) and sample grids;
 * 6. when training completed and the evaluation is on, the gaze protocol on the method's refiner
 *    (`eval.json`, summary on `output`);
 * 7. `report.html` with the method's sections, its path on `output`.
 *
 * @module
 */
import { formatEvalSummary, type GazeEvalFile } from "../../eval/eval_file.ts";
import { type ProtocolData, runGazeProtocol } from "../../eval/protocol.ts";
import type { Refiner } from "../../eval/refiner.ts";
import { type RunReportSection, runReportTitle, writeRunReport } from "../../report/run_report.ts";
import { parseRunArgs } from "../../train/args.ts";
import {
  type Checkpoint,
  CheckpointError,
  type CheckpointPayload,
  restoreCheckpoint,
  type RestoreTargets,
} from "../../train/checkpoint.ts";
import { type ConfigSpec, type LoopSettings, resolveConfig } from "../../train/config.ts";
import { runTraining, type StepValues, type TrainingOptions } from "../../train/loop.ts";
import type { GitInfo } from "../../train/run.ts";
import { type RunSession, startRun } from "../../train/session.ts";
import type { ProgressSink } from "../../util/progress.ts";
import type { ImageShape } from "../image_pool.ts";
import { checkSimganData, readTrainingImages, simganDataDirs } from "./data.ts";
import type { BatchSource } from "./model.ts";
import {
  pickSamples,
  SAMPLE_COUNT,
  type SampleImages,
  type SampleRow,
  writeSampleRows,
} from "./samples.ts";
import { ImageStream, streamSource, type StreamState } from "./source.ts";
import type { SimGANTaskConfig, TaskDataSettings } from "./task_config.ts";

/**
 * Step checkpoints kept besides `latest` (a SimGAN checkpoint holds the history buffer: 28 MB at
 * the quick preset's 3,200 images of 36x60).
 */
export const KEEP_CHECKPOINTS = 3;

/** Options of a training task (all optional; for tests and notebooks). */
export interface TrainTaskOptions {
  /** Messages and the backend report (default `console.error`). */
  print?: (message: string) => void;
  /** Results: the evaluation summary and the report path (default `console.log`). */
  output?: (message: string) => void;
  /** Stops training like Ctrl-C when aborted. */
  signal?: AbortSignal;
  /** Listen for SIGINT (default true). */
  catchSigint?: boolean;
  /** Progress bar output (default stderr). */
  sink?: ProgressSink;
  /** Git info for `env.json` (default: asked from git where permitted). */
  git?: GitInfo;
  /** Called after each sample grid is written, with its rows and path. */
  onSample?: (step: number, rows: SampleRow[], path: string) => void | Promise<void>;
}

/** What an unpaired training task did. */
export interface UnpairedTaskResult {
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

/** The estimator settings of the protocol from the `eval.*` fields. */
export function estimatorSettings(
  e: SimGANTaskConfig["eval"],
): { steps: number; widthMultiplier: number; batchSize: number; seed: number } {
  return { steps: e.steps, widthMultiplier: e.width, batchSize: e.batch, seed: e.seed };
}

/**
 * The `runTraining` settings every method's task shares: the run, its step counts and logging
 * intervals from the config (`LoopSettings`), and the caller's interruption and output options.
 */
export function loopSettings(
  s: RunSession<LoopSettings>,
  options: Pick<TrainTaskOptions, "signal" | "catchSigint" | "sink">,
  print: (m: string) => void,
): Omit<TrainingOptions, "step" | "save"> {
  const cfg = s.config;
  return {
    run: s.run,
    totalSteps: cfg.steps,
    startStep: s.startStep,
    elapsedSeconds: s.checkpoint?.elapsedSeconds,
    logEvery: cfg.logEvery,
    sampleEvery: cfg.sampleEvery,
    checkpointEvery: cfg.checkpointEvery,
    quiet: s.quiet,
    signal: options.signal,
    catchSigint: options.catchSigint,
    sink: options.sink,
    print,
    keepCheckpoints: KEEP_CHECKPOINTS,
  };
}

/**
 * The evaluation protocol at the end of a training run, with the run's `eval.*` settings, its
 * backend and the shared estimator cache. Used by every method's training task.
 */
export function evaluateRun(
  s: RunSession<{ eval: SimGANTaskConfig["eval"] }>,
  refiner: Refiner,
  options: { data: ProtocolData; print: (m: string) => void; command: string },
): Promise<GazeEvalFile> {
  const ev = s.config.eval;
  return runGazeProtocol(refiner, {
    runDir: s.run.paths.dir,
    data: options.data,
    estimator: estimatorSettings(ev),
    turing: { steps: ev.classifierSteps },
    realismLimit: ev.realismLimit,
    cacheDir: ev.cache === "" ? false : ev.cache,
    quiet: s.quiet,
    log: options.print,
    command: options.command,
    backend: { name: s.backend.name, device: s.backend.device, versions: s.backend.versions },
  });
}

/**
 * What {@link runUnpairedTask} calls on a model (`SimGAN`, `CycleGAN`, `GazeGAN`): one training
 * step on a batch source, the checkpoint's parts, and the restore of its extra state (the
 * arrays and JSON state of {@link checkpointPayload} that networks and optimisers do not hold).
 */
export interface UnpairedModel {
  /** Training step `i` (0-based) on batches of `source`; its losses. */
  step(i: number, source: BatchSource): StepValues | Promise<StepValues>;
  /** The networks by checkpoint name. */
  networks(): RestoreTargets["networks"];
  /** The optimisers by checkpoint name. */
  optimizers(): NonNullable<RestoreTargets["optimizers"]>;
  /** Networks, optimisers, the extra state's arrays and its JSON state. */
  checkpointPayload(): Required<CheckpointPayload>;
  /** Restores the extra state (after networks and optimisers); throws if it does not fit. */
  restoreExtraState(arrays: never, state: never): void;
  /** Releases everything the model holds. */
  dispose(): void;
}

/** The arrays of a model's extra state (`restoreExtraState`'s first argument). */
export type ExtraArrays<M extends UnpairedModel> = Parameters<M["restoreExtraState"]>[0];

/** The JSON part of a model's extra state (`restoreExtraState`'s second argument). */
export type ExtraState<M extends UnpairedModel> = Parameters<M["restoreExtraState"]>[1];

/** What a resume restores besides networks and optimisers, taken from a checked checkpoint. */
export interface SavedUnpairedState<M extends UnpairedModel> {
  /** Positions of the two image streams. */
  streams: { synthetic: StreamState; target: StreamState };
  /** The extra state's arrays (history buffer, image pools). */
  arrays: ExtraArrays<M>;
  /** The extra state's JSON part (buffer bookkeeping, update counters). */
  extra: ExtraState<M>;
}

/** What distinguishes an unpaired training task: its names, its config and its hooks. */
export interface UnpairedTaskSpec<
  C extends LoopSettings & TaskDataSettings,
  M extends UnpairedModel,
> {
  /** The task's name (`train-simgan`, ...): the command in messages and `eval.json`. */
  task: string;
  /** Method name of the report's title and of the evaluated refiner (`SimGAN`, ...). */
  title: string;
  /** The harness's config declaration. */
  config: ConfigSpec<C>;
  /** The method's flag shorthands expanded (`--no-eval`, ...), before anything else. */
  expandArgs: (argv: readonly string[]) => string[];
  /**
   * Checks a new run's config (`values`, as the flags resolve it) and its data sets before
   * anything is written (not called for `--help` or `--resume`).
   */
  precheck: (
    values: C,
    options: { log: (line: string) => void; command: string; quiet: boolean },
  ) => Promise<void>;
  /** A resumed run's extra config checks, before its data sets are checked again. */
  checkResume?: (config: C) => void;
  /** Builds the model of a started run (with the frozen networks it needs, if any). */
  build: (
    s: RunSession<C>,
    ctx: { shape: ImageShape; source: string; print: (m: string) => void },
  ) => Promise<M>;
  /**
   * Checks the method's part of a checkpoint against the images of this run and returns what to
   * restore, changing nothing; a {@link CheckpointError} naming the file if it does not fit.
   */
  checkCheckpoint: (ckpt: Checkpoint, shape: ImageShape) => SavedUnpairedState<M>;
  /**
   * A stream in the message of a stream that cannot continue from its saved position
   * (`FILE: <label> cannot continue: ...`), for `name` reading `dir`.
   */
  streamLabel: (name: "synthetic" | "target", dir: string) => string;
  /**
   * The message of the {@link CheckpointError} when the extra state does not fit, after
   * `FILE: `, with `detail` the model's error message.
   */
  extraStateMisfit: (detail: string) => string;
  /** Key of the model's JSON state in the checkpoint's state (`simgan`, `cyclegan`). */
  stateKey: string;
  /** Metrics on the progress bar. */
  show: string[];
  /** The rows of a sample grid, from the fixed sample images. */
  sampleRows: (
    gan: M,
    samples: SampleImages,
    options: { realTarget: boolean },
  ) => Promise<SampleRow[]>;
  /** The model's refiner for the evaluation protocol. */
  refiner: (gan: M, info: { name: string; source: Record<string, unknown> }) => Refiner;
  /** The method's sections of `report.html`. */
  reportSections: (
    gan: M,
    samples: SampleImages,
    options: { step: number; realTarget: boolean },
  ) => RunReportSection[];
}

/** Moves a stream to its saved position; a {@link CheckpointError} naming the data set if unfit. */
function restoreStream(stream: ImageStream, state: StreamState, file: string, label: string) {
  try {
    stream.restore(state);
  } catch (e) {
    throw new CheckpointError(
      `${file}: ${label} cannot continue: ` + (e as Error).message.replace(/^ImageStream: /, ""),
    );
  }
}

/**
 * Runs an unpaired training task for `argv` (see the module documentation): the skeleton of
 * `train-simgan`, `train-cyclegan` and `train-gazegan`, with the method's hooks from `spec`.
 *
 * @returns what happened, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (exit 2 in the task), `SetupError` for bad data sets,
 *   `NonFiniteLossError` for a NaN loss, `CheckpointError` for a run that cannot be resumed.
 */
export async function runUnpairedTask<
  C extends LoopSettings & TaskDataSettings,
  M extends UnpairedModel,
>(
  spec: UnpairedTaskSpec<C, M>,
  argv: readonly string[],
  options: TrainTaskOptions = {},
): Promise<UnpairedTaskResult | undefined> {
  const print = options.print ?? ((m: string) => console.error(m));
  const output = options.output ?? ((m: string) => console.log(m));
  const args = spec.expandArgs(argv);
  const command = [`deno task ${spec.task}`, ...argv].join(" ");
  // a new run's config and data are checked before anything is written (a resume's config was
  // checked when it started)
  const { flags, overrides } = parseRunArgs(args, spec.config);
  if (!flags.help && flags.resume === undefined) {
    const { values } = resolveConfig(spec.config, { preset: flags.preset, overrides });
    await spec.precheck(values, { log: print, command, quiet: flags.quiet });
  }
  const s = await startRun(spec.config, args, { task: spec.task, print, git: options.git });
  if (!s) return undefined;
  const cfg = s.config;
  if (s.checkpoint) spec.checkResume?.(cfg);
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
      const saved = spec.checkCheckpoint(s.checkpoint, shape);
      const { synthetic, target } = saved.streams;
      restoreStream(streams.synthetic, synthetic, file, spec.streamLabel("synthetic", dirs.source));
      restoreStream(streams.target, target, file, spec.streamLabel("target", dirs.trainTarget));
      await restoreCheckpoint(s.checkpoint, {
        networks: gan.networks(),
        optimizers: gan.optimizers(),
      });
      try {
        gan.restoreExtraState(saved.arrays as never, saved.extra as never);
      } catch (e) {
        throw new CheckpointError(`${file}: ${spec.extraStateMisfit((e as Error).message)}`);
      }
      await s.commitResume();
    }
    const source = streamSource({ synthetic: streams.synthetic, real: streams.target });
    const samples = pickSamples(data.synthetic, data.target, shape, SAMPLE_COUNT);
    const realTarget = dirs.trainTargetIsReal;

    const result = await runTraining({
      ...loopSettings(s, options, print),
      show: spec.show,
      step: (i) => gan.step(i, source),
      save: () => {
        const p = gan.checkpointPayload();
        // the method's state, the streams' positions, the image size: in this order
        const state = {
          [spec.stateKey]: p.state,
          streams: { synthetic: streams.synthetic.state(), target: streams.target.state() },
          shape,
        };
        return { networks: p.networks, optimizers: p.optimizers, arrays: p.arrays, state };
      },
      onSample: async (step) => {
        const rows = await spec.sampleRows(gan, samples, { realTarget });
        await writeSampleRows(s.run, step, rows, options.onSample);
      },
    });

    let evalResult: GazeEvalFile | undefined;
    if (result.status === "completed" && dirs.protocol) {
      const refiner = spec.refiner(gan, {
        name: spec.title,
        source: { run: s.run.paths.dir, step: result.step, live: true },
      });
      evalResult = await evaluateRun(s, refiner, { data: dirs.protocol, print, command });
      output(formatEvalSummary(evalResult));
    }
    const step = result.step;
    const { path } = await writeRunReport(s.run.paths.dir, {
      title: runReportTitle(spec.title, s.run.paths.dir),
      extraSections: spec.reportSections(gan, samples, { step, realTarget }),
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
