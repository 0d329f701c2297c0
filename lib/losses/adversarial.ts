/**
 * Adversarial losses as pure functions of logits: SimGAN's local (per-patch) 2-class softmax
 * loss, the non-saturating binary cross-entropy GAN loss and the least-squares (LSGAN) loss,
 * with explicit one-sided label smoothing.
 *
 * Conventions:
 * - Every loss returns a scalar, averaged over the batch. Over the positions of a patch
 *   discriminator's output map it is averaged too, unless `reduction: "sum"` (the SimGAN
 *   paper's sum over patches) is asked for; see {@link Reduction}.
 * - Classes of SimGAN's 2-way discriminator output: 0 = refined (fake), 1 = real
 *   ({@link REFINED}, {@link REAL}), as in `lib/nn/networks/simgan_discriminator.ts`.
 * - Nothing here disposes its inputs; call inside `tf.tidy` or an optimiser's `minimize`.
 *
 * Papers: SimGAN, Shrivastava et al. 2017 (https://arxiv.org/abs/1612.07828); GAN, Goodfellow
 * et al. 2014; LSGAN, Mao et al. 2017 (https://arxiv.org/abs/1611.04076); one-sided label
 * smoothing, Salimans et al. 2016 (https://arxiv.org/abs/1606.03498); GazeGAN, Sela et al.
 * 2017 (https://arxiv.org/abs/1711.09767).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "../nn/gradients.ts"; // registers tfjs' gradient functions (losses are trained through)

/** Class index of "refined" (fake) in SimGAN's 2-way discriminator output. */
export const REFINED = 0;
/** Class index of "real" in SimGAN's 2-way discriminator output. */
export const REAL = 1;

/**
 * How a per-position loss map of a patch discriminator becomes a per-image loss.
 * - `mean` (our default): average over the h x w positions (and channels). The loss does not
 *   grow with the image size, so one `lambda` suits 35x55 and 128x128 alike.
 * - `sum`: sum over positions, as the SimGAN paper writes its local adversarial loss and its
 *   L1 self-regularisation (`||.||_1` is a sum). Both terms summed keeps the paper's ratio.
 *
 * Either way the result is then averaged over the batch. Use the same reduction for the
 * adversarial and the self-regularisation terms: with `mean` for both, lambda_mean =
 * lambda_sum * (pixels x channels of psi) / (positions of D's map) reproduces a `sum` setting
 * (at 35x55 with psi = identity and a 9x14 map, lambda_mean = 15.3 x lambda_sum).
 */
export type Reduction = "mean" | "sum";

/** Options of the patch losses. */
export interface ReductionOptions {
  /** Over positions of the map: `mean` (default) or `sum`; always mean over the batch. */
  reduction?: Reduction;
}

/** Per-image reduction of a [B, ...] loss map to a scalar: mean or sum per image, mean over B. */
export function reduceMap(map: tf.Tensor, reduction: Reduction = "mean"): tf.Scalar {
  const b = map.shape[0] ?? 1;
  if (reduction === "mean") return tf.mean(map);
  if (reduction !== "sum") throw new Error(`unknown reduction '${reduction}' (mean, sum)`);
  // sum over positions of every image, mean over the batch: (1/B) sum_i sum_p l_ip
  return tf.div(tf.sum(map), b);
}

function checkTarget(name: string, target: number): void {
  if (target !== 0 && target !== 1) throw new Error(`${name}: target class must be 0 or 1`);
}

/**
 * SimGAN's local adversarial loss: a 2-class softmax cross-entropy at every position of the
 * discriminator's output map, all positions labelled `target` (0 refined, 1 real).
 *
 * Formula, for logits l[i, p, k] of image i, position p, class k, and P positions:
 *
 *   CE(i, p) = -log softmax(l[i, p, :])[target] = logsumexp_k l[i, p, k] - l[i, p, target]
 *   L = (1/B) sum_i (1/P) sum_p CE(i, p)      (reduction `mean`, default)
 *   L = (1/B) sum_i sum_p CE(i, p)            (reduction `sum`, the paper's)
 *
 * The discriminator minimises L(D(y), real) + L(D(R(x)), refined); the refiner minimises
 * L(D(R(x)), real), the paper's -sum_p log(1 - D_p(R(x))) with D_p = P(refined).
 *
 * @param logits [B, h, w, 2] discriminator logits.
 * @param target the class every position should have: {@link REFINED} (0) or {@link REAL} (1).
 * @returns a scalar.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { localAdversarialLoss } from "./adversarial.ts";
 * const l = localAdversarialLoss(tf.zeros([1, 1, 1, 2]), 1); // ln 2
 * console.log(l.dataSync()[0]);
 * ```
 */
