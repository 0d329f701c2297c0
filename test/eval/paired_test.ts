/**
 * The paired metrics (`lib/eval/paired.ts`): L1, PSNR and SSIM on hand-computed cases and
 * against a direct (non-separable) SSIM, their means over images, the evaluation of a translator
 * on a tiny paired set (identity = the raw renders' row), its errors, the file and its reader,
 * and the translator loaders (a method's own, else its refiner).
 */
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import {
  checkPairedEvalTarget,
  evaluatePairs,
  formatPairedSummary,
  imagePairMetrics,
  loadPairedTranslator,
  PAIRED_EVAL_FORMAT,
  pairedEvalDifferences,
  pairedEvalSettings,
  pairedMetrics,
  type PairedTranslator,
  plannedPairedEvalSettings,
  PSNR_CAP_DB,
  readPairedEval,
  refinerTranslator,
  registerTranslatorLoader,
  runPairedEval,
  ssim,
} from "../../lib/eval/paired.ts";
import { identityRefiner, registerRefinerLoader } from "../../lib/eval/refiner.ts";
import { RUN_CONFIG_FORMAT } from "../../lib/train/run.ts";
import { REAL_SHAPES } from "../../lib/data/domains/mod.ts";
import { UsageError } from "../../lib/util/cli.ts";
import { Rng } from "../../lib/util/random.ts";

await initBackend({ backend: "wasm" });

const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;

/** SSIM straight from the definition: a 2-D 11x11 Gaussian window at every valid position. */
function directSsim(a: Uint8Array, b: Uint8Array, h: number, w: number): number {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const s = g.reduce((p, v) => p + v, 0);
  const win = g.map((v) => v / s);
  let total = 0, count = 0;
  for (let y = 0; y + 11 <= h; y++) {
    for (let x = 0; x + 11 <= w; x++) {
      let ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
      for (let i = 0; i < 11; i++) {
        for (let j = 0; j < 11; j++) {
          const wt = win[i] * win[j], p = (y + i) * w + x + j;
          ma += wt * a[p];
          mb += wt * b[p];
          aa += wt * a[p] * a[p];
          bb += wt * b[p] * b[p];
          ab += wt * a[p] * b[p];
        }
      }
      const va = aa - ma * ma, vb = bb - mb * mb, cov = ab - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      count++;
    }
  }
  return total / count;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 256));
}

Deno.test("paired metrics: identical, constant offset, inverted images (hand-computed)", () => {
  const shape = { height: 16, width: 20, channels: 1 };
  const a = randomBytes(320, 1);
  const same = imagePairMetrics(a, a, shape);
  assert.deepEqual(same, { l1: 0, psnr: PSNR_CAP_DB, ssim: 1 });
  // 100 vs 110 everywhere: L1 10 / 127.5; PSNR 10 log10(255^2 / 100); SSIM of flat images
  const flatA = new Uint8Array(320).fill(100), flatB = new Uint8Array(320).fill(110);
  const m = imagePairMetrics(flatA, flatB, shape);
  assert.ok(Math.abs(m.l1 - 10 / 127.5) < 1e-12);
  assert.ok(Math.abs(m.psnr - 28.130803608679106) < 1e-9, `${m.psnr}`);
  const wantSsim = (2 * 100 * 110 + C1) / (100 * 100 + 110 * 110 + C1); // variances 0
  assert.ok(Math.abs(m.ssim - wantSsim) < 1e-9, `${m.ssim} vs ${wantSsim}`);
  // 0..255 against 255..0: negatively correlated structure
  const inv = a.map((v) => 255 - v);
  assert.ok(imagePairMetrics(a, inv, shape).ssim < 0);
  assert.throws(() => imagePairMetrics(a, a.subarray(1), shape), /same whole number/);
  assert.throws(
    () => ssim(new Uint8Array(100), new Uint8Array(100), { height: 10, width: 10, channels: 1 }),
    /smaller than the 11x11 window/,
  );
});

