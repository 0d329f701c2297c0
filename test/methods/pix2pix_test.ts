/**
 * pix2pix on the wasm backend at tiny sizes (4 maps, 16x16 PatchGAN, batch 2): U-Net and
 * conditional PatchGAN shapes and structure at 36x60, 64 and 128 px, dropout on at test time and
 * keyed masks, the objective on tiny tensors against hand-computed values, one training step with
 * finite losses and no leaked tensors, the ablation settings, config resolution, the paired data
 * (map encodings, aligned streams), and an exact resume (dropout included) from a checkpoint.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import {
  checkPix2PixGeometry,
  discriminatorObjective,
  encodeMaps,
  generatorObjective,
  inputChannels,
  inputEncoder,
  MAP_CLASSES,
  PairStream,
  Pix2Pix,
  PIX2PIX_DEFAULTS,
  PIX2PIX_PRESETS,
  type Pix2PixOverrides,
  readPairs,
  resolvePix2PixConfig,
} from "../../lib/methods/pix2pix/mod.ts";
import type { PairedData, PairSource } from "../../lib/methods/pix2pix/data.ts";
import { restoreCheckpoint } from "../../lib/train/checkpoint.ts";
import { SetupError } from "../../lib/util/cli.ts";
import { checkpointThroughFile, SHAPE } from "./model_fixture.ts";
import { noisyImages } from "./noisy_images.ts";

await initBackend({ backend: "wasm" });

const TINY: Pix2PixOverrides = {
  batchSize: 2,
  generator: { filters: 4, maxFilters: 8 },
  discriminator: { filters: 4, receptiveField: 16 },
};

/** Images of constant value `level` plus uniform noise, in [-1, 1]. */
function images(n: number, level: number, seed: number, shape = SHAPE, noise = 0.3): tf.Tensor4D {
  return noisyImages(n, level, seed, { shape, noise });
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** x = y + 0.5 (clipped): a learnable pairing; batch k is the same for the same counter. */
function pairSource(shape = SHAPE): PairSource & { k: number } {
  const src = {
    k: 0,
    next: (n: number) => {
      const y = images(n, 0.2, 3000 + ++src.k, shape);
      const x = tf.tidy(() => tf.clipByValue(tf.sub(y, 0.5), -1, 1)) as tf.Tensor4D;
      return { x, y };
    },
  };
  return src;
}

Deno.test("pix2pix networks: U-Net keeps the size, conditional PatchGAN maps (36x60, 64, 128)", () => {
  const cases: [number, number, number, number, number, number, number][] = [
    // h, w, c, receptive field, map h, map w, auto depth
    [36, 60, 1, 34, 7, 13, 5],
    [64, 64, 3, 70, 6, 6, 6],
    [128, 128, 3, 70, 14, 14, 7],
  ];
  for (const [h, w, c, rf, mh, mw, depth] of cases) {
    const shape = { height: h, width: w, channels: c };
    const gan = Pix2Pix.create({ ...TINY, discriminator: { filters: 4, receptiveField: rf } }, {
      seed: 1,
      inChannels: c,
      shape,
    });
    const batch = h === 128 ? 1 : 2;
    tf.tidy(() => {
      const x = images(batch, 0, 1, shape, 0.9);
      const fake = gan.translate(x);
      assert.deepEqual(fake.shape, [batch, h, w, c]);
      assert.ok(fake.dataSync().every((v) => v > -1 && v < 1), "tanh output");
      // conditional: D sees [x, G(x)] on channels
      assert.deepEqual(gan.discriminate(x, fake).shape, [batch, mh, mw, 1]);
    });
    // the U-Net: d levels of 4x4 stride-2 convs, F, 2F, ... capped at maxFilters
    const names = gan.G.params.names();
    assert.ok(names.includes(`down${depth}/kernel`) && !names.includes(`down${depth + 1}/kernel`));
    assert.deepEqual(gan.G.params.get("down1/kernel").shape, [4, 4, c, 4]);
    assert.deepEqual(gan.G.params.get("down2/kernel").shape, [4, 4, 4, 8]);
    assert.deepEqual(gan.G.params.get("down3/kernel").shape, [4, 4, 8, 8], "capped at 8");
    // no norm on the outermost and innermost encoder levels, norm in between; skip concat: the
    // second-innermost decoder block takes 2 x 8 channels
    assert.ok(!names.some((n) => n.startsWith("down1_norm") || n.startsWith(`down${depth}_norm`)));
    assert.ok(names.includes("down2_norm/gamma") && names.includes("up2_norm/running_mean"));
    assert.deepEqual(gan.G.params.get(`up${depth - 1}/kernel`).shape, [4, 4, 8, 16]);
    assert.deepEqual(gan.G.params.get("up1/kernel").shape, [4, 4, c, 8]);
    assert.equal(gan.D.params.get("conv1/kernel").shape[2], 2 * c, "D input = C_x + C_y");
    gan.dispose();
  }
  // maps (one-hot, 6 channels) to gray; encoder-decoder without skips; unconditional D
  const maps = Pix2Pix.create({
    ...TINY,
    generator: { ...TINY.generator, skips: false },
    discriminator: { ...TINY.discriminator, conditional: false },
  }, { seed: 2, inChannels: MAP_CLASSES, shape: SHAPE });
  assert.deepEqual(maps.G.params.get("down1/kernel").shape, [4, 4, 6, 4]);
  assert.deepEqual(maps.G.params.get("up4/kernel").shape, [4, 4, 8, 8], "no skip concat");
  assert.equal(maps.D.params.get("conv1/kernel").shape[2], 1, "unconditional: y only");
  tf.tidy(() => {
    const x = tf.fill([2, 36, 60, 6], -1) as tf.Tensor4D;
    const fake = maps.translate(x);
    assert.deepEqual(fake.shape, [2, 36, 60, 1]);
    assert.deepEqual(maps.discriminate(x, fake).shape, [2, 16, 28, 1]);
  });
  maps.dispose();
  // PixelGAN: one logit per pixel
  const pixel = Pix2Pix.create({ ...TINY, discriminator: { filters: 4, receptiveField: 1 } }, {
    seed: 3,
    inChannels: 1,
    shape: SHAPE,
  });
  tf.tidy(() => {
    const x = images(1, 0, 2);
    assert.deepEqual(pixel.discriminate(x, x).shape, [1, 36, 60, 1]);
  });
  pixel.dispose();
});

Deno.test("pix2pix: dropout stays on at test time; masks are keyed", () => {
  const gan = Pix2Pix.create(TINY, { seed: 4, inChannels: 1, shape: SHAPE });
  const x = images(2, 0, 5, SHAPE, 0.9);
  const [a, b, k1, k2, k3] = [
    gan.translate(x),
    gan.translate(x),
    gan.translate(x, "k"),
    gan.translate(x, "k"),
    gan.translate(x, "other"),
  ];
  assert.ok(maxAbsDiff(a, b) > 1e-4, "two test-time calls differ: dropout is on");
  assert.equal(maxAbsDiff(k1, k2), 0, "the same key gives the same masks");
  assert.ok(maxAbsDiff(k1, k3) > 1e-4, "another key, other masks");
  tf.dispose([a, b, k1, k2, k3]);
  gan.dispose();
  const still = Pix2Pix.create(
    { ...TINY, generator: { ...TINY.generator, dropoutAtTest: false } },
    {
      seed: 4,
      inChannels: 1,
      shape: SHAPE,
    },
  );
  const [c, d] = [still.translate(x), still.translate(x)];
  assert.equal(maxAbsDiff(c, d), 0, "deterministic with dropoutAtTest false");
  tf.dispose([c, d, x]);
  still.dispose();
});

Deno.test("pix2pix objective on tiny tensors: hand-computed values", () => {
  tf.tidy(() => {
    const ln2 = Math.log(2);
    const bce1 = (l: number) => Math.max(l, 0) - l + Math.log1p(Math.exp(-Math.abs(l)));
    const bce0 = (l: number) => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
    const fake = tf.tensor4d([0.5, -0.5, 1, 0], [1, 2, 2, 1]);
    const y = tf.tensor4d([0, 0, 0.5, 0], [1, 2, 2, 1]);
    // |G(x) - y| = 0.5, 0.5, 0.5, 0 -> mean 0.375
    const v = (o: { adv: tf.Scalar; l1: tf.Scalar; weightedL1: tf.Scalar; total: tf.Scalar }) =>
      [o.adv, o.l1, o.weightedL1, o.total].map((t) => t.dataSync()[0]);
    const close = (got: number[], want: number[], what: string) =>
      got.forEach((g, i) =>
        assert.ok(Math.abs(g - want[i]) < 1e-5, `${what}[${i}]: ${g} vs ${want[i]}`)
      );
    /** G's objective on D's logits `d` (shape [1, 1, 2, 1]; undefined = no D) is `want`. */
    const gObjective = (
      d: [number, number] | undefined,
      options: Parameters<typeof generatorObjective>[3],
      want: number[],
      what: string,
    ) => {
      const logits = d === undefined ? undefined : tf.tensor4d(d, [1, 1, 2, 1]);
      close(v(generatorObjective(logits, fake, y, options)), want, what);
    };
    // logits 0 everywhere: BCE(0, 1) = ln 2; total = ln 2 + 100 x 0.375
    gObjective(
      [0, 0],
      { loss: "bce", weight: 1, lambdaL1: 100 },
      [ln2, 0.375, 37.5, ln2 + 37.5],
      "bce, w 1",
    );
    // logits 2, -1, weight 0.5: 0.5 x mean(BCE(2, 1), BCE(-1, 1)) = 0.5 x (0.126928 + 1.313262) / 2
    const want = 0.5 * (bce1(2) + bce1(-1)) / 2;
    assert.ok(Math.abs(want - 0.3600475) < 1e-6);
    gObjective(
      [2, -1],
      { loss: "bce", weight: 0.5, lambdaL1: 10 },
      [want, 0.375, 3.75, want + 3.75],
      "bce, w 0.5",
    );
    // LSGAN: E[(D - 1)^2] over 0.5, 1.5 = 0.25
    gObjective(
      [0.5, 1.5],
      { loss: "lsgan", weight: 1, lambdaL1: 0 },
      [0.25, 0.375, 0, 0.25],
      "lsgan, cGAN only",
    );
    // L1 only: the adversarial term is 0 whatever D says (and may be absent)
    gObjective(
      [5, 5],
      { loss: "bce", weight: 0, lambdaL1: 100 },
      [0, 0.375, 37.5, 37.5],
      "L1 only",
    );
    gObjective(undefined, { loss: "bce", weight: 1, lambdaL1: 2 }, [0, 0.375, 0.75, 0.75], "no D");
    // D, halved: 1/2 (BCE(2, 1) + BCE(-1, 0)) = 1/2 (0.126928 + 0.313262) = 0.220095
    const dBce = discriminatorObjective(tf.tensor1d([2]), tf.tensor1d([-1]), "bce").dataSync()[0];
    assert.ok(Math.abs(dBce - 0.5 * (bce1(2) + bce0(-1))) < 1e-6);
    assert.ok(Math.abs(dBce - 0.220095) < 1e-6, `${dBce}`);
    // 1/2 (BCE(0, 1) + BCE(0, 0)) = ln 2
    const d0 = discriminatorObjective(tf.zeros([2, 3, 3, 1]), tf.zeros([2, 3, 3, 1]), "bce");
    assert.ok(Math.abs(d0.dataSync()[0] - ln2) < 1e-6);
    // LSGAN: 1/2 (0.5 - 1)^2 + 1/2 (0.5 - 0)^2 = 0.25
    const dLs = discriminatorObjective(tf.tensor1d([0.5]), tf.tensor1d([0.5]), "lsgan");
    assert.ok(Math.abs(dLs.dataSync()[0] - 0.25) < 1e-6);
  });
});

Deno.test("pix2pix: the step's losses are the objective of D(x, G(x)) with the step's masks", async () => {
  const gan = Pix2Pix.create(TINY, { seed: 5, inChannels: 1, shape: SHAPE });
  const x = images(2, -0.4, 6), y = images(2, 0.3, 7);
  // the first G update draws its masks with key G:0: recompute its forward pass first
  const [dFake, fake, dReal] = tf.tidy(() => {
    const f = gan.G.apply(x, { training: true, noiseKey: "G:0" });
    return [gan.discriminate(x, f, true), f, gan.discriminate(x, y, true)];
  });
  const want = tf.tidy(() => generatorObjective(dFake, fake, y, gan.objective).total.dataSync()[0]);
  const g = await gan.generatorStep(x, y);
  assert.ok(Math.abs(g.loss_G - want) < 1e-4 * want, `${g.loss_G} vs ${want}`);
  assert.ok(Math.abs(g.loss_G - g.loss_G_adv - g.loss_L1) < 1e-4 * g.loss_G, "sum of terms");
  assert.ok(Math.abs(g.loss_L1 - 100 * g.l1) < 1e-4 * g.loss_L1, "lambda 100");
  // D's first update sees the G update's own (pre-update) G(x)
  const kept = gan.takeFake()!;
  assert.equal(maxAbsDiff(kept, fake), 0, "takeFake is the step's G(x)");
  assert.equal(gan.takeFake(), undefined, "taken once");
  const wantD = tf.tidy(() => discriminatorObjective(dReal, dFake, "bce").dataSync()[0]);
  const d = await gan.discriminatorStep(x, y, kept);
  assert.ok(Math.abs(d.loss_D - wantD) < 1e-5, `${d.loss_D} vs ${wantD}`);
  tf.dispose([dFake, fake, dReal, kept, x, y]);
  gan.dispose();
});

Deno.test("pix2pix: training steps give finite losses and leak no tensors (wasm)", async () => {
  const gan = Pix2Pix.create(TINY, { seed: 6, inChannels: 1, shape: SHAPE });
  const source = pairSource();
  await gan.step(0, source); // creates Adam's slots
  const base = tf.memory().numTensors;
  for (let i = 1; i < 4; i++) {
    const v = await gan.step(i, source);
    assert.deepEqual(
      Object.keys(v).sort(),
      ["l1", "loss_D", "loss_G", "loss_G_adv", "loss_L1", "lr"],
    );
    assert.ok(Object.values(v).every((n) => Number.isFinite(n) && n >= 0), JSON.stringify(v));
    assert.equal(tf.memory().numTensors, base, `step ${i}: tensors flat`);
  }
  assert.deepEqual(gan.extraState(), { updatesG: 4, updatesD: 4 });
  // without a given G(x), the D step translates x itself
  const { x, y } = await source.next(2);
  const d = await gan.discriminatorStep(x, y);
  assert.ok(Number.isFinite(d.loss_D));
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, base, "discriminatorStep alone leaks nothing");
  gan.dispose();
});

