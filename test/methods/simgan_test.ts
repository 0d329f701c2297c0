/**
 * SimGAN on the wasm backend at tiny sizes (36x60x1 / 35x55x1, batch 4-8, 8 filters, 1 block):
 * shapes, one step of each kind with finite losses and no leaked tensors, the discriminator's
 * mini-batch makeup, every psi, the schedule of `step`, NaN errors, checkpoint state, and a
 * discriminator that learns to separate two easy distributions.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { PSI_NAMES } from "../../lib/losses/psi.ts";
import { buildEstimator, ESTIMATOR_DEFAULTS, saveEstimator } from "../../lib/gaze/estimator.ts";
import { buildNetwork } from "../../lib/nn/registry.ts";
import {
  type BatchSource,
  ImageStream,
  loadSimGAN,
  resolveSimganConfig,
  SimGAN,
  SIMGAN_DEFAULTS,
  SIMGAN_PRESETS,
  type SimGANOverrides,
} from "../../lib/methods/simgan/mod.ts";
import { SHAPE } from "./model_fixture.ts";
import { noisyImages } from "./noisy_images.ts";

await initBackend({ backend: "wasm" });

const TINY: SimGANOverrides = {
  batchSize: 8,
  refiner: { filters: 8, blocks: 1 },
  discriminator: { filters: [8, 8, 8, 8] },
  bufferSize: 32,
};

/** Images of constant value `level` plus uniform noise of half-width `noise`, in [-1, 1]. */
function images(n: number, level: number, seed: number, noise = 0.1, shape = SHAPE): tf.Tensor4D {
  return noisyImages(n, level, seed, { shape, noise });
}

/** A source of bright "real" and dark "synthetic" images. */
function easySource(): BatchSource & { asked: { real: number[]; synthetic: number[] } } {
  let k = 0;
  const asked = { real: [] as number[], synthetic: [] as number[] };
  return {
    asked,
    real: (n) => (asked.real.push(n), images(n, 0.7, ++k)),
    synthetic: (n) => (asked.synthetic.push(n), images(n, -0.7, ++k)),
  };
}

Deno.test("SimGAN: R keeps the image size, D gives a 9x14 (35x55) or 9x15 (36x60) map", () => {
  for (const [h, w, mh, mw] of [[35, 55, 9, 14], [36, 60, 9, 15]]) {
    const gan = SimGAN.create(TINY, { seed: 1, shape: { height: h, width: w, channels: 1 } });
    tf.tidy(() => {
      const x = images(2, 0, 1, 0.5, { height: h, width: w, channels: 1 });
      const r = gan.refine(x);
      assert.deepEqual(r.shape, [2, h, w, 1]);
      const v = r.dataSync();
      assert.ok(v.every((u) => u > -1 && u < 1), "tanh output");
      assert.deepEqual(gan.D.apply(r).shape, [2, mh, mw, 2]);
    });
    assert.equal(gan.R.params.namespace, "R");
    assert.equal(gan.D.params.namespace, "D");
    gan.dispose();
  }
});

Deno.test("SimGAN: refiner and discriminator steps give finite losses and leak no tensors", async () => {
  const gan = SimGAN.create(TINY, { seed: 2, shape: SHAPE });
  const x = images(8, -0.5, 1, 0.5), y = images(4, 0.5, 2, 0.5), xs = images(2, -0.5, 3, 0.5);
  // first calls create Adam's slots
  await gan.refinerStep(x);
  await gan.discriminatorStep(y, xs);
  const base = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const r = await gan.refinerStep(x);
    assert.deepEqual(Object.keys(r).sort(), ["loss_R", "loss_R_adv", "loss_R_reg"]);
    assert.ok(Object.values(r).every(Number.isFinite), JSON.stringify(r));
    assert.ok(Math.abs(r.loss_R - r.loss_R_adv - r.loss_R_reg) < 1e-5);
    const d = await gan.discriminatorStep(y, xs);
    assert.ok(Object.values(d).every(Number.isFinite), JSON.stringify(d));
    assert.ok(d.acc_real >= 0 && d.acc_real <= 1 && d.acc_refined >= 0 && d.acc_refined <= 1);
    const p = await gan.pretrainRefinerStep(x);
    assert.ok(Number.isFinite(p.loss_R_reg));
    assert.equal(tf.memory().numTensors, base, `step ${i}: tensors flat`);
  }
  tf.dispose([x, y, xs]);
  gan.dispose();
});

