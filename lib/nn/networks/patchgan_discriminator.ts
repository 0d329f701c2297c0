/**
 * PatchGAN discriminator of pix2pix / CycleGAN (Isola et al., CVPR 2017,
 * https://arxiv.org/abs/1611.07004), as the canonical `NLayerDiscriminator`. With F = `filters`
 * and n layers, every conv 4x4 with zero padding 1, LeakyReLU 0.2:
 *
 * ```
 * C(F) s2 (no norm) -> C(min(2^i, 8) F) s2 + norm, i = 1..n-1
 *   -> C(min(2^n, 8) F) s1 + norm -> conv4x4 s1 to 1 map (logits) [B, h, w, 1]
 * ```
 *
 * i.e. stride 2 except the last two convolutions. Each output position sees a
 * receptive-field x receptive-field patch: n = 1 -> 16, 2 -> 34, 3 -> 70 (the paper's default),
 * 4 -> 142, 5 -> 286 ({@link patchganReceptiveField}). `receptiveField: 1` is the PixelGAN:
 * conv1x1 F -> LReLU -> conv1x1 2F -> norm -> LReLU -> conv1x1 1.
 *
 * Conditional D (pix2pix): the input and output images concatenated on channels, i.e. just
 * `inChannels = C_x + C_y`.
 *
 * Output size per axis for 70x70 (zero pad 1): H -> H/2 -> H/4 -> H/8 -> H/8 - 1 -> H/8 - 2
 * (256 -> 30, 64 -> 6, 36x60 -> 2x5), floors taken at each step ({@link patchganOutputSize},
 * without tensors). A 4x4 conv with zero padding 1 needs at least 2 pixels per axis, so each
 * receptive field has a smallest input ({@link patchganMinSize}: 1 -> 1, 16 -> 6, 34 -> 12,
 * 70 -> 24, 142 -> 48, 286 -> 96 per axis); a smaller one throws, naming the receptive fields
 * that fit ({@link patchganFittingFields}; 36x60: 1, 16, 34, 70).
 *
 * Parameters: `conv1/*`, ..., `norm2/*`, ..., `conv_out/*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { conv2d, type Layer } from "../layers.ts";
import {
  type BuildOptions,
  makeNetwork,
  type Network,
  newStore,
  resolveConfig,
} from "../network.ts";
import { type NormKind, normLayer } from "../norm.ts";
import type { WeightInit } from "../params.ts";

/** Receptive fields {@link patchganDiscriminator} supports, with their number of layers. */
export const PATCHGAN_RECEPTIVE_FIELDS: Record<number, number> = {
  1: 0,
  16: 1,
  34: 2,
  70: 3,
  142: 4,
  286: 5,
};

/** Strides of the 4x4 convs of an n-layer PatchGAN, input to output (none for the PixelGAN). */
function patchganStrides(layers: number): number[] {
  return layers === 0 ? [] : [...Array(layers).fill(2), 1, 1];
}

/** The number of layers n of a receptive field, or a throw listing the supported ones. */
function patchganLayers(receptiveField: number): number {
  const n = PATCHGAN_RECEPTIVE_FIELDS[receptiveField];
  if (n === undefined) {
    throw new Error(
      `patchgan_discriminator: receptiveField ${receptiveField} not supported (one of ${
        Object.keys(PATCHGAN_RECEPTIVE_FIELDS).join(", ")
      })`,
    );
  }
  return n;
}

/**
 * Receptive field of an n-layer PatchGAN: walking back from one output pixel through the
 * 4x4 convs, r <- (r - 1) * stride + 4, starting at r = 1.
 *
 * @example
 * ```ts
 * import { patchganReceptiveField } from "./patchgan_discriminator.ts";
 * if (patchganReceptiveField(3) !== 70) throw new Error();
 * ```
 */
export function patchganReceptiveField(layers: number): number {
  const strides = patchganStrides(layers);
  let r = 1;
  for (let i = strides.length - 1; i >= 0; i--) r = (r - 1) * strides[i] + 4;
  return r;
}

/**
 * The smallest input side (pixels per axis) a PatchGAN of this receptive field takes: walking
 * back from a 1-pixel output, each 4x4 conv with zero padding 1 and stride s needs
 * m <- (m - 1) * s + 2 pixels (1, 6, 12, 24, 48, 96 for 1, 16, 34, 70, 142, 286).
 *
 * @throws for a receptive field that is not supported.
 */
export function patchganMinSize(receptiveField: number): number {
  const strides = patchganStrides(patchganLayers(receptiveField));
  let m = 1;
  for (let i = strides.length - 1; i >= 0; i--) m = (m - 1) * strides[i] + 2;
  return m;
}

/** The supported receptive fields whose PatchGAN takes an H x W input, smallest first. */
export function patchganFittingFields(height: number, width: number): number[] {
  return Object.keys(PATCHGAN_RECEPTIVE_FIELDS).map(Number).sort((a, b) => a - b)
    .filter((rf) => Math.min(height, width) >= patchganMinSize(rf));
}

