/**
 * The real-browser check in headless Chromium: a small report with a plot and an image passes,
 * broken pages fail with clear reasons, the run report and the comparison report of fixture
 * runs pass, exported notebooks with the display helpers' outputs pass, and Chromium, every
 * helper process it started and its profile are always gone afterwards, also after SIGINT and
 * SIGTERM. Skipped (with a message) only where Chromium is not installed, unless
 * `EYEGAN_REQUIRE_CHROMIUM=1` (as `.ci/run` sets it, after installing Chromium): then they fail.
 * Screenshots are kept under `runs/browser-check/unit/`.
 */
import assert from "node:assert/strict";
import {
  browserSignalHandlersInstalled,
  checkNotebooks,
  checkPages,
  CHROMIUM_HINT,
  countPlotMarkers,
  fileUrl,
  findChromium,
  isNotebookHtml,
  type PageCheckResult,
} from "../../lib/report/browser_check.ts";
import {
  exportNotebookHtml,
  JUPYTER,
  NotebookExportError,
  uniqueExportNames,
} from "../../lib/notebook/export.ts";
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
/** CI sets it: a missing Chromium fails the browser tests instead of skipping them. */
const REQUIRE_CHROMIUM = Deno.env.get("EYEGAN_REQUIRE_CHROMIUM") === "1";
/** The browser tests are skipped only where Chromium is missing and not required. */
const SKIP = !CHROMIUM && !REQUIRE_CHROMIUM;
if (!CHROMIUM) {
  console.error(
    REQUIRE_CHROMIUM
      ? "browser_check_test: chromium is not installed and EYEGAN_REQUIRE_CHROMIUM=1: the " +
        "browser tests fail"
      : "browser_check_test: chromium is not installed, the browser tests are skipped " +
        "(apt-get install chromium; .ci/run installs it and sets EYEGAN_REQUIRE_CHROMIUM=1)",
  );
}

/** The Chromium of the tests; fails the test where there is none (EYEGAN_REQUIRE_CHROMIUM=1). */
function chromium(): string {
  if (!CHROMIUM) throw new Error(`EYEGAN_REQUIRE_CHROMIUM=1: ${CHROMIUM_HINT}`);
  return CHROMIUM;
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

/** One process of {@link processTable}. */
interface ProcInfo {
  ppid: number;
  /** Start time (clock ticks after boot): a pid reused by another process has another. */
  start: string;
  /** `R`, `S`, ..., `Z` (exited, not yet reaped). */
  state: string;
}

/**
 * Every process, from `/proc/PID/stat`. Deno 2 allows reading `/proc` only with --allow-all,
 * so `cat` reads it (the tests have --allow-run).
 */
async function processTable(): Promise<Map<number, ProcInfo>> {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", "cat /proc/[0-9]*/stat 2>/dev/null; true"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const table = new Map<number, ProcInfo>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const close = line.lastIndexOf(")");
    if (close < 0) continue;
    const f = line.slice(close + 2).split(" ");
    table.set(parseInt(line, 10), { state: f[0], ppid: Number(f[1]), start: f[19] });
  }
  return table;
}

/** A process that was started (pid and start time, so a reused pid is not mistaken for it). */
interface Proc {
  pid: number;
  start: string;
}

/** `root` and its descendants in `table`. */
function processTree(table: Map<number, ProcInfo>, root: number): Proc[] {
  const me = table.get(root);
  const out: Proc[] = me ? [{ pid: root, start: me.start }] : [];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, p] of table) {
      if (p.ppid === out[i].pid) out.push({ pid, start: p.start });
    }
  }
  return out;
}

/** What a test saw of a launched Chromium: its pid, profile, and processes at launch time. */
interface Launched {
  pid: number;
  profile: string;
  processes: Proc[];
}

/** Records Chromium's process tree at launch (an `onLaunch` callback's body). */
async function recordLaunch(info: { pid: number; profile: string }): Promise<Launched> {
  const processes = processTree(await processTable(), info.pid);
  return { ...info, processes };
}

/** The processes of `procs` that still run (not exited, not zombies). */
async function stillRunning(procs: readonly Proc[]): Promise<Proc[]> {
  const table = await processTable();
  return procs.filter((p) => {
    const now = table.get(p.pid);
    return now !== undefined && now.start === p.start && now.state !== "Z";
  });
}