Deno.test("pix2pix ablations: L1 only trains no D, cGAN only, lsgan, instance norm, no skips", async () => {
  const source = pairSource();
  const l1Only = Pix2Pix.create({ ...TINY, adversarial: { weight: 0 } }, {
    seed: 7,
    inChannels: 1,
    shape: SHAPE,
  });
  const dBefore = await l1Only.D.params.getWeights();
  for (let i = 0; i < 2; i++) {
    const v = await l1Only.step(i, source);
    assert.ok(!("loss_D" in v), "no D update");
    assert.equal(v.loss_G_adv, 0);
    assert.ok(Math.abs(v.loss_G - v.loss_L1) < 1e-6);
  }
  const dAfter = await l1Only.D.params.getWeights();
  for (const [k, w] of Object.entries(dBefore)) assert.deepEqual(dAfter[k].data, w.data, k);
  assert.deepEqual(l1Only.extraState(), { updatesG: 2, updatesD: 0 });
  l1Only.dispose();
  const variants: Pix2PixOverrides[] = [
    { lambdaL1: 0 },
    { adversarial: { loss: "lsgan", weight: 1 } },
    {
      generator: { ...TINY.generator, norm: "instance", skips: false },
      discriminator: { ...TINY.discriminator, norm: "instance", conditional: false },
    },
    {
      discriminator: { filters: 4, receptiveField: 1 },
      generator: { ...TINY.generator, depth: 2 },
    },
  ];
  for (const v of variants) {
    const gan = Pix2Pix.create({ ...TINY, ...v }, { seed: 8, inChannels: 1, shape: SHAPE });
    const out = await gan.step(0, source);
    assert.ok(Object.values(out).every(Number.isFinite), JSON.stringify(v));
    if (v.lambdaL1 === 0) {
      assert.equal(out.loss_L1, 0);
      assert.ok(out.l1 > 0, "the raw L1 is still reported");
    }
    gan.dispose();
  }
});

