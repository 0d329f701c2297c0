/**
 * The segmentation score of the paired evaluation: this toolkit's counterpart of pix2pix's
 * "FCN-score" (Isola et al., CVPR 2017, Sec. 4.2), which judged labels->photo outputs by how
 * well an off-the-shelf segmentation network (FCN-8s trained on Cityscapes photos) recovers the
 * input labels from the generated image. Pixel metrics (L1, PSNR, SSIM) reward blurry averages;
 * a segmenter rewards images whose eye parts are where the labels put them and look like eye
 * parts of the target domain.
 *
 * ## The segmenter S
 *
 * A small fully convolutional network, the project's U-Net (`unet_generator`, with
 * `outChannels` = 6 classes and `output: "linear"`: per-pixel logits, no tanh; instance norm,
 * no dropout, so each image is segmented on its own and deterministically), trained (seeded) to
 * predict the class-id map (`maps.npy`: 0 skin, 1 sclera, 2 iris, 3 pupil, 4 lid margin,
 * 5 caruncle) from the **target-domain** image (`images.npy`, the twin) of a paired training
 * set, with per-pixel softmax cross-entropy and Adam ({@link SEGMENTER_DEFAULTS}). It is trained
 * on this toolkit's target domain, not on real photographs, so like KID's features its numbers
 * are specific to this domain: they say how well S, which has only seen target-domain twins,
 * finds the eye's parts in an image; they are not comparable with the paper's Cityscapes
 * numbers. S's own error is measured on the held-out twins (the upper bound of any translator).
 *
 * Trained segmenters are cached like the gaze estimators ({@link obtainSegmenter}, the shared
 * `obtainCachedModel` of `estimator_cache.ts`): the key is the SHA-256 of the canonical JSON of
 * the format {@link SEGMENTER_CACHE_FORMAT}, the training set's real path, the SHA-256 of its
 * `meta.json` and of its `maps.npy`, the size of its `images.npy`, the complete resolved
 * {@link SegmenterConfig}, the backend and the TensorFlow.js version. Default folder
 * {@link DEFAULT_SEGMENTER_CACHE}.
 *
 * ## The three numbers (pix2pix / FCN's `score.py`)
 *
 * Over a whole set of images, a confusion matrix `M[t][p]` counts the pixels of true class `t`
 * predicted as `p` (summed over every image of the set, not averaged per image), and:
 *
 * - `pixel_accuracy` = sum_c M[c][c] / sum M: the fraction of pixels labelled right;
 * - `class_accuracy` = mean over classes c **present in the truth** (row sum > 0) of
 *   M[c][c] / sum_p M[c][p]; classes with no true pixel in the set are left out of the mean
 *   (their accuracy is undefined, `null` per class);
 * - `class_iou` = mean over classes c with a non-empty union (true or predicted pixels) of
 *   M[c][c] / (sum_p M[c][p] + sum_t M[t][c] - M[c][c]). A class absent from the truth but
 *   predicted somewhere has IoU 0 and counts in the mean (a false detection); a class neither
 *   true nor predicted anywhere in the set is left out (`null`).
 *
 * These are the definitions of the FCN evaluation code pix2pix used (`np.nanmean` of
 * `diag / hist.sum(1)` and of `diag / (hist.sum(1) + hist.sum(0) - diag)`). With the default
 * 36x60 sets every class occurs in a set of any useful size, so the means are over all six.
 *
 * @example
 * ```ts
 * import { confusionMatrix, segmentationScores } from "./segmentation.ts";
 * const truth = Uint8Array.from([0, 0, 1, 1]);
 * const pred = Uint8Array.from([0, 1, 1, 1]);
 * const s = segmentationScores(confusionMatrix(pred, truth, 2));
 * console.log(s.pixel_accuracy, s.class_accuracy, s.class_iou); // 0.75 0.75 0.5833...
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Dataset, toFloat } from "../data/dataset.ts";
import { CLASS_NAMES } from "../data/render/raster.ts";
import { unetGenerator } from "../nn/networks/unet_generator.ts";
import type { Network } from "../nn/network.ts";
import { deriveSeed } from "../nn/rng.ts";
import { readWeightsFile, writeWeightsFile } from "../nn/weights_file.ts";
import { ProgressBar } from "../util/progress.ts";
import { cacheBackendName, cacheKeyOf, fileSha256, obtainCachedModel } from "./estimator_cache.ts";

/** Number of semantic classes of the paired sets' maps. */
export const SEGMENTATION_CLASSES = CLASS_NAMES.length;

/** Format tag of a segmenter cache entry (part of every key). */
export const SEGMENTER_CACHE_FORMAT = "eyegan-segmenter-cache/1";

/** The default cache folder of trained segmenters. */
export const DEFAULT_SEGMENTER_CACHE = "runs/.cache/segmenters";

