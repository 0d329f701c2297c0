import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import { TURING_DEFAULTS, visualTuringTest } from "../../lib/eval/turing.ts";

await initBackend({ backend: "wasm" });

// Small and quick: ~1-2 s per run on two loaded cores.
const QUICK = { steps: 150, filters: [8, 16, 32] as [number, number, number], seed: 1 };

async function withData(fn: (sets: Record<string, Dataset>) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-turing-" });
  const sets: Record<string, Dataset> = {};
  try {
    await makeDataset(`${dir}/syn`, { domain: "synthetic", n: 200, seed: 11 });
    await makeDataset(`${dir}/realA`, { domain: "real", n: 200, seed: 12 });
    await makeDataset(`${dir}/realB`, { domain: "real", n: 200, seed: 13 });
    for (const name of ["syn", "realA", "realB"]) sets[name] = await Dataset.open(`${dir}/${name}`);
    await fn(sets);
  } finally {
    for (const ds of Object.values(sets)) ds.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("visualTuringTest: ~50% on one distribution, > 90% on real vs synthetic, no leaks", async () => {
  await withData(async ({ syn, realA, realB }) => {
    const before = tf.memory().numTensors;
    const same = await visualTuringTest(realA, realB, QUICK);
    assert.equal(same.n, 100, "25% of 200 per side held out");
    assert.equal(same.nTrain, 300);
    // n = 100: standard error ~5%; allow 3 of them.
    assert.ok(Math.abs(same.accuracy - 0.5) < 0.15, `same distribution: ${same.accuracy}`);
    assert.ok(
      Math.abs(same.stdError - Math.sqrt(same.accuracy * (1 - same.accuracy) / 100)) < 1e-12,
    );

    const steps: number[] = [];
    const diff = await visualTuringTest(realA, syn, {
      ...QUICK,
      onStep: (s) => steps.push(s.loss),
    });
    assert.ok(diff.accuracy > 0.9, `real vs synthetic: ${diff.accuracy}`);
    assert.ok(diff.zScore > 4);
    assert.equal(steps.length, QUICK.steps);
    assert.ok(steps.every(Number.isFinite));
    assert.equal(diff.accuracy, (diff.accuracyReal + diff.accuracyRefined) / 2, "balanced classes");
    assert.equal(tf.memory().numTensors, before, "training and scoring leak no tensors");
  });
});

Deno.test("visualTuringTest: images vs inverted images from memory; seeded; checks inputs", async () => {
  await withData(async ({ realA }) => {
    const images = (await realA.readAll("images")) as Uint8Array;
    const data = Float32Array.from(images, (v) => v / 127.5 - 1);
    const inverted = data.map((v) => -v);
    const shape = [200, 36, 60, 1] as const;
    const r = await visualTuringTest({ data, shape }, { data: inverted, shape }, {
      ...QUICK,
      maxPerClass: 120,
    });
    assert.equal(r.n + r.nTrain, 240, "maxPerClass caps both sides");
    assert.ok(r.accuracy > 0.9, `inverted: ${r.accuracy}`);
    assert.equal(r.config.learningRate, TURING_DEFAULTS.learningRate);

    const tiny = { ...QUICK, steps: 3, maxPerClass: 40 };
    const a = await visualTuringTest({ data, shape }, realA, tiny);
    const b = await visualTuringTest({ data, shape }, realA, tiny);
    assert.deepEqual(a, b, "same seed, same result");

    await assert.rejects(
      () =>
        visualTuringTest({ data, shape }, {
          data: data.subarray(0, 200 * 36 * 59),
          shape: [200, 36, 59, 1],
        }),
      /real images are 36x60x1, refined 36x59x1/,
    );
    await assert.rejects(
      () => visualTuringTest({ data, shape: [3, 36, 60, 1] }, realA),
      /data has 432000 values/,
    );
    await assert.rejects(() => visualTuringTest(realA, realA, { testFraction: 1 }), /testFraction/);
  });
});
