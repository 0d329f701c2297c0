import assert from "node:assert/strict";
import {
  analyseComparison,
  buildComparisonReport,
  formatComparisonSummary,
  METRIC_GROUP_FORMAT,
  readComparedRun,
  readComparedRuns,
  runLabels,
  strictFailures,
  writeComparisonReport,
} from "../../lib/report/compare.ts";
import { compareMain, resolveOut } from "../../tasks/compare.ts";
import { UsageError } from "../../lib/util/cli.ts";
import { EVIL } from "./fake_eval.ts";
import { fakeData, fakeRun, refinedErrors, tinyDataset } from "./fake_runs.ts";

const TASK = new URL("../../tasks/compare.ts", import.meta.url).pathname;

/** The HTML with the contents of every `<script>` element removed (tags kept). */
function withoutScripts(html: string): string {
  return html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, "$1$2");
}

function h2(html: string): string[] {
  return [...html.matchAll(/<h2 id="[^"]*">([^<]*)<\/h2>/g)].map((m) => m[1]);
}

async function withTemp(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-compare-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A paired evaluation as `lib/eval/paired.ts` writes it (the fields the comparison reads). */
function pairedEval(dir: string, l1: number) {
  const stat = (mean: number) => ({ mean, std: mean / 10 });
  const m = (l: number) => ({ count: 4, l1: stat(l), psnr: stat(20 + l), ssim: stat(0.5) });
  return {
    format: "eyegan-paired-eval/1",
    translator: { name: "t", input: "synthetic", source: null },
    data: { dir, count: 4, total: 4, height: 4, width: 6, channels: 1, split: null },
    metrics: m(l1),
    identity: m(0.3),
    clipped_fraction: 0,
    definitions: { l1: "", psnr: "", ssim: "" },
    seconds: 1,
    created_by: "test",
  };
}

Deno.test("compare: evaluation tables side by side, shared baselines, extra metrics, configs", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "runs/a", {
      eval: (ev) => (ev.label_preservation!.train.by_target = {
        refined: refinedErrors([5, 5]),
        raw: refinedErrors([2, 2]),
      }),
    });
    const b = await fakeRun(root, "runs/b", {
      values: { steps: 20, lambda: 2, refiner: { blocks: 2 } },
      refinedValue: 120,
      eval: (ev) => {
        ev.gaze.refined.test_error = refinedErrors([3, 4, 5, 6]);
        ev.label_preservation!.train.by_target = {
          refined: refinedErrors([3, 3]),
          raw: refinedErrors([2, 2]),
        };
      },
    });
    await Deno.writeTextFile(
      `${b}/paired_eval.json`,
      JSON.stringify(pairedEval(`${root}/paired`, 0.1)),
    );
    const c = await fakeRun(root, "runs/c", { method: "gazegan", eval: null });

    const runs = await readComparedRuns([a, b, c]);
    const an = analyseComparison(runs);
    assert.deepEqual(an.labels, ["a", "b", "c"]);
    assert.equal(an.reference, "a");
    assert.deepEqual(an.flags, []);
    assert.deepEqual(an.notEvaluated, ["c"]);
    assert.equal(an.warnings.length, 1);
    assert.match(an.warnings[0], /^NOT EVALUATED: c /);

    // (a) once at the top, (c) once at the bottom, one (b) row per run, c "not evaluated".
    const t = an.evalTable;
    assert.equal(t.columns[0], "run");
    assert.equal(t.columns[1], "training data");
    for (const col of ["paired: L1", "paired: PSNR (dB)", "paired: SSIM"]) {
      assert.ok(t.columns.includes(col), col);
    }
    const rows = t.rows as unknown[][];
    assert.deepEqual(rows.map((r) => r[0]), [
      "all evaluated runs (a, b)",
      "a",
      "b",
      "c",
      "all evaluated runs (a, b)",
    ]);
    assert.equal(rows[0][1], "raw synthetic (a)");
    assert.match(String(rows[1][1]), /^refined: /);
    assert.equal(rows[3][1], "not evaluated (no eval.json)");
    assert.match(String(rows[4][1]), /\(c\)$/);
    const mean = t.columns.indexOf("mean error (°)");
    assert.equal(rows[1][mean], 6.5); // fakeEval's refined errors [4, 6, 7, 9]
    assert.equal(rows[2][mean], 4.5);
    // Label preservation by the target estimator (c) comes through evalRows/evalTable.
    const byTarget = t.columns.findIndex((c) => /label preservation by \(c\)/.test(c));
    assert.ok(byTarget > 0, t.columns.join(" | "));
    assert.equal(rows[0][byTarget], 2);
    assert.equal(rows[1][byTarget], 5);
    assert.equal(rows[2][byTarget], 3);
    const l1 = t.columns.indexOf("paired: L1");
    assert.equal(rows[1][l1], undefined); // a has no paired metrics: "—"
    assert.equal(rows[2][l1], "0.100 ± 0.0100");
    assert.equal(rows[0][l1], "0.300 ± 0.0300"); // identity: the raw synthetic row
    assert.equal(rows[4][l1], undefined);
    assert.match(an.metricGroups.paired, /ground-truth twins/);
    assert.equal(an.sharedBaselines.synthetic, true);
    assert.equal(an.sharedBaselines.target, true);

    // Curves: one chart, the baselines once.
    assert.equal(an.curveGroups.length, 1);
    assert.deepEqual(an.curveGroups[0].curves.map((c) => [c.name.split(":")[0], c.baseline]), [
      ["raw synthetic (a)", true],
      ["a", false],
      ["b", false],
      ["target, upper bound (c)", true],
    ]);
    // Config: method and preset always; only lambda differs among the values.
    assert.deepEqual(an.configDiff.columns, ["key", "a", "b", "c"]);
    assert.deepEqual(an.configDiff.rows, [
      ["method", "simgan", "simgan", "gazegan"],
      ["preset", "smoke", "smoke", "smoke"],
      ["lambda", "1", "2", "1"],
    ]);
    assert.equal(an.sampleGroups.length, 1);
    assert.deepEqual(an.sampleGroups[0].runs, ["a", "b"]);

    const { report, notes } = await buildComparisonReport(runs, { samples: 3 });
    const html = report.render();
    assert.deepEqual(h2(html), [
      "⚠ Comparability: 1 warning",
      "Runs",
      "Evaluation",
      "Gaze error curves",
      "Training losses",
      "Refined samples",
      "Configuration differences",
    ]);
    assert.equal(report.plotCount, 1 + 3); // the curves, and the losses of a, b, c
    assert.ok(!withoutScripts(html).includes(EVIL), "the refiner's name is escaped");
    assert.ok(html.includes("Evil &lt;script&gt;"));
    assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 1);
    assert.match(html, /rows, top to bottom: raw synthetic \| a: refined Evil/);
    assert.deepEqual(notes, ["no refined samples (not evaluated): c"]);

    const summary = formatComparisonSummary(an);
    assert.match(summary, /^compare: 3 runs \(a, b, c\)/);
    assert.match(summary, /\| b \| refined: Evil <script>alert\("x"\)<\/script> \(b\) \| 4\.50 \|/);
    assert.match(summary, /WARNING NOT EVALUATED: c/);
  });
});

