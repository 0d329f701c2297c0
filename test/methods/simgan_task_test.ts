/**
 * `deno task train-simgan` end to end, in process, on tiny rendered data in a temp folder: a
 * smoke run that writes every file of a run (and the evaluation and report), exact resume,
 * flag and data errors with exit code 2, psi `features` without an estimator file, and
 * `eval-gaze --refiner` on the smoke run (into another folder, and into the run, whose report
 * keeps the SimGAN section, or, when it cannot be rebuilt, loses only it), and resumes from
 * checkpoints that do not fit. A few seconds on two CPU cores. Every test makes its own temp
 * folder (data sets, runs, estimator cache) and removes it, whatever happens.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import {
  DEFAULT_DATA,
  defaultDataDirs,
  defaultDataRole,
  ensureDefaultData,
} from "../../lib/data/defaults.ts";
import { readGazeEval } from "../../lib/eval/eval_file.ts";
import {
  expandSimganArgs,
  PSI_ESTIMATOR_FILE,
  SIMGAN_CONFIG,
  simganDataDirs,
  trainSimGAN,
} from "../../lib/methods/simgan/mod.ts";
import { type Checkpoint, encodeCheckpoint, readCheckpoint } from "../../lib/train/checkpoint.ts";
import { resolveConfig } from "../../lib/train/config.ts";
import { readMetrics } from "../../lib/train/run.ts";
import { main as trainMain } from "../../tasks/train_simgan.ts";
import { main as evalMain } from "../../tasks/eval_gaze.ts";
import {
  assertResumeRefused,
  captured,
  evalGazeIntoRun,
  evalGazeRefiner,
  type Fixture,
  quiet,
  reportSection,
  runFolderSnapshot,
  stopAtSample,
  tinyEvalFlags,
  withFixture,
} from "./task_fixture.ts";

await initBackend({ backend: "wasm" });

/** A fresh temp folder with this file's tiny data sets (see `task_fixture.ts`). */
function fixture(f: (fx: Fixture) => Promise<void>): Promise<void> {
  return withFixture({ prefix: "eyegan-simgan-task-", train: 40, test: 16 }, f);
}

const LOSSES = ["loss_R_reg", "loss_R_adv", "loss_R", "loss_D", "acc_real", "acc_refined"];