Deno.test("pix2pix config: paper defaults, presets resolve, bad settings are errors", () => {
  const d = PIX2PIX_DEFAULTS;
  assert.equal(d.batchSize, 1);
  assert.deepEqual([d.generator.filters, d.generator.maxFilters, d.generator.dropout], [
    64,
    512,
    0.5,
  ]);
  assert.deepEqual([d.generator.skips, d.generator.dropoutAtTest, d.generator.norm], [
    true,
    true,
    "batch",
  ]);
  assert.deepEqual([d.discriminator.receptiveField, d.discriminator.conditional], [70, true]);
  assert.deepEqual([d.adversarial.loss, d.adversarial.weight, d.lambdaL1], ["bce", 1, 100]);
  assert.deepEqual([d.optimizer.lr, d.optimizer.beta1], [2e-4, 0.5]);
  for (const preset of Object.values(PIX2PIX_PRESETS)) {
    const { steps, ...values } = preset;
    const cfg = resolvePix2PixConfig(values);
    assert.equal(cfg.schedule.constantSteps + cfg.schedule.decaySteps, steps, "lr reaches 0");
  }
  const bad: [Pix2PixOverrides, RegExp][] = [
    [{ lambda: 1 } as Pix2PixOverrides, /unknown config key 'lambda'/],
    [{ generator: { width: 3 } } as Pix2PixOverrides, /generator.width/],
    [{ discriminator: { receptiveField: 50 } }, /receptiveField/],
    [{ adversarial: { loss: "wgan" as "bce" } }, /adversarial.loss/],
    [{ adversarial: { weight: 0 }, lambdaL1: 0 }, /both 0/],
    [{ lambdaL1: -1 }, /lambdaL1/],
    [{ generator: { dropout: 1 } }, /generator.dropout/],
    [{ batchSize: 0 }, /batchSize/],
    [{ generator: { skips: "no" as unknown as boolean } }, /must be boolean/],
  ];
  for (const [overrides, re] of bad) assert.throws(() => resolvePix2PixConfig(overrides), re);
  assert.throws(
    () => Pix2Pix.create(TINY, { seed: 1, inChannels: 0, shape: SHAPE }),
    /inChannels/,
  );
});