Deno.test("compare: incompatible, partly comparable and seed-only evaluations are flagged", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    await tinyDataset(`${root}/syn2`, 60);
    await tinyDataset(`${root}/target-test2`, 170);
    const a = await fakeRun(root, "a");
    const other = await fakeRun(root, "other-data", {
      eval: (ev) => {
        ev.data.synthetic.dir = `${root}/syn2`;
        ev.data.target_test.dir = `${root}/target-test2`;
      },
    });
    const seed = await fakeRun(root, "seed1", {
      eval: (ev) => {
        ev.estimator.seed = 1;
        ev.realism!.features!.cache_key = "other";
        ev.gaze.synthetic.test_error = refinedErrors([6, 9, 12, 20]);
      },
    });
    const lp = await fakeRun(root, "held-out", {
      eval: (ev) => {
        ev.data.synthetic_test = { ...ev.data.synthetic, dir: `${root}/syn-test` };
      },
    });
    const runs = await readComparedRuns([a, other, seed, lp]);
    const an = analyseComparison(runs);
    assert.deepEqual(an.flags.map((f) => [f.run, f.reference, f.kind]), [
      ["other-data", "a", "incompatible"],
      ["seed1", "a", "seed"],
      ["held-out", "a", "partial"],
    ]);
    assert.deepEqual(an.flags[0].differences.map((d) => d.setting), [
      "data.synthetic.dir",
      "data.target_test.dir",
    ]);
    assert.equal(an.flags[0].differences[0].affects, "every measure");
    assert.equal(an.flags[2].differences[0].affects, "label preservation");
    assert.match(an.warnings[0], /^INCOMPATIBLE: other-data's evaluation differs from a's/);
    assert.match(an.warnings[1], /^SEED: seed1's evaluation used another estimator seed/);
    assert.match(an.warnings[2], /^PARTLY COMPARABLE: held-out's/);
    assert.ok(an.warnings.some((w) => w.startsWith("DIFFERENT SYNTHETIC SETS:")));
    assert.ok(an.warnings.some((w) => w.startsWith("DIFFERENT TEST SETS:")));
    assert.equal(an.differentSyntheticSets, true);
    assert.deepEqual(an.sampleGroups.map((g) => g.runs), [["a", "seed1", "held-out"], [
      "other-data",
    ]]);
    assert.equal(an.curveGroups.length, 2);

    // Flagged runs are marked; the seed replicate keeps its own (a) row.
    const first = (an.evalTable.rows as unknown[][]).map((r) => r[0]);
    assert.ok(first.includes("⚠ other-data"));
    assert.ok(first.includes("⚠ held-out"));
    assert.ok(first.includes("seed1") && !first.includes("⚠ seed1"));
    assert.equal(an.sharedBaselines.synthetic, false);
    assert.ok(
      (an.evalTable.rows as unknown[][]).some((r) =>
        r[0] === "seed1" && r[1] === "raw synthetic (a)"
      ),
    );
    // In a's chart, (a) differs for seed1 only: two raw curves naming their runs.
    const names = an.curveGroups[0].curves.map((c) => c.name);
    assert.ok(names.includes("raw synthetic (a): a, ⚠ held-out"), names.join(" / "));
    assert.ok(names.includes("raw synthetic (a): seed1"), names.join(" / "));

    const summary = formatComparisonSummary(an);
    assert.match(summary, /WARNING INCOMPATIBLE: other-data/);
    assert.match(summary, /data\.target_test\.dir: ".*target-test" vs ".*target-test2"/);

    const { report } = await buildComparisonReport(runs, { samples: 2 });
    const html = report.render();
    assert.equal(h2(html)[0], "⚠ Comparability: 2 runs not (fully) comparable");
    assert.match(html, /INCOMPATIBLE: other-data \(against a\); affects every measure/);
    assert.match(html, /Evaluation settings that differ/);
    assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 2);
    assert.match(html, /one grid per set/);
    assert.equal(report.plotCount, 2 + 4);
  });
});

