/**
 * `deno task train-cyclegan` and `deno task train-gazegan` end to end, in process, on tiny
 * generated data in a temp folder: a smoke run of each that writes every file of a run (with
 * the evaluation and the report), an exact resume of CycleGAN (2 + 2 steps == 4 straight, pools
 * in the checkpoint), `eval-gaze --refiner` on a GazeGAN run (into another folder, and into the
 * run, whose report keeps GazeGAN's sections), an interrupted GazeGAN run resumed to
 * the end, resumes from checkpoints that do not fit refused with the run folder unchanged,
 * `--steps` past the learning-rate schedule refused (new run and resume; exit 2) until the
 * schedule is raised with them, networks too big for the images (`--generator.downsamplings`,
 * `--discriminator.receptiveField`) refused before any run folder, and unknown flags exiting 2. A few seconds on two CPU cores. Every test makes its own temp folder and removes it.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { readGazeEval } from "../../lib/eval/eval_file.ts";
import { trainCycleGAN } from "../../lib/methods/cyclegan/mod.ts";
import { GAZE_ESTIMATOR_FILE, trainGazeGAN } from "../../lib/methods/gazegan/mod.ts";
import { type Checkpoint, encodeCheckpoint, readCheckpoint } from "../../lib/train/checkpoint.ts";
import { readMetrics } from "../../lib/train/run.ts";
import { main as cycleMain } from "../../tasks/train_cyclegan.ts";
import { main as gazeMain } from "../../tasks/train_gazegan.ts";
import {
  assertRebuiltReport,
  assertResumeRefused,
  assertSameSnapshot,
  captured,
  evalGazeIntoRun,
  evalGazeRefiner,
  type Fixture,
  quiet,
  reportSection,
  runFolderSnapshot,
  stopAtSample,
  withFixture,
} from "./task_fixture.ts";

await initBackend({ backend: "wasm" });

/** A fresh temp folder with this file's tiny data sets (see `task_fixture.ts`). */
function fixture(f: (fx: Fixture) => Promise<void>): Promise<void> {
  return withFixture({ prefix: "eyegan-cyclegan-task-", train: 24, test: 12 }, f);
}

const LOSSES = [
  "loss_G_adv",
  "loss_F_adv",
  "loss_cyc",
  "loss_id",
  "loss_G",
  "loss_D_Y",
  "loss_D_X",
];

/** Checks every file of a finished smoke run (4 steps, samples and checkpoints every 2). */
async function checkRun(
  dir: string,
  method: string,
  title: string,
  losses: string[],
  lines: string[],
): Promise<void> {
  for (const f of ["config.json", "env.json", "metrics.jsonl", "eval.json", "report.html"]) {
    assert.ok((await Deno.stat(`${dir}/${f}`)).isFile, f);
  }
  const ckpt = await readCheckpoint(`${dir}/checkpoints/latest.safetensors`);
  assert.equal(ckpt.step, 4);
  for (const n of ["G", "F", "D_Y", "D_X"]) assert.ok(ckpt.networks[n], `network ${n}`);
  assert.ok(ckpt.arrays.pool_Y && ckpt.arrays.pool_X, "pools in the checkpoint");
  const samples = [...Deno.readDirSync(`${dir}/samples`)].map((e) => e.name).sort();
  assert.deepEqual(samples, ["step-000002.png", "step-000004.png"]);
  const png = await Deno.readFile(`${dir}/samples/step-000004.png`);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assert.equal(config.method, method);
  assert.equal(config.preset, "smoke");
  const metrics = await readMetrics(`${dir}/metrics.jsonl`);
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4]);
  for (const m of metrics) {
    for (const k of losses) assert.ok(Number.isFinite(m[k]), `step ${m.step} ${k} = ${m[k]}`);
  }
  const ev = await readGazeEval(`${dir}/eval.json`);
  assert.equal(ev.refiner.name, title);
  assert.ok(Number.isFinite(ev.gaze.refined.test_error.meanDeg));
  const html = await Deno.readTextFile(`${dir}/report.html`);
  for (
    const text of [
      "Evaluation",
      `${title} refinement`,
      `${title} both directions`,
      "F(G(x))",
      "G(F(y))",
    ]
  ) {
    assert.ok(html.includes(text), `report has '${text}'`);
  }
  assert.ok(lines.some((l) => l === `report: ${dir}/report.html`), "prints the path");
}