/** Format tag of a saved segmenter's metadata. */
const SEGMENTER_FILE_FORMAT = "eyegan-segmenter/1";

/** The segmenter's network and training settings. */
export interface SegmenterConfig {
  /** Image size (from the training set). */
  height: number;
  width: number;
  channels: number;
  /** Output classes. */
  classes: number;
  /** U-Net maps of the outermost level, and the cap on any level. */
  filters: number;
  maxFilters: number;
  /** U-Net depth (3 at 36x60: pads to 40x64, bottleneck 5x8). */
  depth: number;
  /** Training steps (mini-batches), batch size, Adam learning rate. */
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Seed of the weights and of the batch order. */
  seed: number;
}

/** Defaults: about 75 s of training on two CPU cores (wasm) at 36x60. */
export const SEGMENTER_DEFAULTS: SegmenterConfig = {
  height: 36,
  width: 60,
  channels: 1,
  classes: SEGMENTATION_CLASSES,
  filters: 16,
  maxFilters: 64,
  depth: 3,
  steps: 1000,
  batchSize: 16,
  learningRate: 2e-3,
  seed: 0,
};

/**
 * The complete config for images of `size` with the overrides `config` (`undefined` keeps the
 * default).
 *
 * @throws {RangeError} naming a setting that is not an integer >= 1 (sizes, classes, filters,
 *   depth, steps, batch size), a learning rate that is not > 0, or a seed that is not an integer.
 */
export function resolveSegmenterConfig(
  size: { height: number; width: number; channels: number },
  config: Partial<SegmenterConfig> = {},
): SegmenterConfig {
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const cfg: SegmenterConfig = {
    ...SEGMENTER_DEFAULTS,
    ...given,
    height: size.height,
    width: size.width,
    channels: size.channels,
  };
  const ints = [
    "height",
    "width",
    "channels",
    "classes",
    "filters",
    "maxFilters",
    "depth",
    "steps",
    "batchSize",
  ] as const;
  for (const k of ints) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) {
      throw new RangeError(`segmenter config: ${k} must be an integer >= 1, got ${cfg[k]}`);
    }
  }
  if (!(cfg.learningRate > 0) || !Number.isFinite(cfg.learningRate)) {
    throw new RangeError(`segmenter config: learningRate must be > 0, got ${cfg.learningRate}`);
  }
  if (!Number.isInteger(cfg.seed)) {
    throw new RangeError(`segmenter config: seed must be an integer, got ${cfg.seed}`);
  }
  return cfg;
}

/** A segmenter: its config and network (logits `[N, H, W, classes]`). */
export interface Segmenter {
  readonly config: SegmenterConfig;
  readonly net: Network<unknown, tf.Tensor4D>;
}

/** Builds an untrained segmenter; variables live under `namespace` (default `S`). */
export function buildSegmenter(config: SegmenterConfig, namespace = "S"): Segmenter {
  const net = unetGenerator({
    inChannels: config.channels,
    outChannels: config.classes,
    height: config.height,
    width: config.width,
    filters: config.filters,
    maxFilters: config.maxFilters,
    depth: config.depth,
    norm: "instance",
    dropout: 0,
    dropoutBlocks: 0,
    dropoutAtTest: false,
    output: "linear",
  }, { seed: deriveSeed(config.seed, "S"), namespace });
  return { config, net: net as unknown as Network<unknown, tf.Tensor4D> };
}

/** Progress of {@link trainSegmenter}. */
export interface SegmenterStep {
  step: number;
  loss: number;
}

/**
 * Trains a segmenter on a paired set: its target-domain `images.npy` in, `maps.npy` class ids as
 * the per-pixel targets (softmax cross-entropy, mean over pixels).
 *
 * @throws when the set has no maps, a setting is invalid, or the loss becomes non-finite.
 */