Deno.test("paired metrics: separable SSIM matches the 2-D definition; channels averaged", () => {
  const h = 18, w = 23;
  const a = randomBytes(h * w, 2);
  // b: a blurred-ish, noisy version of a (partly correlated)
  const noise = randomBytes(h * w, 3);
  const b = a.map((v, i) => Math.round(0.7 * v + 0.3 * noise[i]));
  const got = ssim(a, b, { height: h, width: w, channels: 1 });
  const want = directSsim(a, b, h, w);
  assert.ok(Math.abs(got - want) < 1e-9, `${got} vs ${want}`);
  assert.ok(Math.abs(ssim(b, a, { height: h, width: w, channels: 1 }) - got) < 1e-12, "symmetric");
  // RGB: the mean of the three channels' SSIMs
  const rgbA = new Uint8Array(h * w * 3), rgbB = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    rgbA.set([a[i], a[i], noise[i]], 3 * i);
    rgbB.set([b[i], a[i], 255 - noise[i]], 3 * i);
  }
  const rgb = ssim(rgbA, rgbB, { height: h, width: w, channels: 3 });
  const byChannel = (got + 1 + directSsim(noise, noise.map((v) => 255 - v), h, w)) / 3;
  assert.ok(Math.abs(rgb - byChannel) < 1e-9, `${rgb} vs ${byChannel}`);
});

Deno.test("paired metrics: mean and sample std over images", () => {
  const shape = { height: 11, width: 11, channels: 1 };
  const per = 121;
  const pred = new Uint8Array(2 * per).fill(100);
  const truth = new Uint8Array(2 * per).fill(100);
  truth.fill(110, per); // image 0 identical, image 1 off by 10
  const m = pairedMetrics(pred, truth, shape);
  assert.equal(m.count, 2);
  const l1 = [0, 10 / 127.5];
  assert.ok(Math.abs(m.l1.mean - (l1[0] + l1[1]) / 2) < 1e-12);
  assert.ok(Math.abs(m.l1.std - Math.abs(l1[1] - l1[0]) / Math.SQRT2) < 1e-12);
  assert.ok(Math.abs(m.psnr.mean - (PSNR_CAP_DB + 28.130803608679106) / 2) < 1e-9);
  assert.equal(pairedMetrics(pred.subarray(0, per), truth.subarray(0, per), shape).l1.std, 0);
});

