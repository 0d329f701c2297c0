/**
 * CycleGAN on the wasm backend at tiny sizes (4 maps, 1 block, 16x16 PatchGAN, batch 2): network
 * shapes at 36x60, 64 and 128 px, config resolution, one step of each kind with finite losses and
 * no leaked tensors, the adversarial codings, the image pools in the discriminator step, the
 * learning-rate schedule of `step`, and an exact resume from a checkpoint payload.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import {
  checkCycleGANGeometry,
  CycleGAN,
  CYCLEGAN_DEFAULTS,
  CYCLEGAN_PRESETS,
  type CycleGANOverrides,
  resolveCycleganConfig,
} from "../../lib/methods/cyclegan/mod.ts";
import type { BatchSource } from "../../lib/methods/simgan/model.ts";
import { restoreCheckpoint } from "../../lib/train/checkpoint.ts";
import { getLearningRate } from "../../lib/train/schedule.ts";
import { SetupError } from "../../lib/util/cli.ts";
import { checkpointThroughFile, SHAPE } from "./model_fixture.ts";
import { noisyImages } from "./noisy_images.ts";

await initBackend({ backend: "wasm" });

const TINY: CycleGANOverrides = {
  batchSize: 2,
  generator: { filters: 4, blocks: 1 },
  discriminator: { filters: 4, receptiveField: 16 },
  poolSize: 4,
};

/** Images of constant value `level` plus uniform noise of half-width `noise`, in [-1, 1]. */
function images(n: number, level: number, seed: number, shape = SHAPE, noise = 0.2): tf.Tensor4D {
  return noisyImages(n, level, seed, { shape, noise });
}

/** Dark "synthetic" and bright "real" images; batch k is the same for the same counter. */
function easySource(): BatchSource & { k: number } {
  const src = {
    k: 0,
    synthetic: (n: number) => images(n, -0.5, 1000 + ++src.k),
    real: (n: number) => images(n, 0.5, 2000 + ++src.k),
  };
  return src;
}

Deno.test("CycleGAN: G and F keep the size; D gives 7x13 (36x60, 34), 6x6 (64, 70), 14x14 (128, 70)", () => {
  const cases: [number, number, number, number, number, number][] = [
    // h, w, c, receptive field, map h, map w
    [36, 60, 1, 34, 7, 13],
    [64, 64, 3, 70, 6, 6],
    [128, 128, 3, 70, 14, 14],
  ];
  for (const [h, w, c, rf, mh, mw] of cases) {
    const batch = h === 128 ? 1 : 2;
    const gan = CycleGAN.create({ ...TINY, discriminator: { filters: 4, receptiveField: rf } }, {
      seed: 1,
      shape: { height: h, width: w, channels: c },
    });
    tf.tidy(() => {
      const x = images(batch, 0, 1, { height: h, width: w, channels: c }, 0.9);
      for (const out of [gan.translate(x), gan.translateBack(x), gan.cycle(x), gan.refine(x)]) {
        assert.deepEqual(out.shape, [batch, h, w, c]);
        assert.ok(out.dataSync().every((v) => v > -1 && v < 1), "tanh output");
      }
      assert.deepEqual(gan.D_Y.apply(x).shape, [batch, mh, mw, 1]);
      assert.deepEqual(gan.D_X.apply(x).shape, [batch, mh, mw, 1]);
    });
    assert.deepEqual(
      Object.values(gan.networks()).map((n) => n.params.namespace),
      ["G", "F", "D_Y", "D_X"],
    );
    gan.dispose();
  }
});

