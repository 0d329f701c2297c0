/** L1, self-regularisation and psi on tiny hand-computed tensors (cpu backend). */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { l1Loss, selfRegularisation } from "../../lib/losses/pixel.ts";
import { gradientsPsi, makePsi, PSI_NAMES, statsPsi } from "../../lib/losses/psi.ts";
import { buildNetwork } from "../../lib/nn/registry.ts";
import { useCpu } from "../nn/_cpu.ts";

await useCpu();

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);
const scalar = (f: () => tf.Tensor) => tf.tidy(() => f().dataSync()[0]);

Deno.test("l1Loss: mean |a - b|, or summed per item and averaged over the batch", () => {
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const b = tf.tensor2d([[0, 4], [3, 0]]);
  close(scalar(() => l1Loss(a, b)), (1 + 2 + 0 + 4) / 4);
  close(scalar(() => l1Loss(a, b, { reduction: "sum" })), (3 + 4) / 2);
  assert.throws(() => l1Loss(a, tf.zeros([2, 3])), /shapes differ/);
  tf.dispose([a, b]);
});

Deno.test("selfRegularisation: lambda * mean |psi(R(x)) - psi(x)|, identity by default", () => {
  const r = tf.tensor4d([0.5, -0.5, 1, 0], [1, 2, 2, 1]);
  const x = tf.tensor4d([0, 0, 0, 0], [1, 2, 2, 1]);
  close(scalar(() => selfRegularisation(r, x)), 0.5);
  close(scalar(() => selfRegularisation(r, x, { lambda: 0.5 })), 0.25);
  close(scalar(() => selfRegularisation(r, x, { lambda: 0.5, reduction: "sum" })), 1);
  // psi = gradients: dx = [-1, -1] vs [0, 0], dy = [0.5, 0.5] vs [0, 0] -> mean 0.75
  close(scalar(() => selfRegularisation(r, x, { psi: gradientsPsi })), 0.75);
  tf.dispose([r, x]);
});

Deno.test("psi gradients: forward differences, horizontal then vertical, flattened", () => {
  const x = tf.tensor4d([1, 2, 4, 3, 5, 9], [1, 2, 3, 1]);
  const f = gradientsPsi(x);
  assert.deepEqual(f.shape, [1, 2 * 2 + 1 * 3]);
  assert.deepEqual(Array.from(f.dataSync()), [1, 2, 2, 4, 2, 3, 5]);
  tf.dispose([x, f]);
});

Deno.test("psi stats: windowed mean and variance; whole image with window 0", () => {
  const x = tf.tensor4d([0, 2, 4, 6, 1, 1, 1, 1], [1, 2, 4, 1]);
  const f = statsPsi(2)(x);
  // windows [[0,2],[1,1]] and [[4,6],[1,1]]: means 1, 3; variances 0.5, 4.5
  assert.deepEqual(Array.from(f.dataSync()), [1, 3, 0.5, 4.5]);
  const whole = statsPsi(0)(x);
  const m = 2, v = (0 + 4 + 16 + 36 + 4) / 8 - m * m;
  assert.deepEqual(Array.from(whole.dataSync()), [m, v]);
  assert.throws(() => statsPsi(5)(x), /larger/);
  tf.dispose([x, f, whole]);
});

Deno.test("psi: every variant gives gradients of the input's shape; features do not train the net", () => {
  const net = buildNetwork("gaze_estimator", {
    height: 36,
    width: 60,
    widthMultiplier: 0.25,
    hidden: [8],
  }, { seed: 3, namespace: "psi_test_E" });
  const x = tf.randomUniform([2, 36, 60, 1], -1, 1, "float32", 1) as tf.Tensor4D;
  const r0 = tf.randomUniform([2, 36, 60, 1], -1, 1, "float32", 2) as tf.Tensor4D;
  const before = net.params.variables().map((v) => v.dataSync().slice());
  for (const name of PSI_NAMES) {
    const psi = makePsi(name, { network: net, layer: "conv2", window: 4 });
    const g = tf.grad((r: tf.Tensor) =>
      selfRegularisation(r as tf.Tensor4D, x, { psi, lambda: 1 })
    )(r0);
    assert.deepEqual(g.shape, r0.shape, name);
    const norm = scalar(() => tf.sum(tf.abs(g)));
    assert.ok(Number.isFinite(norm) && norm > 0, `${name}: nonzero gradient (${norm})`);
    g.dispose();
  }
  // a training step of a refiner-like variable through psi features leaves the net unchanged
  const w = tf.variable(tf.zeros([2, 36, 60, 1]), true, "psi_test_w");
  const opt = tf.train.adam(0.1);
  const psi = makePsi("features", { network: net });
  tf.dispose(
    opt.minimize(() => selfRegularisation(tf.add(r0, w) as tf.Tensor4D, x, { psi }), true, [w])!,
  );
  assert.ok(scalar(() => tf.sum(tf.abs(w))) > 0, "the refined-side variable moved");
  net.params.variables().forEach((v, i) => assert.deepEqual(v.dataSync(), before[i]));
  assert.throws(() => makePsi("features"), /frozen network/);
  assert.throws(() => makePsi("sobel" as "identity"), /unknown psi/);
  tf.dispose([x, r0, w]);
  opt.dispose();
  net.dispose();
});