/** Checks pages and asserts that Chromium, its helpers and its profile are gone afterwards. */
async function check(
  files: string[],
  options: Parameters<typeof checkPages>[1] = {},
): Promise<PageCheckResult[]> {
  let launched: Launched | undefined;
  assert.equal(browserSignalHandlersInstalled(), false);
  const results = await checkPages(files, {
    chromium: chromium(),
    outDir: await screenshotDir(),
    ...options,
    onLaunch: async (info) => {
      assert.equal(browserSignalHandlersInstalled(), true, "SIGINT/SIGTERM handled meanwhile");
      launched = await recordLaunch(info);
    },
  });
  await assertShutDown(launched);
  return results;
}

/**
 * Chromium and every process it had started at launch time (zygotes, GPU and utility processes,
 * the first renderers) have exited, its profile is removed, and the signal listeners are gone.
 */
async function assertShutDown(launched: Launched | undefined) {
  assert.ok(launched, "Chromium was started");
  assert.equal(launched.processes[0]?.pid, launched.pid, "Chromium seen at launch");
  assert.ok(launched.processes.length > 1, "Chromium's helper processes seen at launch");
  const alive = await stillRunning(launched.processes);
  assert.deepEqual(alive, [], `Chromium (pid ${launched.pid}) or its helpers still run`);
  assert.throws(() => Deno.statSync(launched!.profile), Deno.errors.NotFound);
  assert.equal(browserSignalHandlersInstalled(), false, "the signal listeners are removed");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isPng(path: string): boolean {
  const b = Deno.readFileSync(path);
  return b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b.length > 1000;
}

const figure = lineFigure({ title: "loss", series: [{ name: "R", y: [3, 2, 1.5, 1.2] }] });

Deno.test({
  name: "browser check: a report with a plot, a table and an image passes, with a screenshot",
  ignore: SKIP,
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
  ignore: SKIP,
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
        // Its state would be another document's: the check reads the navigated one only.
        page("moves-away", `<script>location.replace("landing.html")</script>`),
      ];
      page("landing", `<p>somewhere else</p>`);
      const results = await check(files, {
        renderTimeoutMs: 1500,
        loadTimeoutMs: 3000,
        maxHeight: 0,
      });
      const [js, img, plot, net, fewer, moved] = results;
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
      assert.ok(
        moved.problems.some((p) =>
          /^the page's state came from file:.*\/landing\.html, not from file:.*\/moves-away\.html/
            .test(p)
        ),
        `${moved.problems}`,
      );
      for (const r of [js, img, plot, net, fewer]) {
        assert.ok(r.screenshot && isPng(r.screenshot), r.file);
      }
    });
  },
});

Deno.test({
  name: "browser check: a page that never finishes is cut off and Chromium still shut down",
  ignore: SKIP,
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
  ignore: SKIP,
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
  ignore: SKIP || !HAVE_JUPYTER,
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
      const outputs = [
        output(plotBundle(figure, { plotlySource: source })),
        output(await imagesBundle([testImage(10, 6), testImage(10, 6)], { cols: 2 })),
        output(plotBundle(lineFigure({ series: [{ name: "b", y: [1, 4, 2] }] }))),
        output(tableBundle([{ x: 1, y: 2 }])),
      ];
      // Two notebooks of one name in different folders: each gets its own HTML.
      const notebooks: string[] = [];
      for (const which of ["a", "b"]) {
        const cells = [...outputs, output(markdownBundle(`**done ${which}**`))].map((o, i) => ({
          cell_type: "code",
          id: `c${i}`,
          source: `// cell ${i}`,
          metadata: {},
          outputs: [o],
          execution_count: i + 1,
        }));
        await Deno.mkdir(`${dir}/${which}`);
        const nb = `${dir}/${which}/tiny.ipynb`;
        await Deno.writeTextFile(
          nb,
          JSON.stringify({
            nbformat: 4,
            nbformat_minor: 5,
            metadata: {
              kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
            },
            cells,
          }),
        );
        notebooks.push(nb);
      }

      let launched: Launched | undefined;
      const out = `${dir}/out`;
      const results = await checkNotebooks(notebooks, {
        chromium: chromium(),
        outDir: out,
        onLaunch: async (i) => void (launched = await recordLaunch(i)),
      });
      await assertShutDown(launched);
      assert.deepEqual(results.map((r) => r.file), [`${out}/a_tiny.html`, `${out}/b_tiny.html`]);
      for (const [i, r] of results.entries()) {
        const text = await Deno.readTextFile(r.file);
        assert.ok(isNotebookHtml(text));
        assert.ok(text.includes(`done ${"ab"[i]}`), r.file);
        // nbconvert picks the text/html fallback of the plot bundles (not the plotly JSON).
        assert.equal(countPlotMarkers(text), 2);
        assert.deepEqual(r.problems, []);
        assert.equal(r.plots.length, 2);
        assert.ok(r.plots.every((p) => p.rendered));
        assert.equal(r.images.length, 1);
        assert.ok(r.images[0].width > 0);
      }
    });
  },
});

