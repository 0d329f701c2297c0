/**
 * Layers: small objects that create their parameters once (in a {@link ParamScope}) and apply
 * them functionally, `y = layer.apply(x, { training })`. All tensors are NHWC.
 *
 * Convolution output sizes (H_in, kernel k, stride s, padding p per side):
 * - `same`: ceil(H_in / s) (TensorFlow's rule; the odd pixel of padding goes bottom/right);
 * - `valid`: floor((H_in - k) / s) + 1;
 * - a number p: floor((H_in + 2p - k) / s) + 1 (PyTorch's `padding=p`, zeros);
 * - `reflect`: reflection-pad by (k-1)/2 (floor top/left, ceil bottom/right) then `valid`,
 *   i.e. ceil(H_in / s) (PyTorch's `ReflectionPad2d` + conv).
 *
 * Normalisation layers live in `norm.ts`, padding helpers in `padding.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "./gradients.ts";
import { kernelInit, type ParamScope, type WeightInit } from "./params.ts";
import { reflectionPad } from "./padding.ts";
import { Rng } from "./rng.ts";

/** How a layer is being run. */
export interface ApplyContext {
  /**
   * Training mode (default false): dropout is active, batch norm uses batch statistics and
   * updates its running ones.
   */
  training?: boolean;
  /**
   * Key of this call's random draws (dropout masks). When given, every dropout layer draws its
   * mask from `new Rng(layerSeed).fork("noise", noiseKey)`: the same key gives the same masks,
   * whatever was drawn before. A training step that passes its step index makes the masks of a
   * resumed run those of an uninterrupted one. Without a key, masks come from the layer's own
   * running stream (each call continues where the last one stopped).
   */
  noiseKey?: string | number;
}

/** A layer: parameters made at build time, applied functionally. */
export interface Layer {
  /** Name (the parameter prefix for layers with parameters). */
  readonly name: string;
  /** Applies the layer. Does not dispose `x`. */
  apply(x: tf.Tensor, ctx?: ApplyContext): tf.Tensor;
}

/** Padding of a convolution (see the module doc for the output sizes). */
export type ConvPadding = "same" | "valid" | "reflect" | number;

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Input channels C_in. */
  inChannels: number;
  /** Output channels C_out. */
  filters: number;
  /** Kernel size k or [kh, kw]. */
  kernel: number | [number, number];
  /** Stride (default 1). */
  stride?: number;
  /** Padding (default `same`). */
  padding?: ConvPadding;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Kernel initialisation (default `gan`). */
  init?: WeightInit;
}

function pair(k: number | [number, number]): [number, number] {
  return typeof k === "number" ? [k, k] : k;
}

/**
 * 2-D convolution, y = x * W + b; W is [kh, kw, C_in, C_out] (`kernel`), b is [C_out] (`bias`).
 */
export function conv2d(scope: ParamScope, options: Conv2dOptions): Layer {
  const [kh, kw] = pair(options.kernel);
  const { inChannels, filters } = options;
  const stride = options.stride ?? 1;
  const padding = options.padding ?? "same";
  const init = options.init ?? "gan";
  const w = scope.create("kernel", [kh, kw, inChannels, filters], {
    init: kernelInit(init, { fanIn: kh * kw * inChannels, fanOut: kh * kw * filters }),
  });
  const b = options.bias ?? true
    ? scope.create("bias", [filters], { init: { kind: "constant", value: 0 } })
    : undefined;
  return {
    name: scope.prefix,
    apply: (x) =>
      tf.tidy(() => {
        let input = x as tf.Tensor4D;
        let pad: "same" | "valid" | number;
        if (padding === "reflect") {
          const top = Math.floor((kh - 1) / 2);
          const left = Math.floor((kw - 1) / 2);
          input = reflectionPad(input, [top, kh - 1 - top, left, kw - 1 - left]);
          pad = "valid";
        } else {
          pad = padding;
        }
        const y = tf.conv2d(input, w as tf.Tensor4D, stride, pad);
        return b ? tf.add(y, b) : y;
      }),
  };
}

