/**
 * Training kernels for the `wasm` backend (`@tensorflow/tfjs-backend-wasm` 4.22).
 *
 * As shipped, `wasm` cannot train convnets: `Conv2DBackpropFilter` is not registered and its
 * `Conv2DBackpropInput` is a naive loop, ~10x slower than its XNNPACK `Conv2D`.
 * {@link registerWasmTrainingKernels} registers:
 *
 * - `Conv2DBackpropFilter`: one XNNPACK conv of transposed `x` and `dy`, or im2col + one
 *   XNNPACK matmul for small batches / few channels (chosen by shape, see `wasm_conv.ts`);
 * - `Conv2DBackpropInput` (also the forward of `conv2dTranspose`): one XNNPACK conv + depth to
 *   space for any stride, the original kernel kept as the fallback for what it does not cover;
 * - `BatchMatMul`, `_FusedMatMul`: transposed operands are transposed explicitly, so that the
 *   fast XNNPACK path always runs (dense-layer gradients were 10x slower);
 * - `MaxPoolGrad`: one pass over the windows (3–5x faster than the backend's);
 * - `UnsortedSegmentSum` (missing; the gradient of `gather`);
 *
 * and registers gradient fixes for every backend (`MirrorPad`, comparisons, `FlipLeftRight`;
 * see `wasm_gradients.ts`).
 *
 * Multi-threaded XNNPACK is separate: `enableWasmThreads()` in `wasm_threads.ts`, to be called
 * before the wasm backend first starts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterAuto, conv2DBackpropInputFast } from "./wasm_conv.ts";
import { registerGradientFixes } from "./wasm_gradients.ts";
import { type Kernel, maxPoolGrad, unsortedSegmentSum, untransposedMatMul } from "./wasm_misc.ts";
import type { KernelArgs } from "./wasm_util.ts";

const MARK = Symbol.for("eyegan.wasmTrainingKernel");

type Config = tf.KernelConfig & { [MARK]?: true };

function isOurs(name: string): boolean {
  const k = tf.getKernel(name, "wasm") as Config | undefined;
  return k !== undefined && k[MARK] === true;
}

/** (Re)registers `kernelFunc` for `name` on `wasm`, keeping the old kernel's `setupFunc`. */
function install(
  name: string,
  make: (original: tf.KernelConfig | undefined) => (args: KernelArgs) => tf.TensorInfo,
): void {
  if (isOurs(name)) return;
  const original = tf.getKernel(name, "wasm");
  if (original !== undefined) tf.unregisterKernel(name, "wasm");
  const config: Config = {
    kernelName: name,
    backendName: "wasm",
    setupFunc: original?.setupFunc,
    disposeFunc: original?.disposeFunc,
    kernelFunc: make(original) as unknown as tf.KernelFunc,
  };
  config[MARK] = true;
  tf.registerKernel(config);
}

/** Names of the kernels {@link registerWasmTrainingKernels} adds or replaces on `wasm`. */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "_FusedMatMul",
  "MaxPoolGrad",
  "UnsortedSegmentSum",
];

function originalOrThrow(name: string, original: tf.KernelConfig | undefined): Kernel {
  return (args) => {
    if (original === undefined) throw new Error(`wasm ${name}: case not supported`);
    return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  };
}

/** Uses `fast` and, where it returns `undefined`, the backend's original kernel. */
function withFallback(
  name: string,
  fast: (args: KernelArgs) => tf.TensorInfo | undefined,
): (original: tf.KernelConfig | undefined) => Kernel {
  return (original) => {
    const fallback = originalOrThrow(name, original);
    return (args) => fast(args) ?? fallback(args);
  };
}

/**
 * Registers the project's training kernels for `wasm` (see {@link WASM_TRAINING_KERNELS}) and
 * the gradient fixes of `wasm_gradients.ts`. Call it after
 * `import("@tensorflow/tfjs-backend-wasm")` (which registers the backend's own kernels), before
 * or after `tf.setBackend("wasm")`. Safe to call more than once.
 *
 * @throws if the wasm backend's kernels are not registered yet.
 */
export function registerWasmTrainingKernels(): void {
  if (tf.getKernel("Conv2D", "wasm") === undefined) {
    throw new Error("registerWasmTrainingKernels: import @tensorflow/tfjs-backend-wasm first");
  }
  install("Conv2DBackpropFilter", () => conv2DBackpropFilterAuto);
  install("Conv2DBackpropInput", withFallback("Conv2DBackpropInput", conv2DBackpropInputFast));
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    install(name, (original) => untransposedMatMul(originalOrThrow(name, original)));
  }
  install("MaxPoolGrad", withFallback("MaxPoolGrad", maxPoolGrad));
  install("UnsortedSegmentSum", () => unsortedSegmentSum);
  registerGradientFixes();
}