Deno.test({
  name: "notebook export: one exporter, the HTML next to the notebook or in a folder, a name each",
  ignore: !HAVE_JUPYTER,
  async fn() {
    await withTemp(async (dir) => {
      const nb = `${dir}/x.ipynb`;
      await Deno.writeTextFile(
        nb,
        JSON.stringify({
          nbformat: 4,
          nbformat_minor: 5,
          metadata: {},
          cells: [{ cell_type: "markdown", id: "m", metadata: {}, source: "# hello" }],
        }),
      );
      assert.equal(await exportNotebookHtml(nb), `${dir}/x.html`);
      assert.equal(
        await exportNotebookHtml(nb, { outDir: `${dir}/html/`, name: "other_x" }),
        `${dir}/html/other_x.html`,
      );
      assert.equal(
        await Deno.readTextFile(`${dir}/x.html`),
        await Deno.readTextFile(`${dir}/html/other_x.html`),
      );
      await Deno.writeTextFile(`${dir}/bad.ipynb`, "not a notebook");
      await assert.rejects(
        exportNotebookHtml(`${dir}/bad.ipynb`),
        (e) =>
          e instanceof NotebookExportError && e.code !== 0 &&
          /^jupyter nbconvert --to html .*bad\.ipynb exited/.test(e.message),
      );
    });
  },
});

