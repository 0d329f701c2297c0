/**
 * Feature maps psi for SimGAN's self-regularisation `lambda * |psi(R(x)) - psi(x)|`: the
 * paper's identity (its main setting) and the other choices it names, image derivatives,
 * channel statistics and the features of a fixed CNN.
 *
 * Every psi maps an image batch [B, H, W, C] to a tensor [B, ...] (batch first, so a per-image
 * reduction still works), is differentiable in its input, and owns no trainable variables
 * (the `features` psi uses a network's variables but is meant to be frozen: keep them out of
 * the optimiser's `varList`).
 *
 * | name | psi(x) |
 * |---|---|
 * | `identity` | x |
 * | `gradients` | [dx, dy] flattened: dx = x[:, :, j+1] - x[:, :, j] (horizontal), dy = x[:, i+1] - x[:, i] (vertical) |
 * | `stats` | per-channel mean and variance over non-overlapping k x k windows (k = `window`; 0: the whole image) |
 * | `features` | a frozen network's stage `layer`, e.g. the gaze estimator's `conv2` |
 *
 * `stats` windows: stride k, `valid`, so a trailing strip of H mod k rows and W mod k columns
 * is not covered (none for 36x60 with k = 4 or 6; 3 rows and 3 columns at 35x55 with k = 4).
 * Variance is E[x^2] - E[x]^2 per window (biased).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "../nn/gradients.ts"; // registers tfjs' gradient functions (losses are trained through)

/** A feature map for the self-regularisation term. */
export type Psi = (x: tf.Tensor4D) => tf.Tensor;

/** Names of the psi choices, for configs. */
export const PSI_NAMES = ["identity", "gradients", "stats", "features"] as const;

/** A psi name, as in a config. */
export type PsiName = typeof PSI_NAMES[number];

/** Something with intermediate features, such as the gaze estimator network. */
export interface FeatureNetwork {
  /** The output of stage `layer` for images `x`. */
  features(x: tf.Tensor4D, options: { layer: string; training?: boolean }): tf.Tensor;
}

/** Options of {@link makePsi}. */
export interface PsiOptions {
  /** `stats`: window size k (default 4); 0 = statistics of the whole image. */
  window?: number;
  /** `features`: the frozen network. */
  network?: FeatureNetwork;
  /** `features`: its stage (default `conv2`). */
  layer?: string;
}

/** psi(x) = x. */
export const identityPsi: Psi = (x) => x;

/**
 * Image derivatives by forward differences, both flattened per image and concatenated:
 * psi(x) = [dx | dy], dx [B, H, W-1, C], dy [B, H-1, W, C].
 */
export const gradientsPsi: Psi = (x) =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    // dx_ij = x_i,j+1 - x_i,j (horizontal); dy_ij = x_i+1,j - x_i,j (vertical)
    const dx = tf.sub(
      tf.slice(x, [0, 0, 1, 0], [b, h, w - 1, c]),
      tf.slice(x, 0, [b, h, w - 1, c]),
    );
    const dy = tf.sub(
      tf.slice(x, [0, 1, 0, 0], [b, h - 1, w, c]),
      tf.slice(x, 0, [b, h - 1, w, c]),
    );
    return tf.concat([tf.reshape(dx, [b, -1]), tf.reshape(dy, [b, -1])], 1);
  });

/**
 * Per-channel mean and (biased) variance over non-overlapping k x k windows, or over the whole
 * image for k = 0: psi(x) = [mean | var], each [B, H/k, W/k, C] flattened per image.
 */
export function statsPsi(window = 4): Psi {
  if (!Number.isInteger(window) || window < 0) {
    throw new Error(`psi stats: window must be an integer >= 0, got ${window}`);
  }
  return (x) =>
    tf.tidy(() => {
      const [b, h, w] = x.shape;
      const kh = window === 0 ? h : window, kw = window === 0 ? w : window;
      if (kh > h || kw > w) throw new Error(`psi stats: window ${window} larger than ${h}x${w}`);
      // mu = E_window[x], var = E_window[x^2] - mu^2
      const mean = tf.avgPool(x, [kh, kw], [kh, kw], "valid");
      const meanSq = tf.avgPool(tf.square(x), [kh, kw], [kh, kw], "valid");
      const variance = tf.sub(meanSq, tf.square(mean));
      return tf.concat([tf.reshape(mean, [b, -1]), tf.reshape(variance, [b, -1])], 1);
    });
}

/**
 * The features of a frozen network at stage `layer`: psi(x) = net.features(x, {layer}).
 * Gradients reach x (and so the refiner); the network is not trained as long as its
 * variables are not in the optimiser's `varList`.
 */
export function featuresPsi(network: FeatureNetwork, layer = "conv2"): Psi {
  return (x) => network.features(x, { layer, training: false });
}

/**
 * The psi called `name`.
 *
 * @throws for an unknown name, or `features` without a network.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { makePsi } from "./psi.ts";
 * const psi = makePsi("gradients");
 * const f = psi(tf.zeros([2, 4, 5, 1])); // [2, 4*4 + 3*5]
 * console.log(f.shape);
 * ```
 */
export function makePsi(name: PsiName, options: PsiOptions = {}): Psi {
  switch (name) {
    case "identity":
      return identityPsi;
    case "gradients":
      return gradientsPsi;
    case "stats":
      return statsPsi(options.window ?? 4);
    case "features":
      if (!options.network) {
        throw new Error("psi 'features' needs a frozen network (e.g. a trained gaze estimator)");
      }
      return featuresPsi(options.network, options.layer ?? "conv2");
    default:
      throw new Error(`unknown psi '${name}' (expected one of ${PSI_NAMES.join(", ")})`);
  }
}
