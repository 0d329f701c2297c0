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
 * The steps above are the skeleton every unpaired task shares (`runUnpairedTask`,
 * `unpaired_task.ts`, also `train-cyclegan`'s and `train-gazegan`'s); this module gives it
 * SimGAN's model, checkpoint state, sample rows, refiner and report.
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
import { obtainEstimator } from "../../eval/estimator_cache.ts";
import { type Estimator, loadEstimator, saveEstimator } from "../../gaze/estimator.ts";
import { type Checkpoint, CheckpointError } from "../../train/checkpoint.ts";
import type { RunSession } from "../../train/session.ts";
import type { ImageShape } from "../image_pool.ts";
import { SimGAN, type SimGANExtraState } from "./model.ts";
import { checkSimganData, simganDataDirs } from "./data.ts";
import { simganPart, simganRefiner } from "./refiner.ts";
import { simganReportSections } from "./report.ts";
import { refinementRows, SAMPLE_COUNT } from "./samples.ts";
import type { StreamState } from "./source.ts";
import { expandSimganArgs, SIMGAN_CONFIG, type SimGANTaskConfig } from "./task_config.ts";
import {
  estimatorSettings,
  runUnpairedTask,
  type TrainTaskOptions,
  type UnpairedTaskResult,
} from "./unpaired_task.ts";

// images per row of the sample grids (defined beside the grids, in samples.ts)
export { SAMPLE_COUNT };

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

// the parts every method's training task shares, moved to unpaired_task.ts; exported here too,
// as before
export {
  estimatorSettings,
  evaluateRun,
  KEEP_CHECKPOINTS,
  loopSettings,
  type TrainTaskOptions as TrainSimGANOptions,
  type UnpairedTaskResult as TrainSimGANResult,
} from "./unpaired_task.ts";

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
 * Runs `train-simgan` for `argv` (see the module documentation): {@link runUnpairedTask} with
 * SimGAN's model, checkpoint state, sample rows, refiner and report.
 *
 * @returns what happened, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (exit 2 in the task), `SetupError` for bad data sets,
 *   `NonFiniteLossError` for a NaN loss, `CheckpointError` for a run that cannot be resumed.
 */
export function trainSimGAN(
  argv: readonly string[],
  options: TrainTaskOptions = {},
): Promise<UnpairedTaskResult | undefined> {
  return runUnpairedTask<SimGANTaskConfig, SimGAN>(
    {
      task: "train-simgan",
      title: "SimGAN",
      config: SIMGAN_CONFIG,
      expandArgs: expandSimganArgs,
      precheck: async (values, { log, command, quiet }) => {
        await checkSimganData(simganDataDirs(values), { log, command, quiet });
      },
      build: async (s, { shape, source, print }) => {
        const features = s.config.psi.name === "features"
          ? await psiEstimator(s, source, print)
          : undefined;
        let gan: SimGAN;
        try {
          gan = SimGAN.create(simganPart(s.config as unknown as Record<string, unknown>), {
            seed: s.seeds.seed,
            shape,
            featureNetwork: features?.net,
          });
        } catch (e) {
          features?.net.dispose();
          throw e;
        }
        if (features) gan.adopt(features.net);
        return gan;
      },
      checkCheckpoint: (ckpt, shape) => {
        const { state, history } = checkSimganCheckpoint(ckpt, shape);
        return { streams: state.streams, arrays: { history }, extra: state.simgan };
      },
      streamLabel: (name, dir) => `the ${name} image stream (${dir})`,
      extraStateMisfit: (detail) => `SimGAN's history buffer does not fit this run: ${detail}`,
      stateKey: "simgan",
      show: ["loss_R_adv", "loss_R_reg", "loss_D", "acc_real", "acc_refined"],
      sampleRows: (gan, samples, { realTarget }) =>
        refinementRows((x) => gan.refine(x), samples, {
          target: realTarget ? "real y (unlabelled)" : "target y (unpaired)",
        }),
      refiner: (gan, info) => simganRefiner(gan.R, info),
      reportSections: (gan, samples, { step, realTarget }) =>
        simganReportSections(
          {
            refine: (x) => gan.refine(x),
            config: gan.config,
            updates: gan.extraState().state,
            historySize: gan.history.size,
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
