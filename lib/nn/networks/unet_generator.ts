/**
 * U-Net generator of pix2pix (Isola et al., CVPR 2017, https://arxiv.org/abs/1611.07004), as the
 * canonical `UnetGenerator`. d levels; e_i = min(2^i F, maxFilters) maps at level i:
 *
 * ```
 * encoder  e_0 = conv4x4 s2(x)                         (no norm)
 *          e_i = norm(conv4x4 s2(LReLU_0.2(e_{i-1})))  i = 1..d-2
 *          e_{d-1} = conv4x4 s2(LReLU_0.2(e_{d-2}))    (innermost: no norm)
 * decoder  u_{d-1} = norm(convT4x4 s2(ReLU(e_{d-1})))
 *          u_i = norm(convT4x4 s2(ReLU([e_i, u_{i+1}])))  i = d-2..1  ([.,.]: channel concat)
 *          y = tanh(convT4x4 s2(ReLU([e_0, u_1])))
 * ```
 *
 * Dropout 50% follows the norm in the first `dropoutBlocks` decoder blocks counted from the
 * innermost (the paper's CD512-CD1024-CD1024) and, as in pix2pix, stays on at test time
 * (`dropoutAtTest`) as the generator's only noise. Batch norm by default, using the test batch's
 * statistics at test time (`batchTestStatistics: "batch"`), as the paper does.
 * `skips: false` is the plain encoder-decoder of the paper's ablation (no concatenations).
 * `output: "linear"` drops the final tanh, so the last layer's values are returned as they are:
 * per-pixel class logits when the U-Net is a segmenter (`lib/eval/segmentation.ts`).
 *
 * Depth and sizes: `depth: "auto"` takes d = floor(log2(min(H, W))), so the bottleneck is 1
 * pixel on the short side as in pix2pix (128 -> 7, 256 -> 8, 64 -> 6, 36x60 -> 5). Inputs whose
 * H or W is not a multiple of 2^d (36x60, 35x55) are reflection-padded to the next multiple,
 * split evenly between the two sides, and the output is cropped back to H x W (`sizeMode:
 * "pad"`; `"error"` throws instead). So 36x60 runs at 64x64 with d = 5; choose a smaller
 * `depth` (e.g. 2 for 36x60) to avoid padding at the cost of a smaller receptive field.
 * Reflection padding needs each side's pad shorter than the axis, which bounds the depth
 * ({@link unetMaxDepth}: 6 for 36x60, whose d = 7 would pad 36 rows to 128); a deeper `depth`
 * throws when the network is built ({@link unetPadding}), naming the largest that fits.
 *
 * Parameters: `down<i>/*`, `down<i>_norm/*`, `up<i>/*`, `up<i>_norm/*` (i = 1..d, outermost 1).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { conv2d, conv2dTranspose, dropout, type Layer } from "../layers.ts";
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

/** Config of {@link unetGenerator}. */
export interface UnetGeneratorConfig {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Image height the depth is derived from. */
  height: number;
  /** Image width the depth is derived from. */
  width: number;
  /** Maps F of the outermost level. */
  filters: number;
  /** Cap on the maps of any level (pix2pix: 8F = 512). */
  maxFilters: number;
  /** Number of stride-2 levels d, or `auto` = floor(log2(min(H, W))). */
  depth: number | "auto";
  /** Normalisation. */
  norm: NormKind;
  /** Batch norm outside training: the test batch's statistics (pix2pix) or running ones. */
  batchTestStatistics: "running" | "batch";
  /** Dropout rate of the dropout blocks. */
  dropout: number;
  /** Number of decoder blocks, from the innermost, followed by dropout. */
  dropoutBlocks: number;
  /** Keep dropout on at test time (pix2pix). */
  dropoutAtTest: boolean;
  /** U-Net skip concatenations; false gives the plain encoder-decoder. */
  skips: boolean;
  /** Final activation: `tanh` (images in [-1, 1], pix2pix) or `linear` (logits, a segmenter). */
  output: "tanh" | "linear";
  /** Sizes not divisible by 2^d: reflection-pad and crop back, or throw. */
  sizeMode: "pad" | "error";
  /** Kernel initialisation. */
  init: WeightInit;
}

