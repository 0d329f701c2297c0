/**
 * The real-browser check in headless Chromium: a small report with a plot and an image passes,
 * broken pages fail with clear reasons, the run report and the comparison report of fixture
 * runs pass, an exported notebook with the display helpers' outputs passes, and Chromium is
 * always shut down. Skipped (with a message) only where Chromium is not installed; `.ci/run`
 * installs it. Screenshots are kept under `runs/browser-check/unit/`.
 */
import assert from "node:assert/strict";
import {
  checkNotebook,
  checkPages,
  countPlotMarkers,
  exportNotebookHtml,
  fileUrl,
  findChromium,
  isNotebookHtml,
  JUPYTER,
  type PageCheckResult,
} from "../../lib/report/browser_check.ts";
import { writeComparisonReport } from "../../lib/report/compare.ts";
import { Report } from "../../lib/report/report.ts";
import { writeRunReport } from "../../lib/report/run_report.ts";
import {
  imagesBundle,
  markdownBundle,
  plotBundle,
  tableBundle,
} from "../../lib/notebook/display.ts";
import { figureHtml, lineFigure, loadPlotlySource } from "../../lib/plot/mod.ts";
import { pngBytes, testImage } from "../fixtures/bad_inputs.ts";
import { fakeData, fakeRun } from "./fake_runs.ts";

const CHROMIUM = await findChromium();
if (!CHROMIUM) {
  console.error(
    "browser_check_test: chromium is not installed, the browser tests are skipped " +
      "(apt-get install chromium; .ci/run installs it)",
  );
}
const HAVE_JUPYTER = await Deno.stat(JUPYTER).then((s) => s.isFile, () => false);

/** Where screenshots are kept: runs/browser-check/unit, else (not writable) a temp folder. */
async function screenshotDir(): Promise<string> {
  const dir = new URL("../../runs/browser-check/unit", import.meta.url).pathname;
  try {
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  } catch {
    return await Deno.makeTempDir({ prefix: "eyegan-browser-check-" });
  }
}

async function withTemp(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-browser-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Checks pages and asserts that Chromium and its profile are gone afterwards. */
async function check(
  files: string[],
  options: Parameters<typeof checkPages>[1] = {},
): Promise<PageCheckResult[]> {
  let launched: { pid: number; profile: string } | undefined;
  const results = await checkPages(files, {
    outDir: await screenshotDir(),
    ...options,
    onLaunch: (info) => (launched = info),
  });
  assertShutDown(launched);
  return results;
}

function assertShutDown(launched: { pid: number; profile: string } | undefined) {
  assert.ok(launched, "Chromium was started");
  let alive = false;
  try {
    const stat = Deno.readTextFileSync(`/proc/${launched.pid}/stat`);
    alive = !/\) Z /.test(stat);
  } catch {
    // gone
  }
  assert.equal(alive, false, `Chromium (pid ${launched.pid}) still runs`);
  assert.throws(() => Deno.statSync(launched!.profile), Deno.errors.NotFound);
}

function isPng(path: string): boolean {
  const b = Deno.readFileSync(path);
  return b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b.length > 1000;
}

const figure = lineFigure({ title: "loss", series: [{ name: "R", y: [3, 2, 1.5, 1.2] }] });

Deno.test({
  name: "browser check: a report with a plot, a table and an image passes, with a screenshot",
  ignore: !CHROMIUM,
  async fn() {
    await withTemp(async (dir) => {
      const report = new Report("tiny report");
      report.heading("Chart").plot(figure);
      report.table([{ a: 1, b: 2.5 }]);
      report.image(await pngBytes(12, 8), { caption: "an image" });
      const path = await report.write(`${dir}/tiny/report.html`);
      const [r] = await check([path]);
      assert.deepEqual(r.problems, []);
      assert.equal(r.ok, true);
      assert.equal(r.title, "tiny report");
      assert.equal(r.expectedPlots, 1);
      assert.deepEqual(r.plots, [{ id: "plot-1", rendered: true }]);
      assert.equal(r.images.length, 1);
      assert.deepEqual([r.images[0].width, r.images[0].height], [12, 8]);
      assert.ok(r.screenshot && isPng(r.screenshot), "screenshot written");
      assert.equal(r.url, fileUrl(path));
    });
  },
});

