import assert from "node:assert/strict";
import {
  barFigure,
  escapeHtml,
  figureHtml,
  lineFigure,
  loadPlotlySource,
  plotlyHtmlPage,
  plotlyVersion,
  scriptJson,
} from "../../lib/plot/mod.ts";

Deno.test("lineFigure builds one scatter trace per series with shared or own x", () => {
  const fig = lineFigure({
    title: "loss",
    xTitle: "step",
    logY: true,
    x: [10, 20, 30],
    series: [{ name: "a", y: [3, 2, 1] }, { name: "b", y: [1, 2], x: [0, 5], mode: "markers" }],
  });
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data[0], {
    type: "scatter",
    mode: "lines",
    name: "a",
    x: [10, 20, 30],
    y: [3, 2, 1],
  });
  assert.deepEqual(fig.data[1].x, [0, 5]);
  assert.equal(fig.data[1].mode, "markers");
  assert.deepEqual(fig.layout.title, { text: "loss" });
  assert.equal((fig.layout.yaxis as { type: string }).type, "log");
  assert.deepEqual(lineFigure({ series: [{ name: "c", y: [5, 6] }] }).data[0].x, [0, 1]);
  // Plain JSON: survives a round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(fig)), fig);
});

Deno.test("barFigure groups bars per category and checks lengths", () => {
  const fig = barFigure({
    categories: ["conv", "matmul"],
    series: [{ name: "wasm", values: [1, 2] }, { name: "cpu", values: [3, 4] }],
  });
  assert.equal(fig.layout.barmode, "group");
  assert.deepEqual(fig.data.map((t) => [t.type, t.name, t.x, t.y]), [
    ["bar", "wasm", ["conv", "matmul"], [1, 2]],
    ["bar", "cpu", ["conv", "matmul"], [3, 4]],
  ]);
  assert.throws(
    () => barFigure({ categories: ["a"], series: [{ name: "s", values: [1, 2] }] }),
    /series 's' has 2 values for 1 categories/,
  );
});

Deno.test("scriptJson and escapeHtml neutralise markup", () => {
  const json = scriptJson({ t: "</script><b>&" });
  assert.ok(!json.includes("<") && !json.includes(">") && !json.includes("&"));
  assert.deepEqual(JSON.parse(json), { t: "</script><b>&" });
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("figureHtml: a div and a newPlot script; the library only when asked", () => {
  const fig = lineFigure({ title: "</script>", series: [{ name: "a", y: [1] }] });
  const html = figureHtml(fig, { divId: "p1" });
  assert.match(html, /<div id="p1" class="eyegan-plot"/);
  assert.match(html, /Plotly\.newPlot\(id, fig\.data, fig\.layout/);
  assert.equal(html.match(/<\/script>/g)?.length, 1, "the title must not close the script");
  assert.ok(!html.includes("if (!window.Plotly)"));
  const withLib = figureHtml(fig, {
    divId: "p2",
    plotlySource: "window.Plotly = {}; // </script>",
  });
  assert.match(withLib, /if \(!window\.Plotly\) \{\nwindow\.Plotly = \{\}; \/\/ <\\\/script>\n\}/);
  assert.equal(withLib.match(/<\/script>/g)?.length, 2);
  assert.notEqual(figureHtml(fig), figureHtml(fig), "default div ids are unique");
});

Deno.test("loadPlotlySource reads the pinned plotly.min.js once", async () => {
  const a = await loadPlotlySource();
  assert.ok(a.length > 1_000_000, `plotly.min.js is only ${a.length} chars`);
  assert.match(plotlyVersion(a), /^\d+\.\d+\.\d+$/);
  assert.ok(a.includes("window.Plotly"));
  assert.equal(await loadPlotlySource(), a);
});

Deno.test("plotlyHtmlPage inlines plotly once for all figures", async () => {
  const figs = [1, 2, 3].map((i) =>
    lineFigure({ title: `f${i}`, series: [{ name: "a", y: [i] }] })
  );
  const page = await plotlyHtmlPage(figs, { title: "report <1>" });
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<title>report &lt;1&gt;<\/title>/);
  assert.equal(page.match(/class="eyegan-plot"/g)?.length, 3);
  assert.equal(page.match(/if \(!window\.Plotly\) \{/g)?.length, 1);
  assert.ok(page.indexOf("if (!window.Plotly) {") < page.indexOf("Plotly.newPlot"));
});
