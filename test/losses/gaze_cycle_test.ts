/**
 * GazeGAN's gaze cycle-consistency loss on tiny hand-computed tensors and a tiny frozen
 * estimator (cpu backend: exact reference numerics): the two distances, the pitch/yaw <-> vector
 * conversions against `lib/data/gaze.ts`, zero for a perfect cycle, finite gradients there, and
 * gradients that reach the generators but leave E unchanged.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { pitchYawToVector, vectorToPitchYaw } from "../../lib/data/gaze.ts";
import {
  gazeCycleLoss,
  gazeDistance,
  pitchYawToVectors,
  vectorsToPitchYaw,
} from "../../lib/losses/gaze_cycle.ts";
import { buildNetwork } from "../../lib/nn/registry.ts";
import { images, useCpu } from "../nn/_cpu.ts";

await useCpu();

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

/** The value of a scalar-returning function, checking that it leaks nothing. */
function value(f: () => tf.Tensor): number {
  const before = tf.memory().numTensors;
  const v = tf.tidy(() => f().dataSync()[0]);
  assert.equal(tf.memory().numTensors, before, "no leaked tensors");
  return v;
}

/** A tiny frozen-style estimator E at 24x40x1 with 2 (pitch, yaw) or 3 (vector) outputs. */
function tinyEstimator(outputs = 2) {
  return buildNetwork("gaze_estimator", {
    height: 24,
    width: 40,
    inChannels: 1,
    convFilters: [4, 4, 4, 4, 4],
    hidden: [8],
    outputs,
    maxFlattenPositions: 64,
  }, { seed: 5, namespace: `E_test${outputs}` });
}

Deno.test("gazeDistance l2: squared (pitch, yaw) differences summed, averaged over the batch", () => {
  const a = () => tf.tensor2d([[0, 0], [0.1, -0.2]]);
  const b = () => tf.tensor2d([[0.1, 0.2], [0.1, -0.2]]);
  // image 0: 0.01 + 0.04 = 0.05; image 1: 0 -> mean 0.025
  close(value(() => gazeDistance(a(), b())), 0.025);
  close(value(() => gazeDistance(a(), b(), { loss: "l2", output: "pitchyaw" })), 0.025);
  close(value(() => gazeDistance(b(), a())), 0.025);
});

Deno.test("gazeDistance angular: 2 (1 - cos theta) of the gaze vectors, ~theta^2 when small", () => {
  const pairs = [[0.1, 0.3, -0.2, 0.25], [0.4, -0.5, 0.4, -0.45], [-0.3, 0, 0.2, 0.1]];
  for (const [p1, y1, p2, y2] of pairs) {
    const u = pitchYawToVector(p1, y1), v = pitchYawToVector(p2, y2);
    const cos = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    const got = value(() =>
      gazeDistance(tf.tensor2d([[p1, y1]]), tf.tensor2d([[p2, y2]]), { loss: "angular" })
    );
    close(got, 2 * (1 - cos), 1e-6);
    // the same on the vector outputs of an estimator (any length)
    const viaVectors = value(() =>
      gazeDistance(tf.tensor2d([u.map((c) => 3 * c)]), tf.tensor2d([v]), {
        loss: "angular",
        output: "vector",
      })
    );
    close(viaVectors, 2 * (1 - cos), 1e-6);
  }
  // small differences near the frontal direction: angular ~ l2 ~ theta^2
  const a = () => tf.tensor2d([[0.02, -0.03]]), b = () => tf.tensor2d([[0.03, -0.01]]);
  const l2 = value(() => gazeDistance(a(), b()));
  const ang = value(() => gazeDistance(a(), b(), { loss: "angular" }));
  assert.ok(Math.abs(ang / l2 - 1) < 0.01, `angular ${ang} vs l2 ${l2}`);
});

Deno.test("pitchYawToVectors / vectorsToPitchYaw follow lib/data/gaze.ts and round-trip", () => {
  const labels = [[0, 0], [0.3, -0.4], [-0.5, 0.7], [0.1, 1.2]];
  const vectors = tf.tidy(() => pitchYawToVectors(tf.tensor2d(labels)).arraySync());
  labels.forEach(([p, y], i) => {
    pitchYawToVector(p, y).forEach((c, k) => close(vectors[i][k], c, 1e-6));
  });
  // vectors of any length give the same pitch/yaw
  const back = tf.tidy(() =>
    vectorsToPitchYaw(tf.mul(tf.tensor2d(vectors), 2.5) as tf.Tensor2D).arraySync()
  );
  labels.forEach(([p, y], i) => {
    const ref = vectorToPitchYaw(vectors[i][0], vectors[i][1], vectors[i][2]);
    close(back[i][0], ref.pitch, 1e-5);
    close(back[i][1], ref.yaw, 1e-5);
    close(back[i][0], p, 1e-5);
    close(back[i][1], y, 1e-5);
  });
  // l2 on vector outputs = l2 on the pitch/yaw they encode
  const l2v = value(() =>
    gazeDistance(tf.tensor2d([vectors[1]]), tf.tensor2d([vectors[2]]), { output: "vector" })
  );
  close(l2v, 0.8 ** 2 + 1.1 ** 2, 1e-5);
  assert.throws(() => gazeDistance(tf.zeros([1, 2]), tf.zeros([1, 3])), /expected \[B, 2\]/);
  assert.throws(
    () => gazeDistance(tf.zeros([1, 2]), tf.zeros([1, 2]), { loss: "l1" as "l2" }),
    /unknown loss/,
  );
});