Deno.test("compare: seed replicates are said plainly, without ⚠", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "s0");
    const b = await fakeRun(root, "s1", {
      seed: 1,
      eval: (ev) => {
        ev.estimator.seed = 1;
        ev.realism!.features!.cache_key = "estimator-seed-1";
        ev.gaze.synthetic.test_error = refinedErrors([6, 9, 12, 20]);
      },
    });
    const runs = await readComparedRuns([a, b]);
    const an = analyseComparison(runs);
    assert.deepEqual(an.flags.map((f) => f.kind), ["seed"]);
    assert.deepEqual(an.flags[0].differences.map((d) => [d.setting, d.affects]), [
      ["estimator.seed", "every gaze number (another estimator seed)"],
      ["realism.features.cache_key", "KID (features of each seed's own estimator (c))"],
    ]);
    assert.deepEqual(strictFailures(an), []);
    const summary = formatComparisonSummary(an);
    assert.match(summary, /same data and settings but the estimator seed \(seed replicates/);
    assert.match(summary, /^note SEED: s1's evaluation used another estimator seed/m);
    assert.doesNotMatch(summary, /WARNING/);

    const html = (await buildComparisonReport(runs, { samples: 0 })).report.render();
    assert.equal(h2(html)[0], "Comparability: seed replicates");
    assert.ok(!h2(html).some((h) => h.includes("⚠")), h2(html).join(" / "));
    assert.match(html, /The evaluations differ only in the seed: s1 used another estimator seed/);
    assert.match(html, /Evaluation settings that differ \(compareEvalSettings\): the seed only/);
    assert.ok(!withoutScripts(html).includes("⚠"), "no ⚠ anywhere in the report");

    // With a real warning besides, the seed difference stays a note in the list.
    const c = await fakeRun(root, "plain", { eval: null });
    const mixed = analyseComparison(await readComparedRuns([a, b, c]));
    const mixedHtml = (await buildComparisonReport(await readComparedRuns([a, b, c]), {
      samples: 0,
    })).report.render();
    assert.equal(h2(mixedHtml)[0], "⚠ Comparability: 1 warning");
    assert.match(formatComparisonSummary(mixed), /^WARNING NOT EVALUATED: plain/m);
    assert.match(formatComparisonSummary(mixed), /^note SEED: s1/m);
  });
});

