import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  buildNetwork,
  gradientsRegistered,
  NETWORK_DEFAULTS,
  NETWORK_NAMES,
  patchganFittingFields,
  patchganMinSize,
  patchganOutputSize,
  patchganReceptiveField,
  resnetMaxDownsamplings,
  resnetPadding,
  resnetSizeProblem,
  unetDepth,
  unetMaxDepth,
  unetPadding,
} from "../../lib/nn/mod.ts";
import { images, maxAbsDiff, useCpu } from "./_cpu.ts";

await useCpu();

type Shape4 = [number, number, number, number];
const SIZES: Shape4[] = [[2, 35, 55, 1], [2, 36, 60, 1], [1, 64, 64, 3], [1, 128, 128, 3]];

/** Runs `apply` at test time and returns the output shape, disposing everything. */
function outShape(net: { apply(x: tf.Tensor4D): tf.Tensor }, shape: Shape4): number[] {
  return tf.tidy(() => {
    const y = net.apply(images(shape));
    assert.ok(y.dataSync().every(Number.isFinite), "finite output");
    return y.shape;
  });
}

Deno.test("gradients are registered by lib/nn", () => {
  assert.ok(gradientsRegistered());
});

Deno.test("simgan_refiner: output has the input's shape at every size; paper defaults", () => {
  for (const shape of SIZES) {
    const R = buildNetwork("simgan_refiner", { channels: shape[3], filters: 8, blocks: 2 }, {
      seed: 1,
    });
    assert.deepEqual(outShape(R, shape), shape);
    R.dispose();
  }
  const paper = buildNetwork("simgan_refiner", {}, { seed: 1 });
  // 3x3x1x64 + 64, 4 blocks x 2 x (3x3x64x64 + 64), 1x1x64x1 + 1
  assert.equal(paper.params.count(), 640 + 8 * 36928 + 65);
  assert.deepEqual(paper.config, NETWORK_DEFAULTS.simgan_refiner);
  const y = paper.apply(images([1, 35, 55, 1]));
  assert.ok(y.dataSync().every((v) => v > -1 && v < 1), "tanh output");
  y.dispose();
  paper.dispose();
});

Deno.test("simgan_discriminator: [B, ceil(H/4), ceil(W/4), 2] logits", () => {
  const want: Record<string, number[]> = {
    "35x55": [9, 14],
    "36x60": [9, 15],
    "64x64": [16, 16],
    "128x128": [32, 32],
  };
  for (const shape of SIZES) {
    const D = buildNetwork("simgan_discriminator", {
      inChannels: shape[3],
      filters: [8, 8, 4, 4],
    }, { seed: 1 });
    assert.deepEqual(outShape(D, shape), [shape[0], ...want[`${shape[1]}x${shape[2]}`], 2]);
    D.dispose();
  }
});

Deno.test("resnet_generator: same-size output, padding for sizes not divisible by 4", () => {
  for (const upsample of ["transpose", "resize_conv"] as const) {
    for (const shape of SIZES) {
      const G = buildNetwork("resnet_generator", {
        inChannels: shape[3],
        outChannels: shape[3],
        filters: 4,
        blocks: 2,
        upsample,
      }, { seed: 1 });
      assert.deepEqual(outShape(G, shape), shape, `${upsample} ${shape}`);
      G.dispose();
    }
  }
  const strict = buildNetwork("resnet_generator", {
    inChannels: 1,
    outChannels: 1,
    filters: 4,
    blocks: 1,
    sizeMode: "error",
  }, { seed: 1 });
  assert.deepEqual(outShape(strict, [1, 36, 60, 1]), [1, 36, 60, 1]);
  assert.throws(() => outShape(strict, [1, 35, 55, 1]), /divisible by 4, got 35x55/);
  strict.dispose();
  // CycleGAN paper generator: c7s1-64, d128, d256, 6 x R256, u128, u64, c7s1-3
  const paper = buildNetwork("resnet_generator", {}, { seed: 1 });
  const convs = 7 * 7 * 3 * 64 + 64 + 3 * 3 * 64 * 128 + 128 + 3 * 3 * 128 * 256 + 256 +
    6 * 2 * (3 * 3 * 256 * 256 + 256) + 3 * 3 * 256 * 128 + 128 + 3 * 3 * 128 * 64 + 64 +
    7 * 7 * 64 * 3 + 3;
  assert.equal(paper.params.count(), convs, "instance norm without affine has no parameters");
  paper.dispose();
});

