/**
 * Multi-threaded `wasm` in Deno (`lib/backend/wasm_threads.ts`). Threads must be chosen before
 * the wasm backend first starts, so the threaded backend runs in a worker (its own tfjs) and its
 * results are compared with the single-threaded backend of this process.
 *
 * Tolerance: relative error max|a − b| / max|b| ≤ 1e-4.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "../../lib/backend/wasm_kernels.ts";

const X = [4, 35, 55, 16];
const W = [3, 3, 16, 24];

/** conv2d (stride 1) and conv2dTranspose (stride 2): values and gradients, as plain arrays. */
const COMPUTE = `
const seeded = (n, seed) => {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = s / 2147483648 - 1; }
  return out;
};
const size = (shape) => shape.reduce((a, b) => a * b, 1);
function compute(tf, X, W) {
  return tf.tidy(() => {
    const x = tf.tensor(seeded(size(X), 1), X), w = tf.tensor(seeded(size(W), 2), W);
    const f = (x, w) => tf.sum(tf.square(tf.conv2d(x, w, 1, "same")));
    const [dx, dw] = tf.grads(f)([x, w]);
    const up = [X[0], X[1] * 2, X[2] * 2, W[2]];
    const g = (x, w) => tf.sum(tf.square(tf.conv2dTranspose(x, w, up, 2, "same")));
    const y = tf.conv2d(x, w, 1, "same");
    const [tx, tw] = tf.grads(g)([y, w]);
    return [y, dx, dw, tx, tw];
  }).map((t) => t.dataSync());
}
`;

function worker(): string {
  const lib = (p: string) => new URL(`../../lib/backend/${p}`, import.meta.url).href;
  return `
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { enableWasmThreads } from "${lib("wasm_threads.ts")}";
import { registerWasmTrainingKernels } from "${lib("wasm_kernels.ts")}";
${COMPUTE}
self.onmessage = async () => {
  try {
    const enabled = enableWasmThreads(2);
    registerWasmTrainingKernels();
    await tf.setBackend("wasm");
    const threads = wasm.getThreadsCount();
    const t0 = performance.now();
    const out = compute(tf, ${JSON.stringify(X)}, ${JSON.stringify(W)});
    self.postMessage({ enabled, threads, ms: performance.now() - t0, out });
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};
`;
}

interface Reply {
  enabled?: boolean;
  threads?: number;
  ms?: number;
  out?: Float32Array[];
  error?: string;
}

function relErr(got: Float32Array, want: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return got.length === want.length ? diff / (scale || 1) : Infinity;
}

Deno.test("wasm with 2 threads in Deno: starts, and matches single-threaded wasm", async () => {
  const url = URL.createObjectURL(new Blob([worker()], { type: "application/javascript" }));
  const w = new Worker(url, { type: "module" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("threaded wasm did not start in 60 s")), 60_000);
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      w.postMessage("go");
    });
    assert.equal(reply.error, undefined, reply.error);
    assert.equal(reply.enabled, true, "threads not available in this runtime");
    assert.equal(reply.threads, 2, "the threaded backend did not start 2 threads");

    registerWasmTrainingKernels();
    await tf.setBackend("wasm");
    const compute = new Function(`${COMPUTE}; return compute;`)() as (
      t: typeof tf,
      x: number[],
      w: number[],
    ) => Float32Array[];
    const want = compute(tf, X, W);
    ["y", "dx", "dw", "conv2dTranspose dx", "conv2dTranspose dw"].forEach((name, i) => {
      const e = relErr(reply.out![i], want[i]);
      assert.ok(e <= 1e-4, `${name}: relative error ${e.toExponential(2)}`);
    });
  } finally {
    clearTimeout(timer);
    w.terminate();
    URL.revokeObjectURL(url);
  }
});
