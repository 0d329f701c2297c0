/**
 * Plotly figures without a browser: build figure specs (`{data, layout}`) in Deno, and turn them
 * into self-contained HTML with plotly.js inlined as text.
 *
 * plotly.js itself cannot run in Deno (it needs `window`); the npm package
 * `plotly.js-dist-min` (pinned in `deno.json`) is only read as text, once, and embedded into
 * HTML. Nothing is fetched from a CDN, so the HTML works offline.
 *
 * @example
 * ```ts ignore
 * const fig = lineFigure({ title: "loss", series: [{ name: "refiner", y: losses }] });
 * await Deno.writeTextFile("loss.html", await plotlyHtmlPage([fig], { title: "Training" }));
 * ```
 *
 * @module
 */

/** One plotly trace (`{type: "scatter", x, y, name, ...}`); any plotly.js attribute is allowed. */
export type PlotlyTrace = Record<string, unknown>;

/**
 * A plotly figure, exactly the JSON that `application/vnd.plotly.v1+json` and
 * `Plotly.newPlot(div, data, layout, config)` take.
 */
export interface PlotlyFigure {
  /** The traces. */
  data: PlotlyTrace[];
  /** Layout: title, axes, size... */
  layout: Record<string, unknown>;
  /** Plotly config (e.g. `{responsive: true}`). */
  config?: Record<string, unknown>;
}

/** One line of a {@link lineFigure}. */
export interface LineSeries {
  /** Legend name. */
  name: string;
  /** Y values. */
  y: readonly number[];
  /** X values; defaults to the figure's `x`, or 0, 1, 2... */
  x?: readonly (number | string)[];
  /** `lines` (default), `markers` or `lines+markers`. */
  mode?: "lines" | "markers" | "lines+markers";
}

/** Common options of the figure builders. */
export interface FigureOptions {
  /** Figure title. */
  title?: string;
  /** X axis title. */
  xTitle?: string;
  /** Y axis title. */
  yTitle?: string;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Height in pixels (default 420). */
  height?: number;
}

function layoutFor(options: FigureOptions): Record<string, unknown> {
  const layout: Record<string, unknown> = {
    height: options.height ?? 420,
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
    xaxis: { title: { text: options.xTitle ?? "" } },
    yaxis: { title: { text: options.yTitle ?? "" }, type: options.logY ? "log" : "linear" },
  };
  if (options.title) layout.title = { text: options.title };
  return layout;
}

/**
 * A line chart: one scatter trace per series.
 *
 * @param options series plus titles; `x` is shared by series that have no `x` of their own.
 */
export function lineFigure(
  options: FigureOptions & { series: readonly LineSeries[]; x?: readonly (number | string)[] },
): PlotlyFigure {
  return {
    data: options.series.map((s) => ({
      type: "scatter",
      mode: s.mode ?? "lines",
      name: s.name,
      x: [...(s.x ?? options.x ?? s.y.map((_, i) => i))],
      y: [...s.y],
    })),
    layout: layoutFor(options),
    config: { responsive: true },
  };
}

/** One group of bars of a {@link barFigure}. */
export interface BarSeries {
  /** Legend name. */
  name: string;
  /** One value per category. */
  values: readonly number[];
  /** Optional text on each bar (e.g. formatted values). */
  text?: readonly string[];
}

/**
 * A grouped bar chart: categories on the x axis, one bar trace per series.
 *
 * @throws if a series does not have one value per category.
 */
export function barFigure(
  options: FigureOptions & { categories: readonly string[]; series: readonly BarSeries[] },
): PlotlyFigure {
  for (const s of options.series) {
    if (s.values.length !== options.categories.length) {
      throw new Error(
        `barFigure: series '${s.name}' has ${s.values.length} values for ${options.categories.length} categories`,
      );
    }
  }
  return {
    data: options.series.map((s) => ({
      type: "bar",
      name: s.name,
      x: [...options.categories],
      y: [...s.values],
      ...(s.text ? { text: [...s.text], textposition: "auto" } : {}),
    })),
    layout: { ...layoutFor(options), barmode: "group" },
    config: { responsive: true },
  };
}

