/**
 * SimGAN local discriminator D (Shrivastava et al., CVPR 2017).
 *
 * ```
 * x [B,H,W,C] -> conv3x3 s2 96 -> ReLU -> conv3x3 s2 64 -> ReLU -> maxpool3x3 s1
 *             -> conv3x3 s1 32 -> ReLU -> conv1x1 32 -> ReLU -> conv1x1 2 -> logits [B,h,w,2]
 * ```
 *
 * Each of the h x w positions classifies one local patch of the input as refined (class 0) or
 * real (class 1) with a 2-way softmax over the last axis; the paper's local adversarial loss
 * is the sum (we usually take the mean) of the cross-entropies over all positions. Padding is
 * `same` throughout (as in the public reimplementations), so 35x55 gives a 9x14 map.
 *
 * Parameters: `conv1/*` ... `conv5/*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { conv2d, maxPool } from "../layers.ts";
import {
  type BuildOptions,
  makeNetwork,
  type Network,
  newStore,
  resolveConfig,
} from "../network.ts";
import type { WeightInit } from "../params.ts";

/** Config of {@link simganDiscriminator}. */
export interface SimganDiscriminatorConfig {
  /** Image channels C. */
  inChannels: number;
  /** Maps of the four hidden convolutions (paper: 96, 64, 32, 32). */
  filters: number[];
  /** Classes per position (2: refined / real). */
  outputs: number;
  /** Padding of every convolution and the pool. */
  padding: "same" | "valid";
  /** Kernel initialisation. */
  init: WeightInit;
}

/** Defaults of {@link SimganDiscriminatorConfig}: the paper's discriminator. */
export const SIMGAN_DISCRIMINATOR_DEFAULTS: SimganDiscriminatorConfig = {
  inChannels: 1,
  filters: [96, 64, 32, 32],
  outputs: 2,
  padding: "same",
  init: "gan",
};

/** Builds the SimGAN discriminator; `apply(x)` returns logits [B, h, w, outputs]. */
export function simganDiscriminator(
  config: Partial<SimganDiscriminatorConfig>,
  options: BuildOptions,
): Network<SimganDiscriminatorConfig, tf.Tensor4D> {
  const cfg = resolveConfig("simgan_discriminator", SIMGAN_DISCRIMINATOR_DEFAULTS, config);
  if (cfg.filters.length !== 4) throw new Error("simgan_discriminator: filters needs 4 widths");
  const params = newStore(options);
  const { init, padding } = cfg;
  const [f1, f2, f3, f4] = cfg.filters;
  const conv = (name: string, inChannels: number, filters: number, kernel: number, stride = 1) =>
    conv2d(params.scope(name), { inChannels, filters, kernel, stride, padding, init });
  const c1 = conv("conv1", cfg.inChannels, f1, 3, 2);
  const c2 = conv("conv2", f1, f2, 3, 2);
  const pool = maxPool({ size: 3, stride: 1, padding });
  const c3 = conv("conv3", f2, f3, 3);
  const c4 = conv("conv4", f3, f4, 1);
  const c5 = conv("conv5", f4, cfg.outputs, 1);
  return makeNetwork({
    kind: "simgan_discriminator",
    config: cfg,
    params,
    inChannels: cfg.inChannels,
    forward: (x, ctx) => {
      let h = tf.relu(c1.apply(x, ctx));
      h = tf.relu(c2.apply(h, ctx));
      h = pool.apply(h, ctx);
      h = tf.relu(c3.apply(h, ctx));
      h = tf.relu(c4.apply(h, ctx));
      return c5.apply(h, ctx) as tf.Tensor4D;
    },
  });
}