Deno.test("train-simgan smoke: every file of the run, evaluation, report; eval-gaze --refiner on it", (t) =>
  fixture(async ({ root, data, smoke }) => {
    const smokeRun = `${root}/smoke`;
    await t.step(
      "train-simgan smoke: every file of the run, evaluation, report; no leaked tensors",
      async () => {
        const before = tf.memory().numTensors;
        const o = quiet();
        const result = await trainSimGAN([...smoke, "--out", smokeRun], o);
        assert.equal(tf.memory().numTensors, before, "no tensors leak");
        assert.ok(result);
        assert.equal(result.exitCode, 0);
        assert.equal(result.step, 6);
        for (const f of ["config.json", "env.json", "metrics.jsonl", "eval.json", "report.html"]) {
          assert.ok((await Deno.stat(`${smokeRun}/${f}`)).isFile, f);
        }
        assert.ok((await Deno.stat(`${smokeRun}/checkpoints/latest.safetensors`)).size > 1000);
        assert.ok((await Deno.stat(`${smokeRun}/checkpoints/step-000003.safetensors`)).isFile);
        const samples = [...Deno.readDirSync(`${smokeRun}/samples`)].map((e) => e.name).sort();
        assert.deepEqual(samples, ["step-000003.png", "step-000006.png"]);
        const png = await Deno.readFile(`${smokeRun}/samples/step-000006.png`);
        assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"

        const config = JSON.parse(await Deno.readTextFile(`${smokeRun}/config.json`));
        assert.equal(config.method, "simgan");
        assert.equal(config.preset, "smoke");
        assert.equal(config.values.source, data.syn);
        const env = JSON.parse(await Deno.readTextFile(`${smokeRun}/env.json`));
        assert.equal(env.seed, 0);

        const metrics = await readMetrics(`${smokeRun}/metrics.jsonl`);
        assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
        for (const m of metrics) {
          const losses = Object.keys(m).filter((k) => LOSSES.includes(k));
          assert.ok(losses.length > 0, `step ${m.step} logs losses`);
          for (const k of losses) assert.ok(Number.isFinite(m[k]), `step ${m.step} ${k} = ${m[k]}`);
        }
        assert.ok("loss_R_adv" in metrics[5] && "loss_D" in metrics[5], "adversarial step logged");

        const ev = await readGazeEval(`${smokeRun}/eval.json`);
        assert.equal(ev.refiner.name, "SimGAN");
        assert.equal(ev.estimator.steps, 4);
        assert.equal(ev.data.synthetic.dir, data.syn);
        assert.equal(ev.data.synthetic_test?.dir, data.synTest);
        assert.ok(Number.isFinite(ev.gaze.refined.test_error.meanDeg));
        assert.equal(result.eval?.created, ev.created);

        const html = await Deno.readTextFile(`${smokeRun}/report.html`);
        for (
          const text of [
            "Evaluation",
            "refined: SimGAN (b)",
            "raw synthetic (a)",
            "SimGAN refinement",
          ]
        ) {
          assert.ok(html.includes(text), `report has '${text}'`);
        }
        assert.ok(o.lines.some((l) => l === `report: ${smokeRun}/report.html`), "prints the path");
        assert.ok(o.lines.some((l) => l.includes("| refined: SimGAN (b) |")), "prints the summary");
      },
    );
    await t.step(
      "eval-gaze --refiner loads the smoke run's refiner (registered by simgan/mod.ts)",
      async () => {
        const ev = await evalGazeRefiner({ root, data }, smokeRun, `${root}/eval-gaze`);
        const trained = await readGazeEval(`${smokeRun}/eval.json`);
        assert.equal(ev.refiner.name, "SimGAN");
        assert.equal((ev.refiner.source as { step?: number }).step, 6);
        // the same refiner, estimators and data: the same refined-set estimator
        assert.equal(ev.gaze.refined.test_error.meanDeg, trained.gaze.refined.test_error.meanDeg);
      },
    );
    await t.step(
      "eval-gaze --refiner into the run: its report keeps the SimGAN section, rebuilt from the checkpoint",
      async () => {
        const html = await evalGazeIntoRun({ root, data }, smokeRun, {
          same: ["SimGAN refinement"],
        });
        assert.match(reportSection(html, "SimGAN refinement")!, /The final refiner \(step 6\)/);
      },
    );
    await t.step(
      "eval-gaze --refiner into a run whose section cannot be rebuilt: the report without it, and a note",
      async () => {
        // the run's training target is gone (the evaluation reads its own flags' data sets)
        const config = JSON.parse(await Deno.readTextFile(`${smokeRun}/config.json`));
        config.values.real = `${root}/gone`;
        await Deno.writeTextFile(`${smokeRun}/config.json`, JSON.stringify(config, null, 2));
        const before = tf.memory().numTensors;
        const { value: code, text } = await captured(() =>
          evalMain([
            "--refiner",
            smokeRun,
            ...tinyEvalFlags({ root, data }),
            "--skip-upper-bound",
            "--skip-label-preservation",
            "--skip-kid",
            "--skip-classifier",
          ])
        );
        assert.equal(tf.memory().numTensors, before, "no tensors leak (R released)");
        assert.equal(code, 0, text);
        assert.match(
          text,
          /note: .*report\.html was written without the simgan run's own sections .*gone/,
        );
        const html = await Deno.readTextFile(`${smokeRun}/report.html`);
        assert.ok(html.includes("refined: SimGAN (b)"), "the evaluation is in the report");
        assert.equal(reportSection(html, "SimGAN refinement"), undefined);
      },
    );
  }));

Deno.test("train-simgan --resume continues exactly: 3 + 3 steps == 6 straight", () =>
  fixture(async ({ root, smoke }) => {
    const args = [...smoke, "--no-eval"];
    await trainSimGAN([...args, "--out", `${root}/straight`], quiet());
    await trainSimGAN([...args, "--steps", "3", "--out", `${root}/halves`], quiet());
    const resumed = await trainSimGAN(
      ["--resume", `${root}/halves`, "--steps", "6", "--quiet"],
      quiet(),
    );
    assert.equal(resumed?.step, 6);
    const a = await readMetrics(`${root}/straight/metrics.jsonl`);
    const b = await readMetrics(`${root}/halves/metrics.jsonl`);
    assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step));
    for (let i = 0; i < a.length; i++) {
      for (const k of LOSSES.filter((k) => k in a[i])) {
        assert.ok(
          Math.abs(a[i][k] - b[i][k]) <= 1e-6,
          `step ${a[i].step} ${k}: ${a[i][k]} vs ${b[i][k]}`,
        );
      }
    }
    assert.ok(!(await Deno.stat(`${root}/halves/eval.json`).then(() => true, () => false)));
  }));

