/**
 * `deno task train-simgan` end to end, in process, on tiny rendered data in a temp folder: a
 * smoke run that writes every file of a run (and the evaluation and report), exact resume,
 * flag and data errors with exit code 2, psi `features` without an estimator file, and
 * `eval-gaze --refiner` on the smoke run. A few seconds on two CPU cores.
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
  type TrainSimGANOptions,
} from "../../lib/methods/simgan/mod.ts";
import { resolveConfig } from "../../lib/train/config.ts";
import { readMetrics } from "../../lib/train/run.ts";
import { main as trainMain } from "../../tasks/train_simgan.ts";
import { main as evalMain } from "../../tasks/eval_gaze.ts";

await initBackend({ backend: "wasm" });

const ROOT = await Deno.makeTempDir({ prefix: "eyegan-simgan-task-" });
const DATA = {
  syn: `${ROOT}/syn`,
  tgt: `${ROOT}/tgt`,
  tgtTest: `${ROOT}/tgt-test`,
  synTest: `${ROOT}/syn-test`,
};
await makeDataset(DATA.syn, { domain: "synthetic", n: 40, seed: 1, split: "train" });
await makeDataset(DATA.tgt, { domain: "real", n: 40, seed: 1, split: "train" });
await makeDataset(DATA.tgtTest, { domain: "real", n: 16, seed: 1, split: "test" });
await makeDataset(DATA.synTest, { domain: "synthetic", n: 16, seed: 1, split: "test" });

/** Flags of a smoke run on the temp data, evaluation settings tiny, cache in the temp folder. */
const SMOKE = [
  "--preset",
  "smoke",
  "--source",
  DATA.syn,
  "--target",
  DATA.tgt,
  "--targetTest",
  DATA.tgtTest,
  "--syntheticTest",
  DATA.synTest,
  "--eval.cache",
  `${ROOT}/cache`,
  "--quiet",
];

/** Quiet options that keep the messages and outputs. */
function quiet(): TrainSimGANOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    print: (m) => void lines.push(m),
    output: (m) => void lines.push(m),
    git: { commit: "unknown", reason: "test" },
    catchSigint: false,
  };
}

/** Runs `f` with `console.error` (and `console.log`) captured; returns its result and the text. */
async function captured<T>(f: () => Promise<T>): Promise<{ value: T; text: string }> {
  const parts: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => void parts.push(a.join(" "));
  console.log = (...a: unknown[]) => void parts.push(a.join(" "));
  try {
    return { value: await f(), text: parts.join("\n") };
  } finally {
    console.error = error;
    console.log = log;
  }
}

const LOSSES = ["loss_R_reg", "loss_R_adv", "loss_R", "loss_D", "acc_real", "acc_refined"];
const SMOKE_RUN = `${ROOT}/smoke`;

Deno.test("train-simgan smoke: every file of the run, evaluation, report; no leaked tensors", async () => {
  const before = tf.memory().numTensors;
  const o = quiet();
  const result = await trainSimGAN([...SMOKE, "--out", SMOKE_RUN], o);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.ok(result);
  assert.equal(result.exitCode, 0);
  assert.equal(result.step, 6);
  for (const f of ["config.json", "env.json", "metrics.jsonl", "eval.json", "report.html"]) {
    assert.ok((await Deno.stat(`${SMOKE_RUN}/${f}`)).isFile, f);
  }
  assert.ok((await Deno.stat(`${SMOKE_RUN}/checkpoints/latest.safetensors`)).size > 1000);
  assert.ok((await Deno.stat(`${SMOKE_RUN}/checkpoints/step-000003.safetensors`)).isFile);
  const samples = [...Deno.readDirSync(`${SMOKE_RUN}/samples`)].map((e) => e.name).sort();
  assert.deepEqual(samples, ["step-000003.png", "step-000006.png"]);
  const png = await Deno.readFile(`${SMOKE_RUN}/samples/step-000006.png`);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"

  const config = JSON.parse(await Deno.readTextFile(`${SMOKE_RUN}/config.json`));
  assert.equal(config.method, "simgan");
  assert.equal(config.preset, "smoke");
  assert.equal(config.values.source, DATA.syn);
  const env = JSON.parse(await Deno.readTextFile(`${SMOKE_RUN}/env.json`));
  assert.equal(env.seed, 0);

  const metrics = await readMetrics(`${SMOKE_RUN}/metrics.jsonl`);
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
  for (const m of metrics) {
    const losses = Object.keys(m).filter((k) => LOSSES.includes(k));
    assert.ok(losses.length > 0, `step ${m.step} logs losses`);
    for (const k of losses) assert.ok(Number.isFinite(m[k]), `step ${m.step} ${k} = ${m[k]}`);
  }
  assert.ok("loss_R_adv" in metrics[5] && "loss_D" in metrics[5], "adversarial step logged");

  const ev = await readGazeEval(`${SMOKE_RUN}/eval.json`);
  assert.equal(ev.refiner.name, "SimGAN");
  assert.equal(ev.estimator.steps, 4);
  assert.equal(ev.data.synthetic.dir, DATA.syn);
  assert.equal(ev.data.synthetic_test?.dir, DATA.synTest);
  assert.ok(Number.isFinite(ev.gaze.refined.test_error.meanDeg));
  assert.equal(result.eval?.created, ev.created);

  const html = await Deno.readTextFile(`${SMOKE_RUN}/report.html`);
  for (
    const text of ["Evaluation", "refined: SimGAN (b)", "raw synthetic (a)", "SimGAN refinement"]
  ) {
    assert.ok(html.includes(text), `report has '${text}'`);
  }
  assert.ok(o.lines.some((l) => l === `report: ${SMOKE_RUN}/report.html`), "prints the path");
  assert.ok(o.lines.some((l) => l.includes("| refined: SimGAN (b) |")), "prints the summary");
});