Deno.test("SimGAN: discriminator batch = real + current refined + history samples; buffer fills", async () => {
  const gan = SimGAN.create({ ...TINY, bufferSize: 10 }, { seed: 3, shape: SHAPE });
  const y = images(4, 0.5, 1), x = images(2, -0.5, 2);
  // empty buffer: no history part yet
  await gan.discriminatorStep(y, x);
  assert.deepEqual(gan.lastMakeup, { real: 4, current: 2, history: 0 });
  assert.equal(gan.history.size, 2);
  await gan.discriminatorStep(y, x);
  assert.deepEqual(gan.lastMakeup, { real: 4, current: 2, history: 2 });
  for (let i = 0; i < 4; i++) await gan.discriminatorStep(y, x);
  assert.equal(gan.history.size, 10, "full at capacity");
  await gan.discriminatorStep(y, x);
  assert.equal(gan.history.size, 10, "then entries are replaced");
  // pretraining: no history sampled, but the buffer is filled
  await gan.pretrainDiscriminatorStep(y, x);
  assert.deepEqual(gan.lastMakeup, { real: 4, current: 2, history: 0 });
  // stored images are the refiner's outputs on x
  const r = gan.refine(x);
  const stored = gan.history.get(gan.history.size - 1);
  assert.ok(stored.every((v) => v > -1 && v < 1));
  r.dispose();
  tf.dispose([y, x]);
  gan.dispose();
});

Deno.test("SimGAN.step: pretraining R, then D, then Kg refiner + Kd discriminator updates", async () => {
  const gan = SimGAN.create({
    ...TINY,
    pretrainRefinerSteps: 1,
    pretrainDiscriminatorSteps: 1,
    kG: 2,
    kD: 1,
  }, {
    seed: 4,
    shape: SHAPE,
  });
  const src = easySource();
  assert.deepEqual([0, 1, 2, 9].map((i) => gan.phase(i)), [
    "pretrain_R",
    "pretrain_D",
    "adversarial",
    "adversarial",
  ]);
  assert.deepEqual(Object.keys(await gan.step(0, src)), ["loss_R_reg"]);
  assert.deepEqual(src.asked, { real: [], synthetic: [8] });
  assert.deepEqual(Object.keys(await gan.step(1, src)).sort(), [
    "acc_real",
    "acc_refined",
    "loss_D",
  ]);
  assert.deepEqual(gan.lastMakeup, { real: 4, current: 4, history: 0 });
  const before = tf.memory().numTensors;
  const v = await gan.step(2, src);
  assert.deepEqual(Object.keys(v).sort(), [
    "acc_real",
    "acc_refined",
    "loss_D",
    "loss_R",
    "loss_R_adv",
    "loss_R_reg",
  ]);
  // B = 8: two refiner batches of 8, then D on 4 real, 2 current, 2 history
  assert.deepEqual(src.asked, { real: [4, 4], synthetic: [8, 4, 8, 8, 2] });
  assert.deepEqual(gan.lastMakeup, { real: 4, current: 2, history: 2 });
  await gan.step(3, src);
  assert.equal(tf.memory().numTensors, before, "source batches are disposed");
  gan.dispose();
});

Deno.test("SimGAN: every psi trains the refiner; 'features' leaves the frozen net unchanged", async () => {
  const net = buildNetwork("gaze_estimator", {
    height: 36,
    width: 60,
    widthMultiplier: 0.25,
    hidden: [8],
  }, {
    seed: 5,
    namespace: "E_simgan_test",
  });
  const frozen = net.params.variables().map((v) => v.dataSync().slice());
  const x = images(8, -0.3, 1, 0.6);
  for (const name of PSI_NAMES) {
    const gan = SimGAN.create({ ...TINY, psi: { name } }, {
      seed: 6,
      shape: SHAPE,
      featureNetwork: net,
    });
    const w0 = gan.R.params.get("conv_in/kernel").dataSync().slice();
    const p = await gan.pretrainRefinerStep(x);
    const r = await gan.refinerStep(x);
    assert.ok(Number.isFinite(p.loss_R_reg) && p.loss_R_reg > 0, `${name}: ${p.loss_R_reg}`);
    assert.ok(Number.isFinite(r.loss_R), name);
    assert.notDeepEqual(gan.R.params.get("conv_in/kernel").dataSync(), w0, `${name}: R trained`);
    gan.dispose();
  }
  net.params.variables().forEach((v, i) => assert.deepEqual(v.dataSync(), frozen[i], "E frozen"));
  assert.throws(
    () => SimGAN.create({ ...TINY, psi: { name: "features" } }, { seed: 6, shape: SHAPE }),
    /frozen network/,
  );
  x.dispose();
  net.dispose();
});

