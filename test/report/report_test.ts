import assert from "node:assert/strict";
import { summariseErrors } from "../../lib/gaze/metrics.ts";
import { encodePng, type PixelImage } from "../../lib/image/io.ts";
import { loadPlotlySource } from "../../lib/plot/mod.ts";
import {
  cellText,
  changedKeys,
  evalTable,
  flattenObject,
  formatNumber,
  lossCurvesFigure,
  MISSING,
  parseJsonl,
  Report,
  withinCurveFigure,
} from "../../lib/report/mod.ts";

const EVIL = `<script>alert("x")</script>`;
const FILE = `run&"<>.png`;

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) {
    n++;
  }
  return n;
}

/** The HTML with the contents of every `<script>` element removed (tags kept). */
function withoutScripts(html: string): string {
  return html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, "$1$2");
}

function gray(width: number, height: number, value: number): PixelImage {
  return { width, height, channels: 1, data: new Uint8Array(width * height).fill(value) };
}

Deno.test("formatNumber, cellText, flattenObject and changedKeys", () => {
  assert.equal(formatNumber(7.12345), "7.123");
  assert.equal(formatNumber(0.012345), "0.0123");
  assert.equal(formatNumber(42), "42");
  assert.equal(formatNumber(-3.5, 1), "-3.5");
  assert.equal(formatNumber(1.5e-6), "1.50e-6");
  assert.equal(formatNumber(NaN), MISSING);
  assert.equal(formatNumber(Infinity), "∞");
  assert.equal(cellText(undefined), "—");
  assert.equal(cellText(null), "—");
  assert.equal(cellText(true), "yes");
  assert.equal(cellText([1, 2]), "[1,2]");
  assert.deepEqual(flattenObject({ a: { b: 1, c: [2, 3], e: {} }, d: "x" }), [
    ["a.b", 1],
    ["a.c", [2, 3]],
    ["a.e", {}],
    ["d", "x"],
  ]);
  assert.deepEqual(
    [...changedKeys({ lr: 1e-3, net: { blocks: 6, filters: 64 }, extra: 1 }, {
      lr: 1e-3,
      net: { blocks: 4, filters: 64 },
    })],
    ["net.blocks", "extra"],
  );
});

Deno.test("report escapes titles, text, tables, configs, captions and file names", () => {
  const report = new Report(`title ${EVIL}`, { subtitle: `sub ${EVIL}` });
  report.heading(`heading ${EVIL}`).paragraph(`text ${EVIL}\n\nsecond & last`);
  report.table([{ file: FILE, note: EVIL, value: 1.23456 }], { caption: `cap ${EVIL}` });
  report.keyValue({ data: { dir: FILE }, note: EVIL }, { caption: FILE });
  report.image(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]), {
    caption: FILE,
    alt: `alt ${FILE}`,
  });
  const html = report.render();
  assert.equal(count(html, "<script"), 0, "no script element without plots");
  assert.ok(!html.includes('alert("x")'), "raw text of the payload never appears");
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  assert.ok(html.includes("run&amp;&quot;&lt;&gt;.png"));
  assert.ok(!html.includes(FILE));
  assert.ok(html.includes('alt="alt run&amp;&quot;&lt;&gt;.png"'));
  assert.ok(html.includes("<p>second &amp; last</p>"), "blank line starts a paragraph");
  assert.ok(html.includes('<td class="num">1.235</td>'), "numbers formatted, right-aligned");
});