Deno.test("train-cyclegan smoke: every file, pools in the checkpoint, evaluation, report; exact resume", (t) =>
  fixture(async ({ root, smoke }) => {
    const run = `${root}/smoke`;
    await t.step("smoke run", async () => {
      const before = tf.memory().numTensors;
      const o = quiet();
      const result = await trainCycleGAN([...smoke, "--out", run], o);
      assert.equal(tf.memory().numTensors, before, "no tensors leak");
      assert.equal(result?.exitCode, 0);
      assert.equal(result?.step, 4);
      await checkRun(run, "cyclegan", "CycleGAN", LOSSES, o.lines);
    });
    await t.step(
      "the report rebuilt from the run folder is the training task's, byte for byte",
      () =>
        assertRebuiltReport(
          run,
          ["CycleGAN refinement", "CycleGAN both directions"],
          "cyclegan",
        ),
    );
    await t.step("--resume continues exactly: 2 + 2 steps == 4 straight", async () => {
      const args = [...smoke, "--no-eval"];
      await trainCycleGAN([...args, "--steps", "2", "--out", `${root}/halves`], quiet());
      const resumed = await trainCycleGAN(
        ["--resume", `${root}/halves`, "--steps", "4", "--quiet"],
        quiet(),
      );
      assert.equal(resumed?.step, 4);
      const a = await readMetrics(`${run}/metrics.jsonl`);
      const b = await readMetrics(`${root}/halves/metrics.jsonl`);
      assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step));
      for (let i = 0; i < a.length; i++) {
        for (const k of LOSSES) {
          assert.ok(
            Math.abs(a[i][k] - b[i][k]) <= 1e-5,
            `step ${a[i].step} ${k}: ${a[i][k]} vs ${b[i][k]}`,
          );
        }
      }
    });
    await t.step(
      "--steps past the schedule exits 2 (new run, resume); raised with it, trains on",
      async () => {
        // smoke: 2 constant + 2 decaying steps
        const fresh = await captured(() =>
          cycleMain([...smoke, "--no-eval", "--steps", "5", "--out", `${root}/past`])
        );
        assert.equal(fresh.value, 2, fresh.text);
        assert.match(fresh.text, /--steps 5 goes past .*; step 5 would run at learning rate 0/);
        assert.match(fresh.text, /--schedule\.decaySteps 3 .*--schedule\.constantSteps 3 /);
        await assert.rejects(
          () => Deno.stat(`${root}/past`),
          Deno.errors.NotFound,
          "no run folder",
        );
        const halves = `${root}/halves`; // at step 4, the end of its schedule
        const snapshot = await runFolderSnapshot(halves);
        const resumed = await captured(() =>
          cycleMain(["--resume", halves, "--steps", "6", "--quiet"])
        );
        assert.equal(resumed.value, 2, resumed.text);
        assert.match(
          resumed.text,
          /steps 5-6 would run at learning rate 0.*with --resume the schedule/,
        );
        assertSameSnapshot(await runFolderSnapshot(halves), snapshot, "a refused resume");
        const done = await trainCycleGAN(
          ["--resume", halves, "--steps", "6", "--schedule.constantSteps", "4", "--quiet"],
          quiet(),
        );
        assert.equal(done?.step, 6);
        const lr = (await readMetrics(`${halves}/metrics.jsonl`)).map((m) => m.lr as number);
        assert.deepEqual(lr.slice(4), [2e-4, 1e-4], "the new schedule's decay");
        // GazeGAN shares the task: refused before its data or estimator are looked at
        const g = await captured(() =>
          gazeMain(["--preset", "smoke", "--steps", "9", "--no-eval", "--quiet"])
        );
        assert.equal(g.value, 2, g.text);
        assert.match(g.text, /steps 5-9 would run at learning rate 0/);
      },
    );
  }));

Deno.test("train-gazegan smoke: E from the protocol's cache, every file, report; eval-gaze --refiner", () =>
  fixture(async ({ root, data, smoke }) => {
    const run = `${root}/smoke`;
    const before = tf.memory().numTensors;
    const o = quiet();
    const result = await trainGazeGAN([...smoke, "--out", run], o);
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    assert.equal(result?.exitCode, 0);
    assert.ok((await Deno.stat(`${run}/${GAZE_ESTIMATOR_FILE}`)).isFile, "E copied to the run");
    await checkRun(run, "gazegan", "GazeGAN", [...LOSSES, "loss_gaze"], o.lines);

    const ev = await evalGazeRefiner({ root, data }, run, `${root}/eval-refiner`);
    assert.equal(ev.refiner.name, "GazeGAN");

    // into the run: its report keeps GazeGAN's sections, rebuilt from the checkpoint (G and F)
    const html = await evalGazeIntoRun({ root, data }, run, {
      same: ["GazeGAN refinement", "GazeGAN both directions"],
    });
    assert.match(reportSection(html, "GazeGAN refinement")!, /The final G \(step 4\)/);
  }));

