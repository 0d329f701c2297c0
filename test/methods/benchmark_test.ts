import assert from "node:assert/strict";
import {
  benchmarkRunDir,
  planBenchmark,
  plannedArgs,
  registerBenchmarkMethod,
  resolveMethods,
  runBenchmark,
  type TaskOutcome,
} from "../../lib/methods/benchmark.ts";
import { summariseErrors } from "../../lib/gaze/metrics.ts";
import { RUN_CONFIG_FORMAT } from "../../lib/train/run.ts";
import { parseSeedsFlag } from "../../tasks/benchmark_methods.ts";
import { fakeEval } from "../report/fake_eval.ts";

/** Writes a run folder the way a finished (or, without eval, unfinished) task leaves it. */
async function fakeRun(
  dir: string,
  o: { method: string; seed: number; steps?: number; evaluated?: boolean; error?: number },
): Promise<void> {
  await Deno.mkdir(`${dir}/checkpoints`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      format: RUN_CONFIG_FORMAT,
      method: o.method,
      preset: "quick",
      seed: o.seed,
      values: { steps: o.steps ?? 10, pairs: "twins" },
    }),
  );
  await Deno.writeFile(`${dir}/checkpoints/latest.safetensors`, new Uint8Array(8));
  if (o.evaluated === false) return;
  const ev = fakeEval(dir, false);
  ev.estimator = { ...ev.estimator, seed: o.seed };
  ev.refiner = { name: o.method, precomputed: false, source: { run: dir, step: o.steps ?? 10 } };
  ev.gaze.refined.test_error = summariseErrors([o.error ?? 8]);
  await Deno.writeTextFile(`${dir}/eval.json`, JSON.stringify(ev));
}

const calls: string[][] = [];
let failNext = false;
registerBenchmarkMethod({
  key: "fake",
  title: "Fake",
  configMethod: "fake",
  fixedFlags: ["--pairs", "twins"],
  train: async (argv): Promise<TaskOutcome> => {
    calls.push([...argv]);
    if (failNext) {
      failNext = false;
      throw new Error("diverged: loss_G is NaN");
    }
    const resume = argv.indexOf("--resume");
    const dir = resume >= 0 ? argv[resume + 1] : argv[argv.indexOf("--out") + 1];
    const seed = resume >= 0 ? 1 : Number(argv[argv.indexOf("--seed") + 1]);
    await fakeRun(dir, { method: "fake", seed, error: 5 + seed });
    return { exitCode: 0, runDir: dir };
  },
});

Deno.test("parseSeedsFlag: a count or a list", () => {
  assert.deepEqual(parseSeedsFlag("3"), [0, 1, 2]);
  assert.deepEqual(parseSeedsFlag("4,1"), [4, 1]);
  assert.throws(() => parseSeedsFlag("0"), /--seeds must be an integer in 1..100/);
  assert.throws(() => parseSeedsFlag("1,1"), /repeats a seed/);
});

Deno.test("benchmark: plan reuses, resumes and trains; refuses foreign folders", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-bench-" });
  try {
    assert.throws(() => resolveMethods(["fake", "nope"]), /unknown method 'nope'; use some of/);
    assert.equal(benchmarkRunDir("runs/", "fake", "quick", 2), "runs/fake-quick-seed2");
    await fakeRun(`${dir}/fake-quick-seed0`, { method: "fake", seed: 0 });
    await fakeRun(`${dir}/fake-quick-seed1`, { method: "fake", seed: 1, evaluated: false });
    const opts = { methods: ["fake"], seeds: [0, 1, 2], runsDir: dir };
    const plan = await planBenchmark(opts);
    assert.deepEqual(plan.map((p) => p.action), ["reuse", "resume", "train"]);
    assert.deepEqual(plannedArgs(plan[1], "quick"), ["--resume", `${dir}/fake-quick-seed1`]);
    assert.deepEqual(plannedArgs(plan[2], "quick", ["--quiet"]), [
      "--pairs",
      "twins",
      "--preset",
      "quick",
      "--seed",
      "2",
      "--eval.seed",
      "2",
      "--out",
      `${dir}/fake-quick-seed2`,
      "--quiet",
    ]);

    // A folder of another seed (or method) is an error naming it; nothing is touched.
    await fakeRun(`${dir}/other/fake-quick-seed0`, { method: "fake", seed: 7 });
    await assert.rejects(
      planBenchmark({ ...opts, runsDir: `${dir}/other` }),
      /fake-quick-seed0 holds a fake run \(preset quick, seed 7\), not fake \/ quick \/ seed 0/,
    );
    // A folder of the method with other fixed flags (a `maps` run where `twins` is planned).
    await fakeRun(`${dir}/maps/fake-quick-seed0`, { method: "fake", seed: 0 });
    const cfgPath = `${dir}/maps/fake-quick-seed0/config.json`;
    const cfg = JSON.parse(await Deno.readTextFile(cfgPath));
    cfg.values.pairs = "maps";
    await Deno.writeTextFile(cfgPath, JSON.stringify(cfg));
    await assert.rejects(
      planBenchmark({ ...opts, runsDir: `${dir}/maps` }),
      /holds a run with pairs = "maps", not twins/,
    );
    await Deno.mkdir(`${dir}/empty/fake-quick-seed0`, { recursive: true });
    await assert.rejects(
      planBenchmark({ ...opts, runsDir: `${dir}/empty` }),
      /not a readable run folder/,
    );

    // --no-train: the table over the finished run only; the others are listed, not trained.
    calls.length = 0;
    const reuseOnly = await runBenchmark({ ...opts, noTrain: true, print: () => {} });
    assert.equal(calls.length, 0);
    assert.equal(reuseOnly.exitCode, 0);
    assert.deepEqual(reuseOnly.skipped.map((p) => p.seed), [1, 2]);
    assert.deepEqual(reuseOnly.runs.map((x) => x.seed), [0]);

    // Run: one failure does not stop the others; the table covers what was evaluated.
    calls.length = 0;
    const messages: string[] = [];
    const r = await runBenchmark({ ...opts, print: (m) => messages.push(m) });
    assert.equal(calls.length, 2);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.runs.map((x) => x.seed), [0, 1, 2]);
    assert.deepEqual(r.table!.rows[1].measures.mean!.values, [8, 6, 7]);
    assert.ok(
      messages.some((m) => /\[1\/3\] Fake seed 0 .*finished \(step 10\) and evaluated/.test(m)),
    );

    // Everything is finished now: a second benchmark trains nothing.
    calls.length = 0;
    const again = await runBenchmark({ ...opts, print: () => {} });
    assert.equal(calls.length, 0);
    assert.equal(again.runs.length, 3);

    failNext = true;
    const failing = await runBenchmark({
      methods: ["fake"],
      seeds: [3, 4],
      runsDir: dir,
      print: () => {},
    });
    assert.equal(failing.exitCode, 1);
    assert.deepEqual(failing.failures.map((f) => [f.seed, f.message]), [
      [3, "diverged: loss_G is NaN"],
    ]);
    assert.deepEqual(failing.runs.map((x) => x.seed), [4]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