/** Defaults of {@link UnetGeneratorConfig}: pix2pix's U-Net at 128x128. */
export const UNET_GENERATOR_DEFAULTS: UnetGeneratorConfig = {
  inChannels: 3,
  outChannels: 3,
  height: 128,
  width: 128,
  filters: 64,
  maxFilters: 512,
  depth: "auto",
  norm: "batch",
  batchTestStatistics: "batch",
  dropout: 0.5,
  dropoutBlocks: 3,
  dropoutAtTest: true,
  skips: true,
  output: "tanh",
  sizeMode: "pad",
  init: "gan",
};

/** The depth d a {@link UnetGeneratorConfig} resolves to. */
export function unetDepth(config: Pick<UnetGeneratorConfig, "height" | "width" | "depth">): number {
  const d = config.depth === "auto"
    ? Math.floor(Math.log2(Math.min(config.height, config.width)))
    : config.depth;
  if (!Number.isInteger(d) || d < 1) throw new Error(`unet_generator: bad depth ${d}`);
  return d;
}

/** Whether reflection can make `pad` for an H x W input: each side's pad shorter than its axis. */
function reflectable(height: number, width: number, pad: Pad4): boolean {
  const [t, b, l, r] = pad;
  return Math.max(t, b) < height && Math.max(l, r) < width;
}

/**
 * The largest depth d whose padding (H and W up to multiples of 2^d, split between the two
 * sides) reflection padding can make for an H x W input: each side's pad shorter than its axis
 * (6 for 36x60, 9 for 256x256; 0 when none can, for a 1-pixel side). `depth: "auto"` never
 * exceeds it.
 */
export function unetMaxDepth(height: number, width: number): number {
  let d = 0;
  // the pads grow with d, so the first depth that does not fit ends the search
  while (d < 30 && reflectable(height, width, padToMultiple(height, width, 2 ** (d + 1)))) d++;
  return d;
}

/**
 * The [top, bottom, left, right] reflection padding the U-Net of a config applies to its
 * H x W input (zeros when 2^d divides both), checked without building anything.
 *
 * @example
 * ```ts
 * import { unetPadding } from "./unet_generator.ts";
 * const pad = unetPadding({ height: 36, width: 60, depth: 5 }); // 36x60 -> 64x64
 * if (pad.join() !== "14,14,2,2") throw new Error();
 * ```
 *
 * @throws with `sizeMode: "error"` when 2^d does not divide H and W; with `"pad"` (default)
 *   when a side's pad is not shorter than its axis, which reflection padding cannot do: the
 *   message names the depth, the sizes and the largest depth that fits ({@link unetMaxDepth}).
 */
export function unetPadding(
  config: Pick<UnetGeneratorConfig, "height" | "width" | "depth"> & {
    sizeMode?: UnetGeneratorConfig["sizeMode"];
  },
): Pad4 {
  const d = unetDepth(config);
  const { height, width } = config;
  const multiple = 2 ** d;
  if (config.sizeMode === "error" && (height % multiple || width % multiple)) {
    throw new Error(
      `unet_generator: depth ${d} needs H and W divisible by ${multiple}, got ` +
        `${height}x${width} (use sizeMode "pad" or a smaller depth)`,
    );
  }
  const pad = padToMultiple(height, width, multiple);
  if (!reflectable(height, width, pad)) {
    const [t, b, l, r] = pad;
    const max = unetMaxDepth(height, width);
    throw new Error(
      `unet_generator: depth ${d} pads ${height}x${width} to ${height + t + b}x${
        width + l + r
      } (multiples of 2^${d} = ${multiple}), which reflection padding cannot do: each side's ` +
        `pad (here up to ${Math.max(t, b, l, r)}) must be shorter than the side it mirrors; ` +
        (max > 0
          ? `use depth of at most ${max}, or "auto" (${
            unetDepth({ height, width, depth: "auto" })
          } for ${height}x${width})`
          : `no depth fits ${height}x${width}`),
    );
  }
  return pad;
}

