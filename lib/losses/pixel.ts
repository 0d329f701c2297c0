/**
 * Pixel-space losses: L1 and SimGAN's self-regularisation through a feature map psi.
 *
 * Both average over the batch; over the elements of an image they average by default
 * (`reduction: "mean"`) or sum (`"sum"`, the paper's `||.||_1`); see {@link Reduction} in
 * `adversarial.ts` for how the choice interacts with the adversarial term's weight.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { reduceMap, type ReductionOptions } from "./adversarial.ts";
import { identityPsi, type Psi } from "./psi.ts";

/**
 * L1 distance of two tensors of the same shape [B, ...]:
 *
 *   L1(a, b) = (1/B) sum_i (1/N) sum_j |a_ij - b_ij|    (`mean`, default: mean |a - b|)
 *   L1(a, b) = (1/B) sum_i sum_j |a_ij - b_ij|          (`sum`)
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { l1Loss } from "./pixel.ts";
 * const l = l1Loss(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 4]])); // (1 + 2) / 2 = 1.5
 * console.log(l.dataSync()[0]);
 * ```
 */
export function l1Loss(a: tf.Tensor, b: tf.Tensor, options: ReductionOptions = {}): tf.Scalar {
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new Error(`l1Loss: shapes differ, [${a.shape}] vs [${b.shape}]`);
  }
  return tf.tidy(() => {
    // mean_i (mean|sum)_j |a_ij - b_ij|
    return reduceMap(tf.abs(tf.sub(a, b)), options.reduction);
  });
}

/** Options of {@link selfRegularisation}. */
export interface SelfRegularisationOptions extends ReductionOptions {
  /** The feature map psi (default: the identity, the paper's main setting). */
  psi?: Psi;
  /** The weight lambda (default 1). */
  lambda?: number;
}

/**
 * SimGAN's self-regularisation: the refined image must stay close to its synthetic input in
 * the feature space psi,
 *
 *   L_reg = lambda * mean |psi(R(x)) - psi(x)|       (`mean`, default)
 *   L_reg = lambda * (1/B) sum_i ||psi(R(x_i)) - psi(x_i)||_1   (`sum`, the paper's)
 *
 * Gradients flow into `refined` (so into the refiner) through psi; psi's own variables, if any
 * (a frozen feature network), are not trained as long as they are not in the optimiser's
 * `varList`. psi(x) of the synthetic input is a constant for the refiner.
 *
 * @param refined R(x), [B, H, W, C].
 * @param synthetic x, same shape.
 * @returns a scalar.
 */
export function selfRegularisation(
  refined: tf.Tensor4D,
  synthetic: tf.Tensor4D,
  options: SelfRegularisationOptions = {},
): tf.Scalar {
  const psi = options.psi ?? identityPsi;
  const lambda = options.lambda ?? 1;
  return tf.tidy(() => {
    // lambda * mean |psi(R(x)) - psi(x)|
    const diff = l1Loss(psi(refined), psi(synthetic), { reduction: options.reduction });
    return tf.mul(lambda, diff);
  });
}
