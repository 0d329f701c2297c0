/**
 * Normalisation layers (NHWC).
 *
 * - Instance norm (Ulyanov et al. 2016), per sample b and channel c over the H x W positions:
 *   y = (x - mu_bc) / sqrt(var_bc + eps) [* gamma_c + beta_c], biased variance, eps = 1e-5.
 *   The same at training and test time (PyTorch `InstanceNorm2d(track_running_stats=False)`,
 *   CycleGAN's default, `affine=False`).
 * - Batch norm (Ioffe & Szegedy 2015), per channel over B x H x W:
 *   training: y = (x - mu_B) / sqrt(var_B + eps) * gamma + beta, and the running statistics move
 *   as r <- (1 - m) r + m s with momentum m = 0.1 (PyTorch's convention) and the unbiased batch
 *   variance; test: the running statistics, or the test batch's own (pix2pix, `testStatistics:
 *   "batch"`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { gammaInit, type ParamScope, type WeightInit } from "./params.ts";
import type { Layer } from "./layers.ts";

/** Normalisation kinds selectable in network configs. */
export type NormKind = "none" | "instance" | "batch";

/** Options of {@link instanceNorm}. */
export interface InstanceNormOptions {
  /** Channels C. */
  channels: number;
  /** Learn a per-channel scale and shift (default false, as in CycleGAN). */
  affine?: boolean;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Initialisation of gamma when affine (default `gan`: N(1, 0.02^2)). */
  init?: WeightInit;
}

/** Instance normalisation (see the module doc). Parameters `gamma`, `beta` when affine. */
export function instanceNorm(scope: ParamScope, options: InstanceNormOptions): Layer {
  const eps = options.eps ?? 1e-5;
  const { channels } = options;
  const affine = options.affine ?? false;
  const gamma = affine
    ? scope.create("gamma", [channels], { init: gammaInit(options.init ?? "gan") })
    : undefined;
  const beta = affine
    ? scope.create("beta", [channels], { init: { kind: "constant", value: 0 } })
    : undefined;
  return {
    name: scope.prefix,
    apply: (x) =>
      tf.tidy(() => {
        // mu, var over H and W: [B, 1, 1, C]
        const { mean, variance } = tf.moments(x, [1, 2], true);
        let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
        if (gamma && beta) y = tf.add(tf.mul(y, gamma), beta);
        return y;
      }),
  };
}

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Channels C. */
  channels: number;
  /** Running-statistics momentum m (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Statistics used outside training: `running` (default) or the test batch's own (`batch`). */
  testStatistics?: "running" | "batch";
  /** Initialisation of gamma (default `gan`: N(1, 0.02^2)). */
  init?: WeightInit;
}

/**
 * Batch normalisation (see the module doc). Parameters `gamma`, `beta` (trainable) and
 * `running_mean`, `running_var` (not trainable, saved in checkpoints).
 */
export function batchNorm(scope: ParamScope, options: BatchNormOptions): Layer {
  const { channels } = options;
  const eps = options.eps ?? 1e-5;
  const m = options.momentum ?? 0.1;
  const testStatistics = options.testStatistics ?? "running";
  const gamma = scope.create("gamma", [channels], { init: gammaInit(options.init ?? "gan") });
  const beta = scope.create("beta", [channels], { init: { kind: "constant", value: 0 } });
  const runMean = scope.create("running_mean", [channels], {
    init: { kind: "constant", value: 0 },
    trainable: false,
  });
  const runVar = scope.create("running_var", [channels], {
    init: { kind: "constant", value: 1 },
    trainable: false,
  });
  return {
    name: scope.prefix,
    apply: (x, ctx) =>
      tf.tidy(() => {
        const training = ctx?.training ?? false;
        let mean: tf.Tensor;
        let variance: tf.Tensor;
        if (training || testStatistics === "batch") {
          ({ mean, variance } = tf.moments(x, [0, 1, 2]));
        } else {
          mean = runMean;
          variance = runVar;
        }
        if (training) {
          // r <- (1 - m) r + m s, with the unbiased variance n/(n-1) var_B. An assignment is not
          // part of the loss, so no gradient flows through it.
          const n = x.size / channels;
          const unbiased = tf.mul(variance, n > 1 ? n / (n - 1) : 1);
          runMean.assign(tf.add(tf.mul(runMean, 1 - m), tf.mul(mean, m)));
          runVar.assign(tf.add(tf.mul(runVar, 1 - m), tf.mul(unbiased, m)));
        }
        return tf.batchNorm(x, mean, variance, beta, gamma, eps);
      }),
  };
}

/** A normalisation layer by kind, or `undefined` for `none`. */
export function normLayer(
  scope: ParamScope,
  kind: NormKind,
  options: { channels: number; init?: WeightInit; batchTestStatistics?: "running" | "batch" },
): Layer | undefined {
  switch (kind) {
    case "none":
      return undefined;
    case "instance":
      return instanceNorm(scope, { channels: options.channels });
    case "batch":
      return batchNorm(scope, {
        channels: options.channels,
        init: options.init,
        testStatistics: options.batchTestStatistics,
      });
  }
}