Deno.test("CycleGAN config: paper defaults, presets resolve, bad settings are errors", () => {
  const d = CYCLEGAN_DEFAULTS;
  assert.equal(d.batchSize, 1);
  assert.deepEqual([d.generator.filters, d.generator.blocks], [64, 6]);
  assert.equal(d.discriminator.receptiveField, 70);
  assert.equal(d.adversarial.loss, "lsgan");
  assert.deepEqual([d.lambdaCycle, d.lambdaIdentity, d.poolSize], [10, 0.5, 50]);
  assert.deepEqual([d.optimizer.lr, d.optimizer.beta1], [2e-4, 0.5]);
  for (const preset of Object.values(CYCLEGAN_PRESETS)) {
    const { steps, ...values } = preset;
    const cfg = resolveCycleganConfig(values);
    const { constantSteps, decaySteps } = cfg.schedule;
    assert.equal(constantSteps + decaySteps, steps, "the rate reaches 0 at the last step");
  }
  const bad: [CycleGANOverrides, RegExp][] = [
    [{ lambda: 1 } as CycleGANOverrides, /unknown config key 'lambda'/],
    [{ generator: { width: 3 } } as CycleGANOverrides, /generator.width/],
    [{ discriminator: { receptiveField: 50 } }, /receptiveField/],
    [{ adversarial: { loss: "wgan" as "bce" } }, /adversarial.loss/],
    [{ adversarial: { loss: "bce", a: -1 } }, /LSGAN's codes/],
    [{ lambdaCycle: -1 }, /lambdaCycle/],
    [{ batchSize: 0 }, /batchSize/],
    [{ poolSize: "50" as unknown as number }, /must be number/],
  ];
  for (const [overrides, re] of bad) assert.throws(() => resolveCycleganConfig(overrides), re);
});

Deno.test("CycleGAN geometry: downsamplings or a D that do not fit the images are refused", () => {
  const at = (overrides: CycleGANOverrides) => resolveCycleganConfig({ ...TINY, ...overrides });
  // fits: the defaults, the most downsamplings and the biggest D for 36x60
  checkCycleGANGeometry(CYCLEGAN_DEFAULTS, SHAPE);
  checkCycleGANGeometry(
    at({ generator: { downsamplings: 5 }, discriminator: { receptiveField: 70 } }),
    SHAPE,
  );
  checkCycleGANGeometry(at({ generator: { downsamplings: 6, blocks: 0 } }), SHAPE);
  const refused: [CycleGANOverrides, RegExp][] = [
    [
      { generator: { downsamplings: 6 } },
      /^--generator\.downsamplings 6 does not fit the 36x60 images of --source S: 6 stride-2 downsamplings bring 36x60 \(padded to 64x64\) down to 1x1 before the residual blocks.*; use --generator\.downsamplings of at most 5 \(6 with --generator\.blocks 0\)$/,
    ],
    [
      { generator: { downsamplings: 7, blocks: 0 } },
      /^--generator\.downsamplings 7 .*pad 36x60 to 128x128 .*; use --generator\.downsamplings of at most 6$/,
    ],
    [
      { discriminator: { receptiveField: 142 } },
      /^--discriminator\.receptiveField 142 does not fit the 36x60 images of --source S: .*at least 48x48.*1, 16, 34 or 70, which fit 36x60$/,
    ],
  ];
  for (const [overrides, re] of refused) {
    assert.throws(
      () => checkCycleGANGeometry(at(overrides), SHAPE, { data: "--source S" }),
      (e) => {
        assert.ok(e instanceof SetupError, "a setup error: exit 2, no usage text");
        assert.match((e as Error).message, re);
        return true;
      },
    );
  }
  // CycleGAN.create refuses them too, before any variable is made
  const before = tf.memory().numTensors;
  assert.throws(
    () => CycleGAN.create(at({ generator: { downsamplings: 6 } }), { seed: 1, shape: SHAPE }),
    /resnet_generator: 6 stride-2 downsamplings bring 36x60 .*use at most 5 downsamplings/,
  );
  assert.throws(
    () =>
      CycleGAN.create(at({ discriminator: { receptiveField: 286 } }), { seed: 1, shape: SHAPE }),
    /patchgan_discriminator: input 36x60 is too small for the 286x286 PatchGAN/,
  );
  assert.equal(tf.memory().numTensors, before, "nothing left behind");
});

Deno.test("CycleGAN: generator and discriminator steps give finite losses and leak no tensors", async () => {
  const gan = CycleGAN.create(TINY, { seed: 2, shape: SHAPE });
  const x = images(2, -0.5, 1), y = images(2, 0.5, 2);
  // first calls create Adam's slots
  await gan.generatorStep(x, y);
  await gan.discriminatorStep(x, y, { fakes: gan.takeFakes() });
  const base = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    const g = await gan.generatorStep(x, y);
    assert.deepEqual(
      Object.keys(g).sort(),
      ["loss_F_adv", "loss_G", "loss_G_adv", "loss_cyc", "loss_id"],
    );
    assert.ok(Object.values(g).every((v) => Number.isFinite(v) && v >= 0), JSON.stringify(g));
    const sum = g.loss_G_adv + g.loss_F_adv + g.loss_cyc + g.loss_id;
    assert.ok(Math.abs(g.loss_G - sum) < 1e-4 * sum, "loss_G is the sum of its terms");
    assert.ok(g.loss_id > 0, "identity term on by default");
    const d = await gan.discriminatorStep(x, y, { fakes: gan.takeFakes() });
    assert.deepEqual(Object.keys(d).sort(), ["loss_D_X", "loss_D_Y"]);
    assert.ok(Object.values(d).every((v) => Number.isFinite(v) && v >= 0), JSON.stringify(d));
    // without given fakes, the step translates x and y itself
    await gan.discriminatorStep(x, y);
    assert.equal(tf.memory().numTensors, base, `step ${i}: tensors flat`);
  }
  tf.dispose([x, y]);
  gan.dispose();
});

