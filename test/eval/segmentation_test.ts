/**
 * The segmentation score (`lib/eval/segmentation.ts`): the three numbers on hand-made maps
 * (absent classes included), the segmenter training on a tiny paired set and beating a constant
 * predictor, its cache, the paired evaluation's `segmentation` fields and settings, and
 * `eval-pairs`' segmentation flags.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import {
  checkPairedEvalTarget,
  formatPairedSummary,
  pairedEvalDifferences,
  pairedEvalSettings,
  plannedPairedEvalSettings,
  readPairedEval,
  refinerTranslator,
  runPairedEval,
} from "../../lib/eval/paired.ts";
import { identityRefiner } from "../../lib/eval/refiner.ts";
import {
  confusionMatrix,
  obtainSegmenter,
  segmentationScore,
  segmentationScores,
  segmenterCacheKey,
  segmentImages,
  trainSegmenter,
} from "../../lib/eval/segmentation.ts";
import { UsageError } from "../../lib/util/cli.ts";
import { main as pairsMain } from "../../tasks/eval_pairs.ts";
import { captured } from "../methods/task_fixture.ts";

await initBackend({ backend: "wasm" });

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

Deno.test("segmentation score: pixel, class accuracy and IoU on hand-made maps", () => {
  // perfect
  const t = Uint8Array.from([0, 0, 1, 2, 2, 2]);
  const perfect = segmentationScore(t, t, 3);
  assert.deepEqual(
    [perfect.pixel_accuracy, perfect.class_accuracy, perfect.class_iou, perfect.pixels],
    [1, 1, 1, 6],
  );
  // truth 0 0 1 1, predicted 0 1 1 1: acc 3/4; class acc (1/2 + 1) / 2; IoU (1/2 + 2/3) / 2
  const s = segmentationScore(Uint8Array.from([0, 1, 1, 1]), Uint8Array.from([0, 0, 1, 1]), 2);
  assert.ok(close(s.pixel_accuracy, 0.75));
  assert.ok(close(s.class_accuracy, 0.75));
  assert.ok(close(s.class_iou, (0.5 + 2 / 3) / 2));
  assert.deepEqual(s.per_class.map((c) => c.name), ["skin", "sclera"]);
  // a class absent from the truth but predicted: accuracy null (left out), IoU 0 (counted);
  // a class neither true nor predicted: null in both, left out of both means
  const truth = Uint8Array.from([0, 0, 0, 1]);
  const pred = Uint8Array.from([0, 0, 2, 1]);
  const a = segmentationScore(pred, truth, 4);
  assert.deepEqual(a.per_class.map((c) => c.accuracy), [2 / 3, 1, null, null]);
  assert.deepEqual(a.per_class.map((c) => c.iou), [2 / 3, 1, 0, null]);
  assert.ok(close(a.class_accuracy, (2 / 3 + 1) / 2));
  assert.ok(close(a.class_iou, (2 / 3 + 1 + 0) / 3));
  assert.ok(close(a.pixel_accuracy, 0.75));
  // over a set: one confusion matrix summed over images (not a mean of per-image scores)
  const m = confusionMatrix(Uint8Array.from([0, 0]), Uint8Array.from([0, 0]), 2);
  confusionMatrix(Uint8Array.from([0, 0]), Uint8Array.from([1, 1]), 2, m);
  const set = segmentationScores(m);
  assert.ok(close(set.pixel_accuracy, 0.5));
  assert.ok(close(set.class_accuracy, 0.5)); // skin 2/2, sclera 0/2
  assert.ok(close(set.class_iou, 0.25)); // skin 2/4, sclera 0/2
  // a constant predictor: one class right, the others 0
  const c = segmentationScore(new Uint8Array(6), Uint8Array.from([0, 0, 0, 1, 2, 3]), 4);
  assert.ok(close(c.class_accuracy, 0.25));
  assert.throws(() => confusionMatrix(new Uint8Array(2), new Uint8Array(3), 2), /2 predicted/);
  assert.throws(() => confusionMatrix(Uint8Array.from([5]), Uint8Array.from([0]), 2), /id 5/);
  assert.ok(Number.isNaN(segmentationScore(new Uint8Array(0), new Uint8Array(0), 2).class_iou));
});

/** A tiny paired training and test set. */
async function pairs(root: string): Promise<{ train: string; test: string }> {
  const train = `${root}/pairs-train`, test = `${root}/pairs-test`;
  await makeDataset(train, { domain: "paired", n: 48, seed: 1, split: "train" });
  await makeDataset(test, { domain: "paired", n: 8, seed: 2, split: "test" });
  return { train, test };
}

