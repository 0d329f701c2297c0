import assert from "node:assert/strict";
import { writeDataset } from "../../lib/data/dataset.ts";
import { summariseErrors } from "../../lib/gaze/metrics.ts";
import { encodePng } from "../../lib/image/io.ts";
import { buildRunReport, evalRows, writeRunReport } from "../../lib/report/run_report.ts";
import { EVIL, fakeEval } from "./fake_eval.ts";

/** The HTML with the contents of every `<script>` element removed (tags kept). */
function withoutScripts(html: string): string {
  return html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, "$1$2");
}

function headings(html: string): string[] {
  return [...html.matchAll(/<h2 id="[^"]*">([^<]*)<\/h2>/g)].map((m) => m[1]);
}

async function png(value: number): Promise<Uint8Array> {
  return await encodePng({
    width: 6,
    height: 4,
    channels: 1,
    data: new Uint8Array(24).fill(value),
  });
}

/** A small labelled data set of constant images. */
async function tinySet(dir: string, value: number, n = 4): Promise<void> {
  await writeDataset(dir, {
    arrays: {
      images: { data: new Uint8Array(n * 4 * 6).fill(value), shape: [n, 4, 6, 1] },
      gaze: { data: new Float32Array(n * 2), shape: [n, 2] },
    },
    meta: { format: "eyegan-dataset/1", count: n },
  });
}

Deno.test("run report: every section from a full run folder, text escaped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-run-report-" });
  try {
    const run = `${dir}/run`;
    await Deno.mkdir(`${run}/samples`, { recursive: true });
    await Deno.writeTextFile(
      `${run}/config.json`,
      JSON.stringify({
        format: "eyegan-run-config/1",
        method: "toy",
        preset: "quick",
        seed: 7,
        values: { steps: 100, lambda: 0.5, note: EVIL, net: { blocks: 6 } },
        non_default: { "net.blocks": { value: 6, default: 4 } },
      }),
    );
    await Deno.writeTextFile(
      `${run}/env.json`,
      JSON.stringify({ format: "eyegan-run-env/1", command: `deno task train-toy ${EVIL}` }),
    );
    const lines = Array.from(
      { length: 5 },
      (_, i) =>
        JSON.stringify({ step: 10 * (i + 1), elapsed_s: i, loss_G: 1 / (i + 1), tensors: 9 }),
    );
    await Deno.writeTextFile(`${run}/metrics.jsonl`, lines.join("\n") + "\n");
    for (const step of [10, 20, 30, 40, 50]) {
      await Deno.writeFile(
        `${run}/samples/step-${String(step).padStart(6, "0")}.png`,
        await png(step),
      );
    }
    await tinySet(`${dir}/syn`, 100);
    await tinySet(`${dir}/target-test`, 30);
    await tinySet(`${run}/refined`, 110);
    await Deno.writeTextFile(`${run}/eval.json`, JSON.stringify(fakeEval(dir, true)));

    const extraCalls: string[] = [];
    const result = await writeRunReport(run, {
      title: `Toy ${EVIL}`,
      earlierSamples: 2,
      extraSections: [{
        heading: "Method extras",
        build: (r) => {
          extraCalls.push("built");
          r.paragraph(`extra ${EVIL}`);
        },
      }],
    });
    assert.equal(result.path, `${run}/report.html`);
    assert.deepEqual(result.omitted, []);
    assert.deepEqual(extraCalls, ["built"]);
    const html = await Deno.readTextFile(result.path);
    assert.deepEqual(headings(html), [
      "Configuration",
      "Training losses",
      "Samples",
      "Evaluation",
      "Gaze error curves",
      "Realism against real images",
      "Refined images",
      "Method extras",
      "Environment",
    ]);
    assert.deepEqual(result.sections, headings(html));
    const text = withoutScripts(html);
    // Escaped everywhere: title, config values, refiner name, extra text, env.
    assert.ok(!text.includes(EVIL), "the raw payload never appears outside scripts");
    assert.ok(text.includes("Toy &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert.ok(text.includes("extra &lt;script&gt;"));
    assert.ok(text.includes("deno task train-toy &lt;script&gt;"));
    // The config marks the non-default value.
    assert.match(text, /<tr class="changed"><td>net\.blocks<span class="mark"/);
    assert.doesNotMatch(text, /<tr class="changed"><td>lambda/);
    // Loss curves: plotly chart with the loss key, not the bookkeeping fields.
    assert.ok(html.includes("loss_G"));
    assert.ok(!/"name":"tensors"/.test(html));
    // Samples: the latest (step 50) and two earlier ones.
    assert.ok(text.includes("step 50 (latest; step-000050.png)"));
    assert.equal((text.match(/<figcaption>step \d+ \(earlier; /g) ?? []).length, 2);
    assert.ok(text.includes("5 sample grids"));
    // Evaluation table: three rows with mean errors, within 7°, KID and accuracy.
    assert.ok(text.includes("raw synthetic (a)"));
    assert.ok(text.includes("refined: Evil &lt;script&gt;"));
    assert.ok(text.includes("target, upper bound (c)"));
    assert.ok(text.includes("within 7° (%)"));
    assert.ok(text.includes("11.250"), "mean error of raw synthetic");
    assert.ok(text.includes("0.0123 ± 0.00123"), "KID of refined");
    assert.ok(text.includes("61.0 ± 5.0 (n=100)"), "classifier accuracy of refined");
    assert.ok(text.includes("0.0456"), "KID against the real set");
    assert.ok(text.includes("domain-specific"));
    // Within-d curves and the refined-image grid.
    assert.ok(html.includes("% of images"));
    assert.ok(text.includes("rows, top to bottom: synthetic | refined (Evil &lt;script&gt;"));
    assert.equal((text.match(/<img src="data:image\/png;base64,/g) ?? []).length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run report: sections without data are left out with a note", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-run-report-" });
  try {
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({
        format: "eyegan-run-config/1",
        method: "toy",
        preset: "smoke",
        seed: 0,
        values: { steps: 2 },
        non_default: {},
      }),
    );
    const { report, sections, omitted } = await buildRunReport(dir);
    assert.deepEqual(sections, ["Configuration"]);
    assert.deepEqual(omitted.map((o) => o.section), [
      "Training losses",
      "Samples",
      "Evaluation",
      "Environment",
    ]);
    const html = report.render();
    assert.ok(html.includes("Not in this report: Training losses (no metrics.jsonl records)"));
    assert.ok(html.includes("Evaluation (no eval.json (run deno task eval-gaze --refiner RUN))"));
    assert.equal(report.plotCount, 0);
    assert.ok(!html.includes("<script"), "no plotly without charts");

    // An eval.json of another format is reported, not trusted; missing images are noted.
    await Deno.writeTextFile(`${dir}/eval.json`, JSON.stringify({ format: "something-else/9" }));
    const other = await buildRunReport(dir);
    assert.match(
      other.omitted.find((o) => o.section === "Evaluation")!.reason,
      /something-else\/9/,
    );
    await Deno.writeTextFile(`${dir}/eval.json`, JSON.stringify(fakeEval(`${dir}/nowhere`, true)));
    const noImages = await buildRunReport(dir);
    assert.ok(noImages.sections.includes("Evaluation"));
    assert.ok(!noImages.sections.includes("Refined images"));
    assert.match(
      noImages.omitted.find((o) => o.section === "Refined images")!.reason,
      /cannot read/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evalRows: synthetic, refined and upper-bound rows; held-out label preservation first", () => {
  const ev = fakeEval("/x", false);
  ev.label_preservation!.test = {
    images: "synthetic_test",
    refined: summariseErrors([3]),
    raw: summariseErrors([2]),
    by_target: { refined: summariseErrors([5]), raw: summariseErrors([9]) },
  };
  delete ev.gaze.target;
  const rows = evalRows(ev);
  assert.deepEqual(rows.map((r) => r.data), ["raw synthetic (a)", `refined: Evil ${EVIL} (b)`]);
  assert.equal((rows[1].labelPreservation as { meanDeg: number }).meanDeg, 3);
  assert.equal((rows[1].labelPreservationByTarget as { meanDeg: number }).meanDeg, 5);
  assert.equal((rows[0].labelPreservationByTarget as { meanDeg: number }).meanDeg, 9);
  assert.equal(rows[1].kid?.mean, 0.0123);
});