Deno.test("CycleGAN: identity off, batch norm (no concatenated passes), resize-conv ups", async () => {
  const variants: CycleGANOverrides[] = [
    { lambdaIdentity: 0 },
    {
      generator: { ...TINY.generator, norm: "batch" },
      discriminator: { ...TINY.discriminator, norm: "batch" },
    },
    { generator: { ...TINY.generator, upsample: "resize_conv" } },
  ];
  const x = images(2, -0.5, 3), y = images(2, 0.5, 4);
  for (const v of variants) {
    const gan = CycleGAN.create({ ...TINY, ...v }, { seed: 3, shape: SHAPE });
    const g = await gan.generatorStep(x, y);
    const d = await gan.discriminatorStep(x, y, { fakes: gan.takeFakes() });
    assert.ok(
      [...Object.values(g), ...Object.values(d)].every(Number.isFinite),
      JSON.stringify(v),
    );
    if (v.lambdaIdentity === 0) assert.equal(g.loss_id, 0);
    gan.dispose();
  }
  tf.dispose([x, y]);
});

Deno.test("CycleGAN: adversarial codings: G unhalved, D halved (lsgan a/b/c, bce)", async () => {
  const mse = (t: tf.Tensor, target: number) => tf.mean(tf.square(tf.sub(t, target)));
  const bce = (t: tf.Tensor, target: number) =>
    tf.mean(tf.sub(tf.add(tf.relu(t), tf.log1p(tf.exp(tf.neg(tf.abs(t))))), tf.mul(t, target)));
  const codings: [CycleGANOverrides["adversarial"], typeof mse, number, number, number][] = [
    // adversarial settings, per-element loss, a (fake), b (real), c (generator's target)
    [{}, mse, 0, 1, 1],
    [{ a: -1, b: 1, c: 0 }, mse, -1, 1, 0],
    [{ labelSmoothing: "real", smoothTo: 0.9 }, mse, 0, 0.9, 1],
    [{ loss: "bce" }, bce, 0, 1, 1],
    [{ loss: "bce", labelSmoothing: "generator", smoothTo: 0.9 }, bce, 0, 1, 0.9],
  ];
  const x = images(2, -0.5, 5), y = images(2, 0.5, 6);
  for (const [adversarial, loss, a, b, c] of codings) {
    const gan = CycleGAN.create({ ...TINY, lambdaCycle: 0, adversarial }, {
      seed: 4,
      shape: SHAPE,
    });
    const value = (t: tf.Tensor, target: number) => tf.tidy(() => loss(t, target).dataSync()[0]);
    const [dGx, dFy, dy, dx] = tf.tidy(() => [
      gan.D_Y.apply(gan.translate(x)),
      gan.D_X.apply(gan.translateBack(y)),
      gan.D_Y.apply(y),
      gan.D_X.apply(x),
    ]);
    const g = await gan.generatorStep(x, y);
    const label = JSON.stringify(adversarial);
    // E[l(D_Y(G(x)), c)], E[l(D_X(F(y)), c)] with the weights before the update
    assert.ok(Math.abs(g.loss_G_adv - value(dGx, c)) < 1e-5, `${label}: ${g.loss_G_adv}`);
    assert.ok(Math.abs(g.loss_F_adv - value(dFy, c)) < 1e-5, label);
    assert.equal(g.loss_cyc, 0);
    assert.equal(g.loss_id, 0, "identity weight is relative to lambda_cyc");
    // first D step (pools empty, D not yet updated): 1/2 E[l(D(y), b)] + 1/2 E[l(D(G(x)), a)]
    const d = await gan.discriminatorStep(x, y, { fakes: gan.takeFakes() });
    const wantY = 0.5 * value(dy, b) + 0.5 * value(dGx, a);
    const wantX = 0.5 * value(dx, b) + 0.5 * value(dFy, a);
    assert.ok(Math.abs(d.loss_D_Y - wantY) < 1e-5, `${label}: ${d.loss_D_Y} vs ${wantY}`);
    assert.ok(Math.abs(d.loss_D_X - wantX) < 1e-5, `${label}: ${d.loss_D_X} vs ${wantX}`);
    tf.dispose([dGx, dFy, dy, dx]);
    gan.dispose();
  }
  tf.dispose([x, y]);
});