Deno.test("train-simgan interrupted (as by Ctrl-C): checkpoint, no evaluation, exit 130; resume ends it", () =>
  fixture(async ({ root, smoke }) => {
    const out = `${root}/interrupted`;
    const o = quiet();
    const r = await trainSimGAN([...smoke, "--sampleEvery", "2", "--out", out], stopAtSample(o, 2));
    assert.equal(r?.exitCode, 130);
    assert.equal(r?.step, 2);
    assert.ok((await Deno.stat(`${out}/checkpoints/step-000002.safetensors`)).isFile);
    assert.ok(
      o.lines.some((l) => l.includes(`resume with: deno task train-simgan --resume ${out}`)),
    );
    assert.ok(!(await Deno.stat(`${out}/eval.json`).then(() => true, () => false)), "no eval");
    const done = await trainSimGAN(["--resume", out, "--quiet"], quiet());
    assert.equal(done?.exitCode, 0);
    assert.equal(done?.step, 6);
    assert.ok(done?.eval, "evaluated once training is complete");
  }));

Deno.test("train-simgan: unknown flags and bad data sets exit 2 with a clear message", () =>
  fixture(async ({ root, data, smoke }) => {
    const unknown = await captured(() => trainMain(["--lamda", "3"]));
    assert.equal(unknown.value, 2);
    assert.match(unknown.text, /unknown flag --lamda \(did you mean --lambda\?\)/);
    assert.match(unknown.text, /valid flags: .*--preset.*--lambda.*--psi\.name.*--eval\.steps/);

    const badPsi = await captured(() => trainMain(["--psi", "fourier"]));
    assert.equal(badPsi.value, 2);
    assert.match(badPsi.text, /identity/);

    // a custom target without a target test set, evaluation on
    const noTest = await captured(() =>
      trainMain(["--preset", "smoke", "--source", data.syn, "--target", data.tgt, "--quiet"])
    );
    assert.equal(noTest.value, 2);
    assert.match(noTest.text, /--targetTest DIR.*--no-eval/s);

    // real images of another size: rejected before the run folder is made
    const small = `${root}/real-35x55`;
    await makeDataset(small, { domain: "real", n: 8, seed: 2, height: 35, width: 55 });
    const out = `${root}/never`;
    const wrongSize = await captured(() =>
      trainMain([...smoke, "--real", small, "--no-eval", "--out", out])
    );
    assert.equal(wrongSize.value, 2);
    assert.match(wrongSize.text, /--real .*35x55x1.*36x60x1.*--size 36x60/s);
    assert.ok(!(await Deno.stat(out).then(() => true, () => false)), "no run folder");
  }));

Deno.test("train-simgan --real: unlabelled real images are the training target; realism against them", () =>
  fixture(async ({ root, data, smoke }) => {
    const real = `${root}/real`;
    await makeDataset(real, { domain: "real", n: 24, seed: 3, split: "unlabelled" });
    const dirs = simganDataDirs(
      resolveConfig(SIMGAN_CONFIG, {
        preset: "smoke",
        overrides: { source: data.syn, target: data.tgt, targetTest: data.tgtTest, real },
      }).values,
    );
    assert.equal(dirs.trainTarget, real);
    assert.equal(dirs.protocol?.real, real);
    assert.equal(dirs.protocol?.targetTrain, data.tgt);
    const out = `${root}/with-real`;
    const r = await trainSimGAN([...smoke, "--real", real, "--out", out], quiet());
    assert.equal(r?.exitCode, 0);
    const ev = await readGazeEval(`${out}/eval.json`);
    assert.equal(ev.data.real?.dir, real);
    assert.ok(ev.realism?.real?.kid && ev.realism.real.classifier, "realism vs the real set");
    const html = await Deno.readTextFile(`${out}/report.html`);
    assert.ok(html.includes("Realism against real images"));
    assert.ok(html.includes("real images (training target)"));
  }));

Deno.test("train-simgan --psi features without a file: the protocol's synthetic estimator", () =>
  fixture(async ({ root, smoke }) => {
    const out = `${root}/features`;
    const lines = quiet();
    const r = await trainSimGAN([...smoke, "--psi", "features", "--no-eval", "--out", out], lines);
    assert.equal(r?.exitCode, 0);
    assert.ok((await Deno.stat(`${out}/${PSI_ESTIMATOR_FILE}`)).isFile);
    const metrics = await readMetrics(`${out}/metrics.jsonl`);
    assert.ok(metrics.every((m) => Object.values(m).every(Number.isFinite)));
    const resumed = await trainSimGAN(["--resume", out, "--steps", "7", "--quiet"], quiet());
    assert.equal(resumed?.step, 7);
  }));

