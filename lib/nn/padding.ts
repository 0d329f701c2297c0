/**
 * Reflection padding and pad-to-multiple / crop-back helpers for NHWC tensors.
 *
 * Reflection padding is built from `slice`, `reverse` and `concat` rather than `tf.mirrorPad`:
 * the gradient that tfjs-core 4.22 registers for `MirrorPad` only slices the centre out of dy and
 * drops the gradient that flows into the reflected border (wrong for every `reflect` conv), while
 * slice/reverse/concat have exact gradients on every backend.
 *
 * Reflect (as PyTorch `ReflectionPad2d`, NumPy `reflect`): the edge row is not repeated,
 * `[a b c d]` padded by 2 on the left is `[c b a b c d]`; the pad must be < the size of the axis.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Padding of the two spatial axes: [top, bottom, left, right]. */
export type Pad4 = [number, number, number, number];

function reflectAxis(x: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  if (before === 0 && after === 0) return x;
  const n = x.shape[axis];
  if (before >= n || after >= n) {
    throw new Error(
      `reflection pad ${before}/${after} needs an axis longer than the pad, got ${n}`,
    );
  }
  const parts: tf.Tensor4D[] = [];
  const begin = (i: number): [number, number, number, number] =>
    axis === 1 ? [0, i, 0, 0] : [0, 0, i, 0];
  const size = (k: number): [number, number, number, number] =>
    axis === 1 ? [-1, k, -1, -1] : [-1, -1, k, -1];
  // rows 1..before, mirrored: x[before], ..., x[1]
  if (before > 0) parts.push(tf.reverse(tf.slice(x, begin(1), size(before)), axis));
  parts.push(x);
  // rows n-1-after..n-2, mirrored: x[n-2], ..., x[n-1-after]
  if (after > 0) parts.push(tf.reverse(tf.slice(x, begin(n - 1 - after), size(after)), axis));
  return tf.concat(parts, axis);
}

/**
 * Reflection-pads the height and width of an NHWC tensor.
 *
 * @param x [B, H, W, C].
 * @param pad one number for all four sides, or [top, bottom, left, right].
 * @returns [B, H + top + bottom, W + left + right, C].
 */
export function reflectionPad(x: tf.Tensor4D, pad: number | Pad4): tf.Tensor4D {
  const [t, b, l, r] = typeof pad === "number" ? [pad, pad, pad, pad] : pad;
  return tf.tidy(() => reflectAxis(reflectAxis(x, 1, t, b), 2, l, r));
}

/**
 * The [top, bottom, left, right] padding that brings H and W up to multiples of `multiple`,
 * split evenly (the odd pixel goes to the bottom / right).
 */
export function padToMultiple(height: number, width: number, multiple: number): Pad4 {
  const ph = Math.ceil(height / multiple) * multiple - height;
  const pw = Math.ceil(width / multiple) * multiple - width;
  return [Math.floor(ph / 2), ph - Math.floor(ph / 2), Math.floor(pw / 2), pw - Math.floor(pw / 2)];
}

/** Removes a [top, bottom, left, right] border from an NHWC tensor (inverse of a pad). */
export function cropPad(x: tf.Tensor4D, pad: Pad4): tf.Tensor4D {
  const [t, b, l, r] = pad;
  if (t + b + l + r === 0) return x;
  const [n, h, w, c] = x.shape;
  return tf.slice(x, [0, t, l, 0], [n, h - t - b, w - l - r, c]);
}
