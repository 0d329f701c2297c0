/**
 * Registers TensorFlow.js's gradient functions (side effect of importing this module).
 *
 * `@tensorflow/tfjs-core` on its own registers NO gradients (its `register_all_gradients` is an
 * ESM file with extension-less imports that Deno cannot load), so `tf.grad`,
 * `tf.variableGrads` and `optimizer.minimize` throw "gradient function not found for ...".
 * The `@tensorflow/tfjs` umbrella bundle registers all of them into tfjs-core's global gradient
 * registry (shared with our `@tensorflow/tfjs-core` import); it costs ~70 ms to load and
 * registers no extra backend here. Every module of `lib/nn` that trains imports this one, and so does `lib/backend/mod.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";

/** Whether tfjs-core has gradient functions (true once this module is loaded). */
export function gradientsRegistered(): boolean {
  return tf.getGradient("Conv2D") !== undefined && tf.getGradient("Sum") !== undefined;
}