Deno.test("short flags and default data sets", () =>
  fixture(async ({ data }) => {
    assert.deepEqual(expandSimganArgs(["--psi=stats", "--no-eval", "--lambda", "2"]), [
      "--psi.name=stats",
      "--eval.enabled=false",
      "--lambda",
      "2",
    ]);
    assert.equal(defaultDataRole(`./${DEFAULT_DATA.synthetic}/`), "synthetic");
    assert.equal(defaultDataRole(DEFAULT_DATA.targetTest), "targetTest");
    assert.equal(defaultDataRole(data.syn), undefined);
    assert.equal(defaultDataDirs("/x").targetTrain, "/x/gap-real-train-n10000-s0");
    assert.deepEqual(await ensureDefaultData([data.syn, data.syn], { quiet: true }), [
      { dir: data.syn, action: "other" },
    ]);
    // defaults: the default sets, their test sets chosen automatically
    const d = simganDataDirs(resolveConfig(SIMGAN_CONFIG, {}).values);
    assert.equal(d.source, DEFAULT_DATA.synthetic);
    assert.equal(d.protocol?.targetTest, DEFAULT_DATA.targetTest);
    assert.equal(d.protocol?.syntheticTest, DEFAULT_DATA.syntheticTest);
    const quick = resolveConfig(SIMGAN_CONFIG, {}).values;
    assert.equal(quick.eval.enabled, true);
  }));

Deno.test("train-simgan --resume of a checkpoint that does not fit: CheckpointError naming file and field; the run folder unchanged", () =>
  fixture(async ({ root, smoke }) => {
    const out = `${root}/run`;
    const r = await trainSimGAN([...smoke, "--no-eval", "--steps", "3", "--out", out], quiet());
    assert.equal(r?.step, 3);
    const good = await readCheckpoint(`${out}/checkpoints/latest.safetensors`);
    const state = good.state as Record<string, Record<string, Record<string, unknown>>>;
    const without = (obj: Record<string, unknown>, key: string) => {
      const copy = { ...obj };
      delete copy[key];
      return copy;
    };
    // doctored copies of the checkpoint, as step 1: a resume from one would also move the later
    // checkpoints aside and drop metrics lines 2 and 3, if it got that far
    const cases: [string, Checkpoint, RegExp][] = [
      ["no-state", { ...good, state: null }, /the SimGAN state \(metadata 'state'\) is null/],
      [
        "no-streams",
        { ...good, state: without(state, "streams") },
        /SimGAN checkpoint state field 'streams' is missing/,
      ],
      [
        "no-target-offset",
        {
          ...good,
          state: {
            ...state,
            streams: { ...state.streams, target: without(state.streams.target, "offset") },
          },
        },
        /SimGAN checkpoint state field 'streams\.target\.offset' is missing/,
      ],
      [
        "no-buffer-state",
        { ...good, state: { ...state, simgan: without(state.simgan, "history") } },
        /SimGAN checkpoint state field 'simgan\.history' is missing/,
      ],
      [
        "no-history",
        { ...good, arrays: {} },
        /array 'history' \(SimGAN's history buffer, tensor 'array\/history'\) is missing/,
      ],
      [
        "other-data-set",
        {
          ...good,
          state: {
            ...state,
            streams: { ...state.streams, synthetic: { ...state.streams.synthetic, count: 41 } },
          },
        },
        /synthetic image stream \(.*\/syn\) cannot continue: the saved position is for a data set of 41 images, this one has 40/,
      ],
      [
        "other-shape",
        {
          ...good,
          networks: {
            ...good.networks,
            R: {
              ...good.networks.R,
              weights: {
                ...good.networks.R.weights,
                "conv_in/kernel": { shape: [1], data: new Float32Array(1) },
              },
            },
          },
        },
        /network 'R' does not match the checkpoint .*'conv_in\/kernel' is \[1\] in the checkpoint/,
      ],
    ];
    for (const [name, ckpt] of cases) {
      await Deno.writeFile(`${root}/${name}.safetensors`, encodeCheckpoint({ ...ckpt, step: 1 }));
    }
    const before = await runFolderSnapshot(out);
    for (const [name, , pattern] of cases) {
      const file = `${out}/checkpoints/step-000001.safetensors`;
      await Deno.copyFile(`${root}/${name}.safetensors`, file);
      await assertResumeRefused(
        () => trainSimGAN(["--resume", file, "--steps", "5", "--quiet"], quiet()),
        { file, name, pattern, run: out, before },
      );
    }
    // the good checkpoint still resumes, and only then is the resume recorded
    const resumed = await trainSimGAN(["--resume", out, "--steps", "4", "--quiet"], quiet());
    assert.equal(resumed?.step, 4);
    const env = JSON.parse(await Deno.readTextFile(`${out}/env.json`));
    assert.deepEqual(env.resumes.map((x: { step: number }) => x.step), [3]);
  }));