/**
 * Builds the U-Net; `apply(x)` returns G(x) [B, H, W, outChannels] for x of the config's size.
 *
 * @throws for a depth the config's size does not allow ({@link unetPadding}).
 */
export function unetGenerator(
  config: Partial<UnetGeneratorConfig>,
  options: BuildOptions,
): Network<UnetGeneratorConfig, tf.Tensor4D> {
  const cfg = resolveConfig("unet_generator", UNET_GENERATOR_DEFAULTS, config);
  if (cfg.output !== "linear" && cfg.output !== "tanh") {
    throw new Error(`unet_generator: output must be "tanh" or "linear", got ${cfg.output}`);
  }
  const d = unetDepth(cfg);
  const pad = unetPadding(cfg);
  const params = newStore(options);
  const { init } = cfg;
  const e = Array.from({ length: d }, (_, i) => Math.min(cfg.filters * 2 ** i, cfg.maxFilters));
  const normOf = (name: string, channels: number) =>
    normLayer(params.scope(name), cfg.norm, {
      channels,
      init,
      batchTestStatistics: cfg.batchTestStatistics,
    });
  const downs: { conv: Layer; norm?: Layer }[] = e.map((cout, i) => ({
    conv: conv2d(params.scope(`down${i + 1}`), {
      inChannels: i === 0 ? cfg.inChannels : e[i - 1],
      filters: cout,
      kernel: 4,
      stride: 2,
      padding: 1,
      init,
    }),
    norm: i > 0 && i < d - 1 ? normOf(`down${i + 1}_norm`, cout) : undefined,
  }));
  const ups: { conv: Layer; norm?: Layer; drop?: Layer }[] = e.map((_, i) => {
    const cin = i === d - 1 || !cfg.skips ? e[i] : 2 * e[i];
    const cout = i === 0 ? cfg.outChannels : e[i - 1];
    const fromInnermost = d - 1 - i;
    return {
      conv: conv2dTranspose(params.scope(`up${i + 1}`), {
        inChannels: cin,
        filters: cout,
        kernel: 4,
        stride: 2,
        init,
      }),
      norm: i > 0 ? normOf(`up${i + 1}_norm`, cout) : undefined,
      drop: i > 0 && fromInnermost < cfg.dropoutBlocks && cfg.dropout > 0
        ? dropout({
          rate: cfg.dropout,
          seed: deriveSeed(options.seed, `up${i + 1}_dropout`),
          activeAtTest: cfg.dropoutAtTest,
        })
        : undefined,
    };
  });
  return makeNetwork({
    kind: "unet_generator",
    config: cfg,
    params,
    inChannels: cfg.inChannels,
    forward: (x, ctx) => {
      const [, height, width] = x.shape;
      if (height !== cfg.height || width !== cfg.width) {
        throw new Error(
          `unet_generator: built for ${cfg.height}x${cfg.width}, got ${height}x${width}`,
        );
      }
      const enc: tf.Tensor[] = [];
      let h: tf.Tensor = reflectionPad(x, pad);
      downs.forEach((down, i) => {
        if (i > 0) h = tf.leakyRelu(h, 0.2);
        h = down.conv.apply(h, ctx);
        if (down.norm) h = down.norm.apply(h, ctx);
        enc.push(h);
      });
      for (let i = d - 1; i >= 0; i--) {
        const up = ups[i];
        const input = i === d - 1 || !cfg.skips ? h : tf.concat([enc[i], h], 3);
        h = up.conv.apply(tf.relu(input), ctx);
        if (up.norm) h = up.norm.apply(h, ctx);
        if (up.drop) h = up.drop.apply(h, ctx);
      }
      return cropPad((cfg.output === "tanh" ? tf.tanh(h) : h) as tf.Tensor4D, pad);
    },
  });
}