Deno.test({
  name: "browser check: JS errors, broken images, missing plots and network requests fail",
  ignore: !CHROMIUM,
  async fn() {
    await withTemp(async (dir) => {
      await Deno.mkdir(`${dir}/broken`);
      const page = (name: string, body: string) => {
        const path = `${dir}/broken/${name}.html`;
        Deno.writeTextFileSync(
          path,
          `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${name}</title></head>` +
            `<body>${body}</body></html>`,
        );
        return path;
      };
      const files = [
        page("js-error", `<script>console.error("bad thing"); throw new Error("boom");</script>`),
        page("broken-image", `<img src="missing.png" alt="gone">`),
        page("no-plotly", figureHtml(figure, { divId: "lonely" })),
        page("network", `<img src="https://example.com/x.png" alt="remote">`),
        page("fewer-plots", `<p>class="eyegan-plot" was promised here</p>`),
      ];
      const results = await check(files, { renderTimeoutMs: 1500, maxHeight: 0 });
      const [js, img, plot, net, fewer] = results;
      for (const r of results) assert.equal(r.ok, false, r.file);
      assert.ok(
        js.problems.some((p) => /^JavaScript exception: Error: boom/.test(p)),
        `${js.problems}`,
      );
      assert.ok(js.problems.includes("console.error: bad thing"), `${js.problems}`);
      assert.ok(
        img.problems.some((p) => /^image did not load: file:.*missing\.png \(gone\)/.test(p)),
      );
      assert.ok(
        img.problems.some((p) => /ERR_FILE_NOT_FOUND.*missing\.png/.test(p)),
        `${img.problems}`,
      );
      assert.deepEqual(plot.plots, [{ id: "lonely", rendered: false, text: "" }]);
      assert.ok(
        plot.problems.includes(
          "plot lonely did not render (no .main-svg; plotly.js is not loaded on the page)",
        ),
        `${plot.problems}`,
      );
      assert.ok(
        net.problems.includes("external request (blocked): https://example.com/x.png"),
        `${net.problems}`,
      );
      assert.ok(fewer.problems.includes("0 plot containers on the page, 1 expected"));
      for (const r of results) assert.ok(r.screenshot && isPng(r.screenshot), r.file);
    });
  },
});

Deno.test({
  name: "browser check: a page that never finishes is cut off and Chromium still shut down",
  ignore: !CHROMIUM,
  async fn() {
    await withTemp(async (dir) => {
      const hang = `${dir}/hang.html`;
      await Deno.writeTextFile(hang, `<html><body><script>while (true) {}</script></body></html>`);
      const started = performance.now();
      const [r] = await check([hang], {
        loadTimeoutMs: 1500,
        renderTimeoutMs: 1000,
        outDir: null,
      });
      assert.equal(r.ok, false);
      assert.ok(
        r.problems.some((p) => /did not finish loading|check failed/.test(p)),
        `${r.problems}`,
      );
      assert.ok(performance.now() - started < 30_000);
    });
  },
});