Deno.test("compare: extra metrics measured on other sets are INCOMPATIBLE METRICS; --strict fails", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "a");
    const b = await fakeRun(root, "b");
    await Deno.writeTextFile(
      `${a}/paired_eval.json`,
      JSON.stringify(pairedEval(`${root}/paired`, 0.1)),
    );
    await Deno.writeTextFile(
      `${b}/paired_eval.json`,
      JSON.stringify(pairedEval(`${root}/paired-other`, 0.2)),
    );
    const an = analyseComparison(await readComparedRuns([a, b]));
    assert.deepEqual(an.flags, []); // the gaze evaluations agree
    assert.deepEqual(an.incompatibleMetrics, ["paired"]);
    assert.equal(an.warnings.length, 1);
    assert.match(
      an.warnings[0],
      /^INCOMPATIBLE METRICS: the 'paired' metrics were measured with other settings: a: .*paired".*; b: .*paired-other"/,
    );
    assert.deepEqual(strictFailures(an), ["INCOMPATIBLE METRICS: paired"]);
    const html = (await buildComparisonReport(await readComparedRuns([a, b]), { samples: 0 }))
      .report.render();
    assert.equal(h2(html)[0], "⚠ Comparability: 1 warning");

    // The task: written either way; --strict exits 1.
    const log = console.log;
    const out: string[] = [];
    console.log = (...x: unknown[]) => out.push(x.join(" "));
    try {
      assert.equal(await compareMain([a, b, "--out", `${root}/r1.html`, "--samples", "0"]), 0);
      assert.equal(
        await compareMain([a, b, "--out", `${root}/r2.html`, "--samples", "0", "--strict"]),
        1,
      );
    } finally {
      console.log = log;
    }
    const text = out.join("\n");
    assert.match(text, /^WARNING INCOMPATIBLE METRICS: the 'paired' metrics/m);
    assert.match(text, /^--strict: not \(fully\) comparable: INCOMPATIBLE METRICS: paired$/m);
    await Deno.stat(`${root}/r2.html`); // written before the exit code
  });
});

Deno.test("compare: leadSections come first, before the comparability check", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const runs = await readComparedRuns([await fakeRun(root, "a"), await fakeRun(root, "b")]);
    const built: string[] = [];
    const { report } = await buildComparisonReport(runs, {
      samples: 0,
      leadSections: [
        {
          heading: "Results over seeds",
          build: (r) => {
            built.push("seeds");
            r.table([{ method: "SimGAN", "mean error (°)": "7.1 ± 0.2" }]);
          },
        },
        {
          heading: "Notes first",
          build: async (r) => {
            await Promise.resolve();
            built.push("notes");
            r.paragraph("a lead paragraph");
          },
        },
      ],
    });
    const html = report.render();
    assert.deepEqual(built, ["seeds", "notes"]);
    assert.deepEqual(h2(html).slice(0, 3), [
      "Results over seeds",
      "Notes first",
      "Comparability: all evaluations agree",
    ]);
    const at = (re: RegExp) => html.search(re);
    const lead = at(/<h2 id="[^"]*">Results over seeds</);
    const check = at(/<h2 id="[^"]*">Comparability: all evaluations agree</);
    assert.ok(lead > 0 && lead < at(/7\.1 ± 0\.2/) && at(/a lead paragraph/) < check);
  });
});

