/**
 * SimGAN refiner R (Shrivastava et al., CVPR 2017, https://arxiv.org/abs/1612.07828).
 *
 * Fully convolutional, no striding or pooling, so the output has the input's size:
 *
 * ```
 * x [B,H,W,C] -> conv3x3 F maps -> ReLU
 *             -> B x ResNet block (conv3x3 F -> ReLU -> conv3x3 F, + x, ReLU)
 *             -> conv1x1 C maps -> tanh -> R(x) [B,H,W,C]
 * ```
 *
 * Paper: F = 64, B = 4, input 35x55x1. The output activation is not stated in the paper;
 * reimplementations use tanh on images in [-1, 1] (`outputActivation`).
 *
 * Parameters: `conv_in/*`, `block<i>/conv1/*`, `block<i>/conv2/*`, `conv_out/*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { refinerResnetBlock } from "../blocks.ts";
import { activate, conv2d } from "../layers.ts";
import {
  type BuildOptions,
  makeNetwork,
  type Network,
  newStore,
  resolveConfig,
} from "../network.ts";
import type { WeightInit } from "../params.ts";

/** Config of {@link simganRefiner}. */
export interface SimganRefinerConfig {
  /** Image channels C, in and out (1 for grayscale eyes). */
  channels: number;
  /** Maps F of every hidden layer. */
  filters: number;
  /** Number of ResNet blocks. */
  blocks: number;
  /** Output activation: `tanh` for images in [-1, 1], or `none`. */
  outputActivation: "tanh" | "none";
  /** Kernel initialisation. */
  init: WeightInit;
}

/** Defaults of {@link SimganRefinerConfig}: the paper's refiner. */
export const SIMGAN_REFINER_DEFAULTS: SimganRefinerConfig = {
  channels: 1,
  filters: 64,
  blocks: 4,
  outputActivation: "tanh",
  init: "gan",
};

/** Builds the SimGAN refiner; `apply(x)` returns R(x) with the shape of x. */
export function simganRefiner(
  config: Partial<SimganRefinerConfig>,
  options: BuildOptions,
): Network<SimganRefinerConfig, tf.Tensor4D> {
  const cfg = resolveConfig("simgan_refiner", SIMGAN_REFINER_DEFAULTS, config);
  const params = newStore(options);
  const { channels, filters, init } = cfg;
  const convIn = conv2d(params.scope("conv_in"), {
    inChannels: channels,
    filters,
    kernel: 3,
    init,
  });
  const blocks = Array.from(
    { length: cfg.blocks },
    (_, i) => refinerResnetBlock(params.scope(`block${i + 1}`), { channels: filters, init }),
  );
  const convOut = conv2d(params.scope("conv_out"), {
    inChannels: filters,
    filters: channels,
    kernel: 1,
    init,
  });
  return makeNetwork({
    kind: "simgan_refiner",
    config: cfg,
    params,
    inChannels: channels,
    forward: (x, ctx) => {
      let h = tf.relu(convIn.apply(x, ctx));
      for (const block of blocks) h = block.apply(h, ctx);
      return activate(convOut.apply(h, ctx), cfg.outputActivation) as tf.Tensor4D;
    },
  });
}