Deno.test("patchgan_discriminator: receptive fields and patch-map sizes", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(patchganReceptiveField), [1, 16, 34, 70, 142, 286]);
  const want: Record<number, Record<string, number[]>> = {
    70: { "35x55": [2, 4], "36x60": [2, 5], "64x64": [6, 6], "128x128": [14, 14] },
    16: { "35x55": [15, 25], "36x60": [16, 28], "64x64": [30, 30], "128x128": [62, 62] },
    1: { "35x55": [35, 55], "36x60": [36, 60], "64x64": [64, 64], "128x128": [128, 128] },
  };
  for (const rf of [70, 16, 1]) {
    for (const shape of SIZES) {
      const D = buildNetwork("patchgan_discriminator", {
        inChannels: shape[3],
        filters: 4,
        receptiveField: rf,
      }, { seed: 1 });
      const hw = want[rf][`${shape[1]}x${shape[2]}`];
      assert.deepEqual(outShape(D, shape), [shape[0], ...hw, 1], `rf ${rf} ${shape}`);
      D.dispose();
    }
  }
  // conditional D: input and output concatenated on channels
  const cond = buildNetwork("patchgan_discriminator", { inChannels: 6, filters: 4 }, { seed: 1 });
  assert.deepEqual(outShape(cond, [1, 64, 64, 6]), [1, 6, 6, 1]);
  assert.throws(() => outShape(cond, [1, 64, 64, 3]), /expected input \[B, H, W, 6\]/);
  cond.dispose();
  const big = buildNetwork("patchgan_discriminator", { filters: 2, receptiveField: 286 }, {
    seed: 1,
  });
  assert.throws(() => outShape(big, [1, 36, 60, 3]), /too small/);
  big.dispose();
  assert.throws(
    () => buildNetwork("patchgan_discriminator", { receptiveField: 50 }, { seed: 1 }),
    /receptiveField 50 not supported/,
  );
});