Deno.test("eval-gaze --refiner loads the smoke run's refiner (registered by simgan/mod.ts)", async () => {
  const out = `${ROOT}/eval-gaze`;
  const { value: code, text } = await captured(() =>
    evalMain([
      "--refiner",
      SMOKE_RUN,
      "--out",
      out,
      "--synthetic",
      DATA.syn,
      "--target-train",
      DATA.tgt,
      "--target-test",
      DATA.tgtTest,
      "--steps",
      "4",
      "--width",
      "0.25",
      "--batch",
      "8",
      "--classifier-steps",
      "4",
      "--realism-limit",
      "16",
      "--cache",
      `${ROOT}/cache`,
      "--no-report",
      "--quiet",
    ])
  );
  assert.equal(code, 0, text);
  const ev = await readGazeEval(`${out}/eval.json`);
  const trained = await readGazeEval(`${SMOKE_RUN}/eval.json`);
  assert.equal(ev.refiner.name, "SimGAN");
  assert.equal((ev.refiner.source as { step?: number }).step, 6);
  // the same refiner, estimators and data: the same refined-set estimator
  assert.equal(ev.gaze.refined.test_error.meanDeg, trained.gaze.refined.test_error.meanDeg);
});

Deno.test("train-simgan --resume continues exactly: 3 + 3 steps == 6 straight", async () => {
  const args = [...SMOKE, "--no-eval"];
  await trainSimGAN([...args, "--out", `${ROOT}/straight`], quiet());
  await trainSimGAN([...args, "--steps", "3", "--out", `${ROOT}/halves`], quiet());
  const resumed = await trainSimGAN(
    ["--resume", `${ROOT}/halves`, "--steps", "6", "--quiet"],
    quiet(),
  );
  assert.equal(resumed?.step, 6);
  const a = await readMetrics(`${ROOT}/straight/metrics.jsonl`);
  const b = await readMetrics(`${ROOT}/halves/metrics.jsonl`);
  assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step));
  for (let i = 0; i < a.length; i++) {
    for (const k of LOSSES.filter((k) => k in a[i])) {
      assert.ok(
        Math.abs(a[i][k] - b[i][k]) <= 1e-6,
        `step ${a[i].step} ${k}: ${a[i][k]} vs ${b[i][k]}`,
      );
    }
  }
  assert.ok(!(await Deno.stat(`${ROOT}/halves/eval.json`).then(() => true, () => false)));
});

Deno.test("train-simgan interrupted (as by Ctrl-C): checkpoint, no evaluation, exit 130; resume ends it", async () => {
  const out = `${ROOT}/interrupted`;
  const stop = new AbortController();
  const o = quiet();
  const r = await trainSimGAN([...SMOKE, "--sampleEvery", "2", "--out", out], {
    ...o,
    signal: stop.signal,
    onSample: (step) => {
      if (step === 2) stop.abort();
    },
  });
  assert.equal(r?.exitCode, 130);
  assert.equal(r?.step, 2);
  assert.ok((await Deno.stat(`${out}/checkpoints/step-000002.safetensors`)).isFile);
  assert.ok(o.lines.some((l) => l.includes(`resume with: deno task train-simgan --resume ${out}`)));
  assert.ok(!(await Deno.stat(`${out}/eval.json`).then(() => true, () => false)), "no eval");
  const done = await trainSimGAN(["--resume", out, "--quiet"], quiet());
  assert.equal(done?.exitCode, 0);
  assert.equal(done?.step, 6);
  assert.ok(done?.eval, "evaluated once training is complete");
});

