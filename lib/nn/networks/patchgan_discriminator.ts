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
 * (256 -> 30, 64 -> 6, 36x60 -> 2x5); a too-small input throws.
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
  if (layers === 0) return 1;
  const strides = [...Array(layers).fill(2), 1, 1];
  let r = 1;
  for (let i = strides.length - 1; i >= 0; i--) r = (r - 1) * strides[i] + 4;
  return r;
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
  const n = PATCHGAN_RECEPTIVE_FIELDS[cfg.receptiveField];
  if (n === undefined) {
    throw new Error(
      `patchgan_discriminator: receptiveField ${cfg.receptiveField} not supported (one of ${
        Object.keys(PATCHGAN_RECEPTIVE_FIELDS).join(", ")
      })`,
    );
  }
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
      let h: tf.Tensor = x;
      for (const s of stages) {
        // a 4x4 conv with zero padding 1 needs at least 2 pixels per axis to output one
        if (k === 4 && Math.min(h.shape[1]!, h.shape[2]!) < 2) {
          throw new Error(
            `patchgan_discriminator: input ${x.shape[1]}x${x.shape[2]} is too small for the ` +
              `${cfg.receptiveField}x${cfg.receptiveField} PatchGAN (down to ` +
              `${h.shape[1]}x${h.shape[2]} before ${s.conv.name})`,
          );
        }
        h = s.conv.apply(h, ctx);
        if (s.norm) h = s.norm.apply(h, ctx);
        if (s.act) h = tf.leakyRelu(h, 0.2);
      }
      return h as tf.Tensor4D;
    },
  });
}
