/**
 * `deno task train-pix2pix` end to end, in process, on tiny generated data in a temp folder:
 * smoke runs of both paired tasks that write every file of a run (paired metrics, the gaze
 * protocol for `twins`, the report), an exact resume (2 + 2 steps == 4 straight, weights
 * included, dropout on), the report rebuilt from a run folder (the training task's, byte for
 * byte), `eval-gaze --refiner` and `eval-pairs --refiner` on the runs (the loaded G reproduces
 * the live G's paired metrics; the run's own paired_eval.json is not replaced by other
 * settings; eval-gaze into the run keeps the report's pix2pix sections), the ablation flags, bad flags and data sets exiting 2 (a
 * `--pairedTest` that is the training set, `--steps` past the learning-rate schedule, new run
 * or resume; a `--generator.depth` or `--discriminator.receptiveField` too big for the images,
 * or a bad model config, with no run folder made), the note when no held-out set is known, and the report written when an
 * evaluation fails after training. Several seconds on two CPU cores. Every test makes its own temp folder and
 * removes it.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import { DEFAULT_DATA, DEFAULT_DATA_SPECS, defaultDataRole } from "../../lib/data/defaults.ts";
import { REAL_SHAPES } from "../../lib/data/domains/mod.ts";
import { readGazeEval } from "../../lib/eval/eval_file.ts";
import { PAIRED_EVAL_FILE, readPairedEval } from "../../lib/eval/paired.ts";
import {
  expandPix2PixArgs,
  noPairedMetricsNote,
  PIX2PIX_CONFIG,
  pix2pixDataDirs,
  resolvePix2PixConfig,
  trainPix2Pix,
} from "../../lib/methods/pix2pix/mod.ts";
import { resolveConfig } from "../../lib/train/config.ts";
import { readCheckpoint } from "../../lib/train/checkpoint.ts";
import { readMetrics } from "../../lib/train/run.ts";
import { taskExitCode } from "../../lib/util/cli.ts";
import { main as evalMain } from "../../tasks/eval_gaze.ts";
import { main as pairsMain, USAGE as PAIRS_USAGE } from "../../tasks/eval_pairs.ts";
import { main as pix2pixMain } from "../../tasks/train_pix2pix.ts";
import {
  assertRebuiltReport,
  assertSameSnapshot,
  captured,
  evalGazeIntoRun,
  evalGazeRefiner,
  type Fixture,
  quiet,
  reportSection,
  runFolderSnapshot,
  withFixture,
} from "./task_fixture.ts";

await initBackend({ backend: "wasm" });

/** The fixture's data sets plus a paired training and test set, and their flags. */
async function fixture(f: (fx: Fixture & { paired: string[] }) => Promise<void>): Promise<void> {
  await withFixture({ prefix: "eyegan-pix2pix-task-", train: 24, test: 12 }, async (fx) => {
    const pairs = `${fx.root}/pairs`, pairsTest = `${fx.root}/pairs-test`;
    await makeDataset(pairs, { domain: "paired", n: 24, seed: 1, split: "train" });
    await makeDataset(pairsTest, { domain: "paired", n: 12, seed: 1, split: "test" });
    await f({ ...fx, paired: ["--paired", pairs, "--pairedTest", pairsTest] });
  });
}

const LOSSES = ["loss_G_adv", "loss_L1", "loss_G", "l1", "loss_D"];