Deno.test("compare: bad inputs are errors that name the folder or file", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const ok = await fakeRun(root, "ok");
    await assert.rejects(readComparedRuns([ok, `${root}/missing`]), /missing: no such run folder/);
    await assert.rejects(readComparedRuns([]), /no run folders/);
    await Deno.mkdir(`${root}/empty`);
    await assert.rejects(readComparedRun(`${root}/empty`), /empty: not a run folder/);
    await Deno.writeTextFile(`${root}/file.txt`, "x");
    await assert.rejects(readComparedRun(`${root}/file.txt`), /not a folder/);

    const bad = await fakeRun(root, "bad");
    await Deno.writeTextFile(`${bad}/eval.json`, '{"format": "eyegan-gaze-eval/1", "gaze": ');
    await assert.rejects(readComparedRun(bad), /bad\/eval\.json: not valid JSON/);
    await Deno.writeTextFile(`${bad}/eval.json`, '{"format": "other/1"}');
    await assert.rejects(readComparedRun(bad), /bad\/eval\.json: format "other\/1" is not/);
    await Deno.writeTextFile(`${bad}/eval.json`, '{"format": "eyegan-gaze-eval/1"}');
    await assert.rejects(
      readComparedRun(bad),
      /eval\.json: not a complete gaze evaluation \(missing gaze, data\.synthetic\.dir/,
    );

    const cfg = await fakeRun(root, "cfg", { eval: null });
    await Deno.writeTextFile(`${cfg}/config.json`, "[1, 2");
    await assert.rejects(readComparedRun(cfg), /cfg\/config\.json: not valid JSON/);
    await Deno.writeTextFile(`${cfg}/config.json`, "{}");
    await assert.rejects(readComparedRun(cfg), /config\.json: not a run config/);

    const met = await fakeRun(root, "met", { eval: null });
    await Deno.writeTextFile(`${met}/metrics.jsonl`, '{"step": 1}\nnot json\n{"step": 3}\n');
    await assert.rejects(readComparedRun(met), /metrics\.jsonl: line 2 is not JSON/);

    const extra = await fakeRun(root, "extra");
    await Deno.writeTextFile(`${extra}/paired_eval.json`, '{"format": "eyegan-paired-eval/1"}');
    // Read by lib/eval/paired.ts's readPairedEval, then the metrics the columns show.
    await assert.rejects(readComparedRun(extra), /paired_eval\.json: 'translator' is missing/);
    const noSsim = pairedEval(`${root}/paired`, 0.1) as Record<string, unknown>;
    delete (noSsim.metrics as Record<string, unknown>).ssim;
    await Deno.writeTextFile(`${extra}/paired_eval.json`, JSON.stringify(noSsim));
    await assert.rejects(readComparedRun(extra), /paired_eval\.json: metrics\.ssim is not/);
    await Deno.remove(`${extra}/paired_eval.json`);
    await Deno.writeTextFile(
      `${extra}/eval.sharpness.json`,
      JSON.stringify({ format: METRIC_GROUP_FORMAT, metrics: { grad: "high" } }),
    );
    await assert.rejects(readComparedRun(extra), /metric 'sharpness: grad' is "high"/);
    await Deno.writeTextFile(
      `${extra}/eval.sharpness.json`,
      JSON.stringify({ format: METRIC_GROUP_FORMAT, metrics: { grad: { mean: 2, std: 1 } } }),
    );
    const r = await readComparedRun(extra);
    assert.deepEqual(r.metricGroups.map((g) => [g.group, g.metrics]), [
      ["sharpness", { grad: { mean: 2, std: 1 } }],
    ]);

    // A run without eval.json is listed, not an error.
    const plain = await fakeRun(root, "plain", { eval: null, metrics: 0 });
    const p = await readComparedRun(plain);
    assert.equal(p.eval, undefined);
    assert.deepEqual(p.missing, ["no metrics.jsonl", "no eval.json (not evaluated)"]);
  });
});