/** Options of {@link conv2dTranspose}. */
export interface Conv2dTransposeOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  filters: number;
  /** Kernel size. */
  kernel: number | [number, number];
  /** Upsampling factor (default 2): the output is [B, H*s, W*s, filters]. */
  stride?: number;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Kernel initialisation (default `gan`). */
  init?: WeightInit;
}

/**
 * Transposed convolution ("deconvolution") with `same` padding: output [B, s*H, s*W, C_out].
 * Matches PyTorch `ConvTranspose2d(k=3, s=2, padding=1, output_padding=1)` and
 * `ConvTranspose2d(k=4, s=2, padding=1)` in output size. Kernel is [kh, kw, C_out, C_in].
 */
export function conv2dTranspose(scope: ParamScope, options: Conv2dTransposeOptions): Layer {
  const [kh, kw] = pair(options.kernel);
  const { inChannels, filters } = options;
  const s = options.stride ?? 2;
  const w = scope.create("kernel", [kh, kw, filters, inChannels], {
    init: kernelInit(options.init ?? "gan", {
      fanIn: kh * kw * inChannels,
      fanOut: kh * kw * filters,
    }),
  });
  const b = options.bias ?? true
    ? scope.create("bias", [filters], { init: { kind: "constant", value: 0 } })
    : undefined;
  return {
    name: scope.prefix,
    apply: (x) =>
      tf.tidy(() => {
        const [n, h, wd] = x.shape;
        const out: [number, number, number, number] = [n, h * s, wd * s, filters];
        const y = tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, out, s, "same");
        return b ? tf.add(y, b) : y;
      }),
  };
}

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Input features. */
  inUnits: number;
  /** Output features. */
  units: number;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Kernel initialisation (default `gan`). */
  init?: WeightInit;
}

/** Fully connected layer, y = x W + b, x: [B, in], W: [in, units]. */
export function dense(scope: ParamScope, options: DenseOptions): Layer {
  const { inUnits, units } = options;
  const w = scope.create("kernel", [inUnits, units], {
    init: kernelInit(options.init ?? "gan", { fanIn: inUnits, fanOut: units }),
  });
  const b = options.bias ?? true
    ? scope.create("bias", [units], { init: { kind: "constant", value: 0 } })
    : undefined;
  return {
    name: scope.prefix,
    apply: (x) =>
      tf.tidy(() => {
        const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
        return b ? tf.add(y, b) : y;
      }),
  };
}

/** Activation functions by name. */
export type Activation = "relu" | "leaky_relu" | "tanh" | "sigmoid" | "none";

/** Applies an activation; `leaky_relu` is max(x, alpha x) with alpha 0.2 unless given. */
export function activate(x: tf.Tensor, kind: Activation, alpha = 0.2): tf.Tensor {
  switch (kind) {
    case "relu":
      return tf.relu(x);
    case "leaky_relu":
      return tf.leakyRelu(x, alpha);
    case "tanh":
      return tf.tanh(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "none":
      return x;
  }
}

/** An activation as a {@link Layer}. */
export function activation(kind: Activation, alpha = 0.2): Layer {
  return { name: kind, apply: (x) => activate(x, kind, alpha) };
}

/** Options of {@link maxPool}. */
export interface MaxPoolOptions {
  /** Window size. */
  size: number;
  /** Stride (default = size). */
  stride?: number;
  /** `valid` (default) or `same`. */
  padding?: "valid" | "same";
}

/** Max pooling over size x size windows. */
export function maxPool(options: MaxPoolOptions): Layer {
  const stride = options.stride ?? options.size;
  const padding = options.padding ?? "valid";
  return {
    name: `maxpool${options.size}s${stride}`,
    apply: (x) => tf.maxPool(x as tf.Tensor4D, options.size, stride, padding),
  };
}

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Probability p of zeroing an element. */
  rate: number;
  /** Seed of the masks; each call draws a new mask from the seeded stream. */
  seed: number;
  /** Keep dropout on outside training too (pix2pix's noise at test time). Default false. */
  activeAtTest?: boolean;
}