let plotlySource: Promise<string> | undefined;

/**
 * The text of `plotly.min.js` from the pinned npm package, loaded once per process (4.8 MB).
 *
 * Uses a text import of the npm file, so it needs no read permission.
 */
export function loadPlotlySource(): Promise<string> {
  plotlySource ??= import("plotly.js-dist-min/plotly.min.js", { with: { type: "text" } })
    .then((m) => m.default as string)
    .catch((e) => {
      plotlySource = undefined;
      throw new Error(
        `cannot load plotly.js-dist-min as text (is it in deno.json's imports?): ${
          e instanceof Error ? e.message : e
        }`,
      );
    });
  return plotlySource;
}

/** The plotly.js version in a `plotly.min.js` text (from its header comment), or `unknown`. */
export function plotlyVersion(source: string): string {
  return /plotly\.js v(\d+\.\d+\.\d+)/.exec(source.slice(0, 200))?.[1] ?? "unknown";
}

/** Makes text safe inside an HTML `<script>` element. */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1");
}

/** JSON that is safe inside a `<script>` element (no `<`, `>`, `&`, U+2028/9 left raw). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * A `<script>` element that defines `window.Plotly` from the inlined library, unless the page
 * already has it.
 */
export function plotlyLibraryScript(source: string): string {
  return `<script type="text/javascript">/* plotly.js v${
    plotlyVersion(source)
  }, inlined by eyegan */\n` +
    `if (!window.Plotly) {\n${scriptSafe(source)}\n}\n</script>`;
}

let counter = 0;

/** Options for {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** The plotly.js text to inline before the plot; omit when the page already has it. */
  plotlySource?: string;
  /** The id of the plot's `<div>`; unique by default. */
  divId?: string;
}

/**
 * An HTML fragment that draws the figure: a `<div>` and a script calling `Plotly.newPlot`.
 *
 * With `plotlySource` the library is inlined first. Without it the script waits (up to 10 s)
 * for `window.Plotly` defined by an earlier fragment on the same page, and otherwise writes a
 * short message into the div.
 */
export function figureHtml(figure: PlotlyFigure, options: FigureHtmlOptions = {}): string {
  const id = options.divId ??
    `eyegan-plot-${Date.now().toString(36)}-${(counter++).toString(36)}-${
      Math.random().toString(36).slice(2, 8)
    }`;
  const height = typeof figure.layout.height === "number" ? figure.layout.height : 420;
  const lib = options.plotlySource === undefined ? "" : plotlyLibraryScript(options.plotlySource);
  return `<div id="${id}" class="eyegan-plot" style="width:100%;min-height:${height}px;"></div>
${lib}<script type="text/javascript">
(function () {
  var id = ${scriptJson(id)};
  var fig = ${scriptJson(figure)};
  function draw() { window.Plotly.newPlot(id, fig.data, fig.layout, fig.config || {}); }
  if (window.Plotly) { draw(); return; }
  var tries = 0;
  var timer = setInterval(function () {
    if (window.Plotly) { clearInterval(timer); draw(); }
    else if (++tries > 100) {
      clearInterval(timer);
      var el = document.getElementById(id);
      if (el) el.textContent = "plotly.js is not loaded on this page: the first chart of a " +
        "kernel session carries it; restart the kernel and run all cells.";
    }
  }, 100);
})();
</script>`;
}

/**
 * A complete, self-contained HTML page with the figures, plotly.js inlined once.
 *
 * @param options `title`: the page's title and heading.
 */
export async function plotlyHtmlPage(
  figures: readonly PlotlyFigure[],
  options: { title?: string } = {},
): Promise<string> {
  const source = await loadPlotlySource();
  const title = escapeHtml(options.title ?? "eyegan plots");
  const body = figures.map((f, i) => figureHtml(f, i === 0 ? { plotlySource: source } : {}));
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>
${body.join("\n")}
</body></html>
`;
}

/** Escapes `& < > " '` for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}