/**
 * The patch map a PatchGAN gives for an H x W input, without building it: per 4x4 conv with
 * zero padding 1 and stride s, n -> floor((n - 2) / s) + 1 (the PixelGAN keeps the size).
 *
 * @example
 * ```ts
 * import { patchganOutputSize } from "./patchgan_discriminator.ts";
 * const { height, width } = patchganOutputSize(70, 36, 60); // 2 x 5
 * if (height !== 2 || width !== 5) throw new Error();
 * ```
 *
 * @throws for a receptive field that is not supported, or an input too small for it (a 4x4
 *   conv needs at least 2 pixels per axis): the message names the receptive field, the size,
 *   the conv it fails at, the smallest input and the receptive fields that fit.
 */
export function patchganOutputSize(
  receptiveField: number,
  height: number,
  width: number,
): { height: number; width: number } {
  const strides = patchganStrides(patchganLayers(receptiveField));
  let h = height, w = width;
  for (let i = 0; i < strides.length; i++) {
    if (Math.min(h, w) < 2) {
      const conv = i === strides.length - 1 ? "conv_out" : `conv${i + 1}`;
      const min = patchganMinSize(receptiveField);
      throw new Error(
        `patchgan_discriminator: input ${height}x${width} is too small for the ` +
          `${receptiveField}x${receptiveField} PatchGAN (down to ${h}x${w} before ${conv}, ` +
          `a 4x4 conv that needs at least 2x2; it takes inputs of at least ${min}x${min}); ` +
          `receptive fields that fit ${height}x${width}: ${
            patchganFittingFields(height, width).join(", ") || "none"
          }`,
      );
    }
    h = Math.floor((h - 2) / strides[i]) + 1;
    w = Math.floor((w - 2) / strides[i]) + 1;
  }
  return { height: h, width: w };
}

/** Config of {@link patchganDiscriminator}. */
export interface PatchganDiscriminatorConfig {
  /** Input channels (C, or C_x + C_y for a conditional D). */
  inChannels: number;
  /** Maps F of the first layer. */
  filters: number;
  /** Patch size: 1 (PixelGAN), 16, 34, 70, 142 or 286. */
  receptiveField: number;
  /** Normalisation (CycleGAN: instance; pix2pix: batch); never on the first layer. */
  norm: NormKind;
  /** Kernel initialisation. */
  init: WeightInit;
}

/** Defaults of {@link PatchganDiscriminatorConfig}: the 70x70 PatchGAN with instance norm. */
export const PATCHGAN_DISCRIMINATOR_DEFAULTS: PatchganDiscriminatorConfig = {
  inChannels: 3,
  filters: 64,
  receptiveField: 70,
  norm: "instance",
  init: "gan",
};

interface Stage {
  conv: Layer;
  norm?: Layer;
  act: boolean;
}

/** Builds a PatchGAN; `apply(x)` returns one logit per patch, [B, h, w, 1]. */
export function patchganDiscriminator(
  config: Partial<PatchganDiscriminatorConfig>,
  options: BuildOptions,
): Network<PatchganDiscriminatorConfig, tf.Tensor4D> {
  const cfg = resolveConfig("patchgan_discriminator", PATCHGAN_DISCRIMINATOR_DEFAULTS, config);
  const n = patchganLayers(cfg.receptiveField);
  const params = newStore(options);
  const { filters: f, init } = cfg;
  const stages: Stage[] = [];
  const add = (i: number, cin: number, cout: number, k: number, stride: number, norm: boolean) => {
    const padding = k === 1 ? "valid" : 1;
    stages.push({
      conv: conv2d(params.scope(`conv${i}`), {
        inChannels: cin,
        filters: cout,
        kernel: k,
        stride,
        padding,
        init,
      }),
      norm: norm
        ? normLayer(params.scope(`norm${i}`), cfg.norm, { channels: cout, init })
        : undefined,
      act: true,
    });
  };
  let cin: number;
  if (n === 0) {
    add(1, cfg.inChannels, f, 1, 1, false);
    add(2, f, 2 * f, 1, 1, true);
    cin = 2 * f;
  } else {
    add(1, cfg.inChannels, f, 4, 2, false);
    cin = f;
    for (let i = 1; i < n; i++) {
      const cout = Math.min(2 ** i, 8) * f;
      add(i + 1, cin, cout, 4, 2, true);
      cin = cout;
    }
    const cout = Math.min(2 ** n, 8) * f;
    add(n + 1, cin, cout, 4, 1, true);
    cin = cout;
  }
  const k = n === 0 ? 1 : 4;
  stages.push({
    conv: conv2d(params.scope("conv_out"), {
      inChannels: cin,
      filters: 1,
      kernel: k,
      padding: k === 1 ? "valid" : 1,
      init,
    }),
    act: false,
  });
  return makeNetwork({
    kind: "patchgan_discriminator",
    config: cfg,
    params,
    inChannels: cfg.inChannels,
    forward: (x, ctx) => {
      // a 4x4 conv with zero padding 1 needs at least 2 pixels per axis to output one
      patchganOutputSize(cfg.receptiveField, x.shape[1], x.shape[2]);
      let h: tf.Tensor = x;
      for (const s of stages) {
        h = s.conv.apply(h, ctx);
        if (s.norm) h = s.norm.apply(h, ctx);
        if (s.act) h = tf.leakyRelu(h, 0.2);
      }
      return h as tf.Tensor4D;
    },
  });
}