Deno.test("train-simgan: unknown flags and bad data sets exit 2 with a clear message", async () => {
  const unknown = await captured(() => trainMain(["--lamda", "3"]));
  assert.equal(unknown.value, 2);
  assert.match(unknown.text, /unknown flag --lamda \(did you mean --lambda\?\)/);
  assert.match(unknown.text, /valid flags: .*--preset.*--lambda.*--psi\.name.*--eval\.steps/);

  const badPsi = await captured(() => trainMain(["--psi", "fourier"]));
  assert.equal(badPsi.value, 2);
  assert.match(badPsi.text, /identity/);

  // a custom target without a target test set, evaluation on
  const noTest = await captured(() =>
    trainMain(["--preset", "smoke", "--source", DATA.syn, "--target", DATA.tgt, "--quiet"])
  );
  assert.equal(noTest.value, 2);
  assert.match(noTest.text, /--targetTest DIR.*--no-eval/s);

  // real images of another size: rejected before the run folder is made
  const small = `${ROOT}/real-35x55`;
  await makeDataset(small, { domain: "real", n: 8, seed: 2, height: 35, width: 55 });
  const out = `${ROOT}/never`;
  const wrongSize = await captured(() =>
    trainMain([...SMOKE, "--real", small, "--no-eval", "--out", out])
  );
  assert.equal(wrongSize.value, 2);
  assert.match(wrongSize.text, /--real .*35x55x1.*36x60x1.*--size 36x60/s);
  assert.ok(!(await Deno.stat(out).then(() => true, () => false)), "no run folder");
});

Deno.test("train-simgan --real: unlabelled real images are the training target; realism against them", async () => {
  const real = `${ROOT}/real`;
  await makeDataset(real, { domain: "real", n: 24, seed: 3, split: "unlabelled" });
  const dirs = simganDataDirs(
    resolveConfig(SIMGAN_CONFIG, {
      preset: "smoke",
      overrides: { source: DATA.syn, target: DATA.tgt, targetTest: DATA.tgtTest, real },
    }).values,
  );
  assert.equal(dirs.trainTarget, real);
  assert.equal(dirs.protocol?.real, real);
  assert.equal(dirs.protocol?.targetTrain, DATA.tgt);
  const out = `${ROOT}/with-real`;
  const r = await trainSimGAN([...SMOKE, "--real", real, "--out", out], quiet());
  assert.equal(r?.exitCode, 0);
  const ev = await readGazeEval(`${out}/eval.json`);
  assert.equal(ev.data.real?.dir, real);
  assert.ok(ev.realism?.real?.kid && ev.realism.real.classifier, "realism vs the real set");
  const html = await Deno.readTextFile(`${out}/report.html`);
  assert.ok(html.includes("Realism against real images"));
  assert.ok(html.includes("real images (training target)"));
});

Deno.test("train-simgan --psi features without a file: the protocol's synthetic estimator", async () => {
  const out = `${ROOT}/features`;
  const lines = quiet();
  const r = await trainSimGAN([...SMOKE, "--psi", "features", "--no-eval", "--out", out], lines);
  assert.equal(r?.exitCode, 0);
  assert.ok((await Deno.stat(`${out}/${PSI_ESTIMATOR_FILE}`)).isFile);
  const metrics = await readMetrics(`${out}/metrics.jsonl`);
  assert.ok(metrics.every((m) => Object.values(m).every(Number.isFinite)));
  const resumed = await trainSimGAN(["--resume", out, "--steps", "7", "--quiet"], quiet());
  assert.equal(resumed?.step, 7);
});

Deno.test("short flags and default data sets", async () => {
  assert.deepEqual(expandSimganArgs(["--psi=stats", "--no-eval", "--lambda", "2"]), [
    "--psi.name=stats",
    "--eval.enabled=false",
    "--lambda",
    "2",
  ]);
  assert.equal(defaultDataRole(`./${DEFAULT_DATA.synthetic}/`), "synthetic");
  assert.equal(defaultDataRole(DEFAULT_DATA.targetTest), "targetTest");
  assert.equal(defaultDataRole(DATA.syn), undefined);
  assert.equal(defaultDataDirs("/x").targetTrain, "/x/gap-real-train-n10000-s0");
  assert.deepEqual(await ensureDefaultData([DATA.syn, DATA.syn], { quiet: true }), [
    { dir: DATA.syn, action: "other" },
  ]);
  // defaults: the default sets, their test sets chosen automatically
  const d = simganDataDirs(resolveConfig(SIMGAN_CONFIG, {}).values);
  assert.equal(d.source, DEFAULT_DATA.synthetic);
  assert.equal(d.protocol?.targetTest, DEFAULT_DATA.targetTest);
  assert.equal(d.protocol?.syntheticTest, DEFAULT_DATA.syntheticTest);
  const quick = resolveConfig(SIMGAN_CONFIG, {}).values;
  assert.equal(quick.eval.enabled, true);
});

Deno.test({
  name: "cleanup",
  fn: async () => {
    await Deno.remove(ROOT, { recursive: true });
  },
});