/** Checks every file of a finished smoke run (4 steps, samples and checkpoints every 2). */
async function checkRun(dir: string, pairs: "twins" | "maps", lines: string[]): Promise<void> {
  for (const f of ["config.json", "env.json", "metrics.jsonl", PAIRED_EVAL_FILE, "report.html"]) {
    assert.ok((await Deno.stat(`${dir}/${f}`)).isFile, f);
  }
  const ckpt = await readCheckpoint(`${dir}/checkpoints/latest.safetensors`);
  assert.equal(ckpt.step, 4);
  assert.deepEqual(Object.keys(ckpt.networks).sort(), ["D", "G"]);
  assert.deepEqual(Object.keys(ckpt.optimizers).sort(), ["D", "G"]);
  const state = ckpt.state as { pix2pix: unknown; pairs: string; inChannels: number };
  assert.deepEqual(state.pix2pix, { updatesG: 4, updatesD: 4 });
  assert.equal(state.pairs, pairs);
  assert.equal(state.inChannels, pairs === "twins" ? 1 : 6);
  const checkpoints = [...Deno.readDirSync(`${dir}/checkpoints`)].map((e) => e.name).sort();
  assert.deepEqual(checkpoints, [
    "latest.safetensors",
    "step-000002.safetensors",
    "step-000004.safetensors",
  ]);
  const samples = [...Deno.readDirSync(`${dir}/samples`)].map((e) => e.name).sort();
  assert.deepEqual(samples, ["step-000002.png", "step-000004.png"]);
  const png = await Deno.readFile(`${dir}/samples/step-000004.png`);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assert.equal(config.method, "pix2pix");
  assert.equal(config.preset, "smoke");
  assert.equal(config.values.pairs, pairs);
  const metrics = await readMetrics(`${dir}/metrics.jsonl`);
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4]);
  for (const m of metrics) {
    for (const k of LOSSES) assert.ok(Number.isFinite(m[k]), `step ${m.step} ${k} = ${m[k]}`);
  }
  const paired = await readPairedEval(`${dir}/${PAIRED_EVAL_FILE}`);
  assert.equal(paired.translator.name, `pix2pix (${pairs})`);
  assert.equal(paired.translator.input, pairs === "twins" ? "synthetic" : "maps");
  assert.equal(paired.data.count, 12);
  assert.ok(Number.isFinite(paired.metrics.ssim.mean) && paired.metrics.l1.mean > 0);
  assert.equal(paired.identity !== undefined, pairs === "twins", "raw renders scored for twins");
  // the pairs' domain and shape distribution (the target domain's) are recorded
  assert.equal(paired.data.domain, "paired");
  assert.deepEqual(paired.data.parameters, JSON.parse(JSON.stringify(REAL_SHAPES)));
  const html = await Deno.readTextFile(`${dir}/report.html`);
  for (const text of ["pix2pix translation", "Paired metrics", "ground truth y", "PSNR"]) {
    assert.ok(html.includes(text), `report has '${text}'`);
  }
  assert.equal(html.includes(">Evaluation</h2>"), pairs === "twins", "gaze protocol: twins only");
  assert.ok(lines.some((l) => l === `report: ${dir}/report.html`), "prints the path");
}

/** Every logged value of `metrics.jsonl`, without the timings. */
async function losses(dir: string): Promise<Record<string, number>[]> {
  return (await readMetrics(`${dir}/metrics.jsonl`)).map((m) => {
    const { elapsed_s: _e, ...rest } = m;
    return rest as Record<string, number>;
  });
}

