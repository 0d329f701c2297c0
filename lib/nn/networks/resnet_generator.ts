/**
 * ResNet generator of CycleGAN (Zhu et al., ICCV 2017, https://arxiv.org/abs/1703.10593), after
 * Johnson et al. 2016. In the paper's notation (c7s1-k: reflect-pad 3, 7x7 conv stride 1 with k
 * maps, norm, ReLU; dk: 3x3 conv stride 2, norm, ReLU; Rk: residual block; uk: stride-2 up, norm,
 * ReLU), with F = `filters`, n = `downsamplings`, r = `blocks`:
 *
 * ```
 * c7s1-F, d(2F), ..., d(2^n F), r x R(2^n F), u(2^(n-1) F), ..., u(F), c7s1-C_out, tanh
 * ```
 *
 * Paper: F = 64, n = 2, r = 6 at 128x128 and 9 at 256x256, instance norm, `transpose` ups
 * (3x3 transposed conv, stride 2). `resize_conv` ups (nearest x2, then reflect-padded 3x3 conv)
 * avoid checkerboard artefacts (Odena et al. 2016).
 *
 * Sizes: n stride-2 steps need H and W divisible by 2^n (36x60 is fine for n = 2; 35x55 is not).
 * `sizeMode: "pad"` (default) reflection-pads the input up to the next multiple and crops the
 * output back, so the output always has the input's size; `"error"` throws. Reflection padding
 * bounds n for small images ({@link resnetPadding}, {@link resnetMaxDownsamplings}): each side's
 * pad must be shorter than its axis, the residual blocks' 3x3 reflect-padded convs need at least
 * 2x2 after the downsamplings, and the 7x7 ones at least 4x4; 36x60 takes n <= 5 (6 without
 * residual blocks). A setting that does not fit throws before any convolution, naming the limit.
 *
 * Parameters: `conv_in`, `norm_in`, `down<i>`, `down<i>_norm`, `block<i>/...`, `up<i>`,
 * `up<i>_norm`, `conv_out` (each with `/kernel`, `/bias`, or `/gamma`... for batch norm).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { cycleganResnetBlock, resnetBlock } from "../blocks.ts";
import { activate, conv2d, conv2dTranspose, type Layer, upsampleNearest } from "../layers.ts";
import {
  type BuildOptions,
  makeNetwork,
  type Network,
  newStore,
  resolveConfig,
} from "../network.ts";
import { type NormKind, normLayer } from "../norm.ts";
import { cropPad, type Pad4, padToMultiple, reflectionPad } from "../padding.ts";
import type { WeightInit } from "../params.ts";
import { deriveSeed } from "../rng.ts";

/** Config of {@link resnetGenerator}. */
export interface ResnetGeneratorConfig {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Maps F of the first layer; doubled at each downsampling. */
  filters: number;
  /** Number n of stride-2 downsamplings (and upsamplings). */
  downsamplings: number;
  /** Number r of residual blocks. */
  blocks: number;
  /** Upsampling: transposed conv (paper) or nearest-resize + conv. */
  upsample: "transpose" | "resize_conv";
  /** Normalisation (paper: instance). */
  norm: NormKind;
  /** Dropout inside the residual blocks (CycleGAN's `--no_dropout` is the default: 0). */
  dropout: number;
  /** Sizes not divisible by 2^n: reflection-pad and crop back, or throw. */
  sizeMode: "pad" | "error";
  /** Output activation. */
  outputActivation: "tanh" | "none";
  /** Kernel initialisation. */
  init: WeightInit;
}

/** Defaults of {@link ResnetGeneratorConfig}: CycleGAN's 6-block generator. */
export const RESNET_GENERATOR_DEFAULTS: ResnetGeneratorConfig = {
  inChannels: 3,
  outChannels: 3,
  filters: 64,
  downsamplings: 2,
  blocks: 6,
  upsample: "transpose",
  norm: "instance",
  dropout: 0,
  sizeMode: "pad",
  outputActivation: "tanh",
  init: "gan",
};

