/**
 * GazeGAN's gaze cycle-consistency loss (Sela et al. 2017, https://arxiv.org/abs/1711.09767, as
 * described in the project's source article): a gaze estimator E, trained on synthetic images
 * and then frozen, must predict the same gaze on a synthetic image x and on its cycle
 * F(G(x)):
 *
 * ```text
 *   L_gaze = mean_i d(E(F(G(x_i))), E(x_i))
 * ```
 *
 * with one of two distances d between gaze predictions ({@link GazeDistance}):
 *
 * - `l2` (default): squared Euclidean distance of (pitch, yaw) in radians,
 *   `d = (p1 - p2)^2 + (y1 - y2)^2`;
 * - `angular`: `d = 2 (1 - cos theta) = |u1 - u2|^2` for the unit gaze vectors u1, u2 and the
 *   angle theta between them.
 *
 * Both are about theta^2 (radians^2) for small differences near the frontal direction
 * (2 (1 - cos theta) = theta^2 - theta^4 / 12 + ...; pitch/yaw are locally orthogonal there),
 * so one weight suits either. Neither takes a square root or an arccos of the difference: those
 * have infinite gradients at zero difference, which is exactly where a good cycle sits (in
 * tfjs, `sqrt(sum d^2)` at d = 0 back-propagates `0 * inf = NaN`). The weight is applied by the
 * caller (GazeGAN's `gaze.weight`).
 *
 * The estimator may output (pitch, yaw) (`output: "pitchyaw"`, 2 columns) or a 3-D gaze vector
 * (`"vector"`, 3 columns, any length); the loss converts between the two with the project's
 * camera convention of `lib/data/gaze.ts` (`u = (-cos p sin y, -sin p, -cos p cos y)`,
 * `p = asin(-u_y / |u|)`, `y = atan2(-u_x, -u_z)`).
 *
 * Gradients: the loss is differentiable in `cycled` (hence in G and F), and E's own variables
 * take part in the forward pass only. They are not trained as long as they are not in the
 * optimiser's `varList` (GazeGAN also marks them non-trainable). E(x) of the synthetic input is
 * a constant for the generators.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "../nn/gradients.ts"; // registers tfjs' gradient functions (losses are trained through)

/** Distances between gaze predictions, for configs. */
export const GAZE_DISTANCES = ["l2", "angular"] as const;

/** `l2` on (pitch, yaw) in radians, or `angular` (2 (1 - cos theta)) on unit vectors. */
export type GazeDistance = typeof GAZE_DISTANCES[number];

/** What an estimator outputs: (pitch, yaw) in radians, or a 3-D gaze vector. */
export type GazeOutput = "pitchyaw" | "vector";

/** A gaze estimator's forward function: images [B, H, W, C] to [B, 2] or [B, 3]. */
export type GazeFunction = (x: tf.Tensor4D) => tf.Tensor;

/** Options of {@link gazeDistance} and {@link gazeCycleLoss}. */
export interface GazeDistanceOptions {
  /** The distance (default `l2`). */
  loss?: GazeDistance;
  /** What the estimator outputs (default `pitchyaw`). */
  output?: GazeOutput;
}

/** Clip of asin's argument: its gradient 1/sqrt(1 - u^2) is infinite at |u| = 1. */
const ASIN_LIMIT = 1 - 1e-6;
/**
 * Floor of vector norms (a zero vector has no direction). It is applied to the squared norm,
 * before the square root (`sqrt(max(|v|^2, eps^2))`): sqrt's gradient is infinite at 0, so
 * flooring after the root (`max(sqrt(|v|^2), eps)`) still gives NaN gradients at v = 0.
 */
const NORM_EPS = 1e-8;

/** `|v|` of each row, floored at {@link NORM_EPS} with a finite gradient everywhere. */
function rowNorms(v: tf.Tensor): tf.Tensor {
  // sqrt(max(sum_j v_j^2, eps^2))
  return tf.sqrt(tf.maximum(tf.sum(tf.square(v), 1, true), NORM_EPS * NORM_EPS));
}

/** Floor of `a^2 + b^2` in {@link safeAtan2}'s gradient. */
const ATAN2_EPS = 1e-30;

/**
 * `atan2(a, b)` whose gradient is 0 instead of NaN where a = b = 0. tfjs' own gradient,
 * `(b, -a) / (a^2 + b^2)`, is 0/0 there, and the NaN reaches every input of the loss even when
 * nothing depends on that yaw (0 * NaN = NaN); here the denominator is floored at 1e-30.
 */
