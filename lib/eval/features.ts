/**
 * Image features for KID from a fixed in-project network: by default the gaze estimator's first
 * hidden FC layer (`fc1`), or any stage of a network with `features(x, {layer})`; 4-D (conv or
 * pool) outputs are global-average-pooled to one value per channel.
 *
 * These features are **domain-specific**: they come from a network trained on eye images for
 * gaze (see `lib/gaze/estimator.ts`), not from Inception-v3 on ImageNet, so KID computed on
 * them ranks refiners on the same data with the same network and is not comparable to
 * published FID/KID numbers. Record which estimator file and layer produced them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Dataset } from "../data/dataset.ts";
import type { Estimator } from "../gaze/estimator.ts";
import { type FeatureMatrix, kid, type KidOptions, type KidResult } from "./kid.ts";

/** Anything with named intermediate outputs, such as `GazeEstimator` (`lib/nn`). */
export interface FeatureNetwork {
  /** The output of stage `layer` for a batch `[B,H,W,C]`: `[B,F]` or `[B,H',W',F]`. */
  features(x: tf.Tensor4D, options: { layer: string; training?: boolean }): tf.Tensor;
  /** The input size, when the network records it (`GazeEstimator.config` does). */
  readonly config?: unknown;
}

/** Options of {@link extractFeatures}. */
export interface FeatureOptions {
  /** The stage to read (default `fc1`, the estimator's first hidden FC layer). */
  layer?: string;
  /**
   * How a 4-D output becomes one vector per image: `mean` (default) global average pooling
   * over H and W (`f_c = 1/(H'W') Σ_{h,w} F[h,w,c]`), `flatten` keeps every value.
   */
  pool?: "mean" | "flatten";
  /** Images per forward pass (default 64). */
  batchSize?: number;
  /**
   * Image size `[H, W, C]` of a `Float32Array` input; by default the estimator's config (or the
   * network's `config.height/width/inChannels`).
   */
  imageShape?: readonly [number, number, number];
  /** Use at most this many images (the first ones; default all). */
  limit?: number;
}

function isEstimator(x: Estimator | FeatureNetwork): x is Estimator {
  return "net" in x && typeof (x as Estimator).net?.features === "function";
}

/** The network's input size, from an estimator's or a network's config, if it has one. */
function configShape(source: Estimator | FeatureNetwork): [number, number, number] | undefined {
  if (isEstimator(source)) {
    const { height, width, channels } = source.config;
    return [height, width, channels];
  }
  const c = source.config as
    | { height?: unknown; width?: unknown; inChannels?: unknown }
    | undefined;
  if (
    c && typeof c.height === "number" && typeof c.width === "number" &&
    typeof c.inChannels === "number"
  ) return [c.height, c.width, c.inChannels];
  return undefined;
}

/** Throws unless the images look like [-1, 1] data (catches 0..255 images passed by mistake). */
function checkRange(images: Float32Array, what: string): void {
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (!(v >= -1.0001 && v <= 1.0001)) {
      throw new RangeError(
        `${what}: value ${v} at index ${i} is outside [-1, 1] (images must be scaled to [-1, 1])`,
      );
    }
  }
}

/** Features of one chunk `[b, h, w, c]` as a `[b, F]` array; leaks no tensors. */
async function chunkFeatures(
  net: FeatureNetwork,
  images: Float32Array,
  shape: [number, number, number, number],
  layer: string,
  pool: "mean" | "flatten",
): Promise<{ data: Float32Array; d: number }> {
  const f = tf.tidy(() => {
    const x = tf.tensor4d(images, shape);
    const y = net.features(x, { layer, training: false });
    if (y.rank === 2) return y as tf.Tensor2D;
    if (y.rank === 4) {
      // global average pooling: [B,H',W',F] -> [B,F]
      return pool === "mean" ? tf.mean(y, [1, 2]) as tf.Tensor2D : tf.reshape(y, [shape[0], -1]);
    }
    throw new Error(`extractFeatures: layer '${layer}' gave a rank-${y.rank} tensor`);
  });
  try {
    return { data: (await f.data()) as Float32Array, d: f.shape[1] as number };
  } finally {
    f.dispose();
  }
}