Deno.test("evaluatePairs / runPairedEval: identity = the raw renders' row; file; errors", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-paired-" });
  try {
    const paired = `${root}/pairs`, syn = `${root}/syn`;
    await makeDataset(paired, { domain: "paired", n: 10, seed: 1, split: "test" });
    await makeDataset(syn, { domain: "synthetic", n: 4, seed: 1, split: "test" });
    const identity = refinerTranslator(identityRefiner());
    const out = `${root}/run/paired_eval.json`;
    await Deno.mkdir(`${root}/run`);
    const file = await runPairedEval(identity, { paired, out, batchSize: 4, quiet: true });
    assert.equal(file.format, PAIRED_EVAL_FORMAT);
    assert.equal(file.data.count, 10);
    assert.equal(file.translator.input, "synthetic");
    // the identity's output is its input: both rows are the raw renders against the twins
    assert.deepEqual(file.metrics, file.identity);
    assert.ok(file.metrics.l1.mean > 0.01 && file.metrics.ssim.mean < 0.99, "the twins differ");
    assert.deepEqual(await readPairedEval(out), file);
    assert.match(formatPairedSummary(file), /raw synthetic x \(identity\)/);
    // by hand: the same numbers from the arrays
    const ds = await Dataset.open(paired);
    const want = pairedMetrics(
      (await ds.readAll("synthetic")) as Uint8Array,
      (await ds.readAll("images")) as Uint8Array,
      { height: ds.height, width: ds.width, channels: ds.channels },
    );
    assert.deepEqual(file.metrics, want);
    // limit: the first pairs only
    const first = await evaluatePairs(ds, identity, { limit: 3, quiet: true });
    assert.equal(first.count, 3);
    assert.equal(first.metrics.count, 3);
    // a translator that returns the wrong size, or NaN, is named
    const broken: PairedTranslator = {
      name: "broken",
      input: "synthetic",
      translate: (x) => Promise.resolve(x.subarray(1)),
    };
    await assert.rejects(() => evaluatePairs(ds, broken, { quiet: true }), /broken.*returned/);
    const nan: PairedTranslator = {
      name: "nan",
      input: "synthetic",
      translate: (x) => Promise.resolve(new Float32Array(x.length).fill(NaN)),
    };
    await assert.rejects(() => evaluatePairs(ds, nan, { quiet: true }), /non-finite/);
    // a maps translator needs encodeMaps
    const noEncode: PairedTranslator = { ...identity, name: "m", input: "maps" };
    await assert.rejects(() => evaluatePairs(ds, noEncode, { quiet: true }), /no encodeMaps/);
    ds.close();
    // a set without synthetic.npy is not a paired set
    const synDs = await Dataset.open(syn);
    await assert.rejects(
      () => evaluatePairs(synDs, identity, { quiet: true }),
      /has no synthetic\.npy.*make-data --domain paired/,
    );
    synDs.close();
    await Deno.writeTextFile(`${root}/bad.json`, JSON.stringify({ format: "x" }));
    await assert.rejects(() => readPairedEval(`${root}/bad.json`), /expected eyegan-paired-eval/);

    // the file records the set's domain and the shape distribution its pairs were drawn from:
    // the target domain's, not the synthetic training sets'
    assert.equal(file.data.domain, "paired");
    assert.deepEqual(file.data.parameters, JSON.parse(JSON.stringify(REAL_SHAPES)));

    // replacing a file: the same settings may (same result), others are refused
    const same = await plannedPairedEvalSettings(identity, { paired });
    assert.deepEqual(same, pairedEvalSettings(file));
    await checkPairedEvalTarget(out, same);
    await checkPairedEvalTarget(out, { ...same, dir: `${root}/./pairs/` }, {}); // same folder
    const fewer = await plannedPairedEvalSettings(identity, { paired, limit: 3 });
    const before = await Deno.readTextFile(out);
    await assert.rejects(() => checkPairedEvalTarget(out, fewer), (e: unknown) => {
      assert.ok(e instanceof UsageError, `a UsageError (exit 2), got ${e}`);
      assert.match(
        e.message,
        /run\/paired_eval\.json holds a paired evaluation made with other settings \(pairs evaluated: 10 there, 3 here\); it would be replaced.*--out DIR.*--force/,
      );
      return true;
    });
    assert.equal(await Deno.readTextFile(out), before, "checking changes nothing");
    await checkPairedEvalTarget(out, fewer, { force: true });
    await checkPairedEvalTarget(`${root}/run/none.json`, fewer); // nothing to replace
    const other = {
      ...same,
      dir: syn,
      translator: "CycleGAN",
      run: `${root}/cyclegan`,
      step: 600,
    };
    assert.deepEqual(
      (await pairedEvalDifferences(pairedEvalSettings(file), other)).map((d) => d.split(":")[0]),
      ["paired set", "translator", "run", "translator step"],
    );
    await assert.rejects(
      () => checkPairedEvalTarget(`${root}/bad.json`, same),
      /bad\.json exists but is not a readable paired evaluation.*--force/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadPairedTranslator: a method's own loader, else its refiner (synthetic input)", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-paired-load-" });
  try {
    const config = (method: string) =>
      JSON.stringify({ format: RUN_CONFIG_FORMAT, method, preset: "x", seed: 0, values: {} });
    await Deno.mkdir(`${root}/a`);
    await Deno.mkdir(`${root}/b`);
    await Deno.writeTextFile(`${root}/a/config.json`, config("pairedtest_refiner"));
    await Deno.writeTextFile(`${root}/b/config.json`, config("pairedtest_maps"));
    registerRefinerLoader("pairedtest_refiner", () => Promise.resolve(identityRefiner()));
    registerTranslatorLoader("pairedtest_maps", () =>
      Promise.resolve({
        name: "maps model",
        input: "maps",
        encodeMaps: (ids) => Float32Array.from(ids),
        translate: (x) => Promise.resolve(x),
      }));
    const a = await loadPairedTranslator(`${root}/a`);
    assert.deepEqual([a.name, a.input], ["identity", "synthetic"]);
    assert.equal((a.source as { method: string }).method, "pairedtest_refiner");
    const b = await loadPairedTranslator(`${root}/b`);
    assert.deepEqual([b.name, b.input], ["maps model", "maps"]);
    assert.deepEqual(b.source, { run: `${root}/b`, method: "pairedtest_maps" });
    assert.throws(() => registerTranslatorLoader("bad name", () => Promise.reject()), /bad method/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