const safeAtan2 = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.atan2(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
      const denom = tf.maximum(tf.add(tf.square(sa), tf.square(sb)), ATAN2_EPS);
      return [tf.div(tf.mul(dy, sb), denom), tf.div(tf.mul(dy, tf.neg(sa)), denom)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * Unit gaze vectors from (pitch, yaw), [B, 2] -> [B, 3], with the convention of
 * `pitchYawToVector` in `lib/data/gaze.ts`.
 */
export function pitchYawToVectors(pitchYaw: tf.Tensor): tf.Tensor2D {
  checkColumns("pitchYawToVectors", pitchYaw, 2);
  return tf.tidy(() => {
    const [p, y] = tf.split(pitchYaw, 2, 1);
    const cp = tf.cos(p);
    // u = (-cos p sin y, -sin p, -cos p cos y)
    return tf.concat([
      tf.neg(tf.mul(cp, tf.sin(y))),
      tf.neg(tf.sin(p)),
      tf.neg(tf.mul(cp, tf.cos(y))),
    ], 1) as tf.Tensor2D;
  });
}

/**
 * (pitch, yaw) in radians from gaze vectors of any length, [B, 3] -> [B, 2], with the
 * convention of `vectorToPitchYaw` in `lib/data/gaze.ts` (asin's argument clipped to
 * +-(1 - 1e-6) so that its gradient stays finite). The gradient is finite everywhere, a zero
 * vector included (where the yaw is undefined, x = z = 0, its gradient is 0).
 */
export function vectorsToPitchYaw(vectors: tf.Tensor): tf.Tensor2D {
  checkColumns("vectorsToPitchYaw", vectors, 3);
  return tf.tidy(() => {
    const [x, y, z] = tf.split(vectors, 3, 1);
    const norm = rowNorms(vectors);
    // p = asin(-u_y / |u|), y = atan2(-u_x, -u_z)
    const pitch = tf.asin(tf.clipByValue(tf.div(tf.neg(y), norm), -ASIN_LIMIT, ASIN_LIMIT));
    const yaw = safeAtan2(tf.neg(x), tf.neg(z));
    return tf.concat([pitch, yaw], 1) as tf.Tensor2D;
  });
}

/**
 * Mean distance between two batches of gaze predictions (same shape, [B, 2] or [B, 3] as
 * `output` says):
 *
 * ```text
 *   l2:      (1/B) sum_i (p1_i - p2_i)^2 + (y1_i - y2_i)^2          (radians^2)
 *   angular: (1/B) sum_i 2 (1 - u1_i . u2_i) = (1/B) sum_i |u1_i - u2_i|^2   (unit u)
 * ```
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { gazeDistance } from "./gaze_cycle.ts";
 * const a = tf.tensor2d([[0, 0]]), b = tf.tensor2d([[0.1, 0.2]]);
 * console.log(gazeDistance(a, b).dataSync()[0]); // 0.01 + 0.04 = 0.05
 * ```
 */
export function gazeDistance(
  a: tf.Tensor,
  b: tf.Tensor,
  options: GazeDistanceOptions = {},
): tf.Scalar {
  const loss = options.loss ?? "l2";
  const output = options.output ?? "pitchyaw";
  if (!GAZE_DISTANCES.includes(loss)) {
    throw new Error(`gaze distance: unknown loss '${loss}' (${GAZE_DISTANCES.join(", ")})`);
  }
  if (output !== "pitchyaw" && output !== "vector") {
    throw new Error(`gaze distance: unknown output '${output}' (pitchyaw, vector)`);
  }
  const k = output === "pitchyaw" ? 2 : 3;
  checkColumns("gazeDistance", a, k);
  checkColumns("gazeDistance", b, k);
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`gazeDistance: batch sizes differ, [${a.shape}] vs [${b.shape}]`);
  }
  return tf.tidy(() => {
    if (loss === "l2") {
      const pa = output === "pitchyaw" ? a : vectorsToPitchYaw(a);
      const pb = output === "pitchyaw" ? b : vectorsToPitchYaw(b);
      // (1/B) sum_i |(p, y)_a - (p, y)_b|^2
      return tf.mean(tf.sum(tf.squaredDifference(pa, pb), 1));
    }
    const ua = output === "pitchyaw" ? pitchYawToVectors(a) : unit(a);
    const ub = output === "pitchyaw" ? pitchYawToVectors(b) : unit(b);
    // (1/B) sum_i 2 (1 - u_a . u_b)
    return tf.mean(tf.mul(2, tf.sub(1, tf.sum(tf.mul(ua, ub), 1))));
  });
}

/** Options of {@link gazeCycleLoss}. */
export interface GazeCycleOptions extends GazeDistanceOptions {
  /** Weight lambda_gaze multiplying the mean distance (default 1). */
  weight?: number;
}

/**
 * The gaze cycle-consistency loss of GazeGAN:
 *
 * ```text
 *   L_gaze = lambda_gaze * (1/B) sum_i d(E(F(G(x_i))), E(x_i))
 * ```
 *
 * with d from {@link gazeDistance}. Call inside the generators' `minimize`: the gradient
 * reaches `cycled` (F(G(x))); `estimate` should run E in inference mode with E's variables
 * kept out of the optimiser's `varList`.
 *
 * @param estimate E's forward function, e.g. `(x) => E.apply(x, { training: false })`.
 * @param synthetic x, [B, H, W, C] at E's input size.
 * @param cycled F(G(x)), the same shape.
 * @returns a scalar; 0 when F(G(x)) = x.
 */
export function gazeCycleLoss(
  estimate: GazeFunction,
  synthetic: tf.Tensor4D,
  cycled: tf.Tensor4D,
  options: GazeCycleOptions = {},
): tf.Scalar {
  if (synthetic.shape.some((s, i) => s !== cycled.shape[i])) {
    throw new Error(`gazeCycleLoss: shapes differ, [${synthetic.shape}] vs [${cycled.shape}]`);
  }
  const weight = options.weight ?? 1;
  return tf.tidy(() => {
    // lambda_gaze * mean_i d(E(F(G(x_i))), E(x_i))
    const d = gazeDistance(estimate(cycled), estimate(synthetic), options);
    return tf.mul(weight, d);
  });
}

/** Rows scaled to length 1 (norms floored at 1e-8, see {@link NORM_EPS}). */
function unit(v: tf.Tensor): tf.Tensor {
  return tf.div(v, rowNorms(v));
}

function checkColumns(name: string, t: tf.Tensor, k: number): void {
  if (t.rank !== 2 || t.shape[1] !== k) {
    throw new Error(`${name}: expected [B, ${k}], got [${t.shape}]`);
  }
}