Deno.test("loadSimGAN: loads psi's estimator from psi.estimator and releases it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-simgan-" });
  try {
    const est = buildEstimator(
      { ...ESTIMATOR_DEFAULTS, widthMultiplier: 0.25, hidden: [8] },
      "E_save",
    );
    await saveEstimator(est, `${dir}/e.safetensors`);
    est.net.dispose();
    const base = tf.memory().numTensors;
    const psi = { name: "features" as const, layer: "conv2", estimator: `${dir}/e.safetensors` };
    const gan = await loadSimGAN({ ...TINY, psi }, { seed: 1, shape: SHAPE });
    const x = images(8, 0, 1, 0.5);
    assert.ok((await gan.pretrainRefinerStep(x)).loss_R_reg > 0);
    x.dispose();
    gan.dispose();
    assert.equal(tf.memory().numTensors, base, "R, D, Adam and the estimator released");
    await assert.rejects(
      () => loadSimGAN({ ...TINY, psi: { name: "features" } }, { seed: 1, shape: SHAPE }),
      /psi.estimator/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SimGAN: the discriminator learns to separate two easy distributions", async () => {
  const gan = SimGAN.create({ ...TINY, optimizer: { lr: 3e-3 } }, { seed: 7, shape: SHAPE });
  const src = easySource();
  const y = await src.real(4), x = await src.synthetic(2);
  try {
    const acc = (d: { acc_real: number; acc_refined: number }) => (d.acc_real + d.acc_refined) / 2;
    const first = await gan.discriminatorStep(y, x);
    let last = first;
    for (let i = 0; i < 20; i++) last = await gan.discriminatorStep(y, x);
    assert.ok(last.loss_D < first.loss_D - 0.1, `loss ${first.loss_D} -> ${last.loss_D}`);
    assert.ok(acc(last) > 0.8 && acc(last) > acc(first), `accuracy ${acc(first)} -> ${acc(last)}`);
  } finally {
    tf.dispose([y, x]);
    gan.dispose();
  }
});

Deno.test("SimGAN: a NaN loss is an error naming the loss and the step", async () => {
  const gan = SimGAN.create({ ...TINY, pretrainRefinerSteps: 5 }, { seed: 8, shape: SHAPE });
  const bad: BatchSource = {
    real: (n) => images(n, 0, 1),
    synthetic: (n) => tf.fill([n, 36, 60, 1], NaN) as tf.Tensor4D,
  };
  try {
    await assert.rejects(
      () => gan.step(0, bad),
      /SimGAN step 1 \(pretrain_R\), refiner update 1: loss_R_reg is NaN/,
    );
  } finally {
    gan.dispose();
  }
});

Deno.test("SimGAN: extra state (history, counters) round-trips; two models with other namespaces", async () => {
  const a = SimGAN.create(TINY, { seed: 9, shape: SHAPE });
  const y = images(4, 0.5, 1), x = images(2, -0.5, 2);
  for (let i = 0; i < 3; i++) await a.discriminatorStep(y, x);
  const saved = a.extraState();
  assert.equal(saved.arrays.history.length, 6 * 36 * 60);
  const b = SimGAN.create(TINY, { seed: 9, shape: SHAPE, namespaces: { R: "R2", D: "D2" } });
  b.restoreExtraState(saved.arrays, JSON.parse(JSON.stringify(saved.state)));
  assert.deepEqual(b.extraState().state, saved.state);
  assert.deepEqual(b.history.sample(4), a.history.sample(4));
  // same seed, same initial weights whatever the namespace (only D has been trained in a)
  assert.deepEqual(
    b.R.params.get("conv_in/kernel").dataSync(),
    a.R.params.get("conv_in/kernel").dataSync(),
  );
  assert.deepEqual(Object.keys(a.networks()), ["R", "D"]);
  assert.deepEqual(Object.keys(a.optimizers()), ["R", "D"]);
  tf.dispose([y, x]);
  a.dispose();
  b.dispose();
});

