import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  batchNorm,
  conv2d,
  conv2dTranspose,
  convOutputSize,
  cropPad,
  dense,
  dropout,
  instanceNorm,
  maxPool,
  padToMultiple,
  ParamStore,
  reflectionPad,
  upsampleNearest,
} from "../../lib/nn/mod.ts";
import { images, maxAbsDiff, useCpu } from "./_cpu.ts";

await useCpu();

Deno.test("reflectionPad: values as PyTorch ReflectionPad2d, and crop inverts it", () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const y = reflectionPad(x, [1, 1, 2, 1]);
  assert.deepEqual(y.shape, [1, 4, 6, 1]);
  // rows [4 5 6] [1 2 3] [4 5 6] [1 2 3]; each row [c b | a b c | b]
  assert.deepEqual(Array.from(y.dataSync()), [
    6,
    5,
    4,
    5,
    6,
    5,
    3,
    2,
    1,
    2,
    3,
    2,
    6,
    5,
    4,
    5,
    6,
    5,
    3,
    2,
    1,
    2,
    3,
    2,
  ]);
  assert.deepEqual(Array.from(cropPad(y, [1, 1, 2, 1]).dataSync()), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => reflectionPad(x, 2), /longer than the pad/);
  tf.dispose([x, y]);
});

Deno.test("reflectionPad: gradient adds the reflected border back (tf.mirrorPad's does not)", () => {
  // d/dx sum(reflectionPad(x)) counts how often each element appears in the padded tensor.
  const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(reflectionPad(t as tf.Tensor4D, [0, 0, 2, 1])))(x);
  // padded row: [3 2 | 1 2 3 4 | 3] -> element 1 once, 2 twice, 3 three times, 4 once
  assert.deepEqual(Array.from(g.dataSync()), [1, 2, 3, 1]);
  // canary: tfjs-core 4.22's MirrorPad gradient drops the border (why padding.ts avoids it);
  // if this starts failing, tfjs fixed it and tf.mirrorPad could be used again.
  const bad = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mirrorPad(t as tf.Tensor4D, [[0, 0], [0, 0], [2, 1], [0, 0]], "reflect"))
  )(x);
  assert.deepEqual(Array.from(bad.dataSync()), [1, 1, 1, 1]);
  tf.dispose([x, g, bad]);
});

Deno.test("padToMultiple: even split, odd pixel bottom/right", () => {
  assert.deepEqual(padToMultiple(35, 55, 4), [0, 1, 0, 1]);
  assert.deepEqual(padToMultiple(36, 60, 32), [14, 14, 2, 2]);
  assert.deepEqual(padToMultiple(64, 64, 64), [0, 0, 0, 0]);
});

Deno.test("conv2d: output sizes for same/valid/numeric/reflect padding match convOutputSize", () => {
  const store = new ParamStore({ seed: 1 });
  const x = images([2, 35, 55, 3]);
  const cases: [number, number, "same" | "valid" | "reflect" | number][] = [
    [3, 1, "same"],
    [3, 2, "same"],
    [3, 1, "valid"],
    [4, 2, 1],
    [3, 2, 1],
    [7, 1, "reflect"],
    [4, 2, "reflect"],
  ];
  cases.forEach(([k, s, p], i) => {
    const conv = conv2d(store.scope(`c${i}`), {
      inChannels: 3,
      filters: 5,
      kernel: k,
      stride: s,
      padding: p,
    });
    const y = conv.apply(x);
    assert.deepEqual(
      y.shape,
      [2, convOutputSize(35, k, s, p), convOutputSize(55, k, s, p), 5],
      `k${k} s${s} ${p}`,
    );
    y.dispose();
  });
  assert.equal(convOutputSize(35, 3, 2, "same"), 18);
  assert.equal(convOutputSize(256, 4, 2, 1), 128);
  assert.equal(convOutputSize(31, 4, 1, 1), 30);
  x.dispose();
  store.dispose();
});

Deno.test("conv2d: reflect padding equals explicit reflectionPad + valid conv; bias is added", () => {
  const store = new ParamStore({ seed: 3 });
  const conv = conv2d(store.scope("c"), {
    inChannels: 2,
    filters: 3,
    kernel: 3,
    padding: "reflect",
  });
  store.get("c/bias").assign(tf.tensor1d([1, 2, 3]));
  const x = images([1, 6, 7, 2]);
  const want = tf.tidy(() =>
    tf.add(tf.conv2d(reflectionPad(x, 1), store.get("c/kernel") as tf.Tensor4D, 1, "valid"), [
      1,
      2,
      3,
    ])
  );
  const got = conv.apply(x);
  assert.ok(maxAbsDiff(got, want) < 1e-6);
  tf.dispose([x, want, got]);
  store.dispose();
});

