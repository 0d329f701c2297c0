import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import { compareEvalSettings, type GazeEvalFile, readGazeEval } from "../../lib/eval/eval_file.ts";
import { estimatorCacheKey } from "../../lib/eval/estimator_cache.ts";
import { type EstimatorRole, runGazeProtocol } from "../../lib/eval/protocol.ts";
import {
  identityRefiner,
  importMethodModule,
  loadRefinerFromRun,
  quantiseImages,
  type Refiner,
  registeredRefinerMethods,
  registerRefinerLoader,
  writeRefinedDataset,
} from "../../lib/eval/refiner.ts";
import { ESTIMATOR_DEFAULTS } from "../../lib/gaze/estimator.ts";
import type { GazeErrorSummary } from "../../lib/gaze/metrics.ts";
import { UsageError } from "../../lib/util/cli.ts";
import { main, syntheticTestDir } from "../../tasks/eval_gaze.ts";
import { DEFAULT_DATA } from "../../lib/data/defaults.ts";

await initBackend({ backend: "wasm" });

/** Tiny settings: the whole protocol in a few seconds on two loaded cores. */
const TINY = {
  estimator: { steps: 30, widthMultiplier: 0.25, batchSize: 32, seed: 5 },
  kid: { subsets: 10, subsetSize: 32, seed: 1 },
  turing: { steps: 40, filters: [4, 8, 8] as [number, number, number], seed: 2 },
  realismLimit: 128,
  quiet: true,
};