Deno.test("train-pix2pix twins smoke: every file, paired metrics, gaze protocol, report; exact resume; eval tasks", (t) =>
  fixture(async ({ root, data, smoke, paired }) => {
    const run = `${root}/twins`;
    await t.step("smoke run", async () => {
      const before = tf.memory().numTensors;
      const o = quiet();
      const result = await trainPix2Pix([...smoke, ...paired, "--out", run], o);
      assert.equal(tf.memory().numTensors, before, "no tensors leak");
      assert.equal(result?.exitCode, 0);
      assert.equal(result?.step, 4);
      await checkRun(run, "twins", o.lines);
      const ev = await readGazeEval(`${run}/eval.json`);
      assert.equal(ev.refiner.name, "pix2pix");
      assert.ok(Number.isFinite(ev.gaze.refined.test_error.meanDeg));
      assert.ok(o.lines.some((l) => l.includes("paired metrics against")), "prints the table");
    });
    await t.step(
      "the report rebuilt from the run folder is the training task's, byte for byte",
      () => assertRebuiltReport(run, ["pix2pix translation", "Paired metrics"]),
    );
    await t.step("--resume continues exactly: 2 + 2 steps == 4 straight (dropout on)", async () => {
      const args = [...smoke, ...paired, "--no-eval"];
      await trainPix2Pix([...args, "--steps", "2", "--out", `${root}/halves`], quiet());
      const resumed = await trainPix2Pix(
        ["--resume", `${root}/halves`, "--steps", "4", "--quiet"],
        quiet(),
      );
      assert.equal(resumed?.step, 4);
      assert.deepEqual(await losses(`${root}/halves`), await losses(run));
      const a = await readCheckpoint(`${run}/checkpoints/latest.safetensors`);
      const b = await readCheckpoint(`${root}/halves/checkpoints/latest.safetensors`);
      for (const net of ["G", "D"]) {
        for (const [k, w] of Object.entries(a.networks[net].weights)) {
          assert.deepEqual(b.networks[net].weights[k].data, w.data, `${net}/${k}`);
        }
      }
    });
    await t.step(
      "eval-pairs --refiner: the loaded G gives the live G's paired metrics",
      async () => {
        const out = `${root}/pairs-eval`;
        const c = await captured(() =>
          pairsMain([
            "--refiner",
            run,
            "--paired",
            paired[3],
            "--out",
            out,
            "--no-segmentation",
            "--no-realism",
            "--quiet",
          ])
        );
        assert.equal(c.value, 0, c.text);
        const live = await readPairedEval(`${run}/${PAIRED_EVAL_FILE}`);
        const loaded = await readPairedEval(`${out}/${PAIRED_EVAL_FILE}`);
        assert.deepEqual(loaded.metrics, live.metrics);
        assert.match(c.text, /G\(x\): pix2pix \(twins\)/);
      },
    );
    await t.step(
      "eval-pairs keeps the run's own paired_eval.json unless the settings are the same or --force",
      async () => {
        const file = `${run}/${PAIRED_EVAL_FILE}`;
        const original = await Deno.readTextFile(file);
        const refused = async (args: string[], pattern: RegExp) => {
          // as the task runs it: its main throws, runTask exits with taskExitCode's code
          const c = await captured(() =>
            taskExitCode(
              "eval-pairs",
              PAIRS_USAGE,
              () =>
                pairsMain([
                  "--refiner",
                  run,
                  ...args,
                  "--no-segmentation",
                  "--no-realism",
                  "--quiet",
                ]),
            )
          );
          assert.equal(c.value, 2, c.text);
          assert.ok(c.text.includes(`${file} holds a paired evaluation made with other settings`));
          assert.match(c.text, pattern);
          assert.match(c.text, /--out DIR.*--force/);
          assert.equal(await Deno.readTextFile(file), original, "the run's file is kept");
        };
        // --out defaults to the run: a --limit or another --paired would replace its result
        await refused(["--paired", paired[3], "--limit", "5"], /pairs evaluated: 12 there, 5 here/);
        await refused(["--paired", paired[1]], /paired set: .*pairs-test there, .*pairs here/);
        // the same settings give the same result: replaced (atomically), same numbers
        const same = await captured(() =>
          pairsMain([
            "--refiner",
            run,
            "--paired",
            `${paired[3]}/`,
            "--no-segmentation",
            "--no-realism",
            "--quiet",
          ])
        );
        assert.equal(same.value, 0, same.text);
        assert.deepEqual(
          (await readPairedEval(file)).metrics,
          JSON.parse(original).metrics,
        );
        // --force replaces it whatever the settings
        const forced = await captured(() =>
          pairsMain([
            "--refiner",
            run,
            "--paired",
            paired[3],
            "--limit",
            "5",
            "--force",
            "--no-segmentation",
            "--no-realism",
            "--quiet",
          ])
        );
        assert.equal(forced.value, 0, forced.text);
        assert.equal((await readPairedEval(file)).data.count, 5);
        const left = [...Deno.readDirSync(run)].map((e) => e.name).filter((n) =>
          n.includes(".tmp")
        );
        assert.deepEqual(left, [], "no temporary files are left");
      },
    );
    await t.step("eval-gaze --refiner on a twins run", async () => {
      const ev = await evalGazeRefiner({ root, data }, run, `${root}/eval-refiner`);
      assert.equal(ev.refiner.name, "pix2pix");
    });
    await t.step(
      "eval-gaze --refiner into the run: its report keeps the pix2pix sections, rebuilt from the checkpoint",
      async () => {
        // the grid as training drew it (same held-out pairs, same dropout masks); the paired
        // metrics are those of the paired_eval.json eval-pairs --force wrote above (5 pairs)
        const html = await evalGazeIntoRun({ root, data }, run, {
          same: ["pix2pix translation"],
          present: ["Paired metrics"],
        });
        assert.match(reportSection(html, "pix2pix translation")!, /The final G \(step 4\)/);
        assert.match(reportSection(html, "Paired metrics")!, /<td[^>]*>5<\/td>/);
      },
    );
  }));

