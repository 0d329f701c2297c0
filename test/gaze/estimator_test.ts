import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import {
  evaluateEstimator,
  loadEstimator,
  predictDataset,
  saveEstimator,
  trainEstimator,
} from "../../lib/gaze/estimator.ts";
import { evaluateGaze } from "../../lib/gaze/metrics.ts";

await initBackend({ backend: "wasm" });

Deno.test("estimator: learns gaze from synthetic eyes, beats the mean-label baseline, saves and loads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-est-" });
  try {
    await makeDataset(`${dir}/train`, { domain: "synthetic", n: 512, seed: 1, split: "train" });
    await makeDataset(`${dir}/test`, { domain: "synthetic", n: 128, seed: 1, split: "test" });
    const train = await Dataset.open(`${dir}/train`);
    const test = await Dataset.open(`${dir}/test`);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const est = await trainEstimator(train, {
      steps: 150,
      batchSize: 32,
      widthMultiplier: 0.5,
      hidden: [128],
      seed: 3,
    }, { onStep: (s) => losses.push(s.loss) });
    const summary = await evaluateEstimator(est, test);

    // Baseline: always predict the mean training label.
    const trainGaze = (await train.readAll("gaze")) as Float32Array;
    const testGaze = (await test.readAll("gaze")) as Float32Array;
    const mean = [0, 0];
    for (let i = 0; i < trainGaze.length; i++) mean[i % 2] += trainGaze[i] / (trainGaze.length / 2);
    const constant = testGaze.map((_, i) => mean[i % 2]);
    const baseline = evaluateGaze(constant, testGaze);
    assert.equal(losses.length, 150);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(
      summary.meanDeg < 0.6 * baseline.meanDeg,
      `trained ${summary.meanDeg.toFixed(2)} deg vs mean-label ${baseline.meanDeg.toFixed(2)} deg`,
    );

    // Round trip through the weights file gives identical predictions.
    const path = `${dir}/e.safetensors`;
    await saveEstimator(est, path);
    const again = await loadEstimator(path, "E2");
    assert.deepEqual(await predictDataset(again, test), await predictDataset(est, test));
    again.net.dispose();
    est.net.dispose();
    assert.equal(tf.memory().numTensors, before, "training and evaluation leak no tensors");
    train.close();
    test.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("estimator: refuses a corrupt or missing weights file, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-est-" });
  try {
    await Deno.writeFile(`${dir}/bad.safetensors`, new Uint8Array([1, 2, 3]));
    await assert.rejects(loadEstimator(`${dir}/bad.safetensors`), /bad.safetensors: truncated/);
    await assert.rejects(
      loadEstimator(`${dir}/missing.safetensors`),
      /missing.safetensors: not found/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