Deno.test("browser check: a browser that does not start is an error, and leaves nothing", async () => {
  await withTemp(async (dir) => {
    const profiles = () => [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("eyegan-"));
    await assert.rejects(
      checkPages(["x.html"], { chromium: "/bin/false", outDir: null, tempDir: dir }),
      /\/bin\/false exited with code 1 before DevTools was ready/,
    );
    await assert.rejects(
      checkPages(["x.html"], { chromium: "/nonexistent/chromium", outDir: null, tempDir: dir }),
      /cannot start \/nonexistent\/chromium/,
    );
    assert.deepEqual(profiles(), [], "no profile left");
    assert.equal(browserSignalHandlersInstalled(), false);

    // A "browser" that never opens DevTools and has started a helper: after the launch timeout
    // its whole process group is killed, and its profile removed.
    const fake = `${dir}/fake-chromium`;
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\necho $$ > ${dir}/browser.pid\nsleep 60 &\necho $! > ${dir}/helper.pid\nwait\n`,
    );
    await Deno.chmod(fake, 0o755);
    await assert.rejects(
      checkPages(["x.html"], { chromium: fake, outDir: null, tempDir: dir, launchTimeoutMs: 1500 }),
      /fake-chromium: DevTools not ready within 1500 ms/,
    );
    const table = await processTable();
    for (const f of ["browser.pid", "helper.pid"]) {
      const pid = Number((await Deno.readTextFile(`${dir}/${f}`)).trim());
      assert.ok(pid > 0, f);
      const p = table.get(pid);
      assert.ok(p === undefined || p.state === "Z", `${f}: process ${pid} still runs`);
    }
    assert.deepEqual(profiles(), [], "no profile left");
    assert.equal(browserSignalHandlersInstalled(), false);
  });
});

Deno.test({
  name: "browser check: SIGTERM and SIGINT shut Chromium down, remove its profile, exit 143/130",
  ignore: SKIP,
  async fn() {
    const browser = chromium();
    await withTemp(async (dir) => {
      const hang = `${dir}/hang.html`;
      await Deno.writeTextFile(hang, `<html><body><script>while (true) {}</script></body></html>`);
      const plain = `${dir}/plain.html`;
      await Deno.writeTextFile(plain, `<!DOCTYPE html><html><title>plain</title><p>ok</p></html>`);
      const lib = new URL("../../lib/report/browser_check.ts", import.meta.url).href;
      const script = `${dir}/check.ts`;
      await Deno.writeTextFile(
        script,
        `import { browserSignalHandlersInstalled, checkPages } from ${JSON.stringify(lib)};\n` +
          `const [page, chromium, tempDir] = Deno.args;\n` +
          `await checkPages([page], { chromium, tempDir, outDir: null, loadTimeoutMs: 60_000,\n` +
          `  onLaunch: (info) => console.log(JSON.stringify(info)) });\n` +
          `console.log(JSON.stringify({ installed: browserSignalHandlersInstalled() }));\n` +
          `setTimeout(() => {}, 60_000); // until a signal ends it\n`,
      );
      /**
       * Runs the check of `page` in a subprocess (with `allowRun`), sends `signal` once Chromium
       * runs (`when: "checking"`) or once the check is done, and returns the exit status.
       */
      const run = async (
        page: string,
        signal: Deno.Signal,
        when: "checking" | "done",
        allowRun: string,
      ) => {
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-config",
            "--allow-read",
            `--allow-write=${dir}`,
            "--allow-net=127.0.0.1",
            allowRun,
            script,
            page,
            browser,
            dir,
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const stderr = new Response(child.stderr).text();
        const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        const nextLine = async (): Promise<Record<string, unknown>> => {
          for (;;) {
            const i = buffer.indexOf("\n");
            if (i >= 0) {
              const line = buffer.slice(0, i);
              buffer = buffer.slice(i + 1);
              return JSON.parse(line);
            }
            const { value, done } = await reader.read();
            if (done) throw new Error(`the check ended early:\n${await stderr}`);
            buffer += value;
          }
        };
        let launched: Launched | undefined;
        try {
          const info = await nextLine() as { pid: number; profile: string };
          launched = await recordLaunch(info);
          if (when === "done") {
            assert.deepEqual(await nextLine(), { installed: false });
          } else {
            await sleep(300); // the check is under way: the page hangs
          }
          child.kill(signal);
          const status = await Promise.race([
            child.status,
            sleep(30_000).then(() => undefined),
          ]);
          assert.ok(status, `the check did not exit after ${signal}`);
          await assertGone(launched);
          return status;
        } finally {
          try {
            child.kill("SIGKILL");
          } catch {
            // exited
          }
          await child.status;
          await reader.cancel().catch(() => {});
          await stderr;
          // never leave a Chromium of this test behind, whatever failed above
          for (const p of launched ? await stillRunning(launched.processes) : []) {
            try {
              Deno.kill(p.pid, "SIGKILL");
            } catch {
              // gone
            }
          }
        }
      };
      // Chromium and every helper seen at launch have exited; the profile is removed.
      const assertGone = async (launched: Launched) => {
        assert.ok(launched.processes.length > 1, "Chromium's helper processes seen at launch");
        assert.deepEqual(await stillRunning(launched.processes), []);
        assert.throws(() => Deno.statSync(launched.profile), Deno.errors.NotFound);
      };

      // The check-browser task's permissions (an --allow-run list: no Deno.kill) ...
      const term = await run(hang, "SIGTERM", "checking", `--allow-run=${browser}`);
      assert.deepEqual([term.code, term.signal], [143, null]);
      // ... and the unit tests' (the process group is killed).
      const int = await run(hang, "SIGINT", "checking", "--allow-run");
      assert.deepEqual([int.code, int.signal], [130, null]);
      // After the check the listeners are gone: SIGINT's default action ends the process.
      const after = await run(plain, "SIGINT", "done", `--allow-run=${browser}`);
      assert.equal(after.signal, "SIGINT");
    });
  },
});

Deno.test("notebook export: unique names for notebooks of one name", () => {
  assert.deepEqual(uniqueExportNames(["runs/notebooks/00_backends.ipynb"]), ["00_backends"]);
  assert.deepEqual(uniqueExportNames(["a/x.ipynb", "b/x.ipynb", "c/y.ipynb"]), [
    "a_x",
    "b_x",
    "y",
  ]);
  assert.deepEqual(uniqueExportNames(["p/a/x.ipynb", "q/a/x.ipynb"]), ["p_a_x", "q_a_x"]);
  assert.deepEqual(uniqueExportNames(["x.ipynb", "x.ipynb", "x-2.ipynb"]), ["x", "x-2", "x-2-2"]);
  assert.deepEqual(uniqueExportNames(["/tmp/my nb.v2.ipynb"]), ["my_nb_v2"]);
});

Deno.test("browser check: helpers without a browser", () => {
  assert.equal(countPlotMarkers('<div class="eyegan-plot"></div><div class="eyegan-plot">'), 2);
  assert.equal(fileUrl("/a b/c#d.html"), "file:///a%20b/c%23d.html");
  assert.ok(isNotebookHtml('<body class="jp-Notebook" data-x="1">'));
  assert.ok(!isNotebookHtml("<body><main><p>jp-Notebook</p></main></body>"));
});
