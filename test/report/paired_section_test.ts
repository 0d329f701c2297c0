/**
 * The shared "Paired metrics" report section (`lib/report/paired_section.ts`): the pixel table
 * alone for a file without segmentation or realism, the segmentation and realism tables with
 * their definitions when the file has them, a section saying an unreadable file could not be
 * read; `writeRunReportWithMethodSections` appending it to a run whose method has no paired
 * section of its own (none without a `paired_eval.json`); and `eval-pairs --refiner RUN`
 * rewriting the run's report (not with `--no-report`, `--identity`, or an `--out` that is no run
 * folder). A toy method (identity refiner, one toy section) keeps it fast.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend/mod.ts";
import { makeDataset } from "../../lib/data/dataset.ts";
import {
  PAIRED_DEFINITIONS,
  PAIRED_EVAL_FILE,
  type PairedEvalFile,
  readPairedEval,
  REALISM_DEFINITION,
  refinerTranslator,
  runPairedEval,
  SEGMENTATION_DEFINITION,
} from "../../lib/eval/paired.ts";
import { identityRefiner, registerRefinerLoader } from "../../lib/eval/refiner.ts";
import { pairedSection as pix2pixPairedSection } from "../../lib/methods/pix2pix/train.ts";
import {
  PAIRED_SECTION_HEADING,
  pairedEvalSection,
  pairedSection,
  readRunPairedEval,
} from "../../lib/report/paired_section.ts";
import { escapeHtml } from "../../lib/plot/mod.ts";
import { Report } from "../../lib/report/report.ts";
import {
  registerRunReportSections,
  writeRunReportWithMethodSections,
} from "../../lib/report/run_report_sections.ts";
import { main as pairsMain, USAGE as PAIRS_USAGE } from "../../tasks/eval_pairs.ts";
import { captured, reportSection } from "../methods/task_fixture.ts";
import { toyRun } from "./fake_runs.ts";

await initBackend({ backend: "wasm" });

function headings(html: string): string[] {
  return [...html.matchAll(/<h2 id="[^"]*">([^<]*)<\/h2>/g)].map((m) => m[1]);
}

/** The HTML of a report holding only `section`. */
function sectionHtml(section: { heading: string; build: (r: Report) => void }): string {
  const report = new Report("t");
  report.heading(section.heading);
  section.build(report);
  return report.render();
}

/** `file` with hand-made segmentation and realism scores (distinctive numbers). */
function withScores(file: PairedEvalFile): PairedEvalFile {
  const seg = (pixel: number, cls: number, iou: number) => ({
    pixels: 100,
    pixel_accuracy: pixel,
    class_accuracy: cls,
    class_iou: iou,
    per_class: [],
  });
  const acc = (accuracy: number, stdError: number, n: number) => ({ accuracy, stdError, n });
  return JSON.parse(JSON.stringify({
    ...file,
    segmentation: {
      metrics: seg(0.8125, 0.6875, 0.5625),
      identity: seg(0.7031, 0.5469, 0.4219),
      twins: seg(0.9531, 0.9219, 0.8906),
      segmenter: {
        key: "feedc0ffee",
        train: "pairs-train",
        train_count: 8,
        config: { steps: 7 },
        cached: true,
        final_loss: 0.1,
        train_seconds: 1,
      },
    },
    realism: {
      metrics: acc(0.6172, 0.0431, 128),
      identity: acc(0.9844, 0.0109, 128),
      classifier: { steps: 9, seed: 3 },
      real_set: "paired_twins",
      split: "by_pair",
    },
    definitions: {
      ...file.definitions,
      segmentation: SEGMENTATION_DEFINITION,
      realism: REALISM_DEFINITION,
    },
  }));
}

