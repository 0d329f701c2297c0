/**
 * Gradient fixes for TensorFlow.js 4.22 that training needs on every backend (gradients are
 * registered per op, not per backend). Registered by `registerWasmTrainingKernels` and meant to
 * be registered for every backend (call {@link registerGradientFixes}).
 *
 * - `MirrorPad`: tfjs's gradient only slices the centre out of `dy` and drops what the padding
 *   copied from the border, so `mirrorPad(x, …, "reflect")` (CycleGAN's reflection padding)
 *   gets wrong gradients at the borders: for `x = [1, 2, 3, 4]` padded by 2 each side
 *   (`[3, 2, 1, 2, 3, 4, 3, 2]`), d(sum)/dx is `[1, 3, 3, 1]`, tfjs says `[1, 1, 1, 1]`.
 * - Comparisons (`Greater`, `Less`, `Equal`, …) have no gradient, so `tf.grad` throws for
 *   `tf.where(tf.greater(x, 0), x, …)` and any mask computed from the differentiated input:
 *   they get the zero gradient (they are piecewise constant).
 * - `FlipLeftRight` has no gradient: it is its own adjoint.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * The adjoint of `mirrorPad`, one axis at a time (the op is separable). Along an axis of length
 * `n` padded by `a` before and `b` after, with `m = 1` for reflect and `0` for symmetric:
 * padded position `j < a` copies `x[a − 1 − j + m]`, and position `a + n + j` copies
 * `x[n − 1 − j − m]`. So
 *
 *     dx = dy[a : a+n]
 *        + reverse(dy[0 : a])          placed at x[m : m+a]
 *        + reverse(dy[a+n : a+n+b])    placed at x[n−b−m : n−m]
 */
export function mirrorPadGrad(
  dy: tf.Tensor,
  paddings: Array<[number, number]>,
  mode: "reflect" | "symmetric",
): tf.Tensor {
  const m = mode === "reflect" ? 1 : 0;
  return tf.tidy(() => {
    let g = dy;
    for (let axis = 0; axis < paddings.length; axis++) {
      const [a, b] = paddings[axis];
      if (a === 0 && b === 0) continue;
      const n = g.shape[axis] - a - b;
      const part = (start: number, size: number) => {
        const begin = g.shape.map(() => 0), sz = g.shape.slice();
        begin[axis] = start;
        sz[axis] = size;
        return tf.slice(g, begin, sz);
      };
      const place = (t: tf.Tensor, before: number) => {
        const pads = g.shape.map(() => [0, 0] as [number, number]);
        pads[axis] = [before, n - before - t.shape[axis]];
        return tf.pad(tf.reverse(t, axis), pads);
      };
      let next = part(a, n);
      if (a > 0) next = tf.add(next, place(part(0, a), m));
      if (b > 0) next = tf.add(next, place(part(a + n, b), n - b - m));
      g = next;
    }
    return g;
  });
}

const COMPARISONS = ["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"];

let registered = false;

/** Registers the corrected gradients (for all backends). Safe to call more than once. */
export function registerGradientFixes(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: "MirrorPad",
    inputsToSave: ["x"],
    gradFunc: (dy, _saved, attrs) => {
      const { paddings, mode } = attrs as unknown as {
        paddings: Array<[number, number]>;
        mode: "reflect" | "symmetric";
      };
      return { x: () => mirrorPadGrad(dy as tf.Tensor, paddings, mode) };
    },
  });
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ["a", "b"],
      gradFunc: (_dy, saved) => ({
        a: () => tf.zerosLike(saved[0]),
        b: () => tf.zerosLike(saved[1]),
      }),
    });
  }
  if (tf.getGradient("FlipLeftRight") === undefined) {
    tf.registerGradient({
      kernelName: "FlipLeftRight",
      gradFunc: (dy) => ({ image: () => tf.image.flipLeftRight(dy as tf.Tensor4D) }),
    });
  }
  registered = true;
}
