/**
 * The gaze estimator E: the SimGAN paper's CNN (`lib/nn/networks/gaze_estimator.ts`) trained
 * to regress gaze from an eye image. It is the yardstick of the toolkit (train on synthetic or
 * refined images, test on the target domain), GazeGAN's frozen gaze-consistency network, and
 * a source of fixed features.
 *
 * Targets: `pitchyaw` regresses (pitch, yaw) in radians; `vector` regresses the unit 3-D gaze
 * vector (the paper's "FC 3") and converts back with `vectorToPitchYaw`. Loss: mean squared
 * error over the output components, `L = mean_i ||E(x_i) - t_i||^2 / k`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Dataset } from "../data/dataset.ts";
import { pitchYawToVector, vectorToPitchYaw } from "../data/gaze.ts";
import { type GazeEstimator, gazeEstimator } from "../nn/networks/gaze_estimator.ts";
import { readWeightsFile, writeWeightsFile } from "../nn/weights_file.ts";
import { deriveSeed } from "../nn/rng.ts";
import { ProgressBar } from "../util/progress.ts";
import { Rng } from "../util/random.ts";
import { evaluateGaze, type GazeErrorSummary } from "./metrics.ts";

/** How the estimator is built and trained. */
export interface EstimatorConfig {
  /** Image height, width and channels (taken from the training set). */
  height: number;
  width: number;
  channels: number;
  /** What the network regresses. */
  target: "pitchyaw" | "vector";
  /** Scale of every conv and hidden width of the paper's network (1 = paper). */
  widthMultiplier: number;
  /** Hidden FC widths before scaling (paper: [1000]). */
  hidden: number[];
  /** Training steps (mini-batches). */
  steps: number;
  batchSize: number;
  /** Adam learning rate (paper: 1e-3). */
  learningRate: number;
  /** Randomly mirror half of each batch, negating yaw (doubles the data's variety). */
  flipAugment: boolean;
  /** Seed of the weights and of the batch order. */
  seed: number;
}

/** Defaults: a narrower paper network that trains in about a minute on two CPU cores. */
export const ESTIMATOR_DEFAULTS: EstimatorConfig = {
  height: 36,
  width: 60,
  channels: 1,
  target: "pitchyaw",
  widthMultiplier: 0.5,
  hidden: [256],
  steps: 600,
  batchSize: 32,
  learningRate: 1e-3,
  flipAugment: false,
  seed: 0,
};

/** A built (and possibly trained) estimator with its config. */
export interface Estimator {
  readonly config: EstimatorConfig;
  readonly net: GazeEstimator;
}

/** Image size of a data set, as {@link resolveEstimatorConfig} takes it. */
export type ImageSize = Pick<Dataset, "height" | "width" | "channels">;

/**
 * The complete estimator config that training on images of `size` with the overrides `config`
 * resolves to: {@link ESTIMATOR_DEFAULTS}, then every override that is not `undefined` (a
 * missing setting keeps its default instead of erasing it), then the image size. Every
 * training and every cache key resolves its config here.
 *
 * @param size the training set (or any `{height, width, channels}`).
 * @param config overrides; `undefined` values are ignored.
 * @throws {RangeError} naming the setting when it is invalid: `steps`, `batchSize`, `height`,
 *   `width`, `channels` must be integers >= 1, `learningRate` and `widthMultiplier` finite and
 *   > 0, `hidden` a list of integers >= 1, `seed` an integer, `target` `pitchyaw` or `vector`.
 * @example
 * ```ts
 * import { resolveEstimatorConfig } from "./estimator.ts";
 * const cfg = resolveEstimatorConfig({ height: 36, width: 60, channels: 1 }, { steps: undefined });
 * console.log(cfg.steps); // 600, the default
 * ```
 */