Deno.test("paired section: pixel metrics alone; segmentation and realism tables when present; unreadable file", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-paired-section-" });
  try {
    const paired = `${root}/pairs`;
    await makeDataset(paired, { domain: "paired", n: 6, seed: 2, split: "test" });
    const file = await runPairedEval(refinerTranslator(identityRefiner()), {
      paired,
      quiet: true,
    });
    assert.equal(pix2pixPairedSection, pairedSection, "pix2pix re-exports the shared section");

    // pixel metrics only (as training writes the file): one table, the pixel definitions
    const plain = sectionHtml(pairedSection(file));
    assert.equal(pairedSection(file).heading, PAIRED_SECTION_HEADING);
    assert.equal(PAIRED_SECTION_HEADING, "Paired metrics");
    assert.equal(plain.match(/<table>/g)?.length, 1);
    assert.ok(plain.includes("PSNR (dB)"));
    assert.ok(plain.includes(escapeHtml(PAIRED_DEFINITIONS.ssim)));
    assert.ok(plain.includes(">6</td>"), "the pairs evaluated");
    assert.doesNotMatch(plain, /Segmentation score|Realism score/);

    // with segmentation and realism: their tables, numbers and definitions
    const full = sectionHtml(pairedSection(withScores(file)));
    assert.equal(full.match(/<table>/g)?.length, 3);
    for (
      const text of [
        "Segmentation score (FCN-score)",
        "segmenter feedc0ffee (7 steps on pairs-train)",
        "pixel acc.",
        "class IoU",
        "S(G(x)): identity",
        "S(raw synthetic x) (identity)",
        "S(ground-truth twin y)",
        ">0.8125<",
        ">0.6875<",
        ">0.5625<",
        ">0.7031<",
        ">0.9531<",
        ">0.8906<",
        escapeHtml(SEGMENTATION_DEFINITION),
        "Realism score: a classifier",
        "9 steps, seed 3, split by pair",
        "held-out accuracy",
        "± s.e.",
        "twins vs G(x): identity",
        "twins vs raw synthetic x (identity)",
        ">0.617<",
        ">0.0431<",
        ">0.984<",
        ">0.0109<",
        ">128<",
        escapeHtml(REALISM_DEFINITION),
      ]
    ) assert.ok(full.includes(text), `the section shows '${text}'`);
    // the pixel part is the same as without the scores
    assert.ok(full.startsWith(plain.slice(0, plain.indexOf("</table>"))));

    // readRunPairedEval: none, the file, an error; the error's section says so
    assert.equal(await readRunPairedEval(root), undefined);
    await Deno.writeTextFile(`${root}/${PAIRED_EVAL_FILE}`, JSON.stringify(file));
    assert.deepEqual(await readRunPairedEval(`${root}/`), file);
    await Deno.writeTextFile(`${root}/${PAIRED_EVAL_FILE}`, '{"format": "other"}');
    const bad = await readRunPairedEval(root);
    assert.ok(bad instanceof Error);
    const badHtml = sectionHtml(pairedEvalSection(bad));
    assert.match(badHtml, /paired_eval\.json could not be read: .*format is &quot;other&quot;/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("run report with method sections: the paired section appended when the run has paired_eval.json", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-paired-report-" });
  try {
    const paired = `${root}/pairs`;
    await makeDataset(paired, { domain: "paired", n: 6, seed: 2, split: "test" });
    const file = withScores(
      await runPairedEval(refinerTranslator(identityRefiner()), { paired, quiet: true }),
    );
    registerRunReportSections("toy_paired", () =>
      Promise.resolve({
        sections: [{ heading: "Toy grid", build: (r) => void r.paragraph("toy") }],
        dispose: () => {},
      }));
    registerRunReportSections("toy_own_paired", () =>
      Promise.resolve({
        sections: [{ heading: "Paired metrics", build: (r) => void r.paragraph("own paired") }],
        dispose: () => {},
      }));

    // no paired_eval.json: exactly the report without it
    const run = `${root}/run`;
    await toyRun(run, "toy_paired");
    const before = await writeRunReportWithMethodSections(run);
    const plainHtml = await Deno.readTextFile(before.path);
    assert.deepEqual(headings(plainHtml), ["Configuration", "Toy grid", "Environment"]);

    // with one: after the method's sections, before the caller's
    await Deno.writeTextFile(`${run}/${PAIRED_EVAL_FILE}`, JSON.stringify(file));
    const r = await writeRunReportWithMethodSections(run, {
      extraSections: [{ heading: "Caller", build: (rep) => void rep.paragraph("x") }],
    });
    assert.equal(r.note, undefined);
    assert.deepEqual(r.methodSections, ["Toy grid"]);
    let html = await Deno.readTextFile(r.path);
    assert.deepEqual(headings(html), [
      "Configuration",
      "Toy grid",
      "Paired metrics",
      "Caller",
      "Environment",
    ]);
    const section = reportSection(html, "Paired metrics")!;
    for (const text of [">0.8125<", ">0.617<", "Realism score", "Segmentation score"]) {
      assert.ok(section.includes(text), text);
    }

    // a method whose sections have their own paired section: not twice
    const own = `${root}/own`;
    await toyRun(own, "toy_own_paired");
    await Deno.writeTextFile(`${own}/${PAIRED_EVAL_FILE}`, JSON.stringify(file));
    await writeRunReportWithMethodSections(own);
    html = await Deno.readTextFile(`${own}/report.html`);
    assert.deepEqual(headings(html), ["Configuration", "Paired metrics", "Environment"]);
    assert.ok(html.includes("own paired"));

    // a method without sections, and an unreadable file: the section says so
    const plain = `${root}/plain`;
    await toyRun(plain, "toy_paired_without_sections");
    await Deno.writeTextFile(`${plain}/${PAIRED_EVAL_FILE}`, "{ not json");
    const p = await writeRunReportWithMethodSections(plain);
    assert.equal(p.note, undefined);
    html = await Deno.readTextFile(p.path);
    assert.deepEqual(headings(html), ["Configuration", "Paired metrics", "Environment"]);
    assert.match(reportSection(html, "Paired metrics")!, /paired_eval\.json could not be read/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("eval-pairs --refiner RUN rewrites the run's report; not with --no-report, --identity, or a non-run --out", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-paired-task-report-" });
  try {
    const paired = `${root}/pairs`;
    await makeDataset(paired, { domain: "paired", n: 6, seed: 2, split: "test" });
    registerRefinerLoader("toy_pairs_task", () => Promise.resolve(identityRefiner()));
    registerRunReportSections("toy_pairs_task", () =>
      Promise.resolve({
        sections: [{ heading: "Toy grid", build: (r) => void r.paragraph("toy") }],
        dispose: () => {},
      }));
    const run = `${root}/run`;
    await toyRun(run, "toy_pairs_task");
    const base = ["--paired", paired, "--no-segmentation", "--no-realism", "--quiet"];
    const report = `${run}/report.html`;
    const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
    assert.match(PAIRS_USAGE, /--no-report/);

    // --no-report: paired_eval.json only
    const a = await captured(() => pairsMain(["--refiner", run, ...base, "--no-report"]));
    assert.equal(a.value, 0, a.text);
    assert.ok(await exists(`${run}/${PAIRED_EVAL_FILE}`));
    assert.equal(await exists(report), false, "--no-report writes no report");
    assert.doesNotMatch(a.text, /report\.html/);

    // the default: the report is rewritten with the method's and the paired section
    const b = await captured(() => pairsMain(["--refiner", run, ...base]));
    assert.equal(b.value, 0, b.text);
    assert.ok(b.text.includes(`wrote ${report}`), b.text);
    assert.doesNotMatch(b.text, /note:/);
    const html = await Deno.readTextFile(report);
    assert.deepEqual(headings(html), [
      "Configuration",
      "Toy grid",
      "Paired metrics",
      "Environment",
    ]);
    const n = (await readPairedEval(`${run}/${PAIRED_EVAL_FILE}`)).data.count;
    assert.match(reportSection(html, "Paired metrics")!, new RegExp(`>${n}</td>`));

    // an --out that is no run folder, and --identity: no report
    const other = `${root}/other`;
    const c = await captured(() => pairsMain(["--refiner", run, ...base, "--out", other]));
    assert.equal(c.value, 0, c.text);
    assert.equal(await exists(`${other}/report.html`), false);
    assert.doesNotMatch(c.text, /report\.html/);
    const d = await captured(() => pairsMain(["--identity", ...base, "--out", `${root}/id`]));
    assert.equal(d.value, 0, d.text);
    assert.equal(await exists(`${root}/id/report.html`), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