async function withData(
  fn: (dir: string, data: Record<string, string>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-protocol-" });
  try {
    const data = {
      synthetic: `${dir}/syn-train`,
      syntheticTest: `${dir}/syn-test`,
      targetTrain: `${dir}/real-train`,
      targetTest: `${dir}/real-test`,
      real: `${dir}/real-unlabelled`,
    };
    await makeDataset(data.synthetic, { domain: "synthetic", n: 256, seed: 1 });
    await makeDataset(data.syntheticTest, { domain: "synthetic", n: 64, seed: 2, split: "test" });
    await makeDataset(data.targetTrain, { domain: "real", n: 256, seed: 3 });
    await makeDataset(data.targetTest, { domain: "real", n: 64, seed: 4, split: "test" });
    await makeDataset(data.real, { domain: "real", n: 64, seed: 5 });
    await fn(dir, data);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertFiniteSummary(s: GazeErrorSummary | undefined, what: string): void {
  assert.ok(s, `${what} present`);
  for (const v of [s.meanDeg, s.medianDeg, s.stdDeg, ...s.withinPct]) {
    assert.ok(Number.isFinite(v), `${what}: ${v} is finite`);
  }
}

Deno.test("protocol: identity refine = raw baseline; eval.json; cached baselines", async () => {
  await withData(async (dir, data) => {
    const before = tf.memory().numTensors;
    const trained: EstimatorRole[] = [];
    const cachedRoles: EstimatorRole[] = [];
    const onEstimator = (e: { role: EstimatorRole; cached: boolean }) =>
      (e.cached ? cachedRoles : trained).push(e.role);
    const options = {
      ...TINY,
      data: data as {
        synthetic: string;
        targetTrain: string;
        targetTest: string;
        real: string;
        syntheticTest: string;
      },
      cacheDir: `${dir}/cache`,
      onEstimator,
    };

    const first = await runGazeProtocol(identityRefiner(), { ...options, runDir: `${dir}/run1` });
    assert.deepEqual(trained, ["synthetic", "refined", "target"]);
    assert.deepEqual(cachedRoles, []);

    // eval.json on disk is what was returned; every number is finite.
    const onDisk = await readGazeEval(`${dir}/run1/eval.json`);
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(first)));
    assert.equal(first.format, "eyegan-gaze-eval/1");
    assert.deepEqual(first.image_size, { height: 36, width: 60, channels: 1 });
    assert.equal(first.estimator.steps, 30);
    assert.equal(first.estimator.seed, 5);
    assert.equal(first.data.refined.count, 256);
    // Recorded under its final place, not the staging folder it was written to.
    assert.equal(first.data.refined.dir, `${dir}/run1/refined`);
    assert.equal(first.gaze.refined.trained_on, `${dir}/run1/refined`);
    assert.equal(first.data.refined.clipped_fraction, 0);
    for (const role of ["synthetic", "refined", "target"] as const) {
      assertFiniteSummary(first.gaze[role]?.test_error, `gaze.${role}`);
      assert.equal(first.gaze[role]?.test_error.n, 64);
      assert.ok(Number.isFinite(first.gaze[role]!.final_loss));
    }
    const lp = first.label_preservation!;
    assertFiniteSummary(lp.train.refined, "lp.train.refined");
    assertFiniteSummary(lp.test?.refined, "lp.test.refined");
    assertFiniteSummary(lp.train.by_target?.refined, "lp.train.by_target.refined");
    assertFiniteSummary(lp.test?.by_target?.refined, "lp.test.by_target.refined");
    // (c) is another network than (a): its errors on the same raw images differ.
    assert.notDeepEqual(lp.train.by_target!.raw, lp.train.raw);
    const realism = first.realism!;
    // The classifier's real side is the held-out target test set (the GAN trains against the
    // target training set), and eval.json says so.
    assert.equal(realism.target.classifier_real_set, "target_test");
    assert.equal(realism.target.classifier_images, data.targetTest);
    assert.equal(realism.real!.classifier_real_set, "real");
    assert.equal(realism.features?.network, "target-estimator");
    assert.equal(realism.features?.cache_key, first.gaze.target?.cache_key);
    for (const against of [realism.target, realism.real!]) {
      for (const side of ["refined", "synthetic"] as const) {
        assert.ok(Number.isFinite(against.kid![side].mean));
        assert.ok(Number.isFinite(against.kid![side].std));
        const acc = against.classifier![side].accuracy;
        assert.ok(acc >= 0 && acc <= 1);
      }
    }

    // Identity: refined == raw synthetic, so (a) and (b) are the same estimator.
    assert.deepEqual(first.gaze.refined.test_error, first.gaze.synthetic.test_error);
    assert.equal(first.gaze.refined.final_loss, first.gaze.synthetic.final_loss);
    assert.deepEqual(realism.target.kid!.refined, realism.target.kid!.synthetic);
    assert.deepEqual(realism.real!.kid!.refined, realism.real!.kid!.synthetic);
    assert.deepEqual(realism.target.classifier!.refined, realism.target.classifier!.synthetic);
    assert.deepEqual(lp.train.refined, lp.train.raw);
    assert.deepEqual(lp.test!.refined, lp.test!.raw);
    assert.deepEqual(lp.train.by_target!.refined, lp.train.by_target!.raw);
    assert.deepEqual(lp.test!.by_target!.refined, lp.test!.by_target!.raw);
    // The refined data set holds the synthetic bytes and labels.
    const syn = await Dataset.open(data.synthetic);
    const ref = await Dataset.open(`${dir}/run1/refined`);
    assert.deepEqual(await ref.readAll("images"), await syn.readAll("images"));
    assert.deepEqual(await ref.readAll("gaze"), await syn.readAll("gaze"));
    assert.equal(ref.meta.domain, "refined");
    syn.close();
    ref.close();

    // Second evaluation: (a) and (c) come from the cache, only (b) is trained.
    trained.length = 0;
    const second = await runGazeProtocol(identityRefiner(), { ...options, runDir: `${dir}/run2` });
    assert.deepEqual(trained, ["refined"]);
    assert.deepEqual(cachedRoles, ["synthetic", "target"]);
    assert.ok(second.gaze.synthetic.cached && second.gaze.target!.cached);
    assert.ok(!second.gaze.refined.cached);
    assert.deepEqual(second.gaze.synthetic.test_error, first.gaze.synthetic.test_error);
    assert.deepEqual(second.gaze.target!.test_error, first.gaze.target!.test_error);
    assert.deepEqual(second.realism!.target.kid, first.realism!.target.kid);
    assert.deepEqual(compareEvalSettings(first, second), []);

    // A re-evaluation that fails after refining leaves the old eval.json and the refined/ it
    // describes untouched, and no staging folder behind.
    const evalBefore = await Deno.readTextFile(`${dir}/run1/eval.json`);
    const negate: Refiner = {
      name: "negate",
      refine: (x) => Promise.resolve(x.map((v) => -v)),
    };
    await assert.rejects(
      runGazeProtocol(negate, {
        ...options,
        runDir: `${dir}/run1`,
        onEstimator: (e) => {
          if (e.role === "synthetic") throw new Error("simulated failure after refining");
        },
      }),
      /simulated failure after refining/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/run1/eval.json`), evalBefore);
    {
      const syn = await Dataset.open(data.synthetic);
      const ref = await Dataset.open(`${dir}/run1/refined`);
      assert.deepEqual(await ref.readAll("images"), await syn.readAll("images"));
      assert.equal((ref.meta.refiner as { name: string }).name, "identity");
      syn.close();
      ref.close();
    }
    const runFiles = async () => {
      const names: string[] = [];
      for await (const e of Deno.readDir(`${dir}/run1`)) names.push(e.name);
      return names.sort();
    };
    assert.deepEqual(await runFiles(), ["eval.json", "refined"]);
    // One that succeeds replaces both (the old refined/ is deleted once eval.json is written).
    const redone = await runGazeProtocol(negate, {
      ...options,
      runDir: `${dir}/run1`,
      skip: { upperBound: true, labelPreservation: true, kid: true, classifier: true },
    });
    assert.deepEqual(
      await readGazeEval(`${dir}/run1/eval.json`),
      JSON.parse(JSON.stringify(redone)),
    );
    assert.equal(redone.refiner.name, "negate");
    {
      const ref = await Dataset.open(`${dir}/run1/refined`);
      assert.equal((ref.meta.refiner as { name: string }).name, "negate");
      ref.close();
    }
    assert.deepEqual(await runFiles(), ["eval.json", "refined"]);

    // Target KID features need the upper bound (checked before any work).
    await assert.rejects(
      runGazeProtocol(identityRefiner(), {
        ...options,
        runDir: `${dir}/run3`,
        skip: { upperBound: true },
        kidFeatures: "target",
      }),
      /need the upper bound/,
    );

    assert.equal(tf.memory().numTensors, before, "the protocol leaks no tensors");

    // The task, --identity, without the upper bound (KID features fall back to an untrained
    // estimator) and the classifier: (a) comes from the cache (same settings), (b) is trained.
    const code = await main([
      "--identity",
      "--out",
      `${dir}/task`,
      "--synthetic",
      data.synthetic,
      "--target-train",
      data.targetTrain,
      "--target-test",
      data.targetTest,
      "--steps",
      "30",
      "--width",
      "0.25",
      "--seed",
      "5",
      "--cache",
      `${dir}/cache`,
      "--skip-upper-bound",
      "--skip-classifier",
      "--realism-limit",
      "128",
      "--backend",
      "wasm",
      "--quiet",
    ]);
    assert.equal(code, 0);
    const fromTask = await readGazeEval(`${dir}/task/eval.json`);
    assert.ok(fromTask.gaze.synthetic.cached);
    assert.ok(!fromTask.gaze.refined.cached);
    assert.equal(fromTask.gaze.target, undefined);
    // Without (c) there is no label preservation by (c).
    assert.equal(fromTask.label_preservation!.train.by_target, undefined);
    assert.deepEqual(fromTask.skipped, ["upper_bound", "classifier"]);
    assert.deepEqual(fromTask.gaze.synthetic.test_error, first.gaze.synthetic.test_error);
    assert.deepEqual(fromTask.gaze.refined.test_error, first.gaze.synthetic.test_error);
    const taskRealism = fromTask.realism!;
    assert.equal(taskRealism.features!.network, "random-estimator");
    assert.equal(taskRealism.target.classifier, undefined);
    assert.equal(taskRealism.real, undefined);
    assert.deepEqual(taskRealism.target.kid!.refined, taskRealism.target.kid!.synthetic);
    const diffs = compareEvalSettings(first, fromTask);
    assert.ok(diffs.some((d) => d.startsWith("realism.features.network")), diffs.join("\n"));
    assert.ok(diffs.some((d) => d.startsWith("data.real.dir")), diffs.join("\n"));
    const html = await Deno.readTextFile(`${dir}/task/report.html`);
    assert.ok(html.includes("raw synthetic (a)") && html.includes("refined: identity (b)"));
    await assert.rejects(
      main(["--out", `${dir}/x`]),
      /exactly one of --refiner RUN and --identity/,
    );
    // Target KID features contradict --skip-upper-bound: a usage error (exit 2), found before
    // the backend starts or any data set is read.
    await assert.rejects(
      main([
        "--identity",
        "--out",
        `${dir}/y`,
        "--synthetic",
        `${dir}/missing`,
        "--kid-features",
        "target",
        "--skip-upper-bound",
      ]),
      (e: Error) => e instanceof UsageError && /--kid-features target/.test(e.message),
    );
    assert.equal(await Deno.stat(`${dir}/y`).then(() => true, () => false), false);
  });
});

Deno.test("protocol: data sets of different sizes are refused before any training", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-protocol-" });
  try {
    await makeDataset(`${dir}/syn`, { domain: "synthetic", n: 16, seed: 1 });
    await makeDataset(`${dir}/real`, { domain: "real", n: 16, seed: 2 });
    await makeDataset(`${dir}/small`, { domain: "real", n: 16, seed: 3, height: 24, width: 40 });
    let estimators = 0;
    const run = (data: Record<string, string>) =>
      runGazeProtocol(identityRefiner(), {
        ...TINY,
        runDir: `${dir}/run`,
        cacheDir: false,
        data: {
          synthetic: `${dir}/syn`,
          targetTrain: `${dir}/real`,
          targetTest: `${dir}/real`,
          ...data,
        },
        onEstimator: () => estimators++,
      });
    await assert.rejects(
      run({ real: `${dir}/small` }),
      (e: Error) =>
        e instanceof RangeError && /differ in image size/.test(e.message) &&
        e.message.includes(`real ${dir}/small: 24x40x1`) &&
        e.message.includes(`synthetic ${dir}/syn: 36x60x1`),
    );
    await assert.rejects(run({ targetTest: `${dir}/small` }), /differ in image size/);
    await assert.rejects(run({ synthetic: `${dir}/missing` }), /synthetic data set: .*missing/);
    assert.equal(estimators, 0);
    assert.equal(await Deno.stat(`${dir}/run`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRefinedDataset: precomputed images, clipping, bad refiner output", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-protocol-" });
  try {
    await makeDataset(`${dir}/syn`, { domain: "synthetic", n: 10, seed: 1 });
    const syn = await Dataset.open(`${dir}/syn`);
    const per = 36 * 60;
    try {
      // Precomputed: all +2 (clipped to 1 = byte 255).
      const images = new Float32Array(10 * per).fill(2);
      const info = await writeRefinedDataset(syn, { name: "pre", images }, {
        out: `${dir}/ref`,
        batchSize: 3,
        quiet: true,
      });
      assert.equal(info.count, 10);
      assert.equal(info.clippedFraction, 1);
      const ref = await Dataset.open(`${dir}/ref`);
      assert.ok((await ref.readAll("images")).every((v) => v === 255));
      assert.deepEqual(await ref.readAll("gaze"), await syn.readAll("gaze"));
      assert.equal((ref.meta.refiner as { name: string }).name, "pre");
      ref.close();

      await assert.rejects(
        writeRefinedDataset(syn, { name: "short", images: new Float32Array(per) }, {
          out: `${dir}/bad`,
          quiet: true,
        }),
        /1 x 36x60x1|expected 10 x 36x60x1/,
      );
      const wrongLength: Refiner = {
        name: "wrong",
        refine: (x) => Promise.resolve(x.subarray(0, per)),
      };
      await assert.rejects(
        writeRefinedDataset(syn, wrongLength, { out: `${dir}/bad`, batchSize: 4, quiet: true }),
        /refiner 'wrong' returned 2160 values for 4 images/,
      );
      const nan: Refiner = {
        name: "nan",
        refine: (x) => {
          const y = x.slice();
          if (y.length > 2 * per) y[2 * per + 5] = NaN; // image 2 of the chunk
          return Promise.resolve(y);
        },
      };
      await assert.rejects(
        writeRefinedDataset(syn, nan, { out: `${dir}/bad`, batchSize: 4, quiet: true }),
        /refiner 'nan': refined image 2 has a non-finite value/,
      );
      assert.equal(await Deno.stat(`${dir}/bad`).then(() => true, () => false), false);
    } finally {
      syn.close();
    }
    // Unchanged values give unchanged bytes.
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const q = quantiseImages(Float32Array.from(bytes, (b) => b / 127.5 - 1));
    assert.deepEqual(q.bytes, bytes);
    assert.equal(q.clipped, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("refiner loaders: registered per method, clear error when none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-protocol-" });
  try {
    const writeConfig = (run: string, method: string) =>
      Deno.mkdir(run, { recursive: true }).then(() =>
        Deno.writeTextFile(
          `${run}/config.json`,
          JSON.stringify({
            format: "eyegan-run-config/1",
            method,
            preset: "quick",
            seed: 0,
            values: {},
            non_default: {},
          }),
        )
      );
    await writeConfig(`${dir}/a`, "toy-method");
    await writeConfig(`${dir}/b`, "nobody-registered-this");
    registerRefinerLoader(
      "toy-method",
      (runDir) =>
        Promise.resolve((x: Float32Array) => Promise.resolve(x.map((v) => -v).slice()))
          .then((fn) => {
            assert.equal(runDir, `${dir}/a`);
            return fn;
          }),
    );
    const r = await loadRefinerFromRun(`${dir}/a`);
    assert.equal(r.name, "toy-method");
    assert.deepEqual(r.source, { run: `${dir}/a`, method: "toy-method" });
    assert.deepEqual(
      await r.refine(new Float32Array([0.5, -1]), [1, 1, 2, 1]),
      new Float32Array([-0.5, 1]),
    );
    await assert.rejects(
      loadRefinerFromRun(`${dir}/b`),
      /no refiner loader is registered for method 'nobody-registered-this' \(registered: .*toy/,
    );
    await assert.rejects(loadRefinerFromRun(`${dir}/missing`), /no such run folder/);
    assert.throws(
      () => registerRefinerLoader("bad name", () => Promise.reject()),
      /bad method name/,
    );
    // A method's module registers its loader when imported; names without a module, or that
    // are not plain names, are left alone.
    await importMethodModule("simgan");
    assert.ok(registeredRefinerMethods().includes("simgan"));
    await importMethodModule("nobody-registered-this");
    await importMethodModule("../simgan");
    assert.ok(!registeredRefinerMethods().includes("nobody-registered-this"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("estimatorCacheKey: changes with the config and the data only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-protocol-" });
  try {
    await makeDataset(`${dir}/a`, { domain: "synthetic", n: 8, seed: 1 });
    await makeDataset(`${dir}/b`, { domain: "synthetic", n: 8, seed: 2 });
    const a = await Dataset.open(`${dir}/a`);
    const b = await Dataset.open(`${dir}/b`);
    const k1 = await estimatorCacheKey(a, { steps: 30, seed: 1 });
    const k2 = await estimatorCacheKey(a, { seed: 1, steps: 30 });
    const k3 = await estimatorCacheKey(a, { steps: 30, seed: 2 });
    const k4 = await estimatorCacheKey(b, { steps: 30, seed: 1 });
    // A missing setting is its default, in the key as in training.
    const k5 = await estimatorCacheKey(a, { steps: undefined, seed: 1 });
    const k6 = await estimatorCacheKey(a, { steps: ESTIMATOR_DEFAULTS.steps, seed: 1 });
    assert.equal(k5.key, k6.key);
    assert.equal(k5.material.config.steps, ESTIMATOR_DEFAULTS.steps);
    await assert.rejects(estimatorCacheKey(a, { steps: NaN }), /steps must be an integer >= 1/);
    assert.equal(k1.key, k2.key);
    assert.match(k1.key, /^[0-9a-f]{24}$/);
    assert.notEqual(k1.key, k3.key);
    assert.notEqual(k1.key, k4.key);
    assert.equal(k1.material.config.height, 36);
    assert.equal(k1.material.backend, "wasm");
    a.close();
    b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareEvalSettings lists differing settings only", () => {
  const base = {
    format: "eyegan-gaze-eval/1",
    image_size: { height: 36, width: 60, channels: 1 },
    data: {
      synthetic: { dir: "s", count: 10 },
      target_train: { dir: "t", count: 10 },
      target_test: { dir: "u", count: 5 },
      refined: { dir: "r1", count: 10 },
    },
    estimator: { steps: 600, seed: 0 },
    skipped: [],
    realism: { limit: 2000, target: {} },
    backend: { tfjs: "wasm" },
  } as unknown as GazeEvalFile;
  const other = structuredClone(base);
  (other.data.refined as { dir: string }).dir = "r2"; // each run's own refined set: not a setting
  assert.deepEqual(compareEvalSettings(base, other), []);
  other.estimator.steps = 300;
  other.data.target_test.dir = "v";
  assert.deepEqual(compareEvalSettings(base, other), [
    'data.target_test.dir: "u" vs "v"',
    "estimator.steps: 600 vs 300",
  ]);
  // A classifier against the target training set (files without the field) is not comparable
  // with one against the held-out test set.
  const classifier = { refined: { accuracy: 0.5 }, synthetic: { accuracy: 0.9 } };
  const legacy = structuredClone(base);
  (legacy.realism!.target as Record<string, unknown>).classifier = classifier;
  const current = structuredClone(legacy);
  current.realism!.target.classifier_real_set = "target_test";
  assert.deepEqual(compareEvalSettings(legacy, current), [
    'realism.target.classifier_real_set: "target_train" vs "target_test"',
  ]);
  assert.deepEqual(compareEvalSettings(current, structuredClone(current)), []);
});

Deno.test("eval-gaze: the held-out synthetic set defaults as in the training tasks", () => {
  // default synthetic set: its default held-out set, so a re-evaluated run keeps its images
  assert.equal(syntheticTestDir(DEFAULT_DATA.synthetic, undefined), DEFAULT_DATA.syntheticTest);
  assert.equal(syntheticTestDir(DEFAULT_DATA.synthetic, "none"), undefined);
  assert.equal(syntheticTestDir(DEFAULT_DATA.synthetic, "/d/held"), "/d/held");
  // another synthetic set: no held-out set unless named
  assert.equal(syntheticTestDir("/d/syn", undefined), undefined);
  assert.equal(syntheticTestDir("/d/syn", "/d/held"), "/d/held");
});