Deno.test("train-cyclegan / train-gazegan: unknown flags exit 2 with the valid ones", async () => {
  const c = await captured(() => cycleMain(["--lamdaCycle", "3"]));
  assert.equal(c.value, 2);
  assert.match(c.text, /unknown flag --lamdaCycle/);
  for (const flag of ["--preset", "--lambdaCycle", "--poolSize", "--source", "--eval.steps"]) {
    assert.ok(c.text.includes(flag), `lists ${flag}`);
  }
  const g = await captured(() => gazeMain(["--gaze.weigth", "3"]));
  assert.equal(g.value, 2);
  assert.match(g.text, /unknown flag --gaze\.weigth/);
  assert.match(g.text, /--gaze\.estimator/);
});

Deno.test("train-cyclegan / train-gazegan: networks that do not fit the images exit 2 before any run folder", () =>
  fixture(async ({ root, smoke }) => {
    const cases: [string, (argv: string[]) => Promise<number>, string[], RegExp][] = [
      [
        "cyclegan-d",
        cycleMain,
        ["--discriminator.receptiveField", "142"],
        /^train-cyclegan: --discriminator\.receptiveField 142 does not fit the 36x60 images of --source \S+\/syn: .*at least 48x48.*use --discriminator\.receptiveField 1, 16, 34 or 70, which fit 36x60$/m,
      ],
      [
        "cyclegan-g",
        cycleMain,
        ["--generator.downsamplings", "6"],
        /^train-cyclegan: --generator\.downsamplings 6 does not fit the 36x60 images of --source \S+\/syn: .*down to 1x1 before the residual blocks.*at most 5 \(6 with --generator\.blocks 0\)$/m,
      ],
      [
        "cyclegan-rf",
        cycleMain,
        ["--discriminator.receptiveField", "50"],
        /cyclegan: discriminator\.receptiveField must be one of/,
      ],
      [
        "gazegan-g",
        gazeMain,
        ["--generator.downsamplings", "7"],
        /^train-gazegan: --generator\.downsamplings 7 does not fit .*pad 36x60 to 128x128/m,
      ],
    ];
    for (const [name, main, flags, re] of cases) {
      const out = `${root}/${name}`;
      const c = await captured(() => main([...smoke, "--no-eval", ...flags, "--out", out]));
      assert.equal(c.value, 2, `${name}: ${c.text}`);
      assert.match(c.text, re, name);
      await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound, `${name}: no run folder`);
    }
  }));

Deno.test("train-gazegan interrupted (as by Ctrl-C): checkpoint, no evaluation, exit 130; resume reuses E and ends it", () =>
  fixture(async ({ root, smoke }) => {
    const out = `${root}/interrupted`;
    const o = quiet();
    const r = await trainGazeGAN([...smoke, "--no-eval", "--out", out], stopAtSample(o, 2));
    assert.equal(r?.exitCode, 130);
    assert.equal(r?.step, 2);
    assert.ok((await Deno.stat(`${out}/checkpoints/step-000002.safetensors`)).isFile);
    assert.ok(o.lines.some((l) => l.includes(`deno task train-gazegan --resume ${out}`)));
    const e = await Deno.readFile(`${out}/${GAZE_ESTIMATOR_FILE}`);
    const done = await trainGazeGAN(["--resume", out, "--quiet"], quiet());
    assert.equal(done?.exitCode, 0);
    assert.equal(done?.step, 4);
    assert.deepEqual(await Deno.readFile(`${out}/${GAZE_ESTIMATOR_FILE}`), e, "E is reused");
    const metrics = await readMetrics(`${out}/metrics.jsonl`);
    assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4]);
  }));

Deno.test("train-cyclegan --resume of a checkpoint that does not fit: CheckpointError naming the file; the run folder unchanged", () =>
  fixture(async ({ root, smoke }) => {
    const out = `${root}/run`;
    const r = await trainCycleGAN([...smoke, "--no-eval", "--steps", "2", "--out", out], quiet());
    assert.equal(r?.step, 2);
    const good = await readCheckpoint(`${out}/checkpoints/latest.safetensors`);
    const state = good.state as Record<string, unknown>;
    const cases: [string, Checkpoint, RegExp][] = [
      ["no-state", { ...good, state: null }, /the CycleGAN state \(metadata 'state'\) is null/],
      ["no-pools", { ...good, arrays: {} }, /the image pools \(arrays 'pool_Y', 'pool_X'\)/],
      [
        "other-size",
        { ...good, state: { ...state, shape: { height: 8, width: 8, channels: 3 } } },
        /trained on 8x8x3 images, but the data sets now hold/,
      ],
    ];
    const before = await runFolderSnapshot(out);
    for (const [name, ckpt, pattern] of cases) {
      const file = `${out}/checkpoints/step-000001.safetensors`;
      await Deno.writeFile(file, encodeCheckpoint({ ...ckpt, step: 1 }));
      await assertResumeRefused(
        () => trainCycleGAN(["--resume", file, "--steps", "3", "--quiet"], quiet()),
        { file, name, pattern, run: out, before },
      );
    }
  }));
