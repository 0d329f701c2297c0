/**
 * Residual blocks shared by the generators.
 *
 * A ResNet block (He et al. 2016) with identity skip, y = x + F(x), F = two k x k convolutions
 * with the same number of maps. Two published variants:
 *
 * - SimGAN refiner ({@link refinerResnetBlock}): F = conv3x3 -> ReLU -> conv3x3, zero `same`
 *   padding, no normalisation, and a ReLU after the sum: y = ReLU(x + F(x)).
 * - CycleGAN / Johnson et al. ({@link cycleganResnetBlock}): F = reflect-pad 1 -> conv3x3 ->
 *   instance norm -> ReLU -> reflect-pad 1 -> conv3x3 -> instance norm, nothing after the sum:
 *   y = x + F(x).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { activate, type Activation, conv2d, dropout, type Layer } from "./layers.ts";
import { type NormKind, normLayer } from "./norm.ts";
import type { ParamScope, WeightInit } from "./params.ts";
import { deriveSeed } from "./rng.ts";

/** Options of {@link resnetBlock}. */
export interface ResnetBlockOptions {
  /** Maps in and out. */
  channels: number;
  /** Kernel size (default 3). */
  kernel?: number;
  /** Padding of both convolutions: zeros (`same`, default) or `reflect`. */
  padding?: "same" | "reflect";
  /** Normalisation after each convolution (default `none`). */
  norm?: NormKind;
  /** Activation between the convolutions (default `relu`). */
  activation?: Activation;
  /** Apply the activation after the sum too (default false). */
  postActivation?: boolean;
  /** Dropout rate between the convolutions (CycleGAN's `use_dropout`; default 0). */
  dropout?: number;
  /** Seed of the dropout masks (needed when dropout > 0). */
  seed?: number;
  /** Kernel initialisation (default `gan`). */
  init?: WeightInit;
}

/**
 * A residual block y = [act](x + F(x)); parameters `conv1/*`, `norm1/*`, `conv2/*`, `norm2/*`.
 */
export function resnetBlock(scope: ParamScope, options: ResnetBlockOptions): Layer {
  const { channels } = options;
  const k = options.kernel ?? 3;
  const padding = options.padding ?? "same";
  const norm = options.norm ?? "none";
  const act = options.activation ?? "relu";
  const init = options.init ?? "gan";
  const conv = (name: string) =>
    conv2d(scope.scope(name), {
      inChannels: channels,
      filters: channels,
      kernel: k,
      padding,
      init,
    });
  const conv1 = conv("conv1");
  const norm1 = normLayer(scope.scope("norm1"), norm, { channels, init });
  const rate = options.dropout ?? 0;
  const drop = rate > 0
    ? dropout({ rate, seed: deriveSeed(options.seed ?? 0, scope.prefix) })
    : undefined;
  const conv2 = conv("conv2");
  const norm2 = normLayer(scope.scope("norm2"), norm, { channels, init });
  return {
    name: scope.prefix,
    apply: (x, ctx) =>
      tf.tidy(() => {
        let h = conv1.apply(x, ctx);
        if (norm1) h = norm1.apply(h, ctx);
        h = activate(h, act);
        if (drop) h = drop.apply(h, ctx);
        h = conv2.apply(h, ctx);
        if (norm2) h = norm2.apply(h, ctx);
        const y = tf.add(x, h);
        return options.postActivation ? activate(y, act) : y;
      }),
  };
}

/** SimGAN refiner block: y = ReLU(x + conv(ReLU(conv(x)))), zero padding, no norm. */
export function refinerResnetBlock(
  scope: ParamScope,
  options: { channels: number; init?: WeightInit },
): Layer {
  return resnetBlock(scope, {
    channels: options.channels,
    padding: "same",
    norm: "none",
    postActivation: true,
    init: options.init,
  });
}

/** CycleGAN block: y = x + IN(conv(pad(ReLU(IN(conv(pad(x))))))), reflection padding. */
export function cycleganResnetBlock(
  scope: ParamScope,
  options: { channels: number; init?: WeightInit; dropout?: number; seed?: number },
): Layer {
  return resnetBlock(scope, {
    channels: options.channels,
    padding: "reflect",
    norm: "instance",
    postActivation: false,
    dropout: options.dropout,
    seed: options.seed,
    init: options.init,
  });
}