Deno.test("compare: unique labels", () => {
  assert.deepEqual(runLabels(["runs/a", "x/a/", "runs/b"]), ["runs/a", "x/a", "b"]);
  assert.deepEqual(runLabels(["a", "a"]), ["a", "a #2"]);
  assert.deepEqual(runLabels(["runs/a", "runs/b"], ["A", "B"]), ["A", "B"]);
  assert.throws(() => runLabels(["a"], ["A", "B"]), /2 names for 1 runs/);
});

Deno.test("compare task: writes the report, prints the flags, least privilege", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "a");
    const b = await fakeRun(root, "b", {
      eval: (ev) => (ev.data.target_test.count = 5),
    });
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        // The task's permissions, with the temp folder in place of runs/.
        args: [
          "run",
          "--allow-read",
          `--allow-write=${root}`,
          "--allow-env=IMAGESCRIPT_WASM_SIMD",
          "--allow-ffi",
          TASK,
          ...args,
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const r = await run(a, b, "--out", `${root}/cmp`, "--name", "first,second");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /WARNING INCOMPATIBLE: second's evaluation differs from first's/);
    assert.match(r.stdout, /data\.target_test\.count: 4 vs 5 \[affects every measure\]/);
    assert.match(r.stdout, new RegExp(`wrote ${root}/cmp/report\\.html`));
    const html = await Deno.readTextFile(`${root}/cmp/report.html`);
    assert.match(html, /⚠ Comparability: 1 run not \(fully\) comparable/);

    const strict = await run(a, b, "--out", `${root}/x.html`, "--strict");
    assert.equal(strict.code, 1);
    const missing = await run(a, `${root}/nope`, "--out", `${root}/y.html`);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /compare: .*nope: no such run folder/);
  });
});

Deno.test("compare task: command-line errors", async () => {
  await assert.rejects(compareMain([]), UsageError);
  await assert.rejects(compareMain(["a", "--name", "x,y"]), /--name: 2 names for 1 runs/);
  await assert.rejects(compareMain(["a", "--smoothing", "1"]), /--smoothing must be in \[0, 1\)/);
  await assert.rejects(compareMain(["a", "--bogus"]), /Unknown option '--bogus'/);
  assert.equal(resolveOut("runs/cmp"), "runs/cmp/report.html");
  assert.equal(resolveOut("runs/cmp/"), "runs/cmp/report.html");
  assert.equal(resolveOut("x/a.html"), "x/a.html");
  assert.match(resolveOut(undefined, new Date(2026, 0, 2, 3, 4, 5)), /compare-20260102-030405/);
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "a");
    const result = await writeComparisonReport([a], { out: `${root}/one.html`, samples: 0 });
    assert.equal(result.path, `${root}/one.html`);
    assert.deepEqual(result.analysis.warnings, []);
    const html = await Deno.readTextFile(result.path);
    assert.match(html, /Comparability: all evaluations agree/);
    assert.ok(!html.includes("Refined samples"));
  });
});

