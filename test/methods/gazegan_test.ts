/**
 * GazeGAN on the wasm backend at tiny sizes (CycleGAN's tiny networks plus a tiny untrained
 * gaze estimator at 36x60x1): defaults, one training step with finite losses including
 * `loss_gaze` and no leaked tensors, E frozen (its weights unchanged, its variables in no
 * optimiser and not trainable), both distances and estimator outputs, and loading E from a file.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import {
  buildEstimator,
  type Estimator,
  ESTIMATOR_DEFAULTS,
  saveEstimator,
} from "../../lib/gaze/estimator.ts";
import {
  GazeGAN,
  GAZEGAN_DEFAULTS,
  GAZEGAN_PRESETS,
  type GazeGANOverrides,
  loadGazeGAN,
  resolveGazeganConfig,
} from "../../lib/methods/gazegan/mod.ts";
import type { BatchSource } from "../../lib/methods/simgan/model.ts";
import { SHAPE } from "./model_fixture.ts";
import { noisyImages } from "./noisy_images.ts";

await initBackend({ backend: "wasm" });

const TINY: GazeGANOverrides = {
  batchSize: 2,
  generator: { filters: 4, blocks: 1 },
  discriminator: { filters: 4, receptiveField: 16 },
  poolSize: 4,
};

/** A tiny untrained estimator at 36x60x1 (namespace `E_<target>`). */
function tinyEstimator(target: "pitchyaw" | "vector" = "pitchyaw"): Estimator {
  return buildEstimator(
    { ...ESTIMATOR_DEFAULTS, ...SHAPE, target, widthMultiplier: 0.125, hidden: [16], seed: 3 },
    `E_${target}`,
  );
}

function images(n: number, level: number, seed: number): tf.Tensor4D {
  return noisyImages(n, level, seed, { shape: { height: 36, width: 60, channels: 1 }, noise: 0.3 });
}

function source(): BatchSource {
  let k = 0;
  return { synthetic: (n) => images(n, -0.4, ++k), real: (n) => images(n, 0.4, 100 + ++k) };
}

/** Copies of every variable of E. */
function snapshot(est: Estimator): Float32Array[] {
  return est.net.params.variables().map((v) => v.dataSync().slice() as Float32Array);
}

Deno.test("GazeGAN config: LSGAN with generator targets 0.9, l2 gaze term weighted 25", () => {
  const d = GAZEGAN_DEFAULTS;
  assert.equal(d.adversarial.loss, "lsgan");
  assert.equal(d.adversarial.labelSmoothing, "generator");
  assert.equal(d.adversarial.smoothTo, 0.9);
  assert.deepEqual(d.gaze, { loss: "l2", weight: 25, estimator: "" });
  assert.deepEqual([d.lambdaCycle, d.poolSize, d.generator.blocks], [10, 50, 6]);
  for (const { steps: _, ...values } of Object.values(GAZEGAN_PRESETS)) {
    resolveGazeganConfig(values);
  }
  assert.throws(() => resolveGazeganConfig({ gaze: { loss: "l1" as "l2" } }), /gaze.loss/);
  assert.throws(() => resolveGazeganConfig({ gaze: { weight: -1 } }), /gaze.weight/);
  assert.throws(() => resolveGazeganConfig({ gaze: { lambda: 1 } } as GazeGANOverrides), /gaze/);
});