Deno.test("train-pix2pix maps smoke: one-hot maps in, paired metrics, no gaze protocol; eval tasks", () =>
  fixture(async ({ root, data, paired }) => {
    const run = `${root}/maps`;
    const before = tf.memory().numTensors;
    const o = quiet();
    const result = await trainPix2Pix(
      ["--preset", "smoke", "--pairs", "maps", ...paired, "--quiet", "--out", run],
      o,
    );
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    assert.equal(result?.exitCode, 0);
    assert.equal(result?.eval, undefined);
    await checkRun(run, "maps", o.lines);
    await assertRebuiltReport(run, ["pix2pix translation", "Paired metrics"]);
    await assert.rejects(() => Deno.stat(`${run}/eval.json`), Deno.errors.NotFound);
    // eval-pairs loads the maps G with its encoding
    const c = await captured(() =>
      pairsMain([
        "--refiner",
        run,
        "--paired",
        paired[3],
        "--no-segmentation",
        "--no-realism",
        "--quiet",
      ])
    );
    assert.equal(c.value, 0, c.text);
    assert.deepEqual(
      (await readPairedEval(`${run}/${PAIRED_EVAL_FILE}`)).metrics,
      result?.paired?.metrics,
      "the loaded maps G reproduces the live one",
    );
    // and rewrites the run's report: pix2pix's own sections, the paired section once
    assert.ok(c.text.includes(`wrote ${run}/report.html`), c.text);
    assert.doesNotMatch(c.text, /note:/);
    const rewritten = await Deno.readTextFile(`${run}/report.html`);
    assert.equal(rewritten.match(/<h2 id="[^"]*">Paired metrics<\/h2>/g)?.length, 1);
    assert.ok(reportSection(rewritten, "pix2pix translation"));
    // eval-gaze refuses a maps run with a clear message (its main throws; the task exits 1)
    await assert.rejects(
      () =>
        captured(() =>
          evalMain([
            "--refiner",
            run,
            "--synthetic",
            data.syn,
            "--target-train",
            data.tgt,
            "--target-test",
            data.tgtTest,
            "--out",
            `${root}/no`,
            "--quiet",
          ])
        ),
      /translates semantic maps, not synthetic images/,
    );
    // scaled maps: one input channel
    const scaled = await trainPix2Pix([
      "--preset",
      "smoke",
      "--pairs",
      "maps",
      "--mapEncoding",
      "scaled",
      ...paired,
      "--no-eval",
      "--quiet",
      "--out",
      `${root}/scaled`,
    ], quiet());
    assert.equal(scaled?.exitCode, 0);
    const ckpt = await readCheckpoint(`${root}/scaled/checkpoints/latest.safetensors`);
    assert.equal((ckpt.state as { inChannels: number }).inChannels, 1);
  }));

Deno.test("train-pix2pix ablation flags: --objective l1 / cgan, encoder-decoder, PixelGAN, unconditional D", () =>
  fixture(async ({ root, paired }) => {
    const base = ["--preset", "smoke", ...paired, "--no-eval", "--quiet", "--steps", "2"];
    const runs: [string, string[], (m: Record<string, number>) => void][] = [
      ["l1", ["--objective", "l1"], (m) => {
        assert.ok(!("loss_D" in m), "no D");
        assert.equal(m.loss_G_adv, 0);
      }],
      ["cgan", ["--objective=cgan"], (m) => assert.equal(m.loss_L1, 0)],
      [
        "ablate",
        [
          "--generator.skips",
          "false",
          "--discriminator.receptiveField",
          "1",
          "--discriminator.conditional",
          "false",
        ],
        (m) => assert.ok(Number.isFinite(m.loss_D)),
      ],
    ];
    for (const [name, flags, check] of runs) {
      const out = `${root}/${name}`;
      const r = await trainPix2Pix([...base, ...flags, "--out", out], quiet());
      assert.equal(r?.exitCode, 0, name);
      const metrics = await readMetrics(`${out}/metrics.jsonl`);
      for (const m of metrics) check(m as unknown as Record<string, number>);
      const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
      if (name === "l1") assert.equal(config.values.adversarial.weight, 0);
      if (name === "cgan") assert.equal(config.values.lambdaL1, 0);
      if (name === "ablate") {
        assert.equal(config.values.generator.skips, false);
        assert.equal(config.values.discriminator.receptiveField, 1);
        assert.equal(config.values.discriminator.conditional, false);
      }
    }
  }));

Deno.test("train-pix2pix: bad flags and data sets exit 2 with what is valid", () =>
  fixture(async ({ data, paired }) => {
    const c = await captured(() => pix2pixMain(["--lamdaL1", "3"]));
    assert.equal(c.value, 2);
    assert.match(c.text, /unknown flag --lamdaL1 \(did you mean --lambdaL1\?\)/);
    for (
      const flag of ["--pairs", "--mapEncoding", "--paired", "--generator.skips", "--objective"]
    ) {
      assert.ok(c.text.includes(flag), `lists ${flag}`);
    }
    const o = await captured(() => pix2pixMain(["--objective", "gan"]));
    assert.equal(o.value, 2);
    assert.match(o.text, /--objective must be one of l1, cgan, l1\+cgan/);
    const p = await captured(() => pix2pixMain(["--pairs", "twin"]));
    assert.equal(p.value, 2);
    assert.match(p.text, /--pairs must be one of twins, maps/);
    // a synthetic set is not a paired set: named with its flag, before any run folder
    const d = await captured(() =>
      pix2pixMain(["--preset", "smoke", "--paired", data.syn, "--no-eval", "--quiet"])
    );
    assert.equal(d.value, 2);
    assert.match(d.text, /--paired .*syn: has no synthetic\.npy.*make-data --domain paired/);
    // maps pairs with the held-out set `test`
    const withTest = (test: string) =>
      captured(() =>
        pix2pixMain(
          ["--preset", "smoke", paired[0], paired[1], "--pairedTest", test, "--pairs", "maps"]
            .concat(["--quiet"]),
        )
      );
    const t = await withTest(data.tgtTest);
    assert.equal(t.value, 2);
    assert.match(t.text, /--pairedTest .*tgt-test: has no maps\.npy/);
    // --pairedTest may not be the training set, however the folder is written
    const same = await withTest(`${paired[1]}/./`);
    assert.equal(same.value, 2, same.text);
    assert.match(
      same.text,
      /--pairedTest .*\/pairs\/\.\/ is the training set \(--paired .*\/pairs\)/,
    );
    assert.match(same.text, /held-out pairs.*--pairedTest none/);
    // the flags' bounds are the model's: dropout and Adam's betas must stay below 1 (exit 2)
    for (const [flag, value] of [["--generator.dropout", "1"], ["--optimizer.beta2", "1"]]) {
      const c = await captured(() => pix2pixMain([flag, value]));
      assert.equal(c.value, 2, c.text);
      assert.ok(c.text.includes(`${flag} must be < 1, got '1'`), c.text);
    }
  }));

Deno.test("train-pix2pix: networks that do not fit the images, or a bad model config, exit 2 before any run folder", () =>
  fixture(async ({ root, smoke, paired }) => {
    const cases: [string, string[], RegExp][] = [
      [
        "big-d",
        ["--discriminator.receptiveField", "286"],
        /^train-pix2pix: --discriminator\.receptiveField 286 does not fit the 36x60 images of --paired \S+\/pairs: the 286x286 PatchGAN takes images of at least 96x96 .*use --discriminator\.receptiveField 1, 16, 34 or 70, which fit 36x60$/m,
      ],
      [
        "deep-g",
        ["--generator.depth", "9"],
        /^train-pix2pix: --generator\.depth 9 does not fit the 36x60 images of --paired \S+\/pairs: the U-Net would reflection-pad them to 512x512 .*use --generator\.depth of at most 6, or 0 \(auto: 5 for 36x60\)$/m,
      ],
      [
        "bad-rf",
        ["--discriminator.receptiveField", "50"],
        /discriminator\.receptiveField must be one of 1, 16, 34, 70, 142, 286, got '50'/,
      ],
      ["no-terms", ["--objective", "cgan", "--adversarial.weight", "0"], /both 0/],
    ];
    for (const [name, flags, re] of cases) {
      const out = `${root}/${name}`;
      const c = await captured(() =>
        pix2pixMain([...smoke, ...paired, "--no-eval", ...flags, "--out", out])
      );
      assert.equal(c.value, 2, `${name}: ${c.text}`);
      assert.match(c.text, re, name);
      assert.ok(!c.text.includes("Short flags:"), `${name}: a setup error, no usage text`);
      await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound, `${name}: no run folder`);
    }
  }));

