import assert from "node:assert/strict";
import type { GazeEvalFile } from "../../lib/eval/eval_file.ts";
import { summariseErrors } from "../../lib/gaze/metrics.ts";
import {
  formatStats,
  type SeedRun,
  seedTable,
  seedTableMarkdown,
  seedTableSpec,
} from "../../lib/report/seed_table.ts";
import { seedStat } from "../../lib/util/stats.ts";
import { fakeEval } from "./fake_eval.ts";

/** An evaluation of seed `seed` whose refined estimator errs `refined` degrees everywhere. */
function evalOf(seed: number, refined: number, raw = 12 + seed): GazeEvalFile {
  const ev = fakeEval("/d", false);
  ev.estimator = { ...ev.estimator, seed };
  ev.gaze.synthetic.test_error = summariseErrors([raw, raw]);
  ev.gaze.refined.test_error = summariseErrors([refined, refined]);
  ev.gaze.target!.test_error = summariseErrors([5, 5]);
  ev.label_preservation!.train.by_target = {
    refined: summariseErrors([refined / 2]),
    raw: summariseErrors([20]),
  };
  ev.realism!.features!.cache_key = `c${seed}`;
  return ev;
}

Deno.test("seedStat: sample standard deviation; the mean alone for one seed", () => {
  const { mean, std } = seedStat([12.44, 12.32, 11.31]);
  assert.ok(Math.abs(mean - 12.0233) < 1e-4);
  assert.ok(Math.abs(std - 0.6205) < 1e-3);
  assert.equal(seedStat([3]).std, 0);
  assert.equal(formatStats({ ...seedStat([3]), seeds: [0] }, 2), "3.00");
  assert.equal(formatStats({ ...seedStat([1, 2]), seeds: [0, 1] }, 1), "1.5 ± 0.7");
  assert.equal(formatStats(undefined, 2), "—");
});

Deno.test("seedTable: baselines once per seed, one row per method, mean ± std over seeds", () => {
  const runs: SeedRun[] = [
    { method: "SimGAN", seed: 0, eval: evalOf(0, 8) },
    { method: "SimGAN", seed: 1, eval: evalOf(1, 10) },
    { method: "GazeGAN", seed: 1, eval: evalOf(1, 7) },
    { method: "GazeGAN", seed: 0, eval: evalOf(0, 9) },
  ];
  const t = seedTable(runs);
  assert.deepEqual(t.seeds, [0, 1]);
  assert.deepEqual(t.warnings, []);
  assert.deepEqual(t.rows.map((r) => r.label), [
    "raw synthetic (a)",
    "SimGAN",
    "GazeGAN",
    "target domain, upper bound (c)",
  ]);
  const [raw, sim, gaze, target] = t.rows;
  assert.deepEqual(raw.measures.mean!.values, [12, 13]);
  assert.deepEqual(sim.measures.mean!.values, [8, 10]);
  assert.equal(sim.measures.mean!.mean, 9);
  assert.ok(Math.abs(sim.measures.mean!.std - Math.SQRT2) < 1e-12);
  assert.deepEqual(gaze.measures.mean!.seeds, [0, 1]);
  assert.deepEqual(gaze.measures.mean!.values, [9, 7]);
  assert.deepEqual(gaze.measures.lpC!.values, [4.5, 3.5]);
  assert.deepEqual(raw.measures.lpC!.values, [20, 20]);
  assert.equal(target.measures.lpA, undefined);
  assert.equal(target.measures.mean!.mean, 5);
  // fakeEval: KID 0.0123 refined, 3x for raw; classifier 61% refined, 97% raw
  assert.equal(sim.measures.kid!.mean, 0.0123);
  assert.ok(Math.abs(raw.measures.classifier!.mean - 97) < 1e-9);
  const spec = seedTableSpec(t);
  assert.equal(spec.columns.length, 8);
  assert.equal((spec.rows[1] as string[])[1], "9.00 ± 1.41");
  assert.equal((spec.rows[3] as string[])[4], "—");
  const md = seedTableMarkdown(t).split("\n");
  assert.equal(md.length, 6);
  assert.ok(md[2].startsWith("| raw synthetic (a) | 12.50 ± 0.71 |"));
});

Deno.test("seedTable: incompatible evaluations and disagreeing baselines are warned about", () => {
  const other = evalOf(0, 9);
  other.data.target_test = { ...other.data.target_test, dir: "/elsewhere", count: 9 };
  const t = seedTable([
    { method: "SimGAN", seed: 0, eval: evalOf(0, 8), runDir: "runs/a" },
    { method: "GazeGAN", seed: 0, eval: other, runDir: "runs/b" },
    { method: "CycleGAN", seed: 0, eval: evalOf(0, 8, 14), runDir: "runs/c" },
    { method: "CycleGAN", seed: 1, eval: evalOf(1, 8), runDir: "runs/d" },
  ]);
  assert.ok(t.warnings.some((w) => /runs\/b vs runs\/a: data\.target_test\.dir/.test(w)));
  assert.ok(t.warnings.some((w) => /runs\/c: its raw-synthetic estimator \(a\) differs/.test(w)));
  // A different seed may change the estimator seed and KID's feature network, nothing else.
  assert.ok(!t.warnings.some((w) => w.startsWith("runs/d")));
  // Rows over fewer seeds than the table are pointed out.
  assert.ok(t.warnings.includes("SimGAN: over seeds 0 only, not all of 0, 1"));
  assert.ok(!t.warnings.some((w) => w.startsWith("CycleGAN:")));
  assert.throws(
    () =>
      seedTable([
        { method: "SimGAN", seed: 0, eval: evalOf(0, 8) },
        { method: "SimGAN", seed: 0, eval: evalOf(0, 9), runDir: "runs/x" },
      ]),
    /two runs of SimGAN with seed 0 \(one is runs\/x\)/,
  );
  assert.throws(() => seedTable([]), /no runs/);
});