Deno.test("report inlines plotly exactly once, in the head, for two plots; figure JSON is script-safe", async () => {
  const source = await loadPlotlySource();
  const report = new Report("plots");
  report.plot(lossCurvesFigure([{ step: 1, loss: 2 }, { step: 2, loss: 1 }]), { caption: EVIL });
  report.plot(
    withinCurveFigure({ [`syn ${EVIL}`]: summariseErrors([1, 5, 9]) }, {
      title: `</script><script>alert(1)</script>`,
    }),
  );
  assert.equal(report.plotCount, 2);
  const html = report.render();
  // A slice from the middle of the library identifies it.
  const probe = source.slice(Math.floor(source.length / 2), Math.floor(source.length / 2) + 300);
  assert.equal(count(html, probe), 1, "plotly.js inlined once");
  assert.equal(count(html, "inlined by eyegan"), 1);
  assert.ok(html.indexOf("inlined by eyegan") < html.indexOf("</head>"), "library in the head");
  assert.ok(html.length < source.length + 100_000);
  // library + one drawing script per plot, no more
  assert.equal(count(html, "<script"), 3);
  assert.equal(count(html, "Plotly.newPlot"), 2);
  assert.equal(count(html, 'id="plot-1"'), 1);
  assert.equal(count(html, 'id="plot-2"'), 1);
  // The payload in the figure title cannot close the script element.
  const drawing = html.slice(html.indexOf("</head>"));
  assert.ok(!drawing.includes("</script><script>alert(1)"));
  assert.ok(drawing.includes("\\u003c/script\\u003e"));
  // Deterministic output.
  assert.equal(html, report.render());
});