Deno.test("train-pix2pix data roles: the default paired sets, the held-out set, gaze for twins only", () => {
  assert.equal(DEFAULT_DATA.pairedTrain, "data/generated/gap-paired-train-n10000-s0");
  assert.equal(DEFAULT_DATA.pairedTest, "data/generated/gap-paired-test-n1000-s0");
  assert.equal(defaultDataRole(`./${DEFAULT_DATA.pairedTrain}/`), "pairedTrain");
  assert.equal(DEFAULT_DATA_SPECS.pairedTest.domain, "paired");
  const quick = resolveConfig(PIX2PIX_CONFIG, {}).values;
  assert.equal(quick.paired, DEFAULT_DATA.pairedTrain);
  const d = pix2pixDataDirs(quick);
  assert.equal(d.pairedTest, DEFAULT_DATA.pairedTest);
  assert.equal(d.gaze?.protocol?.synthetic, DEFAULT_DATA.synthetic, "twins: G refines --source");
  const custom = pix2pixDataDirs({ ...quick, paired: "data/mine" });
  assert.equal(custom.pairedTest, undefined, "a custom paired set has no default test set");
  assert.equal(pix2pixDataDirs({ ...quick, pairedTest: "none" }).pairedTest, undefined);
  assert.equal(pix2pixDataDirs({ ...quick, pairedTest: "data/t" }).pairedTest, "data/t");
  assert.equal(pix2pixDataDirs({ ...quick, pairs: "maps" }).gaze, undefined, "maps: no gaze");
  // a custom --paired without --pairedTest: no paired metrics, and a note that says how to get them
  assert.equal(noPairedMetricsNote(quick), undefined);
  assert.match(
    noPairedMetricsNote({ ...quick, paired: "data/mine" }) ?? "",
    /^note: no paired metrics .* --paired data\/mine .*--pairedTest DIR.*--pairedTest none/,
  );
  assert.equal(
    noPairedMetricsNote({ ...quick, paired: "data/mine", pairedTest: "none" }),
    undefined,
  );
  assert.equal(
    noPairedMetricsNote({ ...quick, paired: "data/mine", pairedTest: "data/t" }),
    undefined,
  );
  const noEval = { ...quick, paired: "data/mine", eval: { ...quick.eval, enabled: false } };
  assert.equal(noPairedMetricsNote(noEval), undefined);
  // the flags' bounds agree with the model's: below 1, not at most 0.95 / 1
  const bounds = resolveConfig(PIX2PIX_CONFIG, {
    overrides: { "generator.dropout": "0.97", "optimizer.beta1": "0.999" },
  }).values;
  assert.equal(resolvePix2PixConfig({ generator: bounds.generator }).generator.dropout, 0.97);
  assert.throws(
    () => resolveConfig(PIX2PIX_CONFIG, { overrides: { "optimizer.beta1": "1" } }),
    /--optimizer\.beta1 must be < 1/,
  );
  const off = pix2pixDataDirs({ ...quick, eval: { ...quick.eval, enabled: false } });
  assert.deepEqual(off, { paired: DEFAULT_DATA.pairedTrain });
  assert.deepEqual(expandPix2PixArgs(["--objective", "l1", "--no-eval", "--objective=l1+cgan"]), [
    "--adversarial.weight=0",
    "--eval.enabled=false",
  ]);
});

