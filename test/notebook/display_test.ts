import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { decodeImage, type PixelImage } from "../../lib/image/io.ts";
import {
  displayable,
  imagesBundle,
  inJupyter,
  markdownBundle,
  plotBundle,
  PLOTLY_MIME,
  settle,
  showBundle,
  showImages,
  showMarkdown,
  showPlot,
  showTable,
  showText,
  tableBundle,
  toBase64,
} from "../../lib/notebook/mod.ts";
import { lineFigure, loadPlotlySource } from "../../lib/plot/mod.ts";

await tf.setBackend("cpu");

function base64Bytes(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const eye = (v: number): PixelImage => ({
  width: 60,
  height: 36,
  channels: 1,
  data: new Uint8Array(60 * 36).fill(v),
});

Deno.test("outside the kernel: inJupyter is false and every show* returns its bundle", async () => {
  assert.equal(inJupyter(), false);
  const fig = lineFigure({ title: "t", series: [{ name: "a", y: [1, 2] }] });
  const shown = [
    await showImages([eye(0), eye(255)]),
    await showPlot(fig),
    await showTable([{ a: 1 }]),
    await showMarkdown("# hi"),
    await showText("text"),
    await showBundle({ "text/plain": "x" }),
  ];
  for (const bundle of shown) assert.ok(bundle && typeof bundle === "object");
  assert.ok(shown[0]!["image/png"]);
  assert.ok(shown[1]![PLOTLY_MIME]);
});

Deno.test("imagesBundle: base64 PNG of the grid, auto-enlarged 3x for 36x60 eyes", async () => {
  const bundle = await imagesBundle([eye(10), eye(20), eye(30)], {
    cols: 3,
    padding: 2,
    title: "t",
  });
  const png = await decodeImage(base64Bytes(bundle["image/png"] as string));
  assert.equal(png.width, (2 + 3 * 62) * 3);
  assert.equal(png.height, (2 + 38) * 3);
  assert.equal(png.data[6 * png.width + 6], 10);
  assert.match(bundle["text/plain"] as string, /^t: 3 images, 564x120 px grid$/);
  const once = await imagesBundle(eye(5), { scale: 1, padding: 0 });
  const decoded = await decodeImage(base64Bytes(once["image/png"] as string));
  assert.deepEqual([decoded.width, decoded.height], [60, 36]);
});

Deno.test("imagesBundle takes a [-1,1] tensor", async () => {
  const t = tf.fill([2, 36, 60, 1], -1);
  const bundle = await imagesBundle(t, { scale: 1, padding: 0, cols: 2 });
  const png = await decodeImage(base64Bytes(bundle["image/png"] as string));
  assert.deepEqual([png.width, png.height], [120, 36]);
  assert.ok(png.data.every((v) => v === 0));
  assert.match(bundle["text/plain"] as string, /^2 images/);
  t.dispose();
});

Deno.test("plotBundle: plotly JSON plus an HTML fallback with the div and (optionally) plotly", async () => {
  const fig = lineFigure({
    title: "timings",
    series: [{ name: "a", y: [1] }, { name: "b", y: [2] }],
  });
  const lean = plotBundle(fig);
  assert.deepEqual(Object.keys(lean).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
  assert.deepEqual(lean[PLOTLY_MIME], { data: fig.data, layout: fig.layout, config: fig.config });
  assert.match(lean["text/html"] as string, /<div id="eyegan-plot-[^"]+" class="eyegan-plot"/);
  assert.ok(!(lean["text/html"] as string).includes("if (!window.Plotly)"));
  assert.equal(lean["text/plain"], "Plotly figure: timings (2 traces)");
  const source = await loadPlotlySource();
  const full = plotBundle(fig, { plotlySource: source });
  const html = full["text/html"] as string;
  assert.ok(html.includes("if (!window.Plotly) {"));
  assert.ok(html.length > source.length);
  assert.ok(html.indexOf("if (!window.Plotly)") < html.indexOf("Plotly.newPlot(id"));
  // Headless showPlot is self-contained: the library is inlined.
  const shown = await showPlot(fig);
  assert.ok((shown!["text/html"] as string).includes("if (!window.Plotly) {"));
  const lean2 = await showPlot(fig, { inlinePlotly: false });
  assert.ok((lean2!["text/html"] as string).length < 10_000);
});

Deno.test("tableBundle: escaped HTML and aligned text, numbers right-aligned", () => {
  const b = tableBundle(
    [{ name: "<wasm>", ms: 1.23456 }, { name: "cpu", ms: 12, extra: true }],
    { caption: "t", digits: 2 },
  );
  const html = b["text/html"] as string;
  assert.match(html, /<caption>t<\/caption>/);
  assert.match(
    html,
    /<th style="text-align:left">name<\/th><th style="text-align:right">ms<\/th><th[^>]*>extra<\/th>/,
  );
  assert.match(
    html,
    /<td style="text-align:left">&lt;wasm&gt;<\/td><td style="text-align:right">1\.23<\/td><td[^>]*><\/td>/,
  );
  assert.equal(
    b["text/plain"],
    ["t", "name      ms  extra", "------  ----  -----", "<wasm>  1.23", "cpu       12  true"]
      .join("\n"),
  );
  const cols = tableBundle([{ a: 1, b: 2 }], { columns: ["b"] });
  assert.ok(!(cols["text/html"] as string).includes(">a<"));
});

Deno.test("markdown, displayable, toBase64 and settle", async () => {
  assert.deepEqual(markdownBundle("**x**"), { "text/markdown": "**x**", "text/plain": "**x**" });
  const d = displayable({ "text/plain": "y" });
  assert.deepEqual((d[Symbol.for("Jupyter.display")] as () => unknown)(), { "text/plain": "y" });
  const big = new Uint8Array(100_000).map((_, i) => i % 251);
  assert.deepEqual(base64Bytes(toBase64(big)), big);
  const t0 = performance.now();
  await settle(30);
  assert.ok(performance.now() - t0 >= 25);
});
