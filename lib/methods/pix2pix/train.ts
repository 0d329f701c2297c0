/**
 * `deno task train-pix2pix` as a library call ({@link trainPix2Pix}), built like `train-simgan`
 * and `train-cyclegan` from their shared pieces (`startRun`, `runTraining` with
 * `loopSettings`, `evaluateRun`, `checkSimganData`, `writeRunReport`):
 *
 * 1. Flags: the harness's run flags and one dotted flag per field of {@link PIX2PIX_CONFIG},
 *    plus `--no-eval` and `--objective l1|cgan|l1+cgan`.
 * 2. Data: the paired training set (`--paired`, the default one rendered when missing) and, for
 *    the evaluation, a held-out paired set (`--pairedTest`) and, for `twins`, the gaze
 *    protocol's sets; all checked (exist, same size, the arrays `--pairs` needs) before the run
 *    folder is made.
 * 3. Training: `config.json`, `env.json`, `metrics.jsonl`, sample grids `samples/step-NNNNNN.png`
 *    (rows x | G(x) | y | |G(x) - y| x4 on the first training pairs), checkpoints (G, D, both
 *    Adam states, the update counters and the pair stream's position), Ctrl-C saves (exit 130),
 *    `--resume RUN` continues exactly (dropout masks included: they are keyed by the update
 *    counter).
 * 4. Evaluation (unless `--no-eval`): L1, PSNR and SSIM of G(x) against the twins of the
 *    held-out pairs (`RUN/paired_eval.json`, `lib/eval/paired.ts`); for `twins` also the gaze
 *    protocol with G as the refiner of the synthetic training set (`RUN/eval.json`).
 * 5. Report: `report.html` with the translation grid on held-out pairs and the paired metrics
 *    ({@link pix2pixReportSections}; {@link loadPix2PixReportSections} rebuilds them from the run
 *    folder for `eval-gaze`).
 *    If an evaluation fails after the training completed, the report is still written (the
 *    training sections, the paired metrics if made, a section naming the failure) and the error
 *    is then thrown.
 *
 * Checked at the start, before a new run's folder is made or a resumed one is changed:
 * `--steps` within the learning-rate schedule, `--pairedTest` not the training set; for a new
 * run also the model's settings and that its networks fit the paired set's image size
 * (`--generator.depth`, and `--discriminator.receptiveField` when D is trained:
 * {@link checkPix2PixGeometry}; exit 2 naming the values that fit). Every map's
 * class ids are checked when the pairs are read, before the first step. With a custom
 * `--paired` and no `--pairedTest` a note says that no paired metrics will be computed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_DATA, defaultDataRole, ensureDefaultData } from "../../data/defaults.ts";
import { formatEvalSummary, type GazeEvalFile } from "../../eval/eval_file.ts";
import {
  formatPairedSummary,
  PAIRED_EVAL_FILE,
  type PairedEvalFile,
  runPairedEval,
} from "../../eval/paired.ts";
import { quantiseImages } from "../../eval/refiner.ts";
import { pairedEvalSection, readRunPairedEval } from "../../report/paired_section.ts";
import type { Report } from "../../report/report.ts";
import {
  comparisonGrid,
  type RunReportSection,
  runReportTitle,
  writeRunReport,
} from "../../report/run_report.ts";
import type { MethodReportSections } from "../../report/run_report_sections.ts";
import { parseRunArgs } from "../../train/args.ts";
import { type Checkpoint, CheckpointError, restoreCheckpoint } from "../../train/checkpoint.ts";
import { resolveConfig } from "../../train/config.ts";
import { runTraining } from "../../train/loop.ts";
import { checkScheduleCoversSteps } from "../../train/schedule.ts";
import { type RunSession, startRun } from "../../train/session.ts";
import { SetupError } from "../../util/cli.ts";
import { canonicalPath } from "../../util/fs.ts";
import { methodPart } from "../cyclegan/load.ts";
import type { ImageShape } from "../image_pool.ts";
import { checkSimganData, type SimGANDataDirs, simganDataDirs } from "../simgan/data.ts";
import { DIFF_GAIN, type SampleRow, splitImages, writeSampleRows } from "../simgan/samples.ts";
import type { StreamState } from "../simgan/source.ts";
import {
  evaluateRun,
  loopSettings,
  SAMPLE_COUNT,
  type TrainSimGANOptions,
} from "../simgan/train.ts";
import {
  PIX2PIX_DEFAULTS,
  type Pix2PixConfig,
  type Pix2PixOverrides,
  validatePix2PixConfig,
} from "./config.ts";
import {
  checkPairedSet,
  inputEncoder,
  type MapEncoding,
  mapsToBytes,
  type Pairs,
  PairStream,
  readPairs,
} from "./data.ts";
import { checkPix2PixGeometry, Pix2Pix, type Pix2PixExtraState } from "./model.ts";
import { loadPix2PixGenerator, pix2pixRefiner, pix2pixTranslator } from "./refiner.ts";
import { expandPix2PixArgs, PIX2PIX_CONFIG, type Pix2PixTaskConfig } from "./task_config.ts";

/** Options of {@link trainPix2Pix} (SimGAN's task options). */
export type TrainPix2PixOptions = TrainSimGANOptions;