Deno.test("report has no external URLs in src/href attributes and embeds images as data URIs", async () => {
  const report = new Report("offline");
  report.heading("one").heading("two").heading("three"); // table of contents: in-page links
  report.plot(lossCurvesFigure([{ step: 0, a: 1 }]));
  const png = await encodePng(gray(6, 4, 128));
  report.image(png, { caption: "a png" });
  await report.imageGrid([gray(6, 4, 0), gray(6, 4, 255), gray(5, 3, 100)], {
    cols: 3,
    caption: "grid",
  });
  const html = report.render();
  const markup = withoutScripts(html);
  const attrs = [
    ...markup.matchAll(/\b(src|href|action|data)\s*=\s*("([^"]*)"|'([^']*)'|[^\s>]+)/gi),
  ]
    .map((m) => m[3] ?? m[4] ?? m[2]);
  assert.ok(attrs.length >= 5, `found ${attrs.length} attributes`);
  for (const value of attrs) {
    assert.ok(!/^\s*(https?:)?\/\//i.test(value), `external URL in an attribute: ${value}`);
    assert.ok(
      /^(#|data:)/.test(value),
      `attribute is an anchor or a data URI: ${value.slice(0, 40)}`,
    );
  }
  assert.ok(!/<script[^>]*\bsrc\s*=/i.test(html), "no script loaded from a file");
  assert.ok(!/<link\b/i.test(markup), "no linked style sheets");
  assert.ok(!/@import|url\(/i.test(markup), "CSS loads nothing");
  assert.ok(markup.includes('<a href="#sec-1">one</a>'), "table of contents");

  const images = [...markup.matchAll(/<img src="data:image\/png;base64,([^"]+)"/g)].map((m) =>
    m[1]
  );
  assert.equal(images.length, 2);
  const decoded = Uint8Array.from(atob(images[0]), (c) => c.charCodeAt(0));
  assert.deepEqual(decoded, png);
  // The grid of 6x4 tiles is enlarged (auto scale) and is a PNG.
  const grid = Uint8Array.from(atob(images[1]), (c) => c.charCodeAt(0));
  assert.deepEqual([...grid.subarray(1, 4)], [0x50, 0x4e, 0x47]);
});

Deno.test("keyValue flattens nested configs and marks non-default values", () => {
  const config = { lr: 2e-4, net: { blocks: 6, filters: 64 }, data: { dir: "data/x" } };
  const html = new Report("cfg")
    .keyValue(config, { defaults: { lr: 2e-4, net: { blocks: 4, filters: 64 } } })
    .keyValue({ a: { b: 1 }, c: 2 }, { nonDefault: ["a"] })
    .render();
  assert.ok(html.includes("<td>lr</td><td>0.0002</td>"), "exact values, unmarked default");
  assert.ok(
    html.includes(
      '<tr class="changed"><td>net.blocks<span class="mark" title="differs from the default">*</span></td><td>6</td></tr>',
    ),
  );
  assert.ok(html.includes("<tr><td>net.filters</td><td>64</td></tr>"));
  assert.ok(html.includes('<tr class="changed"><td>data.dir<span'), "absent from defaults");
  assert.ok(html.includes('<tr class="changed"><td>a.b<span'), "a marks a.b");
  assert.ok(html.includes("<tr><td>c</td><td>2</td></tr>"));
  assert.ok(html.includes("* differs from the default"));
});

Deno.test("evalTable holds the values, shows missing ones as —, and renders", () => {
  const syn = summariseErrors([2, 4, 6, 8, 10]);
  const ref = summariseErrors([1, 2, 3, 7.5]);
  const table = evalTable([
    { data: "synthetic", gaze: syn },
    {
      data: "refined (SimGAN)",
      gaze: ref,
      labelPreservation: summariseErrors([0.5, 1.5]),
      labelPreservationByTarget: 4.25,
      kid: { mean: 0.01234, std: 0.00056 },
      realVsRefined: { accuracy: 0.625, stdError: 0.024, n: 400 },
    },
    { data: "real", gaze: summariseErrors([1]), labelPreservation: 3 },
  ]);
  assert.equal(table.columns.length, 8);
  assert.equal(table.columns[3], "within 7° (%)");
  assert.equal(table.columns[5], "label preservation by (c) (°)");
  assert.deepEqual(table.rows[0], ["synthetic", 6, 6, 60, undefined, undefined, MISSING, MISSING]);
  assert.deepEqual(table.rows[1], [
    "refined (SimGAN)",
    3.375,
    2.5,
    75,
    1,
    4.25,
    "0.0123 ± 0.000560",
    "62.5 ± 2.4 (n=400)",
  ]);
  assert.equal((table.rows[2] as unknown[])[4], 3);
  // KID without a spread: one subset (std 0), or an older file's rounding noise of identical
  // subsets; a real spread, however small against a small mean, is shown
  const kidCell = (kid: { mean: number; std?: number }) =>
    (evalTable([{ data: "x", gaze: syn, kid }]).rows[0] as unknown[])[6];
  assert.equal(kidCell({ mean: 0.115, std: 0 }), "0.115");
  assert.equal(kidCell({ mean: 0.115, std: 4.16e-17 }), "0.115");
  assert.equal(kidCell({ mean: 0.0445 }), "0.0445");
  assert.equal(kidCell({ mean: 0.002, std: 1e-6 }), "0.00200 ± 1.00e-6");
  const html = new Report("eval").table(table, { caption: "trained on X, tested on real" })
    .render();
  for (
    const text of ["refined (SimGAN)", "3.375", "75", "0.0123 ± 0.000560", "62.5 ± 2.4 (n=400)"]
  ) {
    assert.ok(html.includes(text), text);
  }
  assert.ok(count(html, `<td>${MISSING}</td>`) >= 3);
  // within a threshold the curve lacks: missing
  assert.equal(
    (evalTable([{ data: "x", gaze: syn }], { withinDeg: 7.5 }).rows[0] as unknown[])[3],
    undefined,
  );
});

Deno.test("table accepts records and {columns, rows} with array or record rows", () => {
  const html = new Report("t")
    .table([{ a: 1, b: "x" }, { b: "y", c: null }])
    .table({ columns: ["p", "q"], rows: [[0.5, "s"], { q: "t" }] })
    .render();
  assert.ok(html.includes("<thead><tr><th>a</th><th>b</th><th>c</th></tr></thead>"));
  assert.ok(html.includes(`<tr><td>${MISSING}</td><td>y</td><td>${MISSING}</td></tr>`));
  assert.ok(html.includes('<tr><td class="num">0.500</td><td>s</td></tr>'));
  assert.ok(html.includes(`<tr><td>${MISSING}</td><td>t</td></tr>`));
});

Deno.test("lossCurvesFigure reads nested keys, skips missing values and smooths", () => {
  const rows = parseJsonl(
    [
      '{"step": 0, "loss": {"G": 4, "D": 1}}',
      "",
      '{"step": 10, "loss": {"G": 2}}',
      '{"step": 20, "loss": {"G": 1, "D": 0.5}, "kid": 0.1, "elapsed_s": 3, "tensors": 40}',
      '{"step": 30, "loss": {"G"',
    ].join("\n"),
  );
  const fig = lossCurvesFigure(rows, ["loss.G", "loss.D"]);
  assert.deepEqual(fig.data.map((t) => [t.name, t.x, t.y]), [
    ["loss.G", [0, 10, 20], [4, 2, 1]],
    ["loss.D", [0, 20], [1, 0.5]],
  ]);
  const all = lossCurvesFigure(rows);
  assert.deepEqual(all.data.map((t) => t.name), ["loss.G", "loss.D", "kid"]);
  const smooth = lossCurvesFigure(rows, ["loss.G"], { smoothing: 0.5 });
  assert.equal(smooth.data.length, 2);
  // debiased EMA with a = 0.5: s_t = sum_k a^(t-k) (1-a) v_k / (1 - a^t)
  const y = smooth.data[1].y as number[];
  assert.ok(Math.abs(y[0] - 4) < 1e-12);
  assert.ok(Math.abs(y[1] - (0.5 * 2 + 0.25 * 4) / 0.75) < 1e-12);
  assert.ok(Math.abs(y[2] - (0.5 * 1 + 0.25 * 2 + 0.125 * 4) / 0.875) < 1e-12);
  assert.equal(rows.length, 3, "torn last line skipped");
  assert.throws(() => parseJsonl('{"a":1}\n{oops\n{"a":2}\n', "m.jsonl"), /m\.jsonl:2/);
  assert.throws(() => parseJsonl('[1]\n{"a":2}'), /jsonl:1: not a JSON object/);
  assert.throws(() => lossCurvesFigure(rows, ["loss.G"], { smoothing: 1 }), /smoothing/);
});

Deno.test("withinCurveFigure draws one %-within-d curve per training set", () => {
  const a = summariseErrors([1, 2, 3, 10]);
  const fig = withinCurveFigure({ synthetic: a, refined: summariseErrors([0.5, 1]) });
  assert.equal(fig.data.length, 2);
  assert.equal(fig.data[0].name, "synthetic (mean 4.00°)");
  assert.deepEqual(fig.data[0].x, a.thresholdsDeg);
  assert.deepEqual(fig.data[0].y, a.withinPct);
  assert.deepEqual((fig.layout.yaxis as { range: number[] }).range, [0, 100]);
});

Deno.test("write is atomic: temp file in the same directory, renamed over the old report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-report-" });
  try {
    const path = `${dir}/sub/report.html`;
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(path, "old");
    const html = new Report("r").paragraph("new").render();
    assert.equal(await new Report("r").paragraph("new").write(path), path);
    assert.equal(await Deno.readTextFile(path), html);
    const names = [];
    for await (const e of Deno.readDir(`${dir}/sub`)) names.push(e.name);
    assert.deepEqual(names, ["report.html"], "no temporary file left behind");
    // Creates missing directories.
    await new Report("r").write(`${dir}/a/b/report.html`);
    assert.ok((await Deno.stat(`${dir}/a/b/report.html`)).isFile);
    // A failed rename (target is a directory) leaves the target alone and no temp file.
    await Deno.mkdir(`${dir}/blocked.html`);
    await assert.rejects(() => new Report("r").write(`${dir}/blocked.html`));
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left.sort(), ["a", "blocked.html", "sub"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