/**
 * Inverted dropout: y = x * m / (1 - p), m ~ Bernoulli(1 - p) elementwise. Active when
 * `ctx.training` or `activeAtTest`; identity otherwise. Masks come from a seeded JS generator, so
 * a given seed gives the same sequence of masks on every backend; with `ctx.noiseKey` a call's
 * mask depends on the seed and the key only (see {@link ApplyContext.noiseKey}).
 */
export function dropout(options: DropoutOptions): Layer & { readonly activeAtTest: boolean } {
  const { rate } = options;
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1): ${rate}`);
  const rng = new Rng(options.seed);
  const activeAtTest = options.activeAtTest ?? false;
  return {
    name: `dropout${rate}`,
    activeAtTest,
    apply: (x, ctx) => {
      if (rate === 0 || !(ctx?.training || activeAtTest)) return x;
      const keep = 1 - rate;
      const draw = ctx?.noiseKey === undefined
        ? rng
        : new Rng(options.seed).fork("noise", ctx.noiseKey);
      const mask = new Float32Array(x.size);
      for (let i = 0; i < mask.length; i++) mask[i] = draw.uniform() < keep ? 1 / keep : 0;
      return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, "float32")));
    },
  };
}

/**
 * Nearest-neighbour upsampling by an integer factor: [B, H, W, C] -> [B, fH, fW, C].
 *
 * Built from reshape + concat (f copies along a new axis) rather than
 * `tf.image.resizeNearestNeighbor`, whose gradient kernel `ResizeNearestNeighborGrad` is wrong
 * in tfjs 4.22 on both cpu and wasm (and differently on each) for batch > 1 and 2x upsampling:
 * the true gradient, the sum of dy over each f x f block, is checked in `test/nn/layers_test.ts`.
 * concat's gradient is exact slices on every backend. Ranks stay at 4 (tfjs' tile gradient
 * stops at rank 4).
 */
export function upsampleNearest(x: tf.Tensor4D, factor = 2): tf.Tensor4D {
  if (factor === 1) return x;
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => {
    // width: [B*H, W, 1, C] -> f copies on axis 2 -> [B, H, W*f, C]
    const cols = tf.reshape(x, [b * h, w, 1, c]);
    const wide = tf.reshape(tf.concat(Array(factor).fill(cols), 2), [b, h, w * factor, c]);
    // height: [B, H, 1, Wf*C] -> f copies on axis 2 -> [B, H*f, W*f, C]
    const rows = tf.reshape(wide, [b, h, 1, w * factor * c]);
    return tf.reshape(tf.concat(Array(factor).fill(rows), 2), [b, h * factor, w * factor, c]);
  });
}

/** [B, ...] -> [B, prod(...)]. */
export function flatten(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0], -1]);
}

/** Layers applied in order, as one {@link Layer}. */
export function sequential(name: string, layers: Layer[]): Layer {
  return {
    name,
    apply: (x, ctx) =>
      tf.tidy(() => {
        let h = x;
        for (const layer of layers) h = layer.apply(h, ctx);
        return h;
      }),
  };
}

/**
 * Spatial output size of a convolution or pooling along one axis (see the module doc).
 *
 * @example
 * ```ts
 * import { convOutputSize } from "./layers.ts";
 * if (convOutputSize(35, 3, 2, "same") !== 18) throw new Error();
 * if (convOutputSize(256, 4, 2, 1) !== 128) throw new Error();
 * ```
 */
export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: ConvPadding,
): number {
  if (padding === "same" || padding === "reflect") return Math.ceil(size / stride);
  const p = padding === "valid" ? 0 : padding;
  return Math.floor((size + 2 * p - kernel) / stride) + 1;
}