/** What {@link trainPix2Pix} did. */
export interface TrainPix2PixResult {
  /** 0 done, 130 interrupted (checkpoint written; no evaluation). */
  exitCode: 0 | 130;
  /** The run folder. */
  runDir: string;
  /** Completed training steps. */
  step: number;
  /** The paired metrics (absent with `--no-eval`, `--pairedTest none` or after an interruption). */
  paired?: PairedEvalFile;
  /** The gaze protocol (`twins` only; absent with `--no-eval` or after an interruption). */
  eval?: GazeEvalFile;
  /** `report.html`'s path. */
  report: string;
}

/** The JSON state of a pix2pix checkpoint. */
export interface Pix2PixCheckpointState {
  /** The model's update counters (they also key the dropout masks). */
  pix2pix: Pix2PixExtraState;
  /** Position of the pair stream. */
  stream: StreamState;
  /** Size of the output images. */
  shape: ImageShape;
  /** Input channels of G. */
  inChannels: number;
  /** The task and the map encoding G was trained with. */
  pairs: Pairs;
  mapEncoding: MapEncoding;
}

/** The data sets of a run by role. */
export interface Pix2PixDataDirs {
  /** The paired training set. */
  paired: string;
  /** The held-out paired set of the paired metrics; absent: none (or `--no-eval`). */
  pairedTest?: string;
  /** The gaze protocol's data (`twins` with the evaluation on). */
  gaze?: SimGANDataDirs;
}

type DataConfig = Pick<
  Pix2PixTaskConfig,
  | "pairs"
  | "paired"
  | "pairedTest"
  | "source"
  | "target"
  | "targetTest"
  | "syntheticTest"
  | "real"
  | "eval"
>;

/**
 * Resolves the roles of a config's data fields: `pairedTest` "" is the default held-out paired
 * set when `paired` is the default one, else none ("none": none); the gaze protocol's sets (as
 * `train-simgan`'s) only for `twins` with the evaluation on.
 *
 * @throws {SetupError} when the gaze protocol is on and no target test set can be named.
 */
export function pix2pixDataDirs(config: DataConfig): Pix2PixDataDirs {
  const dirs: Pix2PixDataDirs = { paired: config.paired };
  if (!config.eval.enabled) return dirs;
  const test = config.pairedTest.trim();
  if (test === "") {
    if (defaultDataRole(config.paired) === "pairedTrain") dirs.pairedTest = DEFAULT_DATA.pairedTest;
  } else if (test !== "none") dirs.pairedTest = test;
  if (config.pairs === "twins") dirs.gaze = simganDataDirs(config);
  return dirs;
}