export async function trainSegmenter(
  train: Dataset,
  config: Partial<SegmenterConfig> = {},
  options: { onStep?: (s: SegmenterStep) => void; namespace?: string } = {},
): Promise<Segmenter> {
  if (!train.arrays.includes("maps")) {
    throw new Error(
      `${train.dir}: has no maps.npy; the segmenter trains on a paired set ` +
        `(deno task make-data --domain paired)`,
    );
  }
  const cfg = resolveSegmenterConfig(train, config);
  const seg = buildSegmenter(cfg, options.namespace);
  const { height: h, width: w, channels: c, classes: k } = cfg;
  const optimizer = tf.train.adam(cfg.learningRate);
  const batchSize = Math.min(cfg.batchSize, train.count);
  let step = 0;
  try {
    for (let epoch = 0; step < cfg.steps; epoch++) {
      const batches = train.batches({
        batchSize,
        shuffle: `segmenter/${cfg.seed}/${epoch}`,
        dropLast: true,
        include: ["maps"],
        format: "uint8",
      });
      for await (const batch of batches) {
        if (step >= cfg.steps) break;
        const b = batch.indices.length;
        const x = toFloat(batch.images as Uint8Array);
        const ids = Int32Array.from(batch.maps!);
        const loss = tf.tidy(() => {
          const xt = tf.tensor4d(x, [b, h, w, c]);
          const y = tf.oneHot(tf.tensor1d(ids, "int32"), k);
          return optimizer.minimize(
            () => {
              const logits = seg.net.apply(xt, { training: true }).reshape([b * h * w, k]);
              return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
            },
            true,
            seg.net.trainableVariables(),
          )!;
        });
        const value = (await loss.data())[0];
        loss.dispose();
        step++;
        if (!Number.isFinite(value)) {
          throw new Error(`segmenter: loss is ${value} at step ${step}; lower the learning rate`);
        }
        options.onStep?.({ step, loss: value });
      }
    }
  } catch (e) {
    seg.net.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
  return seg;
}

/**
 * Class ids `[N, H, W]` (argmax of the logits) of images given as bytes `[N, H, W, C]` (mapped
 * to [-1, 1] as `v / 127.5 - 1`, as the training images were).
 */
export async function segmentImages(
  seg: Segmenter,
  bytes: Uint8Array,
  options: { batchSize?: number } = {},
): Promise<Uint8Array> {
  const { height: h, width: w, channels: c } = seg.config;
  const per = h * w * c;
  const n = bytes.length / per;
  if (!Number.isInteger(n)) {
    throw new RangeError(`segmentImages: ${bytes.length} values are not N x ${h}x${w}x${c}`);
  }
  const batchSize = options.batchSize ?? 128;
  const out = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i += batchSize) {
    const b = Math.min(batchSize, n - i);
    const x = toFloat(bytes.subarray(i * per, (i + b) * per));
    const ids = tf.tidy(() => tf.argMax(seg.net.apply(tf.tensor4d(x, [b, h, w, c])), 3));
    out.set(Uint8Array.from(await ids.data()), i * h * w);
    ids.dispose();
  }
  return out;
}

/** Saves a segmenter (safetensors; config in its metadata). */
export async function saveSegmenter(seg: Segmenter, path: string): Promise<void> {
  await writeWeightsFile(path, await seg.net.params.getWeights(), {
    format: SEGMENTER_FILE_FORMAT,
    config: JSON.stringify(seg.config),
  });
}

/** Loads a segmenter saved by {@link saveSegmenter}. */
export async function loadSegmenter(path: string, namespace = "S"): Promise<Segmenter> {
  const { weights, metadata } = await readWeightsFile(path);
  if (metadata.format !== SEGMENTER_FILE_FORMAT || !metadata.config) {
    throw new Error(`${path}: not a segmenter file (format '${metadata.format}')`);
  }
  const stored = JSON.parse(metadata.config) as SegmenterConfig;
  const seg = buildSegmenter(resolveSegmenterConfig(stored, stored), namespace);
  try {
    seg.net.params.setWeights(weights);
  } catch (e) {
    seg.net.dispose();
    throw new Error(`${path}: weights do not fit the segmenter (${(e as Error).message})`);
  }
  return seg;
}

/** What a segmenter's cache key is computed from (the format is added to it). */
export async function segmenterCacheMaterial(
  train: Dataset,
  config: Partial<SegmenterConfig>,
): Promise<Record<string, unknown>> {
  const dir = train.dir;
  return {
    train: {
      dir: await Deno.realPath(dir),
      meta_sha256: await fileSha256(`${dir}/meta.json`),
      maps_sha256: await fileSha256(`${dir}/maps.npy`),
      images_bytes: (await Deno.stat(`${dir}/images.npy`)).size,
    },
    config: resolveSegmenterConfig(train, config),
    backend: cacheBackendName(),
    tfjs: tf.version_core,
  };
}

/**
 * The cache key (24 hex digits) of a segmenter trained on `train` with `config` on the current
 * backend, whether or not a cache is used: the paired evaluation records it as the segmenter's
 * identity.
 */
export async function segmenterCacheKey(
  train: Dataset,
  config: Partial<SegmenterConfig>,
): Promise<string> {
  return await cacheKeyOf({
    format: SEGMENTER_CACHE_FORMAT,
    ...(await segmenterCacheMaterial(train, config)),
  });
}

/** A segmenter from {@link obtainSegmenter}, with where it came from. */
export interface ObtainedSegmenter {
  seg: Segmenter;
  cached: boolean;
  key: string | null;
  finalLoss: number;
  trainSeconds: number;
}

/**
 * Trains a segmenter on `train` ({@link trainSegmenter}, with a progress bar), or loads it from
 * the cache (see the module documentation), storing a newly trained one there.
 */