Deno.test("GazeGAN: one step trains G, F, D_Y, D_X with finite losses; E stays frozen", async () => {
  const est = tinyEstimator();
  const eBefore = snapshot(est);
  const gan = GazeGAN.create(TINY, { seed: 1, shape: SHAPE, estimator: est });
  assert.ok(est.net.params.variables().every((v) => !v.trainable), "E marked non-trainable");
  assert.equal(est.net.trainableVariables().length, 0);
  const gBefore = gan.G.params.variables()[0].dataSync().slice();
  const src = source();
  await gan.step(0, src); // creates Adam's slots
  const base = tf.memory().numTensors;
  for (let i = 1; i < 3; i++) {
    const v = await gan.step(i, src);
    for (const k of ["loss_G_adv", "loss_F_adv", "loss_cyc", "loss_id", "loss_gaze", "loss_G"]) {
      assert.ok(Number.isFinite(v[k]) && v[k] >= 0, `${k}: ${v[k]}`);
    }
    assert.ok(Number.isFinite(v.loss_D_Y) && Number.isFinite(v.loss_D_X));
    assert.ok(v.loss_gaze > 0, "an untrained cycle moves E's gaze");
    const sum = v.loss_G_adv + v.loss_F_adv + v.loss_cyc + v.loss_id + v.loss_gaze;
    assert.ok(Math.abs(v.loss_G - sum) < 1e-4 * sum, "loss_gaze is part of loss_G");
    assert.equal(tf.memory().numTensors, base, `step ${i}: tensors flat`);
  }
  // G moved, E did not, and no optimiser has state for E's variables
  assert.notDeepEqual(gan.G.params.variables()[0].dataSync(), gBefore);
  snapshot(est).forEach((w, i) => assert.deepEqual(w, eBefore[i], `E variable ${i} unchanged`));
  for (const opt of [gan.optG, gan.optD]) {
    const names = (await opt.getWeights()).map((w) => (w.tensor.dispose(), w.name));
    assert.ok(names.some((n) => n.startsWith("G/")) || names.some((n) => n.startsWith("D_Y/")));
    assert.ok(!names.some((n) => n.startsWith("E_")), "E in no optimiser");
  }
  // even a variableGrads over all trainable variables computes nothing for E
  const x = images(1, -0.4, 7);
  const { value, grads } = tf.variableGrads(() =>
    tf.tidy(() => tf.sum(gan.estimateGaze(gan.cycle(x))) as tf.Scalar)
  );
  assert.ok(!Object.keys(grads).some((n) => n.startsWith("E_")));
  tf.dispose([x, value, ...Object.values(grads)]);
  assert.ok(!("E" in gan.checkpointPayload().networks), "E is not checkpointed");
  gan.dispose();
  est.net.dispose();
});

Deno.test("GazeGAN: generator target 0.9 at init, angular distance, vector estimator, weight 0", async () => {
  const x = images(2, -0.4, 11), y = images(2, 0.4, 12);
  for (const target of ["pitchyaw", "vector"] as const) {
    const est = tinyEstimator(target);
    const gan = GazeGAN.create(
      { ...TINY, lambdaCycle: 0, gaze: { loss: "angular" } },
      { seed: 2, shape: SHAPE, estimator: est },
    );
    assert.equal(gan.gazeOutput, target);
    // the generators aim at c = 0.9: loss_G_adv = E[(D_Y(G(x)) - 0.9)^2]
    const expected = tf.tidy(() =>
      tf.mean(tf.square(tf.sub(gan.D_Y.apply(gan.translate(x)), 0.9))).dataSync()[0]
    );
    const g = await gan.generatorStep(x, y);
    assert.ok(Math.abs(g.loss_G_adv - expected) < 1e-5, `${g.loss_G_adv} vs ${expected}`);
    assert.ok(Number.isFinite(g.loss_gaze) && g.loss_gaze >= 0, `${target}: ${g.loss_gaze}`);
    gan.dispose();
    est.net.dispose();
  }
  const est = tinyEstimator();
  const off = GazeGAN.create({ ...TINY, gaze: { weight: 0 } }, {
    seed: 3,
    shape: SHAPE,
    estimator: est,
  });
  const g = await off.generatorStep(x, y);
  assert.ok(!("loss_gaze" in g), "weight 0: no gaze term");
  off.dispose();
  assert.throws(
    () =>
      GazeGAN.create(TINY, {
        seed: 3,
        shape: { height: 64, width: 64, channels: 1 },
        estimator: est,
      }),
    /estimator takes 36x60x1 images, the data is 64x64x1/,
  );
  est.net.dispose();
  tf.dispose([x, y]);
});

Deno.test("loadGazeGAN: loads E from gaze.estimator, frozen, released by dispose", async () => {
  const est = tinyEstimator();
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await saveEstimator(est, path);
    const eWeights = snapshot(est);
    est.net.dispose();
    await assert.rejects(() => loadGazeGAN(TINY, { seed: 4, shape: SHAPE }), /gaze.estimator/);
    for (let round = 0; round < 2; round++) {
      // the second round reuses the namespace `gaze_E`: the first dispose released it
      const gan = await loadGazeGAN({ ...TINY, gaze: { estimator: path } }, {
        seed: 4,
        shape: SHAPE,
      });
      assert.equal(gan.E.net.params.namespace, "gaze_E");
      snapshot(gan.E).forEach((w, i) => assert.deepEqual(w, eWeights[i]));
      const v = await gan.step(0, source());
      assert.ok(Number.isFinite(v.loss_gaze));
      snapshot(gan.E).forEach((w, i) => assert.deepEqual(w, eWeights[i], "E unchanged"));
      gan.dispose();
    }
  } finally {
    await Deno.remove(path);
  }
});
