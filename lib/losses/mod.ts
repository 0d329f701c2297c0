/**
 * Losses as pure functions of tensors, each with its formula in its documentation:
 * adversarial losses (SimGAN's local softmax loss, non-saturating BCE, LSGAN with label
 * smoothing), L1, SimGAN's self-regularisation and its feature maps psi.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { localAdversarialLoss, REAL, selfRegularisation } from "./mod.ts";
 * const logits = tf.zeros([2, 9, 14, 2]);
 * const x = tf.zeros([2, 35, 55, 1]) as tf.Tensor4D;
 * const loss = tf.add(localAdversarialLoss(logits, REAL), selfRegularisation(x, x, { lambda: 0.5 }));
 * console.log(loss.dataSync()[0]); // ln 2
 * ```
 *
 * @module
 */
export * from "./adversarial.ts";
export * from "./gaze_cycle.ts";
export * from "./pixel.ts";
export * from "./psi.ts";