/**
 * The note to print when a run will compute no paired metrics although the evaluation is on,
 * because `--paired` is not the default set (whose held-out twin is known) and `--pairedTest`
 * is not given; `undefined` otherwise.
 */
export function noPairedMetricsNote(config: DataConfig): string | undefined {
  if (!config.eval.enabled || config.pairedTest.trim() !== "") return undefined;
  if (pix2pixDataDirs(config).pairedTest !== undefined) return undefined;
  return `note: no paired metrics (L1, PSNR, SSIM) will be computed: --paired ${config.paired} ` +
    `is not the default paired set, so there is no default held-out set; give --pairedTest ` +
    `DIR, a paired set G is not trained on (e.g. deno task make-data --domain paired --split ` +
    `test --n 1000 --out DIR), or --pairedTest none to say none is wanted`;
}

const sizeOf = (s: ImageShape) => `${s.height}x${s.width}x${s.channels}`;

/**
 * Renders the default sets among `dirs` when missing, then checks every set: the paired ones
 * have the arrays `pairs` needs, and every set has the paired training set's image size.
 *
 * @returns the image size.
 * @throws {SetupError} naming the flag and the directory of a set that does not fit.
 */
export async function checkPix2PixData(
  dirs: Pix2PixDataDirs,
  pairs: Pairs,
  options: { quiet?: boolean; log?: (line: string) => void; command?: string } = {},
): Promise<ImageShape> {
  const paired = [dirs.paired, ...(dirs.pairedTest ? [dirs.pairedTest] : [])];
  await ensureDefaultData(paired, options);
  const { shape } = await checkPairedSet(dirs.paired, pairs, "--paired");
  const same = (flag: string, dir: string, s: ImageShape) => {
    if (sizeOf(s) !== sizeOf(shape)) {
      throw new SetupError(
        `${flag} ${dir}: images are ${sizeOf(s)} (HxWxC) but --paired's are ${sizeOf(shape)}; ` +
          `every data set of a run must have one size`,
      );
    }
  };
  if (dirs.pairedTest) {
    if (await canonicalPath(dirs.pairedTest) === await canonicalPath(dirs.paired)) {
      throw new SetupError(
        `--pairedTest ${dirs.pairedTest} is the training set (--paired ${dirs.paired}): the ` +
          `paired metrics are reported as those of held-out pairs, which G must not have been ` +
          `trained on; give another paired set (e.g. deno task make-data --domain paired ` +
          `--split test --n 1000 --out DIR) or --pairedTest none`,
      );
    }
    const test = await checkPairedSet(dirs.pairedTest, pairs, "--pairedTest");
    same("--pairedTest", dirs.pairedTest, test.shape);
  }
  if (dirs.gaze) {
    const s = await checkSimganData(dirs.gaze, options);
    same("--source", dirs.gaze.source, s);
  }
  return shape;
}