export function localAdversarialLoss(
  logits: tf.Tensor,
  target: 0 | 1,
  options: ReductionOptions = {},
): tf.Scalar {
  checkTarget("localAdversarialLoss", target);
  const k = logits.shape[logits.rank - 1];
  if (k !== 2) {
    throw new Error(`localAdversarialLoss: expected 2 classes last, got [${logits.shape}]`);
  }
  return tf.tidy(() => {
    // CE = logsumexp_k l_k - l_target = -log softmax(l)[target], per position
    const logp = tf.logSoftmax(logits, -1);
    const size = [...logits.shape.slice(0, -1), 1];
    const ce = tf.neg(tf.slice(logp, rankBegin(logits.rank, target), size));
    return reduceMap(ce, options.reduction);
  });
}

/** Slice start [0, ..., 0, target]: the `target` channel of the last axis. */
function rankBegin(rank: number, target: number): number[] {
  const begin = new Array<number>(rank).fill(0);
  begin[rank - 1] = target;
  return begin;
}

/**
 * Accuracy of a 2-way patch discriminator: the fraction of positions whose arg-max class is
 * `target` (ties count as class 0, refined).
 *
 * @param logits [B, h, w, 2].
 * @param target 0 (refined) or 1 (real).
 * @returns a scalar in [0, 1].
 */
export function localAccuracy(logits: tf.Tensor, target: 0 | 1): tf.Scalar {
  checkTarget("localAccuracy", target);
  return tf.tidy(() => {
    const [l0, l1] = tf.split(logits, 2, -1);
    // position says "real" when l_real > l_refined
    const saysReal = tf.greater(l1, l0);
    const hit = target === REAL ? saysReal : tf.logicalNot(saysReal);
    return tf.mean(tf.cast(hit, "float32"));
  });
}

/**
 * Binary cross-entropy on logits l with target t in [0, 1], per element, computed stably:
 *
 *   BCE(l, t) = -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l)) = max(l, 0) - l t + log(1 + e^-|l|)
 */
export function bceWithLogits(logits: tf.Tensor, target: number): tf.Tensor {
  return tf.tidy(() => {
    // max(l, 0) - l * t + log(1 + exp(-|l|))
    const relu = tf.relu(logits);
    const lt = tf.mul(logits, target);
    const soft = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
    return tf.add(tf.sub(relu, lt), soft);
  });
}

/** Options of {@link bceDiscriminatorLoss}. */
export interface BceDiscriminatorOptions extends ReductionOptions {
  /**
   * Target of real samples (default 1). 0.9 is one-sided label smoothing (Salimans et al. 2016):
   * it changes only the real target; fakes keep target 0.
   */
  realLabel?: number;
}

/**
 * Discriminator loss of the standard GAN on logits (sigmoid outputs), per element of a patch
 * map or per image:
 *
 *   L_D = E_y[BCE(D(y), realLabel)] + E_x[BCE(D(G(x)), 0)]
 *
 * i.e. -E log D(y) - E log(1 - D(G(x))) for realLabel = 1. Not halved (pix2pix and CycleGAN
 * multiply the D objective by 0.5 themselves).
 *
 * @param realLogits D's logits on real images, any shape [B, ...].
 * @param fakeLogits D's logits on generated images, [B', ...].
 */
export function bceDiscriminatorLoss(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  options: BceDiscriminatorOptions = {},
): tf.Scalar {
  const realLabel = options.realLabel ?? 1;
  return tf.tidy(() => {
    // E[BCE(D(y), b)] + E[BCE(D(G(x)), 0)]
    const real = reduceMap(bceWithLogits(realLogits, realLabel), options.reduction);
    const fake = reduceMap(bceWithLogits(fakeLogits, 0), options.reduction);
    return tf.add(real, fake);
  });
}

