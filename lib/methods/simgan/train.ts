/**
 * `deno task train-simgan` as a library call ({@link trainSimGAN}): data sets, training with the
 * experiment harness, the evaluation protocol and the report, in one run folder.
 *
 * 1. Flags: the harness's run flags and one dotted flag per field of {@link SIMGAN_CONFIG}, plus
 *    `--psi NAME` and `--no-eval`; unknown flags are errors that list the valid ones.
 * 2. Data (`data.ts`): the default sets are rendered into `data/generated/` when missing; every
 *    set is checked (same size, labels) before the run folder is made. Training reads the
 *    images of `--source` and of `--real` (else `--target`), never target labels.
 * 3. Training (`lib/train/`): `config.json`, `env.json`, `metrics.jsonl`, sample grids
 *    `samples/step-NNNNNN.png` (rows x | R(x) | |R(x) - x| x4 | y), checkpoints (weights, Adam
 *    state, the history buffer, both image streams' positions), progress bar, Ctrl-C saves
 *    (exit 130), `--resume RUN` continues exactly.
 * 4. Evaluation (`lib/eval/protocol.ts`, unless `--no-eval`): the protocol with the live R,
 *    estimator settings from `eval.*`, the (a)/(c) estimator cache shared by runs
 *    (`eval.cache`), realism against `--real` when given. Writes `eval.json` and `refined/`.
 * 5. Report: `report.html` with SimGAN's refinement grid (`report.ts`, which also rebuilds it from
 *    the run folder for `eval-gaze`), path printed on stdout.
 *
 * psi `features` needs a frozen gaze estimator: `--psi.estimator FILE`, or, when none is given,
 * the protocol's estimator (a) (trained on `--source` with the `eval.*` settings, taken from or
 * put into the estimator cache), copied to `RUN/psi_estimator.safetensors` for resumes.
 *
 * Checkpoints: every `checkpointEvery` steps, the last {@link KEEP_CHECKPOINTS} step files kept
 * besides `latest`. A resume checks the whole checkpoint (networks, Adam state, the state blob
 * and history buffer with {@link checkSimganCheckpoint}, the streams' data set sizes) and
 * restores it before anything in the run folder changes. Time of the `quick` preset: see
 * `SIMGAN_TASK_PRESETS`.
 *
 * @module
 */
import { Dataset } from "../../data/dataset.ts";
import { formatEvalSummary, type GazeEvalFile } from "../../eval/eval_file.ts";
import { obtainEstimator } from "../../eval/estimator_cache.ts";
import { type ProtocolData, runGazeProtocol } from "../../eval/protocol.ts";
import type { Refiner } from "../../eval/refiner.ts";
import { type Estimator, loadEstimator, saveEstimator } from "../../gaze/estimator.ts";
import { runReportTitle, writeRunReport } from "../../report/run_report.ts";
import { parseRunArgs } from "../../train/args.ts";
import { type Checkpoint, CheckpointError, restoreCheckpoint } from "../../train/checkpoint.ts";
import { type LoopSettings, resolveConfig } from "../../train/config.ts";
import { runTraining, type TrainingOptions } from "../../train/loop.ts";
import type { GitInfo } from "../../train/run.ts";
import { type RunSession, startRun } from "../../train/session.ts";
import type { ProgressSink } from "../../util/progress.ts";
import type { ImageShape } from "../image_pool.ts";
import { SimGAN, type SimGANExtraState } from "./model.ts";
import { checkSimganData, readTrainingImages, simganDataDirs } from "./data.ts";
import { simganPart, simganRefiner } from "./refiner.ts";
import { simganReportSections } from "./report.ts";
import {
  pickSamples,
  refinementRows,
  SAMPLE_COUNT,
  type SampleRow,
  writeSampleRows,
} from "./samples.ts";
import { ImageStream, streamSource, type StreamState } from "./source.ts";
import { expandSimganArgs, SIMGAN_CONFIG, type SimGANTaskConfig } from "./task_config.ts";

// images per row of the sample grids (defined beside the grids, in samples.ts)
export { SAMPLE_COUNT };

/**
 * Step checkpoints kept besides `latest` (each holds the history buffer: 28 MB at the quick
 * preset's 3,200 images of 36x60).
 */