export function resolveEstimatorConfig(
  size: ImageSize,
  config: Partial<EstimatorConfig> = {},
): EstimatorConfig {
  const given = Object.fromEntries(
    Object.entries(config).filter(([, v]) => v !== undefined),
  ) as Partial<EstimatorConfig>;
  const cfg: EstimatorConfig = {
    ...ESTIMATOR_DEFAULTS,
    ...given,
    height: size.height,
    width: size.width,
    channels: size.channels,
  };
  const bad = (name: string, want: string, got: unknown): never => {
    throw new RangeError(
      `estimator config: ${name} must be ${want}, got ${
        typeof got === "number" ? got : JSON.stringify(got)
      }`,
    );
  };
  const isInt = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  for (const name of ["steps", "batchSize", "height", "width", "channels"] as const) {
    if (!isInt(cfg[name], 1)) bad(name, "an integer >= 1", cfg[name]);
  }
  for (const name of ["learningRate", "widthMultiplier"] as const) {
    const v = cfg[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) bad(name, "a number > 0", v);
  }
  if (!Array.isArray(cfg.hidden) || !cfg.hidden.every((v) => isInt(v, 1))) {
    bad("hidden", "a list of integers >= 1", cfg.hidden);
  }
  if (!Number.isInteger(cfg.seed)) bad("seed", "an integer", cfg.seed);
  if (cfg.target !== "pitchyaw" && cfg.target !== "vector") {
    bad("target", "'pitchyaw' or 'vector'", cfg.target);
  }
  if (typeof cfg.flipAugment !== "boolean") bad("flipAugment", "true or false", cfg.flipAugment);
  return cfg;
}

/** Builds an untrained estimator; variables live under `namespace` (default `E`). */
export function buildEstimator(config: EstimatorConfig, namespace = "E"): Estimator {
  const net = gazeEstimator({
    height: config.height,
    width: config.width,
    inChannels: config.channels,
    outputs: config.target === "vector" ? 3 : 2,
    widthMultiplier: config.widthMultiplier,
    hidden: config.hidden,
  }, { seed: deriveSeed(config.seed, "E"), namespace });
  return { config, net };
}

/** Training targets for labels `[pitch0, yaw0, ...]`. */
function targets(gaze: Float32Array, target: EstimatorConfig["target"]): Float32Array {
  if (target === "pitchyaw") return gaze;
  const n = gaze.length / 2;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) out.set(pitchYawToVector(gaze[2 * i], gaze[2 * i + 1]), 3 * i);
  return out;
}

/**
 * Checks raw network outputs (`k` values per image) before they become gaze: a non-finite value
 * (a diverged or corrupt network) or, for `vector`, an all-zero vector (no direction) is an
 * error naming the image (`first` + its row), the data set and the estimator.
 */
function checkOutputs(
  out: Float32Array,
  target: EstimatorConfig["target"],
  where: { first: number; source?: string; estimator: string },
): void {
  const k = target === "vector" ? 3 : 2;
  const context = () =>
    [where.source ? `data set ${where.source}` : undefined, `estimator '${where.estimator}'`]
      .filter(Boolean).join(", ");
  for (let i = 0; i < out.length / k; i++) {
    const row = out.subarray(i * k, (i + 1) * k);
    const nonFinite = row.find((v) => !Number.isFinite(v));
    if (nonFinite !== undefined) {
      throw new RangeError(
        `estimator output for image ${where.first + i} is ${nonFinite} (${context()})`,
      );
    }
    if (target === "vector" && row.every((v) => v === 0)) {
      throw new RangeError(
        `estimator output for image ${where.first + i} is zero: a zero gaze vector has no ` +
          `direction (${context()})`,
      );
    }
  }
}

/** The estimator's name in errors: its variable namespace (`E`, `E_eval_refined`, ...). */
function estimatorName(est: Estimator): string {
  return (est.net as { params?: { namespace?: string } }).params?.namespace ?? "E";
}

/** Converts raw network outputs (checked by {@link checkOutputs}) to `[pitch0, yaw0, ...]`. */
function outputsToGaze(out: Float32Array, target: EstimatorConfig["target"]): Float32Array {
  if (target === "pitchyaw") return out;
  const n = out.length / 3;
  const gaze = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const { pitch, yaw } = vectorToPitchYaw(out[3 * i], out[3 * i + 1], out[3 * i + 2]);
    gaze[2 * i] = pitch;
    gaze[2 * i + 1] = yaw;
  }
  return gaze;
}

/** Mirrors the images of a batch in place where `flip[i]`, negating their yaw. */
function flipInPlace(
  images: Float32Array,
  gaze: Float32Array,
  shape: { h: number; w: number; c: number },
  flip: boolean[],
): void {
  const { h, w, c } = shape;
  const row = w * c;
  for (let i = 0; i < flip.length; i++) {
    if (!flip[i]) continue;
    gaze[2 * i + 1] = -gaze[2 * i + 1];
    for (let y = 0; y < h; y++) {
      const base = i * h * row + y * row;
      for (let x = 0; x < w >> 1; x++) {
        for (let k = 0; k < c; k++) {
          const a = base + x * c + k, b = base + (w - 1 - x) * c + k;
          const t = images[a];
          images[a] = images[b];
          images[b] = t;
        }
      }
    }
  }
}