/**
 * Runs images through a fixed network and returns one feature vector per image (for KID),
 * in chunks, leaking no tensors. The features are domain-specific (see the module doc).
 *
 * @param source a trained gaze estimator (`loadEstimator`), or any {@link FeatureNetwork}.
 * @param images `Float32Array` `[N,H,W,C]` in [-1, 1], or a data set (read in file order).
 * @param options layer, pooling, chunk size, image size, limit.
 * @returns an `N x F` {@link FeatureMatrix}.
 * @throws {RangeError} if the image size is unknown or does not divide the data, or values are
 *   outside [-1, 1].
 * @example
 * ```ts ignore
 * const est = await loadEstimator("runs/estimator/estimator.safetensors");
 * const real = await extractFeatures(est, realDataset);
 * const refined = await extractFeatures(est, refinedImages); // Float32Array [N,36,60,1]
 * console.log(kid(real, refined)); // domain-specific KID
 * ```
 */
export async function extractFeatures(
  source: Estimator | FeatureNetwork,
  images: Float32Array | Dataset,
  options: FeatureOptions = {},
): Promise<FeatureMatrix> {
  const net: FeatureNetwork = isEstimator(source) ? source.net : source;
  const layer = options.layer ?? "fc1";
  const pool = options.pool ?? "mean";
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`extractFeatures: batchSize must be >= 1, got ${batchSize}`);
  }
  const limit = options.limit ?? Infinity;
  const chunks: Float32Array[] = [];
  let d = 0;
  const run = async (data: Float32Array, h: number, w: number, c: number) => {
    checkRange(data, "extractFeatures");
    const per = h * w * c;
    const n = data.length / per;
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      const out = await chunkFeatures(
        net,
        data.subarray(i * per, (i + b) * per),
        [b, h, w, c],
        layer,
        pool,
      );
      d = out.d;
      chunks.push(out.data);
    }
  };
  if (images instanceof Float32Array) {
    const shape = options.imageShape ?? configShape(source);
    if (!shape) {
      throw new RangeError("extractFeatures: pass imageShape [H, W, C] for this network");
    }
    const [h, w, c] = shape;
    const n = images.length / (h * w * c);
    if (!Number.isInteger(n)) {
      throw new RangeError(
        `extractFeatures: ${images.length} values are not N images of ${h}x${w}x${c}`,
      );
    }
    const take = Math.min(n, limit);
    await run(images.subarray(0, take * h * w * c), h, w, c);
  } else {
    const end = Math.min(images.count, limit);
    for await (
      const batch of images.batches({ batchSize: Math.max(batchSize, 256), include: [], end })
    ) {
      await run(batch.images as Float32Array, images.height, images.width, images.channels);
    }
  }
  const n = chunks.reduce((s, c) => s + c.length, 0) / Math.max(1, d);
  const data = new Float32Array(n * d);
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.length;
  }
  return { data, n, d };
}

/** Options of {@link kidOfImages}: the feature network, feature extraction and KID subsets. */
export interface KidOfImagesOptions extends FeatureOptions, KidOptions {
  /** The fixed feature network (a trained gaze estimator, or any {@link FeatureNetwork}). */
  network: Estimator | FeatureNetwork;
}

/**
 * Domain-specific KID between two image sets: {@link extractFeatures} of both with the same
 * fixed network, then `kid` (see `kid.ts`). Lower is closer; about 0 (it can be slightly
 * negative) when the two sets come from the same distribution.
 *
 * @param real target-domain images (`Float32Array` in [-1, 1] or a data set).
 * @param refined refined (or raw synthetic) images, same format.
 * @param options `network` (required), feature and KID options.
 * @returns the {@link KidResult} and the layer the features came from.
 */
export async function kidOfImages(
  real: Float32Array | Dataset,
  refined: Float32Array | Dataset,
  options: KidOfImagesOptions,
): Promise<KidResult & { layer: string }> {
  const fx = await extractFeatures(options.network, real, options);
  const fy = await extractFeatures(options.network, refined, options);
  return { ...kid(fx, fy, options), layer: options.layer ?? "fc1" };
}