Deno.test("pix2pix geometry: a U-Net depth or a trained D that does not fit the images is refused", () => {
  const cfg = resolvePix2PixConfig(TINY);
  const at = (overrides: Pix2PixOverrides) => resolvePix2PixConfig({ ...TINY, ...overrides });
  // fits: the defaults (depth auto), the deepest U-Net and the biggest D for 36x60
  checkPix2PixGeometry(cfg, SHAPE);
  checkPix2PixGeometry(
    at({ generator: { depth: 6 }, discriminator: { receptiveField: 70 } }),
    SHAPE,
  );
  checkPix2PixGeometry(at({ discriminator: { receptiveField: 286 } }), { height: 96, width: 96 });
  const refused: [Pix2PixOverrides, RegExp][] = [
    [
      { generator: { depth: 9 } },
      /^--generator\.depth 9 does not fit the 36x60 images of --paired P: the U-Net would reflection-pad them to 512x512 .*up to 238.*use --generator\.depth of at most 6, or 0 \(auto: 5 for 36x60\)$/,
    ],
    [{ generator: { depth: 7 } }, /--generator\.depth 7 .*reflection-pad them to 128x128 /],
    [
      { discriminator: { receptiveField: 286 } },
      /^--discriminator\.receptiveField 286 does not fit the 36x60 images of --paired P: the 286x286 PatchGAN takes images of at least 96x96 .*use --discriminator\.receptiveField 1, 16, 34 or 70, which fit 36x60$/,
    ],
    [{ discriminator: { receptiveField: 142 } }, /receptiveField 142 .* at least 48x48/],
  ];
  for (const [overrides, re] of refused) {
    assert.throws(() => checkPix2PixGeometry(at(overrides), SHAPE, { data: "--paired P" }), (e) => {
      assert.ok(e instanceof SetupError, "a setup error: exit 2, no usage text");
      assert.match((e as Error).message, re);
      return true;
    });
  }
  // D is not checked when it is not trained (L1 only)
  checkPix2PixGeometry(
    at({ adversarial: { weight: 0 }, discriminator: { receptiveField: 286 } }),
    SHAPE,
  );
  // Pix2Pix.create refuses them too, before any variable is made
  const before = tf.memory().numTensors;
  const build = (overrides: Pix2PixOverrides) => () =>
    Pix2Pix.create({ ...TINY, ...overrides }, { seed: 1, inChannels: 1, shape: SHAPE });
  assert.throws(
    build({ generator: { ...TINY.generator, depth: 9 } }),
    /unet_generator: depth 9 pads 36x60 to 512x512 .*use depth of at most 6/,
  );
  assert.throws(
    build({ discriminator: { filters: 4, receptiveField: 286 } }),
    /patchgan_discriminator: input 36x60 is too small for the 286x286 PatchGAN/,
  );
  assert.equal(tf.memory().numTensors, before, "nothing left behind");
  const l1 = build({ adversarial: { weight: 0 }, discriminator: { receptiveField: 286 } })();
  l1.dispose();
});