/** Options of {@link bceGeneratorLoss}. */
export interface BceGeneratorOptions extends ReductionOptions {
  /** Target the generator wants D to give its fakes (default 1; 0.9 smooths it). */
  target?: number;
}

/**
 * Non-saturating generator loss of the standard GAN on logits:
 *
 *   L_G = E_x[BCE(D(G(x)), target)] = -E log D(G(x))   for target = 1
 *
 * (Goodfellow et al.'s alternative to minimising log(1 - D(G(x))), which saturates early.)
 *
 * @param fakeLogits D's logits on generated images.
 */
export function bceGeneratorLoss(
  fakeLogits: tf.Tensor,
  options: BceGeneratorOptions = {},
): tf.Scalar {
  const target = options.target ?? 1;
  return tf.tidy(() => {
    // E[BCE(D(G(x)), c)]
    return reduceMap(bceWithLogits(fakeLogits, target), options.reduction);
  });
}

/**
 * Which target one-sided label smoothing changes.
 * - `none`: no smoothing.
 * - `generator`: the generator's target c := `smoothTo` (GazeGAN: G aims at 0.9 on its fakes,
 *   D still aims at b = 1 on real and a = 0 on fake).
 * - `real`: the discriminator's target on real images b := `smoothTo` (Salimans et al. 2016).
 *
 * The fake target a is never smoothed (that is what makes it one-sided).
 */
export type LabelSmoothing = "none" | "generator" | "real";

/** LSGAN targets and smoothing (defaults a = 0, b = c = 1, no smoothing). */
export interface LsganOptions extends ReductionOptions {
  /** D's target on generated images (default 0). */
  a?: number;
  /** D's target on real images (default 1). */
  b?: number;
  /** G's target on its own images (default 1). */
  c?: number;
  /** One-sided label smoothing; see {@link LabelSmoothing} (default `none`). */
  labelSmoothing?: LabelSmoothing;
  /** The smoothed target value (default 0.9). */
  smoothTo?: number;
}

/** The targets {a, b, c} after label smoothing; see {@link LabelSmoothing}. */
export function lsganTargets(options: LsganOptions = {}): { a: number; b: number; c: number } {
  const a = options.a ?? 0;
  let b = options.b ?? 1;
  let c = options.c ?? 1;
  const smoothing = options.labelSmoothing ?? "none";
  const to = options.smoothTo ?? 0.9;
  if (smoothing === "generator") c = to;
  else if (smoothing === "real") b = to;
  else if (smoothing !== "none") {
    throw new Error(`unknown labelSmoothing '${smoothing}' (none, generator, real)`);
  }
  return { a, b, c };
}

/**
 * LSGAN discriminator loss (Mao et al. 2017) on raw outputs (no sigmoid):
 *
 *   L_D = 1/2 E_y[(D(y) - b)^2] + 1/2 E_x[(D(G(x)) - a)^2]
 *
 * with `labelSmoothing: "real"` replacing b by `smoothTo`.
 *
 * @param realOut D's outputs on real images.
 * @param fakeOut D's outputs on generated images.
 */
export function lsganDiscriminatorLoss(
  realOut: tf.Tensor,
  fakeOut: tf.Tensor,
  options: LsganOptions = {},
): tf.Scalar {
  const { a, b } = lsganTargets(options);
  return tf.tidy(() => {
    // 1/2 E[(D(y) - b)^2] + 1/2 E[(D(G(x)) - a)^2]
    const real = reduceMap(tf.square(tf.sub(realOut, b)), options.reduction);
    const fake = reduceMap(tf.square(tf.sub(fakeOut, a)), options.reduction);
    return tf.mul(0.5, tf.add(real, fake));
  });
}

/**
 * LSGAN generator loss (Mao et al. 2017):
 *
 *   L_G = 1/2 E_x[(D(G(x)) - c)^2]
 *
 * with `labelSmoothing: "generator"` replacing c by `smoothTo` (GazeGAN's 0.9).
 *
 * @param fakeOut D's outputs on generated images.
 */
export function lsganGeneratorLoss(fakeOut: tf.Tensor, options: LsganOptions = {}): tf.Scalar {
  const { c } = lsganTargets(options);
  return tf.tidy(() => {
    // 1/2 E[(D(G(x)) - c)^2]
    return tf.mul(0.5, reduceMap(tf.square(tf.sub(fakeOut, c)), options.reduction));
  });
}