Deno.test("conv2dTranspose, dense, maxPool, upsampleNearest: shapes and values", () => {
  const store = new ParamStore({ seed: 1 });
  const x = images([2, 9, 15, 4]);
  const up3 = conv2dTranspose(store.scope("t3"), { inChannels: 4, filters: 6, kernel: 3 });
  const up4 = conv2dTranspose(store.scope("t4"), { inChannels: 4, filters: 2, kernel: 4 });
  assert.deepEqual(up3.apply(x).shape, [2, 18, 30, 6]);
  assert.deepEqual(up4.apply(x).shape, [2, 18, 30, 2]);
  const fc = dense(store.scope("fc"), { inUnits: 10, units: 3 });
  assert.deepEqual(fc.apply(tf.ones([5, 10])).shape, [5, 3]);
  assert.deepEqual(maxPool({ size: 3, stride: 2 }).apply(x).shape, [2, 4, 7, 4]);
  assert.deepEqual(maxPool({ size: 3, stride: 1, padding: "same" }).apply(x).shape, [2, 9, 15, 4]);
  const u = upsampleNearest(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
  assert.deepEqual(Array.from(u.dataSync()), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  store.dispose();
});

Deno.test("upsampleNearest: gradient is the sum of dy over each 2x2 block", () => {
  const w = images([2, 8, 12, 3], 9);
  const z = images([2, 4, 6, 3], 5);
  const f = (up: (t: tf.Tensor4D) => tf.Tensor) =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(up(t as tf.Tensor4D), w)))(z);
  const want = tf.sum(tf.reshape(w, [2, 4, 2, 6, 2, 3]), [2, 4]);
  assert.ok(maxAbsDiff(f((t) => upsampleNearest(t)), want) < 1e-5);
  assert.equal(maxAbsDiff(upsampleNearest(z), tf.image.resizeNearestNeighbor(z, [8, 12])), 0);
  // canary: tfjs 4.22's ResizeNearestNeighborGrad is wrong here (why upsampleNearest avoids it)
  const tfGrad = f((t) => tf.image.resizeNearestNeighbor(t, [8, 12]));
  assert.ok(maxAbsDiff(tfGrad, want) > 0.1);
  tf.dispose([w, z, want, tfGrad]);
});

Deno.test("instanceNorm: each sample and channel has mean 0 and variance 1 over H x W", () => {
  const store = new ParamStore({ seed: 1 });
  const norm = instanceNorm(store.scope("in"), { channels: 3 });
  assert.equal(store.count(), 0, "not affine: no parameters");
  const x = tf.tidy(() => tf.add(tf.mul(images([2, 8, 10, 3]), [1, 5, 0.5]), [3, -2, 10]));
  const y = norm.apply(x);
  const { mean, variance } = tf.moments(y, [1, 2]);
  assert.ok(Math.max(...mean.dataSync().map(Math.abs)) < 1e-5);
  assert.ok(Math.max(...variance.dataSync().map((v) => Math.abs(v - 1))) < 1e-3);
  const affine = instanceNorm(store.scope("ina"), { channels: 3, affine: true, init: "he" });
  store.get("ina/gamma").assign(tf.tensor1d([2, 2, 2]));
  store.get("ina/beta").assign(tf.tensor1d([1, 1, 1]));
  assert.ok(maxAbsDiff(affine.apply(x), tf.add(tf.mul(y, 2), 1)) < 1e-5);
  store.dispose();
});

Deno.test("batchNorm: batch statistics in training, running statistics updated and used at test", () => {
  const store = new ParamStore({ seed: 1 });
  const bn = batchNorm(store.scope("bn"), { channels: 2, momentum: 0.5, init: "he" });
  assert.equal(store.trainableVariables().length, 2, "gamma and beta only");
  const x = tf.tidy(() => tf.add(tf.mul(images([4, 3, 3, 2]), 2), [1, -1]));
  const y = bn.apply(x, { training: true });
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  assert.ok(Math.max(...mean.dataSync().map(Math.abs)) < 1e-5);
  assert.ok(Math.max(...variance.dataSync().map((v) => Math.abs(v - 1))) < 1e-3);
  // running_mean = 0.5 * 0 + 0.5 * batch mean
  const bm = tf.moments(x, [0, 1, 2]).mean;
  assert.ok(maxAbsDiff(store.get("bn/running_mean"), tf.mul(bm, 0.5)) < 1e-6);
  // test mode uses the running statistics: (x - rm) / sqrt(rv + eps)
  const want = tf.tidy(() =>
    tf.div(
      tf.sub(x, store.get("bn/running_mean")),
      tf.sqrt(tf.add(store.get("bn/running_var"), 1e-5)),
    )
  );
  assert.ok(maxAbsDiff(bn.apply(x), want) < 1e-5);
  const bnBatch = batchNorm(store.scope("bn2"), {
    channels: 2,
    testStatistics: "batch",
    init: "he",
  });
  assert.ok(maxAbsDiff(bnBatch.apply(x), y) < 1e-5, "test-batch statistics like training");
  store.dispose();
});

Deno.test("dropout: off at test by default, on at test when requested, seeded masks", () => {
  const x = tf.ones([1, 40, 50, 2]);
  const plain = dropout({ rate: 0.5, seed: 1 });
  assert.equal(plain.apply(x), x, "identity at test time");
  const train = plain.apply(x, { training: true });
  const v = train.dataSync();
  const zeros = v.filter((e) => e === 0).length / v.length;
  assert.ok(Math.abs(zeros - 0.5) < 0.03, `dropped ${zeros}`);
  assert.ok(v.every((e) => e === 0 || e === 2), "kept values scaled by 1 / (1 - p)");
  const atTest = dropout({ rate: 0.5, seed: 1, activeAtTest: true });
  const a = atTest.apply(x);
  assert.deepEqual(a.dataSync(), v, "same seed -> same first mask");
  const b = atTest.apply(x);
  assert.ok(maxAbsDiff(a, b) > 0, "a new mask each call");
  assert.throws(() => dropout({ rate: 1, seed: 1 }), /rate/);
  tf.dispose([x, train, a, b]);
});