Deno.test("CycleGAN: D sees the generator step's own (pre-update) images through the pools", async () => {
  const gan = CycleGAN.create({ ...TINY, poolSize: 3 }, { seed: 5, shape: SHAPE });
  const x = images(2, -0.5, 7), y = images(2, 0.5, 8);
  const before = gan.translate(x);
  const beforeData = before.dataSync().slice();
  before.dispose();
  await gan.generatorStep(x, y);
  const fakes = gan.takeFakes()!;
  assert.equal(gan.takeFakes(), undefined, "taken once");
  // G(x) as computed in the step, before G moved
  assert.ok(fakes.fakeY.every((v, i) => Math.abs(v - beforeData[i]) < 1e-5));
  assert.equal(fakes.fakeX.length, 2 * 36 * 60);
  // first D step: the pools were empty, both images go in and to D unchanged
  await gan.discriminatorStep(x, y, { fakes });
  assert.equal(gan.poolY.size, 2);
  assert.equal(gan.poolX.size, 2);
  assert.deepEqual(gan.poolY.get(0), fakes.fakeY.subarray(0, 2160));
  assert.deepEqual(gan.poolX.get(1), fakes.fakeX.subarray(2160));
  // then the pools fill to capacity (3) and swap from then on
  const marked = { fakeY: new Float32Array(4320).fill(0.25), fakeX: new Float32Array(4320) };
  await gan.discriminatorStep(x, y, { fakes: marked });
  assert.equal(gan.poolY.size, 3);
  for (let i = 0; i < 4; i++) await gan.discriminatorStep(x, y, { fakes: marked });
  const js = gan.poolY.state().json;
  assert.equal(js.size, 3);
  assert.equal(js.seen, 12);
  const stored = Array.from({ length: 3 }, (_, i) => gan.poolY.get(i)[0]);
  assert.ok(stored.filter((v) => v === 0.25).length >= 1, `some slots swapped: ${stored}`);
  tf.dispose([x, y]);
  gan.dispose();
  // pool size 0: images pass straight through, nothing is stored
  const noPool = CycleGAN.create({ ...TINY, poolSize: 0 }, { seed: 5, shape: SHAPE });
  const a = images(2, -0.5, 9), b = images(2, 0.5, 10);
  await noPool.discriminatorStep(a, b);
  assert.equal(noPool.poolY.size, 0);
  tf.dispose([a, b]);
  noPool.dispose();
});