Deno.test("pix2pix data: map encodings, input channels, aligned shuffled pairs, stream state", () => {
  const ids = Uint8Array.from([0, 1, 5, 2]);
  const onehot = encodeMaps(ids, "onehot");
  assert.equal(onehot.length, 4 * 6);
  assert.deepEqual([...onehot.subarray(12, 18)], [-1, -1, -1, -1, -1, 1], "class 5");
  assert.deepEqual([...encodeMaps(ids, "scaled")].map((v) => +v.toFixed(4)), [-1, -0.6, 1, -0.2]);
  assert.throws(() => encodeMaps(Uint8Array.from([6]), "onehot"), /not a class id/);
  assert.equal(inputChannels("twins", "onehot", 3), 3);
  assert.equal(inputChannels("maps", "onehot", 1), 6);
  assert.equal(inputChannels("maps", "scaled", 3), 1);
  // 5 pairs of 2x3x1 whose input byte i and target byte 10 + i name the pair
  const per = 6, n = 5;
  const data: PairedData = {
    inputs: Uint8Array.from({ length: n * per }, (_, j) => Math.floor(j / per)),
    targets: Uint8Array.from({ length: n * per }, (_, j) => 10 + Math.floor(j / per)),
    shape: { height: 2, width: 3, channels: 1 },
    inputChannels: 1,
    count: n,
  };
  const enc = inputEncoder("twins", "onehot");
  const a = new PairStream(data, enc, 9);
  const seen: number[] = [];
  for (let k = 0; k < 6; k++) {
    const { x, y } = a.nextArrays(2);
    for (let i = 0; i < 2; i++) {
      const xi = Math.round((x[i * per] + 1) * 127.5), yi = Math.round((y[i * per] + 1) * 127.5);
      assert.equal(yi, 10 + xi, "x and y from the same pair");
      seen.push(xi);
    }
  }
  assert.deepEqual([...seen.slice(0, 5)].sort(), [0, 1, 2, 3, 4], "epoch 0: each pair once");
  assert.deepEqual([...seen.slice(5, 10)].sort(), [0, 1, 2, 3, 4], "epoch 1: each pair once");
  assert.deepEqual(a.state(), { epoch: 2, offset: 2, count: 5 });
  const b = new PairStream(data, enc, 9);
  b.restore({ epoch: 1, offset: 3, count: 5 });
  const c = new PairStream(data, enc, 9);
  c.nextIndices(8);
  assert.deepEqual(b.nextIndices(4), c.nextIndices(4), "a restored position continues the order");
  assert.throws(() => b.restore({ epoch: 0, offset: 0, count: 6 }), /6 pairs/);
  assert.throws(() => b.restore({ epoch: -1, offset: 0, count: 5 }), /bad state/);
  const maps = new PairStream(
    { ...data, inputs: data.inputs.map((v) => v % 6) },
    inputEncoder("maps", "onehot"),
    1,
  );
  assert.equal(maps.inChannels, 6);
  const t = maps.next(3);
  assert.deepEqual([t.x.shape, t.y.shape], [[3, 2, 3, 6], [3, 2, 3, 1]]);
  tf.dispose([t.x, t.y]);
});