export const KEEP_CHECKPOINTS = 3;

/** File name of psi's frozen estimator inside a run folder (psi `features` only). */
export const PSI_ESTIMATOR_FILE = "psi_estimator.safetensors";

/** The JSON state of a SimGAN checkpoint (besides the history buffer's images). */
export interface SimGANCheckpointState {
  /** The model's counters and buffer bookkeeping. */
  simgan: SimGANExtraState;
  /** Positions of the two image streams. */
  streams: { synthetic: StreamState; target: StreamState };
  /** Image size (also what `loadSimganRefiner` builds R for). */
  shape: ImageShape;
}

type Field = "int" | "string" | { [key: string]: Field };

const SHAPE_FIELDS: Field = { height: "int", width: "int", channels: "int" };

/** The fields a SimGAN checkpoint's JSON state must have (`int`: an integer >= 0). */
const STATE_FIELDS: { [key: string]: Field } = {
  simgan: {
    history: {
      kind: "string",
      capacity: "int",
      shape: SHAPE_FIELDS,
      size: "int",
      draws: "int",
      seen: "int",
    },
    updatesR: "int",
    updatesD: "int",
  },
  streams: { synthetic: { epoch: "int", offset: "int" }, target: { epoch: "int", offset: "int" } },
  shape: SHAPE_FIELDS,
};

function checkFields(file: string, value: unknown, fields: Field, path: string): void {
  const where = `${file}: SimGAN checkpoint state field '${path}'`;
  if (value === undefined || value === null) throw new CheckpointError(`${where} is missing`);
  if (fields === "int") {
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new CheckpointError(`${where} is ${JSON.stringify(value)}, not an integer >= 0`);
    }
  } else if (fields === "string") {
    if (typeof value !== "string") {
      throw new CheckpointError(`${where} is ${JSON.stringify(value)}, not a string`);
    }
  } else {
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new CheckpointError(`${where} is ${JSON.stringify(value)}, not an object`);
    }
    for (const [key, sub] of Object.entries(fields)) {
      checkFields(file, (value as Record<string, unknown>)[key], sub, `${path}.${key}`);
    }
  }
}

/**
 * Checks the SimGAN part of a checkpoint (its JSON state and the history buffer's array) against
 * the images of this run, without changing anything.
 *
 * @param ckpt the checkpoint to resume from.
 * @param shape the size of the training images now.
 * @returns the state and the history buffer's images.
 * @throws {CheckpointError} naming the file and the missing or malformed field, or the image size
 *   that differs.
 */
export function checkSimganCheckpoint(
  ckpt: Checkpoint,
  shape: ImageShape,
): { state: SimGANCheckpointState; history: Float32Array } {
  const file = ckpt.file ?? "checkpoint";
  const st = ckpt.state;
  if (typeof st !== "object" || st === null || Array.isArray(st)) {
    throw new CheckpointError(
      `${file}: the SimGAN state (metadata 'state') is ${JSON.stringify(st)}, not an object ` +
        `with simgan, streams and shape; was it written by train-simgan?`,
    );
  }
  for (const [key, fields] of Object.entries(STATE_FIELDS)) {
    checkFields(file, (st as Record<string, unknown>)[key], fields, key);
  }
  const state = st as SimGANCheckpointState;
  const size = (s: ImageShape) => `${s.height}x${s.width}x${s.channels}`;
  if (
    state.shape.height !== shape.height || state.shape.width !== shape.width ||
    state.shape.channels !== shape.channels
  ) {
    throw new CheckpointError(
      `${file}: trained on ${size(state.shape)} images, but the data sets now hold ` +
        `${size(shape)} images (were they changed or regenerated since?)`,
    );
  }
  const history = ckpt.arrays.history;
  if (!history) {
    throw new CheckpointError(
      `${file}: array 'history' (SimGAN's history buffer, tensor 'array/history') is missing`,
    );
  }
  return { state, history: history.data };
}

/** Moves a stream to its saved position; a {@link CheckpointError} naming the data set if unfit. */
function restoreStream(
  stream: ImageStream,
  state: StreamState,
  info: { file: string; name: string; dir: string },
): void {
  try {
    stream.restore(state);
  } catch (e) {
    throw new CheckpointError(
      `${info.file}: the ${info.name} image stream (${info.dir}) cannot continue: ` +
        (e as Error).message.replace(/^ImageStream: /, ""),
    );
  }
}