/** The padding of an H x W input for n downsamplings, and why the generator cannot take it. */
function sizeProblem(n: number, blocks: number, height: number, width: number) {
  const multiple = 2 ** n;
  const pad = padToMultiple(height, width, multiple);
  const [t, b, l, r] = pad;
  const ph = height + t + b, pw = width + l + r;
  if (Math.max(t, b) >= height || Math.max(l, r) >= width) {
    return {
      pad,
      why: `${n} stride-2 downsamplings pad ${height}x${width} to ${ph}x${pw} (multiples of ` +
        `2^${n} = ${multiple}), which reflection padding cannot do: each side's pad (here up to ` +
        `${Math.max(t, b, l, r)}) must be shorter than the side it mirrors`,
    };
  }
  if (Math.min(ph, pw) < 4) {
    return {
      pad,
      why: `${height}x${width} is too small for the 7x7 reflect-padded convolutions, which ` +
        `need at least 4x4`,
    };
  }
  const bh = ph / multiple, bw = pw / multiple;
  if (blocks > 0 && Math.min(bh, bw) < 2) {
    return {
      pad,
      why: `${n} stride-2 downsamplings bring ${height}x${width} (padded to ${ph}x${pw}) down ` +
        `to ${bh}x${bw} before the residual blocks, whose 3x3 reflect-padded convolutions need ` +
        `at least 2x2`,
    };
  }
  return { pad, why: undefined };
}

/**
 * Why the generator (with `sizeMode: "pad"`) cannot take an H x W input, e.g. `6 stride-2
 * downsamplings bring 36x60 (padded to 64x64) down to 1x1 before the residual blocks, whose
 * 3x3 reflect-padded convolutions need at least 2x2`; `undefined` when it can.
 */
export function resnetSizeProblem(
  config: Pick<ResnetGeneratorConfig, "downsamplings" | "blocks">,
  height: number,
  width: number,
): string | undefined {
  return sizeProblem(config.downsamplings, config.blocks, height, width).why;
}

/**
 * The largest number of downsamplings n the generator takes on an H x W input with `blocks`
 * residual blocks (36x60: 5, or 6 with no blocks; 256x256: 7); -1 when none does.
 */
export function resnetMaxDownsamplings(height: number, width: number, blocks: number): number {
  let max = -1;
  for (let n = 0; n <= 30; n++) {
    if (sizeProblem(n, blocks, height, width).why === undefined) max = n;
  }
  return max;
}

/**
 * The [top, bottom, left, right] reflection padding the generator applies to an H x W input
 * (zeros when 2^n divides both), checked without building anything.
 *
 * @example
 * ```ts
 * import { resnetPadding } from "./resnet_generator.ts";
 * const pad = resnetPadding({ downsamplings: 2, blocks: 6 }, 35, 55); // 35x55 -> 36x56
 * if (pad.join() !== "0,1,0,1") throw new Error();
 * ```
 *
 * @throws with `sizeMode: "error"` when 2^n does not divide H and W; when reflection padding
 *   cannot make the padding or the padded image is too small for the convolutions: the message
 *   names n, the sizes and the most downsamplings that fit ({@link resnetMaxDownsamplings}).
 */
export function resnetPadding(
  config: Pick<ResnetGeneratorConfig, "downsamplings" | "blocks"> & {
    sizeMode?: ResnetGeneratorConfig["sizeMode"];
  },
  height: number,
  width: number,
): Pad4 {
  const { downsamplings: n, blocks } = config;
  const multiple = 2 ** n;
  if (config.sizeMode === "error" && (height % multiple || width % multiple)) {
    throw new Error(
      `resnet_generator: ${n} stride-2 downsamplings need H and W divisible by ${multiple}, ` +
        `got ${height}x${width} (use sizeMode "pad" or resize the images)`,
    );
  }
  const { pad, why } = sizeProblem(n, blocks, height, width);
  if (why !== undefined) {
    const max = resnetMaxDownsamplings(height, width, blocks);
    throw new Error(
      `resnet_generator: ${why}; ` +
        (max >= 0
          ? `use at most ${max} downsamplings for ${height}x${width}` +
            (blocks > 0 && resnetMaxDownsamplings(height, width, 0) > max
              ? ` (${resnetMaxDownsamplings(height, width, 0)} without residual blocks)`
              : "")
          : `no setting fits ${height}x${width}`),
    );
  }
  return pad;
}