Deno.test("patchganOutputSize: the forward pass's patch map without tensors; too-small inputs named", () => {
  assert.deepEqual([1, 16, 34, 70, 142, 286].map(patchganMinSize), [1, 6, 12, 24, 48, 96]);
  assert.deepEqual(patchganFittingFields(36, 60), [1, 16, 34, 70]);
  assert.deepEqual(patchganFittingFields(256, 256), [1, 16, 34, 70, 142, 286]);
  assert.deepEqual(patchganFittingFields(5, 500), [1]);
  // against a built network's forward pass (1 map per layer, batch 1)
  const forward = (rf: number, h: number, w: number) => {
    const D = buildNetwork("patchgan_discriminator", {
      inChannels: 1,
      filters: 1,
      receptiveField: rf,
    }, { seed: 1 });
    try {
      return outShape(D, [1, h, w, 1]);
    } finally {
      D.dispose();
    }
  };
  const want: [number, number, number, number, number][] = [
    // receptive field, h, w, map h, map w
    [1, 36, 60, 36, 60],
    [16, 36, 60, 16, 28],
    [34, 36, 60, 7, 13],
    [70, 36, 60, 2, 5],
    [70, 256, 256, 30, 30],
    [142, 256, 256, 14, 14],
    [286, 256, 256, 6, 6],
    [70, 24, 24, 1, 1], // the smallest input of the 70x70 PatchGAN
    [286, 96, 97, 1, 1],
  ];
  for (const [rf, h, w, mh, mw] of want) {
    assert.deepEqual(patchganOutputSize(rf, h, w), { height: mh, width: mw }, `${rf} ${h}x${w}`);
    assert.deepEqual(forward(rf, h, w), [1, mh, mw, 1], `forward ${rf} ${h}x${w}`);
  }
  // too small: the same error from the pure function and the forward pass
  const cases: [number, number, number, RegExp][] = [
    [
      142,
      36,
      60,
      /input 36x60 is too small for the 142x142 PatchGAN \(down to 1x2 before conv_out/,
    ],
    [286, 36, 60, /input 36x60 is too small for the 286x286 PatchGAN \(down to 1x1 before conv6/],
    [70, 23, 60, /input 23x60 is too small .*\(down to 1x6 before conv_out/],
  ];
  for (const [rf, h, w, re] of cases) {
    assert.throws(() => patchganOutputSize(rf, h, w), re);
    assert.throws(() => forward(rf, h, w), re);
  }
  assert.throws(
    () => patchganOutputSize(286, 36, 60),
    /at least 96x96\); receptive fields that fit 36x60: 1, 16, 34, 70$/,
  );
  assert.throws(() => patchganOutputSize(50, 36, 60), /receptiveField 50 not supported/);
});

Deno.test("unet_generator: depth from size, same-size output, skips and plain variant", () => {
  assert.equal(unetDepth({ height: 128, width: 128, depth: "auto" }), 7);
  assert.equal(unetDepth({ height: 256, width: 256, depth: "auto" }), 8);
  assert.equal(unetDepth({ height: 64, width: 64, depth: "auto" }), 6);
  assert.equal(unetDepth({ height: 36, width: 60, depth: "auto" }), 5);
  for (const skips of [true, false]) {
    for (const shape of SIZES) {
      const G = buildNetwork("unet_generator", {
        inChannels: shape[3],
        outChannels: shape[3],
        height: shape[1],
        width: shape[2],
        filters: 4,
        maxFilters: 16,
        skips,
      }, { seed: 1 });
      assert.deepEqual(outShape(G, shape), shape, `skips ${skips} ${shape}`);
      if (shape[1] === 128) {
        // encoder widths 4, 8, 16 x 5; the plain variant has fewer decoder inputs
        const up2 = G.params.get("up2/kernel").shape;
        assert.deepEqual(up2, [4, 4, 4, skips ? 16 : 8]);
      }
      G.dispose();
    }
  }
  assert.throws(
    () => buildNetwork("unet_generator", { height: 36, width: 60, sizeMode: "error" }, { seed: 1 }),
    /depth 5 needs H and W divisible by 32/,
  );
  const small = buildNetwork("unet_generator", {
    inChannels: 1,
    outChannels: 1,
    height: 36,
    width: 60,
    depth: 2,
    sizeMode: "error",
    filters: 4,
  }, { seed: 1 });
  assert.deepEqual(outShape(small, [1, 36, 60, 1]), [1, 36, 60, 1]);
  assert.throws(() => outShape(small, [1, 64, 64, 1]), /built for 36x60/);
  small.dispose();
});

Deno.test("unet_generator: output linear drops the tanh (logits), same weights otherwise", () => {
  const cfg = {
    inChannels: 1,
    outChannels: 6,
    height: 36,
    width: 60,
    depth: 3,
    filters: 4,
    dropout: 0,
    norm: "instance" as const,
  };
  const tanhG = buildNetwork("unet_generator", cfg, { seed: 3 });
  const linG = buildNetwork("unet_generator", { ...cfg, output: "linear" }, { seed: 3 });
  const x = tf.randomUniform([2, 36, 60, 1], -1, 1, "float32", 5) as tf.Tensor4D;
  const a = tanhG.apply(x) as tf.Tensor, b = linG.apply(x) as tf.Tensor;
  assert.deepEqual(b.shape, [2, 36, 60, 6]);
  const diff = tf.max(tf.abs(tf.sub(a, tf.tanh(b)))).dataSync()[0];
  assert.ok(diff < 1e-5, `tanh(linear output) is the tanh output (${diff})`);
  assert.throws(
    () => buildNetwork("unet_generator", { ...cfg, output: "relu" as "linear" }, { seed: 4 }),
    /output must be "tanh" or "linear"/,
  );
  tf.dispose([x, a, b]);
  tanhG.dispose();
  linG.dispose();
});

Deno.test("unet_generator: reflection padding bounds the depth; a deeper one throws at build", () => {
  assert.equal(unetMaxDepth(36, 60), 6);
  assert.equal(unetMaxDepth(35, 55), 6);
  assert.equal(unetMaxDepth(256, 256), 9);
  assert.equal(unetMaxDepth(1, 60), 0);
  for (const [h, w] of [[36, 60], [35, 55], [256, 256], [2, 3]]) {
    assert.ok(unetDepth({ height: h, width: w, depth: "auto" }) <= unetMaxDepth(h, w), "auto fits");
  }
  assert.deepEqual(unetPadding({ height: 36, width: 60, depth: 5 }), [14, 14, 2, 2]);
  assert.deepEqual(unetPadding({ height: 36, width: 60, depth: 6 }), [14, 14, 2, 2]);
  assert.deepEqual(unetPadding({ height: 36, width: 60, depth: 2 }), [0, 0, 0, 0]);
  assert.throws(
    () => unetPadding({ height: 36, width: 60, depth: 7 }),
    /depth 7 pads 36x60 to 128x128 \(multiples of 2\^7 = 128\), which reflection padding cannot do.*up to 46.*use depth of at most 6, or "auto" \(5 for 36x60\)/,
  );
  assert.throws(
    () => unetPadding({ height: 36, width: 60, depth: 3, sizeMode: "error" }),
    /depth 3 needs H and W divisible by 8/,
  );
  const cfg = { inChannels: 1, outChannels: 1, height: 36, width: 60, filters: 1, maxFilters: 2 };
  // the deepest that fits runs (36x60 at 64x64 down to 1x1)
  const deepest = buildNetwork("unet_generator", { ...cfg, depth: 6 }, { seed: 1 });
  assert.deepEqual(outShape(deepest, [1, 36, 60, 1]), [1, 36, 60, 1]);
  deepest.dispose();
  // one deeper throws when built, before any variable is made
  const before = tf.memory().numTensors;
  for (const depth of [7, 9]) {
    assert.throws(
      () => buildNetwork("unet_generator", { ...cfg, depth }, { seed: 1 }),
      new RegExp(`unet_generator: depth ${depth} pads 36x60 .* use depth of at most 6`),
    );
  }
  assert.equal(tf.memory().numTensors, before, "nothing built");
});

Deno.test("resnet_generator: reflection padding and the residual blocks bound the downsamplings", () => {
  assert.equal(resnetMaxDownsamplings(36, 60, 6), 5);
  assert.equal(resnetMaxDownsamplings(36, 60, 0), 6);
  assert.equal(resnetMaxDownsamplings(256, 256, 9), 7);
  assert.equal(resnetMaxDownsamplings(256, 256, 0), 9);
  assert.equal(resnetMaxDownsamplings(2, 2, 1), -1);
  assert.deepEqual(resnetPadding({ downsamplings: 2, blocks: 6 }, 35, 55), [0, 1, 0, 1]);
  assert.equal(resnetSizeProblem({ downsamplings: 5, blocks: 6 }, 36, 60), undefined);
  assert.match(
    resnetSizeProblem({ downsamplings: 6, blocks: 6 }, 36, 60) ?? "",
    /^6 stride-2 downsamplings bring 36x60 \(padded to 64x64\) down to 1x1 before the residual blocks/,
  );
  assert.match(
    resnetSizeProblem({ downsamplings: 7, blocks: 0 }, 36, 60) ?? "",
    /^7 stride-2 downsamplings pad 36x60 to 128x128 .*up to 46/,
  );
  const G = (downsamplings: number, blocks: number) =>
    buildNetwork("resnet_generator", {
      inChannels: 1,
      outChannels: 1,
      filters: 1,
      downsamplings,
      blocks,
    }, { seed: 1 });
  // the limits are the forward pass's: the most that fit run, one more throws naming them
  const runs: [number, number][] = [[5, 1], [6, 0]];
  for (const [n, blocks] of runs) {
    const net = G(n, blocks);
    assert.deepEqual(outShape(net, [1, 36, 60, 1]), [1, 36, 60, 1], `n ${n} blocks ${blocks}`);
    net.dispose();
  }
  const fails: [number, number, RegExp][] = [
    [
      6,
      1,
      /down to 1x1 before the residual blocks.*use at most 5 downsamplings for 36x60 \(6 without residual blocks\)/,
    ],
    [7, 0, /pad 36x60 to 128x128.*use at most 6 downsamplings for 36x60$/],
  ];
  for (const [n, blocks, re] of fails) {
    const net = G(n, blocks);
    assert.throws(() => outShape(net, [1, 36, 60, 1]), re);
    assert.throws(() => resnetPadding({ downsamplings: n, blocks }, 36, 60), re);
    net.dispose();
  }
});

Deno.test("unet_generator: dropout stays on at test time when requested", () => {
  const cfg = { height: 64, width: 64, filters: 4, maxFilters: 8 } as const;
  const x = images([1, 64, 64, 3]);
  const noisy = buildNetwork("unet_generator", { ...cfg, dropoutAtTest: true }, { seed: 3 });
  const a = noisy.apply(x);
  const b = noisy.apply(x);
  assert.ok(maxAbsDiff(a, b) > 1e-6, "two test-time passes differ");
  const quiet = buildNetwork("unet_generator", { ...cfg, dropoutAtTest: false }, { seed: 3 });
  const c = quiet.apply(x);
  const d = quiet.apply(x);
  assert.equal(maxAbsDiff(c, d), 0, "deterministic without test-time dropout");
  const e = quiet.apply(x, { training: true });
  assert.ok(maxAbsDiff(c, e) > 1e-6, "training mode still drops");
  tf.dispose([x, a, b, c, d, e]);
  noisy.dispose();
  quiet.dispose();
});

Deno.test("gaze_estimator: paper sizes, extra pools for big images, features", () => {
  const paper = buildNetwork("gaze_estimator", {}, { seed: 1 });
  assert.equal(paper.flattenSize, 9600, "5 x 10 x 192 at 35x55, the paper's FC 9600");
  assert.deepEqual(paper.featureLayers, [
    "conv1",
    "conv2",
    "conv3",
    "pool1",
    "conv4",
    "conv5",
    "pool2",
    "fc1",
    "out",
  ]);
  paper.dispose();
  const want: Record<string, { flat: number; pool2: number[] }> = {
    "35x55": { flat: 5 * 10 * 8, pool2: [5, 10] },
    "36x60": { flat: 5 * 11 * 8, pool2: [5, 11] },
    "64x64": { flat: 6 * 6 * 8, pool2: [12, 12] },
    "128x128": { flat: 7 * 7 * 8, pool2: [28, 28] },
  };
  for (const shape of SIZES) {
    const [b, h, w, c] = shape;
    const E = buildNetwork("gaze_estimator", {
      height: h,
      width: w,
      inChannels: c,
      widthMultiplier: 1 / 24, // conv widths 1, 1, 3, 3, 8
      hidden: [240], // -> 10
      outputs: 2,
    }, { seed: 1 });
    const k = `${h}x${w}`;
    assert.equal(E.flattenSize, want[k].flat, k);
    assert.deepEqual(outShape(E, shape), [b, 2]);
    const x = images(shape);
    assert.deepEqual(E.features(x, { layer: "conv2" }).shape, [b, h - 4, w - 4, 1]);
    assert.deepEqual(E.features(x, { layer: "pool2" }).shape, [b, ...want[k].pool2, 8]);
    assert.deepEqual(E.features(x, { layer: "fc1" }).shape, [b, 10]);
    assert.throws(() => E.features(x, { layer: "fc9" }), /no layer 'fc9'/);
    E.dispose();
  }
  assert.throws(
    () => buildNetwork("gaze_estimator", { height: 12, width: 12 }, { seed: 1 }),
    /small/,
  );
});

Deno.test("buildNetwork: names and config keys are checked", () => {
  assert.equal(NETWORK_NAMES.length, 6);
  assert.throws(() => buildNetwork("nope" as "simgan_refiner", {}, { seed: 1 }), /unknown network/);
  assert.throws(
    () => buildNetwork("simgan_refiner", { filter: 3 } as never, { seed: 1 }),
    /unknown config key 'filter'/,
  );
  assert.throws(
    () => buildNetwork("simgan_refiner", { blocks: "4" } as never, { seed: 1 }),
    /'blocks' must be number/,
  );
});

Deno.test("networks: same seed -> same weights and outputs, different seed -> different", async () => {
  const cfg = { inChannels: 1, outChannels: 1, filters: 4, blocks: 1 };
  const a = buildNetwork("resnet_generator", cfg, { seed: 11 });
  const b = buildNetwork("resnet_generator", cfg, { seed: 11 });
  const c = buildNetwork("resnet_generator", cfg, { seed: 12 });
  const [wa, wb, wc] = await Promise.all([a, b, c].map((n) => n.params.getWeights()));
  assert.deepEqual(wa, wb);
  assert.notDeepEqual(wa["conv_in/kernel"].data, wc["conv_in/kernel"].data);
  const x = images([1, 36, 60, 1]);
  assert.equal(maxAbsDiff(a.apply(x), b.apply(x)), 0);
  // save/load: c with a's weights computes a's function
  c.params.setWeights(wa);
  assert.equal(maxAbsDiff(a.apply(x), c.apply(x)), 0);
  for (const n of [a, b, c]) n.dispose();
  x.dispose();
});

Deno.test("training steps: finite loss, every trainable weight moves, no tensor leak", () => {
  const x = images([2, 36, 60, 1]);
  const nets = [
    buildNetwork("simgan_refiner", { filters: 4, blocks: 1 }, { seed: 1 }),
    buildNetwork("resnet_generator", { inChannels: 1, outChannels: 1, filters: 4, blocks: 1 }, {
      seed: 1,
    }),
    buildNetwork("unet_generator", {
      inChannels: 1,
      outChannels: 1,
      height: 36,
      width: 60,
      filters: 4,
      maxFilters: 8,
    }, { seed: 1 }),
  ];
  for (const net of nets) {
    const opt = tf.train.adam(1e-3);
    const vars = net.trainableVariables();
    const before = vars.map((v) => v.dataSync().slice());
    const step = () => {
      const loss = tf.tidy(() =>
        opt.minimize(
          () => tf.mean(tf.abs(tf.sub(net.apply(x, { training: true }), x))) as tf.Scalar,
          true,
          vars,
        )!
      );
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    };
    assert.ok(Number.isFinite(step()), net.kind);
    const tensors = tf.memory().numTensors;
    step();
    assert.equal(tf.memory().numTensors, tensors, `${net.kind}: a step leaks no tensor`);
    vars.forEach((v, i) => {
      const moved = v.dataSync().some((e, j) => e !== before[i][j]);
      assert.ok(moved, `${net.kind}: ${v.name} was updated`);
    });
    opt.dispose();
    net.dispose();
  }
  x.dispose();
});
