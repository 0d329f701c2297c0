import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import {
  type Estimator,
  ESTIMATOR_DEFAULTS,
  type EstimatorConfig,
  evaluateEstimator,
  loadEstimator,
  predictDataset,
  predictImages,
  resolveEstimatorConfig,
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

Deno.test("resolveEstimatorConfig: a missing setting keeps its default; bad ones are named", () => {
  const size = { height: 36, width: 60, channels: 1 };
  const cfg = resolveEstimatorConfig(size, {
    steps: undefined,
    batchSize: undefined,
    learningRate: undefined,
    seed: 4,
  });
  assert.deepEqual(cfg, { ...ESTIMATOR_DEFAULTS, ...size, seed: 4 });
  assert.equal(cfg.steps, ESTIMATOR_DEFAULTS.steps);
  assert.deepEqual(resolveEstimatorConfig({ height: 24, width: 40, channels: 3 }).height, 24);
  const bad: [Partial<EstimatorConfig>, RegExp][] = [
    [{ steps: NaN }, /steps must be an integer >= 1, got NaN/],
    [{ steps: 0 }, /steps must be an integer >= 1, got 0/],
    [{ steps: 2.5 }, /steps must be an integer >= 1/],
    [{ batchSize: 0 }, /batchSize must be an integer >= 1, got 0/],
    [{ batchSize: NaN }, /batchSize must be an integer >= 1/],
    [{ learningRate: 0 }, /learningRate must be a number > 0, got 0/],
    [{ learningRate: -1e-3 }, /learningRate must be a number > 0/],
    [{ learningRate: NaN }, /learningRate must be a number > 0, got NaN/],
    [{ widthMultiplier: 0 }, /widthMultiplier must be a number > 0/],
    [{ widthMultiplier: Infinity }, /widthMultiplier must be a number > 0/],
    [{ hidden: [0] }, /hidden must be a list of integers >= 1/],
    [{ seed: NaN }, /seed must be an integer/],
    [{ target: "angles" as "vector" }, /target must be 'pitchyaw' or 'vector'/],
  ];
  for (const [config, message] of bad) {
    assert.throws(
      () => resolveEstimatorConfig(size, config),
      (e: Error) => e instanceof RangeError && message.test(e.message),
      JSON.stringify(config),
    );
  }
});

Deno.test("trainEstimator: undefined settings keep their defaults, invalid ones fail before training", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-est-" });
  try {
    await makeDataset(`${dir}/train`, { domain: "synthetic", n: 16, seed: 1, split: "train" });
    const train = await Dataset.open(`${dir}/train`);
    try {
      const tiny = { widthMultiplier: 0.25, hidden: [8] };
      let steps = 0;
      const est = await trainEstimator(
        train,
        { ...tiny, steps: 2, batchSize: undefined, learningRate: undefined },
        { onStep: () => steps++ },
      );
      assert.equal(steps, 2);
      assert.equal(est.config.batchSize, ESTIMATOR_DEFAULTS.batchSize);
      assert.equal(est.config.learningRate, ESTIMATOR_DEFAULTS.learningRate);
      // A diverged network: the error names the image, the data set and the estimator.
      const weights = await est.net.params.getWeights();
      for (const w of Object.values(weights)) w.data.fill(NaN);
      est.net.params.setWeights(weights);
      await assert.rejects(
        predictDataset(est, train),
        new RegExp(
          `estimator output for image 0 is NaN \\(data set ${dir}/train, estimator 'E'\\)`,
        ),
      );
      est.net.dispose();
      const before = tf.memory().numTensors;
      await assert.rejects(
        trainEstimator(train, { ...tiny, steps: NaN }, { onStep: () => steps++ }),
        /estimator config: steps must be an integer >= 1, got NaN/,
      );
      await assert.rejects(trainEstimator(train, { ...tiny, batchSize: 0 }), /batchSize/);
      assert.equal(steps, 2, "no step was trained");
      assert.equal(tf.memory().numTensors, before);
    } finally {
      train.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictImages: a NaN or zero output names the image, the data set and the estimator", async () => {
  const size = { height: 4, width: 6, channels: 1 };
  /** An estimator whose network outputs `rows` whatever the images. */
  const fake = (target: "pitchyaw" | "vector", rows: number[][]): Estimator => ({
    config: resolveEstimatorConfig(size, { target }),
    net: {
      apply: (x: tf.Tensor4D) => {
        const i0 = fakeCalls++ * 2; // batches of 2 images
        return tf.tensor2d(rows.slice(i0, i0 + x.shape[0]));
      },
      params: { namespace: "E_fake" },
    } as unknown as Estimator["net"],
  });
  let fakeCalls = 0;
  const images = new Float32Array(5 * 24);
  const ok = await predictImages(
    fake("pitchyaw", [[0, 0], [0.1, 0.2], [0, 0], [0, 0], [0, 0]]),
    images,
    { batchSize: 2 },
  );
  assert.equal(ok[3], Math.fround(0.2));
  fakeCalls = 0;
  await assert.rejects(
    predictImages(
      fake("pitchyaw", [[0, 0], [0, 0], [0, 0], [NaN, 0], [0, 0]]),
      images,
      { batchSize: 2, source: "data/generated/x" },
    ),
    (e: Error) =>
      e instanceof RangeError &&
      /^estimator output for image 3 is NaN \(data set data\/generated\/x, estimator 'E_fake'\)$/
        .test(e.message),
  );
  fakeCalls = 0;
  await assert.rejects(
    predictImages(
      fake("vector", [[0, 0, -1], [0, 0, -1], [0, 0, -1], [0, 0, -1], [0, 0, 0]]),
      images,
      { batchSize: 2, first: 10 },
    ),
    /^RangeError: estimator output for image 14 is zero: a zero gaze vector has no direction \(estimator 'E_fake'\)$/,
  );
  // A zero (pitch, yaw) is a valid prediction: looking into the camera.
  fakeCalls = 0;
  const zeros = await predictImages(fake("pitchyaw", Array(5).fill([0, 0])), images, {
    batchSize: 2,
  });
  assert.ok(zeros.every((v) => v === 0));
});