/** Builds the ResNet generator; `apply(x)` returns G(x) [B, H, W, outChannels]. */
export function resnetGenerator(
  config: Partial<ResnetGeneratorConfig>,
  options: BuildOptions,
): Network<ResnetGeneratorConfig, tf.Tensor4D> {
  const cfg = resolveConfig("resnet_generator", RESNET_GENERATOR_DEFAULTS, config);
  const params = newStore(options);
  const { filters: f, downsamplings: n, init, norm } = cfg;
  const normOf = (name: string, channels: number) =>
    normLayer(params.scope(name), norm, { channels, init });
  const convIn = conv2d(params.scope("conv_in"), {
    inChannels: cfg.inChannels,
    filters: f,
    kernel: 7,
    padding: "reflect",
    init,
  });
  const normIn = normOf("norm_in", f);
  const downs: [Layer, Layer | undefined][] = [];
  for (let i = 0; i < n; i++) {
    const cin = f * 2 ** i;
    const conv = conv2d(params.scope(`down${i + 1}`), {
      inChannels: cin,
      filters: 2 * cin,
      kernel: 3,
      stride: 2,
      padding: 1,
      init,
    });
    downs.push([conv, normOf(`down${i + 1}_norm`, 2 * cin)]);
  }
  const width = f * 2 ** n;
  const blocks = Array.from({ length: cfg.blocks }, (_, i) => {
    const scope = params.scope(`block${i + 1}`);
    const seed = deriveSeed(options.seed, `block${i + 1}`);
    return norm === "instance"
      ? cycleganResnetBlock(scope, { channels: width, init, dropout: cfg.dropout, seed })
      : resnetBlock(scope, {
        channels: width,
        padding: "reflect",
        norm,
        dropout: cfg.dropout,
        seed,
        init,
      });
  });
  const ups: [Layer, Layer | undefined][] = [];
  for (let i = 0; i < n; i++) {
    const cin = f * 2 ** (n - i);
    const scope = params.scope(`up${i + 1}`);
    const conv = cfg.upsample === "transpose"
      ? conv2dTranspose(scope, { inChannels: cin, filters: cin / 2, kernel: 3, stride: 2, init })
      : conv2d(scope, { inChannels: cin, filters: cin / 2, kernel: 3, padding: "reflect", init });
    ups.push([conv, normOf(`up${i + 1}_norm`, cin / 2)]);
  }
  const convOut = conv2d(params.scope("conv_out"), {
    inChannels: f,
    filters: cfg.outChannels,
    kernel: 7,
    padding: "reflect",
    init,
  });
  return makeNetwork({
    kind: "resnet_generator",
    config: cfg,
    params,
    inChannels: cfg.inChannels,
    forward: (x, ctx) => {
      const [, height, w] = x.shape;
      const pad = resnetPadding(cfg, height, w);
      const normAct = (h: tf.Tensor, nl: Layer | undefined) => tf.relu(nl ? nl.apply(h, ctx) : h);
      let h: tf.Tensor = reflectionPad(x, pad);
      h = normAct(convIn.apply(h, ctx), normIn);
      for (const [conv, nl] of downs) h = normAct(conv.apply(h, ctx), nl);
      for (const block of blocks) h = block.apply(h, ctx);
      for (const [conv, nl] of ups) {
        if (cfg.upsample === "resize_conv") h = upsampleNearest(h as tf.Tensor4D);
        h = normAct(conv.apply(h, ctx), nl);
      }
      h = activate(convOut.apply(h, ctx), cfg.outputActivation);
      return cropPad(h as tf.Tensor4D, pad);
    },
  });
}