Deno.test("pix2pix: resumes exactly from a checkpoint, dropout masks included", async () => {
  const cfg: Pix2PixOverrides = { ...TINY, schedule: { constantSteps: 2, decaySteps: 4 } };
  const a = Pix2Pix.create(cfg, { seed: 10, inChannels: 1, shape: SHAPE });
  const source = pairSource();
  for (let i = 0; i < 3; i++) await a.step(i, source);
  const ckpt = await checkpointThroughFile({
    networks: a.networks(),
    optimizers: a.optimizers(),
    state: { pix2pix: a.extraState(), k: source.k },
  }, { method: "pix2pix", step: 3, seed: 10 });
  // meanwhile the live model's running dropout stream moves (test-time calls without a key)
  tf.tidy(() => void a.translate(tf.zeros([1, 36, 60, 1])));
  const next = await a.step(3, source);
  const weightsA = await a.G.params.getWeights();
  a.dispose();
  const b = Pix2Pix.create(cfg, { seed: 10, inChannels: 1, shape: SHAPE });
  const restored = await restoreCheckpoint(ckpt, {
    networks: b.networks(),
    optimizers: b.optimizers(),
  });
  const st = restored.state as { pix2pix: { updatesG: number; updatesD: number }; k: number };
  b.restoreExtraState(st.pix2pix);
  source.k = st.k;
  const again = await b.step(3, source);
  assert.deepEqual(again, next, "the same losses, bit for bit");
  const weightsB = await b.G.params.getWeights();
  for (const [k, w] of Object.entries(weightsA)) assert.deepEqual(weightsB[k].data, w.data, k);
  assert.throws(() => b.restoreExtraState({ updatesG: -1, updatesD: 0 }), /cannot restore/);
  b.dispose();
});