/** Validates a new run's data before anything is written (resumes were checked at their start). */
async function precheck(
  argv: readonly string[],
  options: { log: (line: string) => void; command: string },
): Promise<void> {
  const { flags, overrides } = parseRunArgs(argv, PIX2PIX_CONFIG);
  if (flags.help || flags.resume !== undefined) return;
  const { values } = resolveConfig(PIX2PIX_CONFIG, { preset: flags.preset, overrides });
  checkScheduleCoversSteps(values.steps, values.schedule);
  try {
    // what Pix2Pix.create would refuse (an unsupported receptive field, both terms 0, ...)
    validatePix2PixConfig(values);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
  const dirs = pix2pixDataDirs(values);
  const shape = await checkPix2PixData(dirs, values.pairs, { ...options, quiet: flags.quiet });
  checkPix2PixGeometry(values, shape, { data: `--paired ${dirs.paired}` });
}

/**
 * Checks the pix2pix part of a checkpoint (its JSON state) against this run, changing nothing.
 *
 * @throws {CheckpointError} naming the file and the field that is missing or differs.
 */
export function checkPix2PixCheckpoint(
  ckpt: Checkpoint,
  now: Omit<Pix2PixCheckpointState, "pix2pix" | "stream">,
): Pix2PixCheckpointState {
  const file = ckpt.file ?? "checkpoint";
  const st = ckpt.state as Partial<Pix2PixCheckpointState> | null;
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(st) || !isObject(st!.pix2pix) || !isObject(st!.stream) || !isObject(st!.shape)) {
    throw new CheckpointError(
      `${file}: the pix2pix state (metadata 'state') is ${JSON.stringify(st)}, not an object ` +
        `with pix2pix, stream and shape; was it written by train-pix2pix?`,
    );
  }
  const state = st as Pix2PixCheckpointState;
  if (sizeOf(state.shape) !== sizeOf(now.shape)) {
    throw new CheckpointError(
      `${file}: trained on ${sizeOf(state.shape)} images, but the paired set now holds ` +
        `${sizeOf(now.shape)} images (was it changed or regenerated since?)`,
    );
  }
  for (const k of ["inChannels", "pairs", "mapEncoding"] as const) {
    if (state[k] !== now[k]) {
      throw new CheckpointError(
        `${file}: written with ${k} ${JSON.stringify(state[k])}, this run has ` +
          `${JSON.stringify(now[k])}`,
      );
    }
  }
  return state;
}

/** Fixed pairs to show: raw inputs for display, encoded inputs, twins. */
export interface PairSamples {
  /** Inputs as gray/colour bytes `[n, H, W, C_show]` (maps: class id x 51). */
  show: Uint8Array;
  /** Channels of `show`. */
  showChannels: number;
  /** Encoded inputs `[n, H, W, C_x]`. */
  x: Float32Array;
  /** Twins as bytes `[n, H, W, C]`. */
  y: Uint8Array;
  /** Output image size. */
  shape: ImageShape;
  /** Channels of `x`. */
  inChannels: number;
}

/** The first `n` pairs of a stream's data (file order; the stream's position does not move). */
export function pickPairSamples(stream: PairStream, pairs: Pairs, n: number): PairSamples {
  const count = Math.min(n, stream.count);
  const { shape, inputChannels: cRaw } = stream.data;
  const per = shape.height * shape.width;
  const raw = stream.data.inputs.slice(0, count * per * cRaw);
  const indices = Array.from({ length: count }, (_, i) => i);
  return {
    show: pairs === "maps" ? mapsToBytes(raw) : raw,
    showChannels: cRaw,
    x: stream.pairs(indices).x,
    y: stream.data.targets.slice(0, count * per * shape.channels),
    shape,
    inChannels: stream.inChannels,
  };
}

/**
 * Reads the first `n` pairs of a paired set as {@link PairSamples} (the same as
 * {@link pickPairSamples} of a stream over the whole set).
 *
 * @param flag names the set in errors (default `--pairedTest`).
 */
export async function readPairSamples(
  dir: string,
  pairs: Pairs,
  encoding: MapEncoding,
  n: number,
  flag = "--pairedTest",
): Promise<PairSamples> {
  const data = await readPairs(dir, pairs, flag, { limit: n });
  return pickPairSamples(new PairStream(data, inputEncoder(pairs, encoding), 0), pairs, n);
}

/** G at test time, as {@link translationRows} uses it (`Pix2Pix` is one). */
export interface Pix2PixTranslate {
  /** G(x) with dropout masks of `noiseKey`; the caller disposes the result. */
  translate(x: tf.Tensor4D, noiseKey?: string | number): tf.Tensor4D;
}

/**
 * The four rows input x | G(x) | y | |G(x) - y| x {@link DIFF_GAIN}; G's dropout masks are keyed
 * `samples`, the same at every step. Leaks no tensors.
 */