Deno.test({
  name: "browser check: the run report and the comparison report of fixture runs render",
  ignore: !CHROMIUM,
  async fn() {
    await withTemp(async (root) => {
      await fakeData(root);
      const a = await fakeRun(root, "run-a");
      const b = await fakeRun(root, "run-b", {
        refinedValue: 130,
        eval: (ev) => (ev.data.target_test.count = 5),
      });
      await Deno.mkdir(`${a}/samples`);
      await Deno.writeFile(`${a}/samples/step-000010.png`, await pngBytes(30, 12));
      const run = await writeRunReport(a);
      const cmp = await writeComparisonReport([a, b], { out: `${root}/compare/report.html` });
      assert.equal(cmp.analysis.flags[0]?.kind, "incompatible");
      const [runResult, cmpResult] = await check([run.path, cmp.path]);
      for (const r of [runResult, cmpResult]) {
        assert.deepEqual(r.problems, [], r.file);
        assert.ok(r.plots.length > 0 && r.plots.every((p) => p.rendered));
        assert.ok(r.images.length > 0 && r.images.every((i) => i.width > 0));
      }
      // the comparison: curves (one per test set: 2) and the losses of both runs
      assert.equal(cmpResult.expectedPlots, cmp.plots);
      assert.equal(cmpResult.plots.length, 4);
    });
  },
});

Deno.test({
  name: "browser check: an exported notebook with the display helpers' outputs renders",
  ignore: !CHROMIUM || !HAVE_JUPYTER,
  async fn() {
    await withTemp(async (dir) => {
      // An executed notebook as the Deno kernel writes it: the bundles of showPlot (plotly.js
      // inlined into the first chart only), showImages, showTable and showMarkdown.
      const source = await loadPlotlySource();
      const output = (data: Record<string, unknown>) => ({
        output_type: "display_data",
        data,
        metadata: {},
      });
      const cells = [
        output(plotBundle(figure, { plotlySource: source })),
        output(await imagesBundle([testImage(10, 6), testImage(10, 6)], { cols: 2 })),
        output(plotBundle(lineFigure({ series: [{ name: "b", y: [1, 4, 2] }] }))),
        output(tableBundle([{ x: 1, y: 2 }])),
        output(markdownBundle("**done**")),
      ].map((o, i) => ({
        cell_type: "code",
        id: `c${i}`,
        source: `// cell ${i}`,
        metadata: {},
        outputs: [o],
        execution_count: i + 1,
      }));
      const nb = `${dir}/tiny.ipynb`;
      await Deno.writeTextFile(
        nb,
        JSON.stringify({
          nbformat: 4,
          nbformat_minor: 5,
          metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
          cells,
        }),
      );
      const html = await exportNotebookHtml(nb, `${dir}/html`);
      const text = await Deno.readTextFile(html);
      assert.ok(isNotebookHtml(text));
      // nbconvert picks the text/html fallback of the plot bundles (not the plotly JSON).
      assert.equal(countPlotMarkers(text), 2);

      let launched: { pid: number; profile: string } | undefined;
      const r = await checkNotebook(nb, {
        outDir: await screenshotDir(),
        onLaunch: (i) => (launched = i),
      });
      assertShutDown(launched);
      assert.deepEqual(r.problems, []);
      assert.equal(r.plots.length, 2);
      assert.ok(r.plots.every((p) => p.rendered));
      assert.equal(r.images.length, 1);
      assert.ok(r.images[0].width > 0);
    });
  },
});

Deno.test("browser check: a browser that does not start is an error", async () => {
  await assert.rejects(
    checkPages(["x.html"], { chromium: "/bin/false", outDir: null }),
    /\/bin\/false exited with code 1 before DevTools was ready/,
  );
  await assert.rejects(
    checkPages(["x.html"], { chromium: "/nonexistent/chromium", outDir: null }),
    /cannot start \/nonexistent\/chromium/,
  );
});

Deno.test("browser check: helpers without a browser", () => {
  assert.equal(countPlotMarkers('<div class="eyegan-plot"></div><div class="eyegan-plot">'), 2);
  assert.equal(fileUrl("/a b/c#d.html"), "file:///a%20b/c%23d.html");
  assert.ok(isNotebookHtml('<body class="jp-Notebook" data-x="1">'));
  assert.ok(!isNotebookHtml("<body><main><p>jp-Notebook</p></main></body>"));
});
