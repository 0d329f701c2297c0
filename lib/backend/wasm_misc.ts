/**
 * Other `wasm` kernels that training needs: fast transposed matmuls, a fast `MaxPoolGrad`, and
 * the missing `UnsortedSegmentSum` (the gradient of `gather`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { asWasm, disposeInfo, f32, type KernelArgs, runWasm } from "./wasm_util.ts";

/** A kernel function as registered (receives the args, returns one output). */
export type Kernel = (args: KernelArgs) => tf.TensorInfo;

/**
 * Wraps the backend's `BatchMatMul` or `_FusedMatMul` so that it only ever runs untransposed.
 *
 * The wasm matmul is XNNPACK (~40 GFLOP/s on one core here) only for `a·b`; with
 * `transposeA` or `transposeB` it runs a naive loop at ~3 GFLOP/s, and the gradients of every
 * dense layer are exactly those (`dW = xᵀ·dy`, `dx = dy·Wᵀ`). Transposing the last two axes
 * explicitly with the backend's `Transpose` (memory-bound, ~1 ms per million elements) and
 * multiplying untransposed is 10x faster for the shapes that matter.
 */
export function untransposedMatMul(original: Kernel): Kernel {
  return (args) => {
    const attrs = args.attrs ?? {};
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const backend = asWasm(args.backend);
    const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
    const made: tf.TensorInfo[] = [];
    for (const [key, flag] of [["a", attrs.transposeA], ["b", attrs.transposeB]] as const) {
      if (!flag) continue;
      const t = inputs[key];
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
      inputs[key] = runWasm("Transpose", { x: t }, { perm }, backend);
      made.push(inputs[key]);
    }
    const out = original({
      inputs,
      backend: args.backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    disposeInfo(backend, ...made);
    return out;
  };
}

/**
 * `MaxPoolGrad` (NHWC) as one pass over the pooling windows: for each output pixel find, per
 * channel, the first maximum of its window in row-major order (the cpu backend's rule, so ties
 * go to the same input) and add `dy` there. The backend's own kernel rescans windows per input
 * pixel and is 3–5x slower (100 ms for a 3×3 stride-1 pool over [16, 35, 55, 64]).
 *
 * Returns `undefined` for NCHW, so the caller can fall back to the original kernel.
 */
export function maxPoolGrad(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = asWasm(args.backend);
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs ?? {};
  if (dy.dtype !== "float32" || input.dtype !== "float32") return undefined;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  if (info.dataFormat !== "channelsLast") return undefined;
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C } = info;
  const { outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const out = backend.makeOutput(input.shape, "float32");
  const dx = f32(backend, out), x = f32(backend, input), g = f32(backend, dy);
  dx.fill(0);
  const best = new Float32Array(C);
  const arg = new Int32Array(C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = oh * sh - pt;
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = ow * sw - pl;
        best.fill(-Infinity);
        arg.fill(-1);
        for (let kh = 0; kh < fh; kh++) {
          const ih = h0 + kh * dh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = w0 + kw * dw;
            if (iw < 0 || iw >= W) continue;
            const base = ((b * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                arg[c] = base + c;
              }
            }
          }
        }
        const o = ((b * Ho + oh) * Wo + ow) * C;
        for (let c = 0; c < C; c++) if (arg[c] >= 0) dx[arg[c]] += g[o + c];
      }
    }
  }
  return out;
}

/**
 * `UnsortedSegmentSum` (not in the wasm backend; the gradient of `gather`):
 * `out[s, …] = Σ_{i : ids[i] = s} x[i, …]`, ids outside `[0, numSegments)` dropped.
 */
export function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs ?? {}).numSegments as number;
  const rest = x.shape.slice(segmentIds.shape.length);
  const inner = rest.reduce((a, b) => a * b, 1);
  const n = segmentIds.shape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...rest], x.dtype);
  const o = backend.typedArrayFromHeap(out);
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  o.fill(0);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner, dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}
