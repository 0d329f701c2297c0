/**
 * `deno task check-browser FILE...`: opens HTML reports and exported notebooks in headless
 * Chromium and checks that they work as people see them (`lib/report/browser_check.ts`): no
 * JavaScript error, every plotly chart rendered, every image loaded, nothing fetched from
 * outside; a screenshot of each page goes to `--out-dir`.
 *
 * `.ipynb` files (executed notebooks) are first exported with `jupyter nbconvert --to html`
 * into `OUT-DIR/notebooks/`, each under a name of its own (`uniqueExportNames`: the notebook's
 * name, with its folders where two inputs share it). Prints one line per page, then `browser-check: N passed, M failed`,
 * and writes `OUT-DIR/browser-check.json`. Exit codes: 0 all passed, 1 a page failed, 2 a bad
 * command line or no Chromium.
 *
 * @module
 */
import {
  BROWSER_CHECK_DIR,
  checkPages,
  CHROMIUM_HINT,
  failedPageResult,
  findChromium,
  formatPageResult,
  type PageCheckResult,
} from "../lib/report/browser_check.ts";
import { exportNotebookHtml, JUPYTER, uniqueExportNames } from "../lib/notebook/export.ts";
import { writeJsonAtomic } from "../lib/util/fs.ts";
import {
  intFlag,
  isPermissionError,
  parseFlags,
  runTask,
  SetupError,
  UsageError,
} from "../lib/util/cli.ts";

const USAGE = `Usage: deno task check-browser [--out-dir DIR] [--timeout S] [--expect-plots N]
       [--max-height PX] [--no-screenshots] [--chromium PATH] FILE...

Opens each HTML file (a run report, a comparison report, an exported notebook) in headless
Chromium over the DevTools protocol and checks that it loads, raises no JavaScript error,
logs no console or browser error, requests nothing from the network, renders every plotly
chart (each plot container holds a .main-svg, as many containers as the report emitted) and
loads every image; then saves a screenshot. An executed notebook (.ipynb) is exported to HTML
with jupyter nbconvert first (its template's require.js and MathJax loads are ignored).

  FILE              .html files, or executed .ipynb notebooks
  --out-dir         screenshots, exported notebooks and browser-check.json
                    (default ${BROWSER_CHECK_DIR})
  --timeout         seconds for a page to load (default 60); plots get 20 more
  --expect-plots    plot containers every page must have (default: the markers in its HTML)
  --max-height      full-page screenshots are cut at this many CSS pixels (default 12000;
                    0: the 1280x900 viewport only)
  --no-screenshots  no PNGs
  --chromium        the browser (default: /usr/bin/chromium, or chromium-browser, google-chrome)
  -h, --help        this text

Needs Debian's chromium package (apt-get install chromium).`;

const FLAGS = {
  "out-dir": { type: "string", default: BROWSER_CHECK_DIR },
  timeout: { type: "string", default: "60" },
  "expect-plots": { type: "string" },
  "max-height": { type: "string", default: "12000" },
  "no-screenshots": { type: "boolean", default: false },
  chromium: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The task; returns its exit code. */
export async function checkBrowserMain(args: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags(args, FLAGS, { positionals: true });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("give at least one .html or .ipynb file");
  for (const f of positionals) {
    if (!/\.(html?|ipynb)$/i.test(f)) throw new UsageError(`${f}: not an .html or .ipynb file`);
  }
  const outDir = v["out-dir"].replace(/\/+$/, "") || ".";
  const timeout = intFlag("timeout", v.timeout);
  const chromium = v.chromium ?? await findChromium();
  if (!chromium) throw new SetupError(CHROMIUM_HINT);

  // Notebooks: export to HTML first, a name each (a/x.ipynb and b/x.ipynb must not overwrite
  // each other); a failed export is that file's failure.
  const pages: string[] = [];
  const failed: PageCheckResult[] = [];
  const notebooks = positionals.filter((f) => /\.ipynb$/i.test(f));
  const names = uniqueExportNames(notebooks);
  let nbIndex = 0;
  for (const f of positionals) {
    if (!/\.ipynb$/i.test(f)) {
      pages.push(f);
      continue;
    }
    try {
      pages.push(
        await exportNotebookHtml(f, {
          outDir: `${outDir}/notebooks`,
          name: names[nbIndex++],
          jupyter: JUPYTER,
        }),
      );
    } catch (e) {
      if (isPermissionError(e)) throw e;
      const r = failedPageResult(f, "", (e as Error).message);
      failed.push(r);
      console.log(formatPageResult(r));
    }
  }
  const results = pages.length === 0 ? [] : await checkPages(pages, {
    chromium,
    outDir: v["no-screenshots"] ? null : outDir,
    loadTimeoutMs: 1000 * timeout,
    maxHeight: intFlag("max-height", v["max-height"], 0),
    expectPlots: v["expect-plots"] === undefined
      ? undefined
      : intFlag("expect-plots", v["expect-plots"], 0),
    onResult: (r) => console.log(formatPageResult(r)),
  });
  const all = [...failed, ...results];
  const passed = all.filter((r) => r.ok).length;
  await Deno.mkdir(outDir, { recursive: true });
  await writeJsonAtomic(`${outDir}/browser-check.json`, {
    format: "eyegan-browser-check/1",
    chromium,
    created: new Date().toISOString(),
    passed,
    failed: all.length - passed,
    results: all,
  });
  console.log(`browser-check: ${passed} passed, ${all.length - passed} failed`);
  return passed === all.length ? 0 : 1;
}

if (import.meta.main) {
  await runTask("check-browser", USAGE, () => checkBrowserMain(Deno.args), {
    hint: (e) =>
      isPermissionError(e)
        ? "deno task check-browser may run /usr/bin/chromium (or chromium-browser, " +
          "google-chrome) and /usr/bin/jupyter, connect to 127.0.0.1 and write under runs/ " +
          "and /tmp; for other paths run tasks/check_browser.ts with deno run and the " +
          "matching --allow-* flags"
        : undefined,
  });
}