Deno.test("gaze distances have finite (zero) gradients at zero difference", () => {
  for (const output of ["pitchyaw", "vector"] as const) {
    for (const loss of ["l2", "angular"] as const) {
      const row = output === "pitchyaw" ? [0.2, -0.3] : pitchYawToVector(0.2, -0.3);
      const g = tf.tidy(() => {
        const b = tf.tensor2d([row]);
        return tf.grad((a: tf.Tensor) => gazeDistance(a, b, { loss, output }))(tf.tensor2d([row]))
          .dataSync();
      });
      assert.ok(g.every((v) => Number.isFinite(v) && Math.abs(v) < 1e-5), `${output} ${loss}`);
    }
  }
});

Deno.test("vector outputs: finite gradients at an exactly zero vector (no direction)", () => {
  const other = pitchYawToVector(0.2, -0.3);
  const zeroRows = [[0, 0, 0], [0, 0.5, 0]]; // zero, and along the y axis (yaw undefined)
  for (const row of zeroRows) {
    for (const loss of ["l2", "angular"] as const) {
      const g = tf.tidy(() => {
        const b = tf.tensor2d([other]);
        return tf.grad((a: tf.Tensor) => gazeDistance(a, b, { loss, output: "vector" }))(
          tf.tensor2d([row]),
        ).dataSync();
      });
      assert.ok(g.every(Number.isFinite), `${loss} at [${row}]: [${g}]`);
    }
    const g = tf.tidy(() =>
      tf.grad((a: tf.Tensor) => tf.sum(vectorsToPitchYaw(a)))(tf.tensor2d([row])).dataSync()
    );
    assert.ok(g.every(Number.isFinite), `vectorsToPitchYaw at [${row}]: [${g}]`);
  }
  // The values there stay finite too.
  const back = tf.tidy(() => vectorsToPitchYaw(tf.tensor2d(zeroRows)).arraySync());
  assert.ok(back.flat().every(Number.isFinite), `${back}`);
});

Deno.test("gazeCycleLoss: 0 when F(G(x)) = x (identity maps), weighted otherwise", () => {
  const E = tinyEstimator();
  const estimate = (t: tf.Tensor4D) => E.apply(t, { training: false });
  const x = images([2, 24, 40, 1], 3);
  const identity = (t: tf.Tensor4D) => t;
  for (const loss of ["l2", "angular"] as const) {
    assert.equal(
      value(() => gazeCycleLoss(estimate, x, identity(identity(x)), { loss, weight: 25 })),
      0,
    );
  }
  const darker = () => tf.mul(x, 0.5) as tf.Tensor4D;
  const d = value(() => gazeDistance(estimate(darker()), estimate(x)));
  assert.ok(d > 0);
  close(value(() => gazeCycleLoss(estimate, x, darker(), { weight: 25 })), 25 * d, 1e-6 * 25);
  assert.throws(() => gazeCycleLoss(estimate, x, images([1, 24, 40, 1])), /shapes differ/);
  x.dispose();
  E.dispose();
});

Deno.test("gazeCycleLoss: the gradient reaches G and F; E (not in varList) stays unchanged", () => {
  const E = tinyEstimator(3);
  const estimate = (t: tf.Tensor4D) => E.apply(t, { training: false });
  // G(x) = g x + c, F(y) = f y: a cycle that is off while g f != 1 or c != 0
  const g = tf.variable(tf.scalar(1.3), true, "G_test/g");
  const c = tf.variable(tf.scalar(0.1), true, "G_test/c");
  const f = tf.variable(tf.scalar(0.9), true, "F_test/f");
  const x = images([2, 24, 40, 1], 4);
  const lossFn = () =>
    tf.tidy(() => {
      const fake = tf.add(tf.mul(x, g), c) as tf.Tensor4D;
      const cycled = tf.mul(fake, f) as tf.Tensor4D;
      return gazeCycleLoss(estimate, x, cycled, { loss: "angular", output: "vector", weight: 25 });
    });
  const eBefore = E.params.variables().map((v) => v.dataSync().slice());
  // the loss depends on E's weights too: keeping them out of varList is what freezes E
  const withE = tf.variableGrads(lossFn, [g, c, f, ...E.trainableVariables()]);
  const eGradNorm = tf.tidy(() =>
    E.trainableVariables().reduce(
      (s, v) => s + tf.sum(tf.abs(withE.grads[v.name])).dataSync()[0],
      0,
    )
  );
  assert.ok(eGradNorm > 0, "E's weights influence the loss");
  tf.dispose([withE.value, ...Object.values(withE.grads)]);
  // only G and F: no gradient is computed for E
  const { value: v, grads } = tf.variableGrads(lossFn, [g, c, f]);
  assert.deepEqual(Object.keys(grads).sort(), ["F_test/f", "G_test/c", "G_test/g"]);
  for (const name of Object.keys(grads)) {
    const gv = grads[name].dataSync()[0];
    assert.ok(Number.isFinite(gv) && gv !== 0, `${name}: ${gv}`);
  }
  tf.dispose([v, ...Object.values(grads)]);
  // an optimiser step over [g, c, f] lowers the loss and leaves E bit for bit
  const opt = tf.train.sgd(0.05);
  const before = value(lossFn);
  for (let i = 0; i < 3; i++) tf.dispose(opt.minimize(lossFn, true, [g, c, f])!);
  assert.ok(value(lossFn) < before, "the cycle's gaze moved towards E(x)");
  E.params.variables().forEach((ev, i) => assert.deepEqual(ev.dataSync(), eBefore[i], ev.name));
  opt.dispose();
  tf.dispose([g, c, f, x]);
  E.dispose();
});