Deno.test("SimGAN config: defaults, presets and validation", () => {
  assert.deepEqual(resolveSimganConfig(), SIMGAN_DEFAULTS);
  for (const [name, preset] of Object.entries(SIMGAN_PRESETS)) {
    const { steps, ...rest } = preset;
    const cfg = resolveSimganConfig(rest);
    assert.ok(steps > cfg.pretrainRefinerSteps + cfg.pretrainDiscriminatorSteps, name);
  }
  const c = resolveSimganConfig({ refiner: { blocks: 2 }, lambda: 2 });
  assert.equal(c.refiner.filters, 64);
  assert.equal(c.refiner.blocks, 2);
  assert.equal(SIMGAN_DEFAULTS.refiner.blocks, 4, "defaults untouched");
  assert.throws(() => resolveSimganConfig({ batchSize: 6 }), /multiple of 4/);
  assert.throws(() => resolveSimganConfig({ lambda: -1 }), /lambda/);
  assert.throws(() => resolveSimganConfig({ psi: { name: "sobel" as "identity" } }), /psi.name/);
  assert.throws(
    () => resolveSimganConfig({ refiner: { depth: 3 } as object }),
    /unknown config key 'refiner.depth'/,
  );
  assert.throws(() => resolveSimganConfig({ lr: 1 } as object), /unknown config key 'lr'/);
  assert.throws(() => resolveSimganConfig({ kG: "2" as unknown as number }), /must be number/);
  assert.throws(() => resolveSimganConfig({ discriminator: { filters: [1, 2] } }), /4 widths/);
});

Deno.test("ImageStream: shuffled epochs, bytes mapped to [-1, 1], resumable position", () => {
  const per = 2 * 3;
  const bytes = new Uint8Array(5 * per);
  for (let k = 0; k < 5; k++) bytes.fill(k * 50, k * per, (k + 1) * per);
  const shape = { height: 2, width: 3, channels: 1 };
  const a = new ImageStream(bytes, shape, "s");
  const ids = (v: Float32Array) =>
    Array.from({ length: v.length / per }, (_, k) => Math.round((v[k * per] + 1) * 127.5 / 50));
  const epoch0 = ids(a.nextArray(3)).concat(ids(a.nextArray(2)));
  assert.deepEqual([...epoch0].sort(), [0, 1, 2, 3, 4], "each image once per epoch");
  const saved = a.state();
  assert.deepEqual(saved, { epoch: 0, offset: 5, count: 5 });
  const next = ids(a.nextArray(7)); // crosses into epoch 2
  const b = new ImageStream(bytes, shape, "s");
  b.restore(saved);
  assert.deepEqual(ids(b.nextArray(7)), next);
  assert.deepEqual(a.state(), { epoch: 2, offset: 2, count: 5 });
  const t = a.next(2);
  assert.deepEqual(t.shape, [2, 2, 3, 1]);
  t.dispose();
  assert.throws(() => new ImageStream(new Uint8Array(7), shape, 1), /not N >= 1 images/);
});

Deno.test("ImageStream: a position saved with a data set of another size is refused", () => {
  const per = 2 * 3;
  const shape = { height: 2, width: 3, channels: 1 };
  const five = new ImageStream(new Uint8Array(5 * per), shape, "s");
  five.nextArray(3);
  const saved = five.state();
  assert.deepEqual(saved, { epoch: 0, offset: 3, count: 5 });
  const six = new ImageStream(new Uint8Array(6 * per), shape, "s");
  six.nextArray(1);
  assert.throws(
    () => six.restore(saved),
    /saved position is for a data set of 5 images, this one has 6 \(was the data set changed/,
  );
  assert.deepEqual(six.state(), { epoch: 0, offset: 1, count: 6 }, "unchanged after the error");
  assert.throws(() => six.restore({ ...saved, count: 0 }), /bad state/);
  assert.throws(() => six.restore({ epoch: 0, offset: -1, count: 6 }), /bad state/);
  // a position without a count (checkpoints written before it was recorded) is not checked...
  six.restore({ epoch: 1, offset: 2 });
  assert.deepEqual(six.state(), { epoch: 1, offset: 2, count: 6 });
  // ...except that it must lie within the data set
  assert.throws(
    () => new ImageStream(new Uint8Array(2 * per), shape, "s").restore({ epoch: 0, offset: 3 }),
    /saved offset 3 is past the end of this data set of 2 images/,
  );
});