Deno.test("CycleGAN: step follows the lr schedule and resumes exactly from a checkpoint", async () => {
  const cfg: CycleGANOverrides = { ...TINY, schedule: { constantSteps: 2, decaySteps: 4 } };
  const a = CycleGAN.create(cfg, { seed: 6, shape: SHAPE });
  const source = easySource();
  const lrs: number[] = [];
  let base = 0;
  for (let i = 0; i < 3; i++) {
    if (i === 1) base = tf.memory().numTensors;
    const v = await a.step(i, source);
    if (i > 1) assert.equal(tf.memory().numTensors, base, "step leaks no tensors");
    assert.ok(Object.values(v).every(Number.isFinite), JSON.stringify(v));
    lrs.push(v.lr);
    assert.equal(getLearningRate(a.optG), v.lr);
    assert.equal(getLearningRate(a.optD), v.lr);
  }
  assert.deepEqual(lrs, [2e-4, 2e-4, 2e-4]);
  assert.ok(Math.abs(a.learningRate(4) - 1e-4) < 1e-12);
  assert.equal(a.learningRate(6), 0);
  // checkpoint after 3 steps, through the file encoding
  const payload = a.checkpointPayload();
  assert.deepEqual(Object.keys(payload.networks), ["G", "F", "D_Y", "D_X"]);
  assert.deepEqual(Object.keys(payload.optimizers), ["generators", "discriminators"]);
  assert.equal(payload.arrays.pool_Y.length, 4 * 2160, "pool full: 4 images");
  const ckpt = await checkpointThroughFile(
    { ...payload, state: { cyclegan: payload.state, k: source.k } },
    { method: "cyclegan", step: 3, seed: 6 },
  );
  const poolsBefore = a.extraState();
  const next = await a.step(3, source);
  a.dispose();
  // a fresh model of the same run (seed: the pools' random streams) restored from the
  // checkpoint makes the same step
  const b = CycleGAN.create(cfg, { seed: 6, shape: SHAPE });
  const restored = await restoreCheckpoint(ckpt, {
    networks: b.networks(),
    optimizers: b.optimizers(),
  });
  const st = restored.state as { cyclegan: typeof payload.state; k: number };
  b.restoreExtraState(
    { pool_Y: restored.arrays.pool_Y.data, pool_X: restored.arrays.pool_X.data },
    JSON.parse(JSON.stringify(st.cyclegan)),
  );
  assert.deepEqual(b.extraState(), poolsBefore, "pools and counters restored");
  source.k = st.k;
  const again = await b.step(3, source);
  for (const [k, v] of Object.entries(next)) {
    assert.ok(
      Math.abs(again[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)),
      `${k}: ${again[k]} vs ${v}`,
    );
  }
  // a state that does not fit is refused and changes nothing
  const bad = structuredClone(st.cyclegan);
  bad.poolX.capacity = 7;
  assert.throws(
    () =>
      b.restoreExtraState(
        { pool_Y: restored.arrays.pool_Y.data, pool_X: restored.arrays.pool_X.data },
        bad,
      ),
    /cannot restore/,
  );
  assert.equal(b.poolY.state().json.seen, b.extraState().state.poolY.seen);
  b.dispose();
});

Deno.test("CycleGAN: a NaN loss is an error naming the step and the loss", async () => {
  const gan = CycleGAN.create(TINY, { seed: 7, shape: SHAPE });
  const source: BatchSource = {
    synthetic: (n) => tf.fill([n, 36, 60, 1], NaN) as tf.Tensor4D,
    real: (n) => images(n, 0.5, 11),
  };
  await assert.rejects(() => gan.step(0, source), /CycleGAN step 1, generator update 1: loss_/);
  gan.dispose();
});