Deno.test("train-pix2pix: --steps past the schedule exits 2 (new run, resume); raising it on resume trains on", () =>
  fixture(async ({ root, smoke, paired }) => {
    const base = [...smoke, ...paired, "--no-eval"];
    // smoke: 2 constant + 2 decaying steps; a 5th and 6th would run at rate 0
    const fresh = await captured(() =>
      pix2pixMain([...base, "--steps", "6", "--out", `${root}/past`])
    );
    assert.equal(fresh.value, 2, fresh.text);
    assert.match(fresh.text, /--steps 6 goes past the learning-rate schedule/);
    assert.match(fresh.text, /steps 5-6 would run at learning rate 0/);
    assert.match(fresh.text, /--schedule\.decaySteps 4 .*--schedule\.constantSteps 4 /);
    await assert.rejects(() => Deno.stat(`${root}/past`), Deno.errors.NotFound, "no run folder");

    const run = `${root}/extend`;
    assert.equal((await trainPix2Pix([...base, "--out", run], quiet()))?.step, 4);
    const snapshot = await runFolderSnapshot(run);
    const resumed = await captured(() => pix2pixMain(["--resume", run, "--steps", "6", "--quiet"]));
    assert.equal(resumed.value, 2, resumed.text);
    assert.match(resumed.text, /steps 5-6 would run at learning rate 0/);
    assert.match(resumed.text, /with --resume the schedule flags may change/);
    assertSameSnapshot(await runFolderSnapshot(run), snapshot, "a refused resume");
    // the schedule raised with the steps: the last two steps decay from 2e-4 / 2
    const done = await trainPix2Pix(
      ["--resume", run, "--steps", "6", "--schedule.decaySteps", "4", "--quiet"],
      quiet(),
    );
    assert.equal(done?.step, 6);
    const lr = (await readMetrics(`${run}/metrics.jsonl`)).map((m) => m.lr as number);
    assert.equal(lr.length, 6);
    assert.ok(Math.abs(lr[4] - 1e-4) < 1e-12 && Math.abs(lr[5] - 0.5e-4) < 1e-12, `${lr}`);
    const config = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
    assert.deepEqual(config.values.schedule, { constantSteps: 2, decaySteps: 4 });
  }));