Deno.test("compare: a paired evaluation's segmentation score becomes three columns; a malformed one is an error", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "runs/a");
    const b = await fakeRun(root, "runs/b", { refinedValue: 120 });
    const scores = (p: number) => ({
      pixels: 96,
      pixel_accuracy: p,
      class_accuracy: p - 0.1,
      class_iou: p - 0.2,
      per_class: [],
    });
    const withSeg = {
      ...pairedEval(`${root}/paired`, 0.1),
      segmentation: {
        metrics: scores(0.9),
        twins: scores(0.95),
        identity: scores(0.8),
        segmenter: { key: "k123", train: `${root}/train`, train_count: 8, cached: true },
      },
    };
    await Deno.writeTextFile(
      `${a}/paired_eval.json`,
      JSON.stringify(pairedEval(`${root}/paired`, 0.2)),
    );
    await Deno.writeTextFile(`${b}/paired_eval.json`, JSON.stringify(withSeg));
    const an = analyseComparison(await readComparedRuns([a, b]));
    const t = an.evalTable;
    const rows = t.rows as unknown[][];
    const col = (name: string) => {
      const i = t.columns.indexOf(`paired: ${name}`);
      assert.ok(i > 0, `${name} in ${t.columns.join(" | ")}`);
      return i;
    };
    const [pix, cls, iou] = [col("seg pixel acc"), col("seg class acc"), col("seg IoU")];
    assert.deepEqual(rows.map((r) => r[0]).slice(1, 3), ["a", "b"]);
    // b's scores; a's file has none ("—"); the raw renders' (identity) in the (a) row
    assert.deepEqual([rows[2][pix], rows[2][cls], rows[2][iou]].map(Number), [0.9, 0.8, 0.7]);
    assert.equal(rows[1][iou], undefined);
    assert.ok(Math.abs(Number(rows[0][iou]) - 0.6) < 1e-9, String(rows[0][iou]));
    // the two files are described differently: each description with its run
    assert.match(
      an.metricGroups.paired,
      /^a: L1 .*renders; b: L1 .*segmentation score .*segmenter k123/,
    );

    // a segmentation field without its numbers names the file and the field
    const bad = structuredClone(withSeg) as { segmentation: { metrics: Record<string, unknown> } };
    bad.segmentation.metrics.class_iou = "high";
    await Deno.writeTextFile(`${b}/paired_eval.json`, JSON.stringify(bad));
    await assert.rejects(
      () => readComparedRun(b),
      /paired_eval\.json: segmentation\.metrics\.class_iou is not a number/,
    );
  });
});

Deno.test("compare: a paired evaluation's realism score becomes a column (± standard error); a malformed one is an error", async () => {
  await withTemp(async (root) => {
    await fakeData(root);
    const a = await fakeRun(root, "runs/a");
    const b = await fakeRun(root, "runs/b", { refinedValue: 120 });
    const acc = (accuracy: number, stdError: number) => ({
      accuracy,
      stdError,
      n: 500,
      correct: Math.round(500 * accuracy),
    });
    const withRealism = {
      ...pairedEval(`${root}/paired`, 0.1),
      realism: {
        metrics: acc(0.75, 0.02),
        identity: acc(0.99, 0.005),
        classifier: { steps: 400, seed: 0 },
        real_set: "paired_twins",
        split: "by_pair",
      },
    };
    await Deno.writeTextFile(
      `${a}/paired_eval.json`,
      JSON.stringify(pairedEval(`${root}/paired`, 0.2)),
    );
    await Deno.writeTextFile(`${b}/paired_eval.json`, JSON.stringify(withRealism));
    const an = analyseComparison(await readComparedRuns([a, b]));
    const t = an.evalTable;
    const rows = t.rows as unknown[][];
    const i = t.columns.indexOf("paired: realism acc");
    assert.ok(i > 0, t.columns.join(" | "));
    assert.deepEqual(rows.map((r) => r[0]).slice(1, 3), ["a", "b"]);
    // b's accuracy ± its standard error; a's file has none; the raw renders' in the (a) row
    assert.match(String(rows[2][i]), /^0\.75\d* ± 0\.02/);
    assert.equal(rows[1][i], undefined);
    assert.match(String(rows[0][i]), /^0\.99\d* ± 0\.005/);
    assert.match(
      an.metricGroups.paired,
      /^a: L1 .*renders; b: L1 .*realism acc: held-out accuracy ± standard error .*400 steps, seed 0, split by pair/,
    );

    // a realism field without its numbers names the file and the field
    const bad = structuredClone(withRealism) as { realism: { metrics: Record<string, unknown> } };
    delete bad.realism.metrics.stdError;
    await Deno.writeTextFile(`${b}/paired_eval.json`, JSON.stringify(bad));
    await assert.rejects(
      () => readComparedRun(b),
      /paired_eval\.json: realism\.metrics\.accuracy or stdError is not a number/,
    );
  });
});