/** Progress of {@link trainEstimator}. */
export interface EstimatorStep {
  step: number;
  loss: number;
}

/**
 * Trains an estimator on a labelled data set.
 *
 * @param train a data set with `gaze` labels.
 * @param config overrides of {@link ESTIMATOR_DEFAULTS} (resolved and checked by
 *   {@link resolveEstimatorConfig}; `undefined` values keep the default); image size comes
 *   from the data set.
 * @param options `onStep` after each step (return value ignored); `namespace` of the variables.
 * @throws if the data set has no labels, a setting is invalid ({@link resolveEstimatorConfig}),
 *   or the loss becomes NaN (naming the step).
 */
export async function trainEstimator(
  train: Dataset,
  config: Partial<EstimatorConfig> = {},
  options: { onStep?: (s: EstimatorStep) => void; namespace?: string } = {},
): Promise<Estimator> {
  if (!train.arrays.includes("gaze")) {
    throw new Error(`${train.dir}: has no gaze labels; the estimator needs a labelled data set`);
  }
  const cfg = resolveEstimatorConfig(train, config);
  const est = buildEstimator(cfg, options.namespace);
  const { h, w, c } = { h: cfg.height, w: cfg.width, c: cfg.channels };
  const optimizer = tf.train.adam(cfg.learningRate);
  const batchSize = Math.min(cfg.batchSize, train.count);
  const flipRng = new Rng(cfg.seed).fork("flip");
  let step = 0;
  try {
    for (let epoch = 0; step < cfg.steps; epoch++) {
      const batches = train.batches({ batchSize, shuffle: `${cfg.seed}/${epoch}`, dropLast: true });
      for await (const batch of batches) {
        if (step >= cfg.steps) break;
        const images = batch.images as Float32Array;
        const gaze = Float32Array.from(batch.gaze!);
        const b = batch.indices.length;
        if (cfg.flipAugment) {
          flipInPlace(
            images,
            gaze,
            { h, w, c },
            Array.from({ length: b }, () => flipRng.uniform() < 0.5),
          );
        }
        const t = targets(gaze, cfg.target);
        const k = cfg.target === "vector" ? 3 : 2;
        const loss = tf.tidy(() => {
          const x = tf.tensor4d(images, [b, h, w, c]);
          const y = tf.tensor2d(t, [b, k]);
          return optimizer.minimize(
            () => tf.mean(tf.squaredDifference(est.net.apply(x, { training: true }), y)),
            true,
            est.net.trainableVariables(),
          )!;
        });
        const value = (await loss.data())[0];
        loss.dispose();
        step++;
        if (!Number.isFinite(value)) {
          throw new Error(
            `gaze estimator: loss is ${value} at step ${step}; lower the learning rate`,
          );
        }
        options.onStep?.({ step, loss: value });
      }
    }
  } catch (e) {
    est.net.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
  return est;
}

/** An estimator from {@link trainEstimatorWithProgress}, with its training time and last loss. */
export interface TimedEstimator {
  est: Estimator;
  /** Seconds the training took. */
  seconds: number;
  /** Training loss of the last step. */
  finalLoss: number;
}

/**
 * Trains an estimator ({@link trainEstimator}) with a progress bar on stderr (steps, rate,
 * loss), and measures its time and last loss. The one way every task and evaluation trains an
 * estimator.
 *
 * @param train a data set with `gaze` labels.
 * @param config overrides of {@link ESTIMATOR_DEFAULTS} (see {@link resolveEstimatorConfig}).
 * @param options progress-bar `label`, `quiet` (no bar), variable `namespace`.
 */
export async function trainEstimatorWithProgress(
  train: Dataset,
  config: Partial<EstimatorConfig>,
  options: { label: string; quiet?: boolean; namespace?: string },
): Promise<TimedEstimator> {
  const { steps } = resolveEstimatorConfig(train, config);
  const bar = new ProgressBar(steps, { label: options.label, unit: "step", quiet: options.quiet });
  const t0 = performance.now();
  let finalLoss = NaN;
  const est = await trainEstimator(train, config, {
    namespace: options.namespace,
    onStep: ({ step, loss }) => {
      finalLoss = loss;
      bar.update(step, { loss: loss.toFixed(4) });
    },
  });
  bar.finish();
  return { est, seconds: (performance.now() - t0) / 1000, finalLoss };
}

/** Options of {@link predictImages}. */
export interface PredictOptions {
  /** Images per forward pass (default 128). */
  batchSize?: number;
  /** Where the images come from (a data set directory), named in errors. */
  source?: string;
  /** Index of the first image within `source` (default 0), for errors. */
  first?: number;
}

/**
 * Predicts gaze `[pitch0, yaw0, ...]` for images in [-1, 1], `[N, H, W, C]` row-major.
 *
 * @throws {RangeError} `estimator output for image k is NaN (...)` when the network's output
 *   for an image is not finite, or `... is zero` for an all-zero gaze vector (`vector` target),
 *   naming the data set (`options.source`) and the estimator.
 */
export async function predictImages(
  est: Estimator,
  images: Float32Array,
  options: PredictOptions = {},
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 128;
  const { height: h, width: w, channels: c, target } = est.config;
  const per = h * w * c;
  const n = images.length / per;
  if (!Number.isInteger(n)) {
    throw new RangeError(`predictImages: ${images.length} values are not N x ${h}x${w}x${c}`);
  }
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i += batchSize) {
    const b = Math.min(batchSize, n - i);
    const y = tf.tidy(() =>
      est.net.apply(tf.tensor4d(images.subarray(i * per, (i + b) * per), [b, h, w, c]))
    );
    const raw = (await y.data()) as Float32Array;
    y.dispose();
    checkOutputs(raw, target, {
      first: (options.first ?? 0) + i,
      source: options.source,
      estimator: estimatorName(est),
    });
    out.set(outputsToGaze(raw, target), i * 2);
  }
  return out;
}