export async function obtainSegmenter(
  train: Dataset,
  options: {
    config?: Partial<SegmenterConfig>;
    /** Cache folder, or `false` for none (default {@link DEFAULT_SEGMENTER_CACHE}). */
    cacheDir?: string | false;
    namespace?: string;
    label?: string;
    quiet?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<ObtainedSegmenter> {
  const config = options.config ?? {};
  const label = options.label ?? "segmenter";
  const got = await obtainCachedModel<Segmenter>({
    format: SEGMENTER_CACHE_FORMAT,
    cacheDir: options.cacheDir ?? DEFAULT_SEGMENTER_CACHE,
    weightsFile: "segmenter.safetensors",
    material: () => segmenterCacheMaterial(train, config),
    train: async () => {
      const { steps } = resolveSegmenterConfig(train, config);
      const bar = new ProgressBar(steps, { label, unit: "step", quiet: options.quiet });
      const t0 = performance.now();
      let finalLoss = NaN;
      const model = await trainSegmenter(train, config, {
        namespace: options.namespace,
        onStep: ({ step, loss }) => {
          finalLoss = loss;
          bar.update(step, { loss: loss.toFixed(4) });
        },
      });
      bar.finish();
      return { model, seconds: (performance.now() - t0) / 1000, finalLoss };
    },
    save: saveSegmenter,
    load: (path) => loadSegmenter(path, options.namespace),
    what: "segmenter",
    label,
    quiet: options.quiet,
    log: options.log,
  });
  return {
    seg: got.model,
    cached: got.cached,
    key: got.key,
    finalLoss: got.finalLoss,
    trainSeconds: got.trainSeconds,
  };
}

/** A `classes x classes` confusion matrix, row = true class, column = predicted class. */
export type ConfusionMatrix = Float64Array[];

/** An empty confusion matrix. */
export function emptyConfusion(classes: number): ConfusionMatrix {
  return Array.from({ length: classes }, () => new Float64Array(classes));
}

/**
 * Adds the pixels of predicted and true class ids (the same length) to a confusion matrix
 * (a new one when `into` is omitted) and returns it.
 *
 * @throws {RangeError} for arrays of different lengths or an id outside `0..classes-1`.
 */
export function confusionMatrix(
  predicted: Uint8Array,
  truth: Uint8Array,
  classes: number,
  into: ConfusionMatrix = emptyConfusion(classes),
): ConfusionMatrix {
  if (predicted.length !== truth.length) {
    throw new RangeError(
      `confusionMatrix: ${predicted.length} predicted and ${truth.length} true pixels`,
    );
  }
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i], p = predicted[i];
    if (t >= classes || p >= classes) {
      throw new RangeError(
        `confusionMatrix: class id ${Math.max(t, p)} at pixel ${i} is not below ${classes}`,
      );
    }
    into[t][p]++;
  }
  return into;
}

/** The segmentation score of a set (see the module documentation). */
export interface SegmentationScores {
  /** Pixels scored. */
  pixels: number;
  /** Fraction of pixels whose class is recovered. */
  pixel_accuracy: number;
  /** Mean per-class accuracy over the classes present in the truth. */
  class_accuracy: number;
  /** Mean IoU over the classes true or predicted somewhere. */
  class_iou: number;
  /** Per class (by id): accuracy (`null`: no true pixel) and IoU (`null`: empty union). */
  per_class: { name: string; accuracy: number | null; iou: number | null }[];
}

/** The three numbers (and per-class values) of a confusion matrix. */
export function segmentationScores(m: ConfusionMatrix): SegmentationScores {
  const k = m.length;
  let total = 0, correct = 0;
  const rows = new Float64Array(k), cols = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      total += m[t][p];
      rows[t] += m[t][p];
      cols[p] += m[t][p];
    }
    correct += m[t][t];
  }
  const perClass = Array.from({ length: k }, (_, c) => {
    const union = rows[c] + cols[c] - m[c][c];
    return {
      name: CLASS_NAMES[c] ?? `class ${c}`,
      accuracy: rows[c] > 0 ? m[c][c] / rows[c] : null,
      iou: union > 0 ? m[c][c] / union : null,
    };
  });
  const mean = (v: (number | null)[]) => {
    const xs = v.filter((x): x is number => x !== null);
    return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  };
  return {
    pixels: total,
    pixel_accuracy: total > 0 ? correct / total : NaN,
    class_accuracy: mean(perClass.map((c) => c.accuracy)),
    class_iou: mean(perClass.map((c) => c.iou)),
    per_class: perClass,
  };
}

/** The segmentation score of predicted against true class ids over a set, in one call. */
export function segmentationScore(
  predicted: Uint8Array,
  truth: Uint8Array,
  classes: number = SEGMENTATION_CLASSES,
): SegmentationScores {
  return segmentationScores(confusionMatrix(predicted, truth, classes));
}