Deno.test("pix2pix: a NaN loss is an error naming the step and the loss; no tensors leak", async () => {
  const before = tf.memory().numTensors;
  const gan = Pix2Pix.create(TINY, { seed: 11, inChannels: 1, shape: SHAPE });
  // step 1 is finite (it makes Adam's moments); step 2's twins are NaN
  let calls = 0;
  const source: PairSource = {
    next: (n) => ({
      x: images(n, 0, 1),
      y: ++calls === 1 ? images(n, 0, 2) : tf.fill([n, 36, 60, 1], NaN) as tf.Tensor4D,
    }),
  };
  await gan.step(0, source);
  const live = tf.memory().numTensors;
  await assert.rejects(() => gan.step(1, source), /pix2pix step 2, generator update 2: loss_/);
  assert.equal(tf.memory().numTensors, live, "the failed step leaks no tensors (nor a kept G(x))");
  assert.equal(gan.takeFake(), undefined, "no G(x) is left pending");
  const bad = { x: images(2, 0, 1), y: images(2, 0, 2, { height: 36, width: 60, channels: 3 }) };
  await assert.rejects(() => gan.generatorStep(bad.x, bad.y), /expected x \[B, 36, 60, 1\]/);
  tf.dispose([bad.x, bad.y]);
  assert.equal(tf.memory().numTensors, live, "the refused batch leaks nothing either");
  gan.dispose();
  assert.equal(tf.memory().numTensors, before, "dispose frees the networks and both Adams");
});

Deno.test("readPairs: every map's class ids are checked once, naming the pair, pixel and value", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-pix2pix-maps-" });
  try {
    const dir = `${root}/pairs`;
    await makeDataset(dir, { domain: "paired", n: 6, seed: 1, split: "test" });
    const all = await readPairs(dir, "maps");
    assert.equal(all.count, 6);
    assert.equal(all.inputChannels, 1);
    // the first pairs only
    const per = 36 * 60;
    const first = await readPairs(dir, "maps", "--pairedTest", { limit: 2 });
    assert.equal(first.count, 2);
    assert.deepEqual(first.inputs, all.inputs.subarray(0, 2 * per));
    assert.deepEqual(first.targets, all.targets.subarray(0, 2 * per));
    // id 9 in pair 4 at row 7, column 11 (NPY 1.0: the data follow the 10 + header_len bytes)
    const file = `${dir}/maps.npy`;
    const bytes = await Deno.readFile(file);
    const headerLen = bytes[8] | (bytes[9] << 8);
    bytes[10 + headerLen + 4 * per + 7 * 60 + 11] = 9;
    await Deno.writeFile(file, bytes);
    await assert.rejects(() => readPairs(dir, "maps"), (e: unknown) => {
      assert.ok(e instanceof SetupError, `a SetupError (exit 2), got ${e}`);
      assert.match(
        e.message,
        /^--paired .*\/pairs: maps\.npy of pair 4 holds 9 at row 7, column 11, which is not a class id \(0\.\.5: skin/,
      );
      return true;
    });
    // pairs before the bad one are fine, and twins do not read the maps
    assert.equal((await readPairs(dir, "maps", "--paired", { limit: 4 })).count, 4);
    assert.equal((await readPairs(dir, "twins")).count, 6);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