Deno.test("train-pix2pix: no held-out set is said; an evaluation that fails still writes the report", () =>
  fixture(async ({ root, paired }) => {
    // a custom --paired without --pairedTest: a note (even with --quiet), no paired metrics
    const o = quiet();
    const noTest = await trainPix2Pix(
      ["--preset", "smoke", "--pairs", "maps", paired[0], paired[1], "--steps", "2", "--quiet"]
        .concat(["--out", `${root}/no-test`]),
      o,
    );
    assert.equal(noTest?.paired, undefined);
    assert.ok(o.lines.some((l) => /^note: no paired metrics .*--pairedTest DIR/.test(l)), "note");
    await assert.rejects(
      () => Deno.stat(`${root}/no-test/${PAIRED_EVAL_FILE}`),
      Deno.errors.NotFound,
    );
    assert.match(await Deno.readTextFile(`${root}/no-test/report.html`), /training pairs/);

    // the held-out set breaks during training: the paired metrics fail after the last step
    const broken = `${root}/broken-test`;
    await makeDataset(broken, { domain: "paired", n: 6, seed: 2, split: "test" });
    const run = `${root}/failed`;
    const before = tf.memory().numTensors;
    const f = quiet();
    await assert.rejects(
      () =>
        trainPix2Pix(
          ["--preset", "smoke", "--pairs", "maps", paired[0], paired[1], "--pairedTest", broken]
            .concat(["--quiet", "--out", run]),
          { ...f, onSample: () => Deno.remove(`${broken}/images.npy`).catch(() => {}) },
        ),
      /images\.npy/,
    );
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    assert.equal((await readCheckpoint(`${run}/checkpoints/latest.safetensors`)).step, 4);
    await assert.rejects(() => Deno.stat(`${run}/${PAIRED_EVAL_FILE}`), Deno.errors.NotFound);
    const html = await Deno.readTextFile(`${run}/report.html`);
    for (const text of ["pix2pix translation", "Evaluation failed", "the paired metrics on"]) {
      assert.ok(html.includes(text), `report has '${text}'`);
    }
    assert.ok(html.includes("training pairs"), "the grid falls back to the training pairs");
    assert.ok(html.includes("images.npy"), "the failure's message is in the report");
    assert.ok(f.lines.includes(`report: ${run}/report.html`), "prints the path");
  }));