const TINY = { steps: 40, batchSize: 8, filters: 8, maxFilters: 16, learningRate: 5e-3 };

Deno.test("segmenter: trains on a tiny paired set and beats a constant predictor; cached", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-seg-" });
  try {
    const { train, test } = await pairs(root);
    const ds = await Dataset.open(train), tds = await Dataset.open(test);
    const seg = await trainSegmenter(ds, TINY);
    const maps = (await tds.readAll("maps")) as Uint8Array;
    const pred = await segmentImages(seg, (await tds.readAll("images")) as Uint8Array);
    const s = segmentationScore(pred, maps);
    // the best constant predictor: the majority class (skin) everywhere
    const share = maps.filter((v) => v === 0).length / maps.length;
    const constant = segmentationScore(new Uint8Array(maps.length), maps);
    assert.ok(Math.abs(constant.pixel_accuracy - share) < 1e-12);
    assert.ok(s.pixel_accuracy > share + 0.02, `${s.pixel_accuracy} vs constant ${share}`);
    assert.ok(s.class_accuracy > constant.class_accuracy + 0.1, `${s.class_accuracy}`);
    assert.ok(s.class_iou > constant.class_iou, `${s.class_iou} vs ${constant.class_iou}`);
    // deterministic: the same seed gives the same segmenter
    const again = await trainSegmenter(ds, TINY, { namespace: "S_again" });
    assert.deepEqual(
      await segmentImages(again, (await tds.readAll("images")) as Uint8Array),
      pred,
    );
    seg.net.dispose();
    again.net.dispose();
    // the cache: trained once, then loaded with the same predictions; the key follows settings
    const cacheDir = `${root}/cache`;
    const first = await obtainSegmenter(ds, { config: TINY, cacheDir, quiet: true });
    const second = await obtainSegmenter(ds, {
      config: TINY,
      cacheDir,
      quiet: true,
      namespace: "S_second",
    });
    assert.deepEqual([first.cached, second.cached], [false, true]);
    assert.equal(first.key, second.key);
    assert.equal(first.key, await segmenterCacheKey(ds, TINY));
    assert.equal(second.finalLoss, first.finalLoss);
    assert.deepEqual(
      await segmentImages(second.seg, (await tds.readAll("images")) as Uint8Array),
      pred,
    );
    assert.notEqual(await segmenterCacheKey(ds, { ...TINY, steps: 41 }), first.key);
    assert.notEqual(await segmenterCacheKey(tds, TINY), first.key);
    first.seg.net.dispose();
    second.seg.net.dispose();
    await assert.rejects(() => segmenterCacheKey(ds, { steps: 0 }), /steps must be an integer/);
    ds.close();
    tds.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runPairedEval with a segmenter: segmentation fields, settings, replacing rules", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-seg-paired-" });
  try {
    const { train, test } = await pairs(root);
    const ds = await Dataset.open(train);
    const { seg, key } = await obtainSegmenter(ds, { config: TINY, cacheDir: false, quiet: true });
    const identity = refinerTranslator(identityRefiner());
    const out = `${root}/paired_eval.json`;
    const record = {
      key: await segmenterCacheKey(ds, TINY),
      train,
      train_count: ds.count,
      config: seg.config,
      cached: false,
      final_loss: 0.5,
      train_seconds: 1,
    };
    assert.equal(key, null, "no cache, no key from obtainSegmenter");
    const file = await runPairedEval(identity, {
      paired: test,
      out,
      quiet: true,
      batchSize: 3, // several batches: the confusion matrices accumulate over them
      segmenter: seg,
      segmenterRecord: record,
    });
    const sg = file.segmentation!;
    assert.ok(sg, "segmentation recorded");
    assert.deepEqual(sg.segmenter, record);
    // identity: G(x) is the raw render, so its row is the identity row
    assert.deepEqual(sg.metrics, sg.identity);
    // by hand: S on the twins against the maps
    const tds = await Dataset.open(test);
    const maps = (await tds.readAll("maps")) as Uint8Array;
    const twins = segmentationScore(
      await segmentImages(seg, (await tds.readAll("images")) as Uint8Array),
      maps,
    );
    assert.deepEqual(sg.twins, twins);
    assert.equal(sg.metrics.pixels, maps.length);
    assert.match(file.definitions.segmentation!, /FCN/);
    assert.deepEqual(await readPairedEval(out), JSON.parse(JSON.stringify(file)));
    const summary = formatPairedSummary(file);
    assert.match(summary, /pixel acc\. \| class acc\. \| class IoU/);
    assert.match(summary, /S\(ground-truth twin y\)/);
    assert.match(summary, /S\(raw synthetic x\) \(identity\)/);

    // settings: the segmenter's key is one of them
    const settings = pairedEvalSettings(file);
    assert.equal(settings.segmenter, record.key);
    const planned = await plannedPairedEvalSettings(identity, {
      paired: test,
      segmenter: record.key,
    });
    assert.deepEqual(planned, settings);
    await checkPairedEvalTarget(out, planned); // same settings: may be replaced
    const none = { ...planned, segmenter: null };
    assert.deepEqual(await pairedEvalDifferences(settings, none), [
      `segmenter: ${record.key} there, none here`,
    ]);
    assert.deepEqual(
      await pairedEvalDifferences(settings, { ...planned, segmenter: "other" }),
      [`segmenter: ${record.key} there, other here`],
    );
    await assert.rejects(() => checkPairedEvalTarget(out, none), UsageError);
    // a file without the score (as training writes it) may gain one; not the reverse
    assert.deepEqual(await pairedEvalDifferences(none, planned), []);
    const plain = await runPairedEval(identity, { paired: test, quiet: true });
    assert.equal(plain.segmentation, undefined);
    assert.equal(plain.definitions.segmentation, undefined);
    assert.deepEqual(plain.metrics, file.metrics, "the pixel metrics do not change");
    assert.equal(pairedEvalSettings(plain).segmenter, null);
    seg.net.dispose();
    ds.close();
    tds.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("eval-pairs: --seg-train, --seg-steps, --seg-cache, --no-segmentation", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-seg-task-" });
  try {
    const { train, test } = await pairs(root);
    const base = ["--identity", "--paired", test, "--no-realism", "--quiet"];
    const seg = ["--seg-train", train, "--seg-cache", `${root}/cache`];
    const run = (args: string[]) => captured(() => pairsMain([...base, ...args]));
    const a = await run([...seg, "--seg-steps", "5", "--out", `${root}/a`]);
    assert.equal(a.value, 0, a.text);
    const fa = await readPairedEval(`${root}/a/paired_eval.json`);
    assert.equal(fa.segmentation?.segmenter.config.steps, 5);
    assert.equal(fa.segmentation?.segmenter.train, train);
    assert.equal(fa.segmentation?.segmenter.cached, false);
    assert.match(a.text, /segmentation score/);
    // the same again: from the cache, the same numbers, allowed to replace its own file
    const a2 = await run([...seg, "--seg-steps", "5", "--out", `${root}/a`]);
    assert.equal(a2.value, 0, a2.text);
    const fa2 = await readPairedEval(`${root}/a/paired_eval.json`);
    assert.equal(fa2.segmentation?.segmenter.cached, true);
    assert.deepEqual(fa2.segmentation?.metrics, fa.segmentation?.metrics);
    // other segmenter settings, or none: refused unless --force
    await assert.rejects(
      () => pairsMain([...base, ...seg, "--seg-steps", "6", "--out", `${root}/a`]),
      /made with other settings \(segmenter: [0-9a-f]+ there, [0-9a-f]+ here\)/,
    );
    await assert.rejects(
      () => pairsMain([...base, "--no-segmentation", "--out", `${root}/a`]),
      /segmenter: [0-9a-f]+ there, none here/,
    );
    // --no-segmentation: L1/PSNR/SSIM only; such a file may then gain the score
    const b = await run(["--no-segmentation", "--out", `${root}/b`]);
    assert.equal(b.value, 0, b.text);
    const fb = await readPairedEval(`${root}/b/paired_eval.json`);
    assert.equal(fb.segmentation, undefined);
    assert.deepEqual(fb.metrics, fa.metrics);
    const b2 = await run([...seg, "--seg-steps", "5", "--out", `${root}/b`]);
    assert.equal(b2.value, 0, b2.text);
    assert.ok((await readPairedEval(`${root}/b/paired_eval.json`)).segmentation);
    await assert.rejects(
      () => pairsMain([...base, "--no-segmentation", "--seg-steps", "5"]),
      (e: unknown) => e instanceof UsageError && /drop --no-segmentation/.test(e.message),
    );
    await assert.rejects(() => pairsMain([...base, ...seg, "--seg-steps", "0"]), UsageError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