export async function translationRows(
  gan: Pix2PixTranslate,
  samples: PairSamples,
  labels: { input: string },
): Promise<SampleRow[]> {
  const { height, width, channels } = samples.shape;
  const n = samples.y.length / (height * width * channels);
  const x = tf.tensor4d(samples.x, [n, height, width, samples.inChannels]);
  let values: Float32Array;
  try {
    const out = gan.translate(x, "samples");
    try {
      values = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  } finally {
    x.dispose();
  }
  // as the refined data sets are written
  const fake = quantiseImages(values).bytes;
  const diff = Uint8Array.from(
    fake,
    (v, i) => Math.min(255, Math.abs(v - samples.y[i]) * DIFF_GAIN),
  );
  const showShape = { ...samples.shape, channels: samples.showChannels };
  return [
    { label: labels.input, images: splitImages(samples.show, showShape) },
    { label: "G(x)", images: splitImages(fake, samples.shape) },
    { label: "ground truth y", images: splitImages(samples.y, samples.shape) },
    { label: `|G(x) - y| x${DIFF_GAIN}`, images: splitImages(diff, samples.shape) },
  ];
}

/** How a pix2pix model was trained, for the report. */
export function describePix2Pix(gan: Pix2Pix, pairs: Pairs, encoding: MapEncoding): string {
  return describePix2PixConfig(gan.config, {
    pairs,
    encoding,
    inChannels: gan.inChannels,
    updates: gan.extraState(),
  });
}

/** How a pix2pix model was trained, for the report, from its config, input and counters. */
export function describePix2PixConfig(
  c: Pix2PixConfig,
  info: { pairs: Pairs; encoding: MapEncoding; inChannels: number; updates: Pix2PixExtraState },
): string {
  const g = c.generator, d = c.discriminator;
  const { pairs, encoding } = info;
  const { updatesG, updatesD } = info.updates;
  const trainsD = c.adversarial.weight > 0;
  const input = pairs === "twins"
    ? "synthetic renders (x) to their target-domain twins (y)"
    : `semantic class maps (x, ${encoding} encoding, ${info.inChannels} channels) to ` +
      `target-domain images (y)`;
  return `Pairs: ${input}. Objective: ${c.adversarial.weight} x cGAN (${c.adversarial.loss}) + ` +
    `${c.lambdaL1} x L1, D loss halved, one G then one D update per step` +
    `${trainsD ? "" : " (adversarial weight 0: D not trained)"}. G: ${
      g.skips ? "U-Net" : "encoder-decoder"
    } of ${g.filters} first-level maps (cap ${g.maxFilters}, depth ${
      g.depth === 0 ? "auto" : g.depth
    }), ${g.norm} norm, dropout ${g.dropout} in ${g.dropoutBlocks} decoder blocks` +
    `${g.dropoutAtTest ? ", on at test time" : ""}. D: ${d.receptiveField}x${d.receptiveField} ` +
    `PatchGAN of ${d.filters} maps, ${d.norm} norm, ${
      d.conditional ? "conditional (sees x and the output)" : "unconditional (sees the output only)"
    }. Batch ${c.batchSize}, Adam lr ${c.optimizer.lr} beta1 ${c.optimizer.beta1} (constant ` +
    `${c.schedule.constantSteps} steps, then ${c.schedule.decaySteps} decaying). Updates: ` +
    `${updatesG} of G, ${updatesD} of D.`;
}

/**
 * Runs `train-pix2pix` for `argv` (see the module documentation).
 *
 * @returns what happened, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (exit 2 in the task; also `--steps` past the learning-rate
 *   schedule, new run or resume), `SetupError` for bad data sets, `NonFiniteLossError` for a NaN
 *   loss, `CheckpointError` for a run that cannot be resumed; an evaluation's error after the
 *   training completed, once `report.html` (with the training sections) is written.
 */
export async function trainPix2Pix(
  argv: readonly string[],
  options: TrainPix2PixOptions = {},
): Promise<TrainPix2PixResult | undefined> {
  const print = options.print ?? ((m: string) => console.error(m));
  const output = options.output ?? ((m: string) => console.log(m));
  const args = expandPix2PixArgs(argv);
  const command = ["deno task train-pix2pix", ...argv].join(" ");
  await precheck(args, { log: print, command });
  const s: RunSession<Pix2PixTaskConfig> | undefined = await startRun(PIX2PIX_CONFIG, args, {
    task: "train-pix2pix",
    print,
    git: options.git,
  });
  if (!s) return undefined;
  const cfg = s.config;
  const dirs = pix2pixDataDirs(cfg);
  if (s.checkpoint) {
    // a new run was checked before its folder was made; a resume has changed nothing yet
    checkScheduleCoversSteps(cfg.steps, cfg.schedule, { resume: true });
    await checkPix2PixData(dirs, cfg.pairs, { quiet: s.quiet, log: print, command });
  }
  if (cfg.eval.enabled && cfg.pairs === "maps" && !s.quiet) {
    print("note: --pairs maps: G translates maps, so the gaze protocol is skipped");
  }
  // printed even with --quiet: a result the user may expect will be missing
  const noPaired = noPairedMetricsNote(cfg);
  if (noPaired) print(noPaired);
  const data = await readPairs(dirs.paired, cfg.pairs);
  const { shape } = data;
  const stream = new PairStream(
    data,
    inputEncoder(cfg.pairs, cfg.mapEncoding),
    s.seeds.derive("data", "pairs"),
  );
  const gan = Pix2Pix.create(
    methodPart<Pix2PixOverrides>(cfg as unknown as Record<string, unknown>, PIX2PIX_DEFAULTS),
    { seed: s.seeds.seed, inChannels: stream.inChannels, shape },
  );
  const input = { pairs: cfg.pairs, mapEncoding: cfg.mapEncoding };
  try {
    if (s.checkpoint) {
      // everything is checked and restored before the resume changes the run folder
      const file = s.checkpoint.file ?? "checkpoint";
      const saved = checkPix2PixCheckpoint(s.checkpoint, {
        shape,
        inChannels: stream.inChannels,
        ...input,
      });
      try {
        stream.restore(saved.stream);
      } catch (e) {
        throw new CheckpointError(
          `${file}: the pair stream of ${dirs.paired} cannot continue: ` +
            (e as Error).message.replace(/^PairStream: /, ""),
        );
      }
      await restoreCheckpoint(s.checkpoint, {
        networks: gan.networks(),
        optimizers: gan.optimizers(),
      });
      try {
        gan.restoreExtraState(saved.pix2pix);
      } catch (e) {
        throw new CheckpointError(`${file}: ${(e as Error).message}`);
      }
      await s.commitResume();
    }
    const samples = pickPairSamples(stream, cfg.pairs, SAMPLE_COUNT);
    const inputLabel = pix2pixInputLabel(cfg.pairs);

    const result = await runTraining({
      ...loopSettings(s, options, print),
      show: gan.trainsD ? ["loss_G_adv", "loss_L1", "loss_D", "l1"] : ["loss_L1", "l1"],
      step: (i) => gan.step(i, stream),
      save: () => {
        const state: Pix2PixCheckpointState = {
          pix2pix: gan.extraState(),
          stream: stream.state(),
          shape,
          inChannels: stream.inChannels,
          ...input,
        };
        return { networks: gan.networks(), optimizers: gan.optimizers(), state };
      },
      onSample: async (step) => {
        const rows = await translationRows(gan, samples, { input: inputLabel });
        await writeSampleRows(s.run, step, rows, options.onSample);
      },
    });

    const runDir = s.run.paths.dir;
    let paired: PairedEvalFile | undefined;
    let gazeEval: GazeEvalFile | undefined;
    // an evaluation that fails after the training completed: the report is still written (with
    // the training sections), then the error is thrown
    let failure: { what: string; error: unknown } | undefined;
    if (result.status === "completed") {
      const source = { run: runDir, step: result.step, live: true };
      let what = "";
      try {
        if (dirs.pairedTest) {
          what = `the paired metrics on ${dirs.pairedTest}`;
          const t = pix2pixTranslator(gan.G, input, { source });
          paired = await runPairedEval(t, {
            paired: dirs.pairedTest,
            out: `${runDir}/${PAIRED_EVAL_FILE}`,
            quiet: s.quiet,
            command,
          });
          output(formatPairedSummary(paired));
        }
        if (dirs.gaze?.protocol) {
          what = "the gaze protocol";
          const refiner = pix2pixRefiner(gan.G, { name: "pix2pix", source });
          gazeEval = await evaluateRun(s, refiner, { data: dirs.gaze.protocol, print, command });
          output(formatEvalSummary(gazeEval));
        }
      } catch (error) {
        failure = { what, error };
      }
    }
    let shown = samples, heldOut = false;
    if (dirs.pairedTest) {
      try {
        shown = await readPairSamples(dirs.pairedTest, cfg.pairs, cfg.mapEncoding, SAMPLE_COUNT);
        heldOut = true;
      } catch (e) {
        // after a failed evaluation (perhaps of this very set), the training pairs will do
        if (!failure) throw e;
      }
    }
    const step = result.step;
    const sections: RunReportSection[] = [
      ...pix2pixReportSections(
        {
          translate: (x, key) => gan.translate(x, key),
          description: describePix2Pix(gan, cfg.pairs, cfg.mapEncoding),
          step,
        },
        shown,
        { pairs: cfg.pairs, heldOut, paired },
      ),
      ...(failure ? [evaluationFailedSection(failure.what, failure.error, step, runDir)] : []),
    ];
    let path: string;
    try {
      path = (await writeRunReport(runDir, {
        title: runReportTitle(`pix2pix (${cfg.pairs})`, runDir),
        extraSections: sections,
      })).path;
    } catch (e) {
      if (!failure) throw e;
      print(`note: report.html could not be written either: ${(e as Error)?.message ?? e}`);
      throw failure.error;
    }
    output(`report: ${path}`);
    if (failure) throw failure.error;
    return {
      exitCode: result.exitCode,
      runDir,
      step,
      paired,
      eval: gazeEval,
      report: path,
    };
  } finally {
    gan.dispose();
  }
}

/** The label of the input row of the translation grids: `synthetic x` or `map x`. */
export function pix2pixInputLabel(pairs: Pairs): string {
  return pairs === "twins" ? "synthetic x" : "map x";
}

/** What pix2pix's report sections show of a model. */
export interface Pix2PixReportModel extends Pix2PixTranslate {
  /** The paragraph on how G was trained ({@link describePix2PixConfig}). */
  description: string;
  /** Completed training steps (the caption's step). */
  step: number;
}

/**
 * The run report's pix2pix sections: "pix2pix translation" (x | G(x) | y | |G(x) - y| on the
 * shown pairs, and the description) and, when given, "Paired metrics" (the table of a paired
 * evaluation, or why `paired_eval.json` could not be read). Leak no tensors.
 *
 * @param model G at test time, the description and the step.
 * @param shown the pairs shown (the first held-out pairs, else the first training pairs).
 * @param options the task, whether `shown` is held out, and the paired evaluation.
 */
export function pix2pixReportSections(
  model: Pix2PixReportModel,
  shown: PairSamples,
  options: { pairs: Pairs; heldOut: boolean; paired?: PairedEvalFile | Error },
): RunReportSection[] {
  const { shape } = shown;
  const { paired } = options;
  return [
    {
      heading: "pix2pix translation",
      build: async (report: Report) => {
        const rows = await translationRows(model, shown, {
          input: pix2pixInputLabel(options.pairs),
        });
        await comparisonGrid(report, rows, {
          shape: [shape.height, shape.width, shape.channels],
          caption: `The final G (step ${model.step}) on the first ${rows[1].images.length} ${
            options.heldOut ? "held-out" : "training"
          } pairs`,
        });
        report.paragraph(model.description);
      },
    },
    ...(paired ? [pairedEvalSection(paired)] : []),
  ];
}

/**
 * pix2pix's report sections of a run folder, as `train-pix2pix` wrote them: G from the latest
 * checkpoint (its step and counters too), the first pairs of the run's held-out paired set
 * (else of its training set), and the paired metrics of `RUN/paired_eval.json` when there is
 * one. `dispose` releases G. ("Evaluation failed", written after a failed evaluation, is not
 * rebuilt.)
 *
 * @throws when the run is not a pix2pix run, or its checkpoint or paired sets cannot be read.
 */
export async function loadPix2PixReportSections(runDir: string): Promise<MethodReportSections> {
  const loaded = await loadPix2PixGenerator(runDir);
  const G = loaded.G;
  try {
    const { pairs, mapEncoding } = loaded.input;
    const dirs = pix2pixDataDirs(loaded.values as unknown as Pix2PixTaskConfig);
    const heldOut = dirs.pairedTest !== undefined;
    const shown = heldOut
      ? await readPairSamples(dirs.pairedTest!, pairs, mapEncoding, SAMPLE_COUNT)
      : await readPairSamples(dirs.paired, pairs, mapEncoding, SAMPLE_COUNT, "--paired");
    if (sizeOf(shown.shape) !== sizeOf(loaded.shape)) {
      throw new Error(
        `${loaded.file}: G was trained on ${sizeOf(loaded.shape)} images, but ${
          dirs.pairedTest ?? dirs.paired
        } now holds ${sizeOf(shown.shape)} images`,
      );
    }
    const counters = (loaded.state as { pix2pix?: Pix2PixExtraState } | null)?.pix2pix;
    if (!counters) throw new Error(`${loaded.file}: no pix2pix state ('state.pix2pix')`);
    const paired = await readRunPairedEval(runDir);
    const sections = pix2pixReportSections(
      {
        translate: (x, key) => tf.tidy(() => G.apply(x, { training: false, noiseKey: key })),
        description: describePix2PixConfig(loaded.config, {
          pairs,
          encoding: mapEncoding,
          inChannels: loaded.inChannels,
          updates: counters,
        }),
        step: loaded.step,
      },
      shown,
      { pairs, heldOut, paired },
    );
    return {
      title: runReportTitle(`pix2pix (${pairs})`, runDir),
      sections,
      dispose: () => G.dispose(),
    };
  } catch (e) {
    G.dispose();
    throw e;
  }
}

/** The report's section saying which evaluation failed after training, and how to redo it. */
function evaluationFailedSection(
  what: string,
  error: unknown,
  step: number,
  runDir: string,
): RunReportSection {
  return {
    heading: "Evaluation failed",
    build: (report: Report) => {
      report.paragraph(
        `The training completed (step ${step}, checkpoint written), but ${
          what || "the evaluation"
        } failed: ${(error as Error)?.message ?? String(error)}. The sections above that come ` +
          `from the training (losses, samples, the translation grid) are complete; an ` +
          `Evaluation section, if there is one, comes from an earlier eval.json, not from this ` +
          `step. Evaluate again with deno task eval-pairs --refiner ${runDir} and, for twins, ` +
          `deno task eval-gaze --refiner ${runDir}.`,
      );
    },
  };
}

/** The report's section of a paired evaluation (shared by every method's report). */
export { pairedSection } from "../../report/paired_section.ts";