/** Options of {@link trainSimGAN} (all optional; for tests and notebooks). */
export interface TrainSimGANOptions {
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

/** What {@link trainSimGAN} did. */
export interface TrainSimGANResult {
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
 * Validates the data before anything is written: for a new run, the config the flags resolve to
 * (resumed runs read theirs from the run folder and were checked when they started).
 */
async function precheck(
  argv: readonly string[],
  options: { log: (line: string) => void; command: string },
): Promise<void> {
  const { flags, overrides } = parseRunArgs(argv, SIMGAN_CONFIG);
  if (flags.help || flags.resume !== undefined) return;
  const { values } = resolveConfig(SIMGAN_CONFIG, { preset: flags.preset, overrides });
  await checkSimganData(simganDataDirs(values), { ...options, quiet: flags.quiet });
}

/**
 * The `runTraining` settings every method's task shares: the run, its step counts and logging
 * intervals from the config (`LoopSettings`), and the caller's interruption and output options.
 */
export function loopSettings(
  s: RunSession<LoopSettings>,
  options: Pick<TrainSimGANOptions, "signal" | "catchSigint" | "sink">,
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
 * A frozen estimator a run depends on (SimGAN's psi `features`, GazeGAN's E): the file given by
 * a flag, else the evaluation protocol's raw-synthetic estimator, trained on `source` with the
 * `eval.*` settings (or taken from the estimator cache), copied into the run folder as `file` so
 * that a resume uses the very same network.
 *
 * @throws if a resumed run's copy is missing.
 */
export async function runEstimatorFile(
  s: RunSession<{ eval: SimGANTaskConfig["eval"] }>,
  options: {
    /** `--psi.estimator` / `--gaze.estimator`; "" when not given. */
    given: string;
    /** File name inside the run folder. */
    file: string;
    /** tfjs variable namespace of the loaded network. */
    namespace: string;
    /** What the network is for, in messages. */
    label: string;
    source: string;
    print: (m: string) => void;
  },
): Promise<Estimator> {
  const { given, namespace, label, source, print } = options;
  if (given !== "") return await loadEstimator(given, namespace);
  const ev = s.config.eval;
  const file = `${s.run.paths.dir}/${options.file}`;
  const exists = await Deno.stat(file).then(() => true, () => false);
  if (s.checkpoint && !exists) {
    throw new Error(`${file}: missing; the ${label} of this run must be the one it started with`);
  }
  if (!exists) {
    const ds = await Dataset.open(source);
    try {
      if (!s.quiet) print(`${label}: the estimator trained on ${source} (eval.* settings)`);
      const o = await obtainEstimator(ds, {
        config: estimatorSettings(ev),
        cacheDir: ev.cache === "" ? false : ev.cache,
        // one cache namespace for every such use: psi and E share the same trained estimator
        namespace: "psi_E_train",
        label: `${label} (synthetic)`,
        quiet: s.quiet,
        log: print,
      });
      try {
        await saveEstimator(o.est, file);
      } finally {
        o.est.net.dispose();
      }
    } finally {
      ds.close();
    }
  }
  return await loadEstimator(file, namespace);
}

/** psi's frozen network for psi `features` (see the module documentation). */
function psiEstimator(
  s: RunSession<SimGANTaskConfig>,
  source: string,
  print: (m: string) => void,
): Promise<Estimator> {
  return runEstimatorFile(s, {
    given: s.config.psi.estimator,
    file: PSI_ESTIMATOR_FILE,
    namespace: "psi_E",
    label: "psi 'features' estimator",
    source,
    print,
  });
}

/**
 * Runs `train-simgan` for `argv` (see the module documentation).
 *
 * @returns what happened, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (exit 2 in the task), `SetupError` for bad data sets,
 *   `NonFiniteLossError` for a NaN loss, `CheckpointError` for a run that cannot be resumed.
 */
export async function trainSimGAN(
  argv: readonly string[],
  options: TrainSimGANOptions = {},
): Promise<TrainSimGANResult | undefined> {
  const print = options.print ?? ((m: string) => console.error(m));
  const output = options.output ?? ((m: string) => console.log(m));
  const args = expandSimganArgs(argv);
  const command = ["deno task train-simgan", ...argv].join(" ");
  await precheck(args, { log: print, command });
  const s = await startRun(SIMGAN_CONFIG, args, { task: "train-simgan", print, git: options.git });
  if (!s) return undefined;
  const cfg = s.config;
  const dirs = simganDataDirs(cfg);
  if (s.checkpoint) await checkSimganData(dirs, { quiet: s.quiet, log: print, command });
  const data = await readTrainingImages(dirs);
  const { shape } = data;

  const features = cfg.psi.name === "features"
    ? await psiEstimator(s, dirs.source, print)
    : undefined;
  let gan: SimGAN;
  try {
    gan = SimGAN.create(simganPart(cfg as unknown as Record<string, unknown>), {
      seed: s.seeds.seed,
      shape,
      featureNetwork: features?.net,
    });
  } catch (e) {
    features?.net.dispose();
    throw e;
  }
  if (features) gan.adopt(features.net);
  try {
    const streams = {
      synthetic: new ImageStream(data.synthetic, shape, s.seeds.derive("data", "synthetic")),
      target: new ImageStream(data.target, shape, s.seeds.derive("data", "target")),
    };
    if (s.checkpoint) {
      // everything is checked and restored before the resume changes the run folder
      const file = s.checkpoint.file ?? "checkpoint";
      const saved = checkSimganCheckpoint(s.checkpoint, shape);
      const { synthetic, target } = saved.state.streams;
      restoreStream(streams.synthetic, synthetic, { file, name: "synthetic", dir: dirs.source });
      restoreStream(streams.target, target, { file, name: "target", dir: dirs.trainTarget });
      await restoreCheckpoint(s.checkpoint, {
        networks: gan.networks(),
        optimizers: gan.optimizers(),
      });
      try {
        gan.restoreExtraState({ history: saved.history }, saved.state.simgan);
      } catch (e) {
        throw new CheckpointError(
          `${file}: SimGAN's history buffer does not fit this run: ${(e as Error).message}`,
        );
      }
      await s.commitResume();
    }
    const source = streamSource({ synthetic: streams.synthetic, real: streams.target });
    const samples = pickSamples(data.synthetic, data.target, shape, SAMPLE_COUNT);
    const targetLabel = dirs.trainTargetIsReal ? "real y (unlabelled)" : "target y (unpaired)";

    const result = await runTraining({
      ...loopSettings(s, options, print),
      show: ["loss_R_adv", "loss_R_reg", "loss_D", "acc_real", "acc_refined"],
      step: (i) => gan.step(i, source),
      save: () => {
        const p = gan.checkpointPayload();
        const state: SimGANCheckpointState = {
          simgan: p.state,
          streams: { synthetic: streams.synthetic.state(), target: streams.target.state() },
          shape,
        };
        return { networks: p.networks, optimizers: p.optimizers, arrays: p.arrays, state };
      },
      onSample: async (step) => {
        const rows = await refinementRows((x) => gan.refine(x), samples, { target: targetLabel });
        await writeSampleRows(s.run, step, rows, options.onSample);
      },
    });

    let evalResult: GazeEvalFile | undefined;
    if (result.status === "completed" && dirs.protocol) {
      const refiner = simganRefiner(gan.R, {
        name: "SimGAN",
        source: { run: s.run.paths.dir, step: result.step, live: true },
      });
      evalResult = await evaluateRun(s, refiner, { data: dirs.protocol, print, command });
      output(formatEvalSummary(evalResult));
    }
    const { state } = gan.extraState();
    const { path } = await writeRunReport(s.run.paths.dir, {
      title: runReportTitle("SimGAN", s.run.paths.dir),
      extraSections: simganReportSections(
        {
          refine: (x) => gan.refine(x),
          config: gan.config,
          updates: state,
          historySize: gan.history.size,
          step: result.step,
        },
        samples,
        { realTarget: dirs.trainTargetIsReal },
      ),
    });
    output(`report: ${path}`);
    return {
      exitCode: result.exitCode,
      runDir: s.run.paths.dir,
      step: result.step,
      eval: evalResult,
      report: path,
    };
  } finally {
    gan.dispose();
  }
}