/** Predicts gaze for every image of a data set, in file order. */
export async function predictDataset(est: Estimator, ds: Dataset): Promise<Float32Array> {
  checkCompatible(est, ds);
  const out = new Float32Array(ds.count * 2);
  let offset = 0;
  for await (const batch of ds.batches({ batchSize: 256, include: [] })) {
    const g = await predictImages(est, batch.images as Float32Array, {
      source: ds.dir,
      first: offset / 2,
    });
    out.set(g, offset);
    offset += g.length;
  }
  return out;
}

/** Angular-error summary of an estimator on a labelled data set. */
export async function evaluateEstimator(est: Estimator, ds: Dataset): Promise<GazeErrorSummary> {
  if (!ds.arrays.includes("gaze")) throw new Error(`${ds.dir}: has no gaze labels to test against`);
  const predicted = await predictDataset(est, ds);
  const truth = (await ds.readAll("gaze")) as Float32Array;
  return evaluateGaze(predicted, truth);
}

function checkCompatible(est: Estimator, ds: Dataset): void {
  const { height, width, channels } = est.config;
  const m = ds;
  if (m.height !== height || m.width !== width || m.channels !== channels) {
    throw new Error(
      `${ds.dir}: images are ${m.height}x${m.width}x${m.channels}, the estimator expects ` +
        `${height}x${width}x${channels}`,
    );
  }
}

/** Saves weights and config to `path` (a safetensors file; config in its metadata). */
export async function saveEstimator(est: Estimator, path: string): Promise<void> {
  await writeWeightsFile(path, await est.net.params.getWeights(), {
    format: "eyegan-estimator/1",
    config: JSON.stringify(est.config),
  });
}

/** Loads an estimator saved by {@link saveEstimator}. */
export async function loadEstimator(path: string, namespace = "E"): Promise<Estimator> {
  const { weights, metadata } = await readWeightsFile(path);
  if (metadata.format !== "eyegan-estimator/1" || !metadata.config) {
    throw new Error(`${path}: not a gaze estimator file (format '${metadata.format}')`);
  }
  let config: EstimatorConfig;
  try {
    const stored = JSON.parse(metadata.config) as EstimatorConfig;
    config = resolveEstimatorConfig(stored, stored);
  } catch (e) {
    throw new Error(`${path}: bad estimator config (${(e as Error).message})`);
  }
  const est = buildEstimator(config, namespace);
  try {
    est.net.params.setWeights(weights);
  } catch (e) {
    est.net.dispose();
    throw new Error(`${path}: weights do not fit the estimator (${(e as Error).message})`);
  }
  return est;
}
