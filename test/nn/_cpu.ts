/** Shared by the nn tests: run on the pure-JS `cpu` backend (reference numerics, no setup). */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

/** Selects the cpu backend. */
export async function useCpu(): Promise<void> {
  tf.env().set("IS_TEST", true); // no "install the node backend" banner
  await tf.setBackend("cpu");
  await tf.ready();
}

/** Max |a - b| over two tensors of the same shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Uniform [-1, 1) test images from a seed (tfjs' seeded generator). */
export function images(shape: [number, number, number, number], seed = 1): tf.Tensor4D {
  return tf.randomUniform(shape, -1, 1, "float32", seed) as tf.Tensor4D;
}
