import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import { buildEstimator, ESTIMATOR_DEFAULTS } from "../../lib/gaze/estimator.ts";
import { extractFeatures, kidOfImages } from "../../lib/eval/features.ts";
import { kid } from "../../lib/eval/kid.ts";
import { Rng } from "../../lib/util/random.ts";

await initBackend({ backend: "wasm" });

function randomImages(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * 36 * 60 }, () => rng.uniform(-1, 1));
}

Deno.test("extractFeatures: fc1 and pooled conv features, in chunks, from arrays and data sets, no leaks", async () => {
  const est = buildEstimator(
    { ...ESTIMATOR_DEFAULTS, widthMultiplier: 0.25, hidden: [64] },
    "Efeat",
  );
  const dir = await Deno.makeTempDir({ prefix: "eyegan-feat-" });
  try {
    const before = tf.memory().numTensors;
    const images = randomImages(10, 1);
    const fc = await extractFeatures(est, images, { batchSize: 4 });
    assert.deepEqual([fc.n, fc.d], [10, 16], "fc1: 64 * 0.25 units");
    const whole = await extractFeatures(est, images, { batchSize: 64 });
    fc.data.forEach((v, i) =>
      assert.ok(Math.abs(v - whole.data[i]) < 1e-4, "chunking changes nothing")
    );
    const pooled = await extractFeatures(est, images, { layer: "conv5", batchSize: 3 });
    assert.deepEqual([pooled.n, pooled.d], [10, 48], "conv5: 192 * 0.25 channels");
    // Global average pooling by hand for image 0.
    const manual = tf.tidy(() =>
      tf.mean(
        est.net.features(tf.tensor4d(images.subarray(0, 2160), [1, 36, 60, 1]), { layer: "conv5" }),
        [1, 2],
      )
    );
    const m = await manual.data();
    manual.dispose();
    m.forEach((v, i) => assert.ok(Math.abs(v - pooled.data[i]) < 1e-4));
    const flat = await extractFeatures(est.net, images, {
      layer: "pool2",
      pool: "flatten",
      limit: 2,
    });
    assert.equal(flat.n, 2);
    assert.equal(flat.d, est.net.flattenSize, "network config gives the image size");

    await makeDataset(`${dir}/real`, { domain: "real", n: 12, seed: 1 });
    const ds = await Dataset.open(`${dir}/real`);
    const fromDs = await extractFeatures(est, ds, { batchSize: 5, limit: 9 });
    assert.deepEqual([fromDs.n, fromDs.d], [9, 16]);
    const opts = { subsets: 3, subsetSize: 8, seed: 2 };
    const k = await kidOfImages(ds, images, { network: est, ...opts });
    const expected = kid(await extractFeatures(est, ds), fc, opts);
    assert.deepEqual(k.values, expected.values, "features of both sets, then kid");
    assert.equal(k.layer, "fc1");
    ds.close();
    assert.equal(tf.memory().numTensors, before, "no tensors leaked");

    await assert.rejects(
      () => extractFeatures(est, images.map((v) => v * 200)),
      /outside \[-1, 1\]/,
    );
    await assert.rejects(() => extractFeatures(est, images.subarray(0, 100)), /not N images/);
    const bare = { features: est.net.features };
    await assert.rejects(() => extractFeatures(bare, images), /pass imageShape/);
    const shaped = await extractFeatures(bare, images, { imageShape: [36, 60, 1], limit: 1 });
    assert.deepEqual(shaped.data, fc.data.subarray(0, 16));
    await assert.rejects(() => extractFeatures(est, images, { layer: "nope" }), /no layer 'nope'/);
    assert.equal(tf.memory().numTensors, before, "no tensors leaked on errors");
  } finally {
    est.net.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
