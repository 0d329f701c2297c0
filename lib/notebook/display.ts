/**
 * Rich output for notebooks (the Deno Jupyter kernel) that is harmless everywhere else.
 *
 * Every `show*` helper builds a MIME bundle; inside the kernel it sends it with
 * `Deno.jupyter.display(bundle, {raw: true})` and then waits a little ({@link settle}), because
 * the Deno 2.9 kernel can report `idle` before it has flushed display data and headless
 * clients (nbconvert) then lose outputs. Outside the kernel (tests, tasks) the helpers write
 * nothing and return the bundle, so notebook code can be shared with tasks unchanged.
 * `Deno.jupyter` is never touched outside the kernel (even `typeof Deno.jupyter` throws there).
 *
 * The `*Bundle` functions build the bundles without displaying anything.
 *
 * @module
 */
import type { PixelImage } from "../image/io.ts";
import { encodePng } from "../image/io.ts";

export type { PixelImage } from "../image/io.ts";
import { type GridInput, type GridOptions, imageGrid, upscaleNearest } from "../image/grid.ts";
import { escapeHtml, figureHtml, loadPlotlySource, type PlotlyFigure } from "../plot/mod.ts";

/** A Jupyter MIME bundle: MIME type -> data (base64 text for images, objects for JSON types). */
export type MimeBundle = Record<string, string | object>;

/** The plotly MIME type rendered by JupyterLab's plotly extension and VS Code. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

interface JupyterApi {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

/** `Deno.jupyter` when running inside the Deno kernel, otherwise `undefined` (never throws). */
function kernel(): JupyterApi | undefined {
  try {
    const j = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return typeof j?.display === "function" ? j : undefined;
  } catch {
    return undefined; // outside `deno jupyter` the getter throws
  }
}

/** Whether this code runs inside the Deno Jupyter kernel. */
export function inJupyter(): boolean {
  return kernel() !== undefined;
}

/** The default pause of {@link settle}, in milliseconds. */
export const SETTLE_MS = 120;

/**
 * Waits briefly so that the Deno kernel flushes pending display data before the cell ends
 * (Deno 2.9 kernel bug: outputs are otherwise lost at random under nbconvert). Every `show*`
 * helper calls it; end a cell with `await settle()` after any other output (e.g. `console.log`).
 */
export function settle(ms: number = SETTLE_MS): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Displays a MIME bundle in the kernel and settles; outside the kernel does nothing.
 *
 * @returns `undefined` when the kernel displayed it (so that a cell ending in
 *   `await show…()` shows it once), otherwise the bundle.
 */
export async function showBundle(bundle: MimeBundle): Promise<MimeBundle | undefined> {
  const jupyter = kernel();
  if (!jupyter) return bundle;
  await jupyter.display(bundle, { raw: true });
  await settle();
  return undefined;
}

/**
 * Wraps a bundle in an object the kernel displays when it is a cell's last expression
 * (`[Symbol.for("Jupyter.display")]`), for code that prefers returning to calling `show*`.
 */
export function displayable(bundle: MimeBundle): { [key: symbol]: () => MimeBundle } {
  return { [Symbol.for("Jupyter.display")]: () => bundle };
}

/** Base64 of bytes (chunked, so large PNGs do not overflow the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// ---------------------------------------------------------------------------------------------
// Images

/** Options for {@link showImages}: grid layout plus a title. */
export interface ShowImagesOptions extends Omit<GridOptions, "scale"> {
  /**
   * Integer nearest-neighbour enlargement; `auto` (default) enlarges small tiles (the 36x60
   * eyes become 3x) to at least 96 px high (at most 8x), keeping the grid under 1600 px wide.
   */
  scale?: number | "auto";
  /** Shown above the grid (as a small markdown output). */
  title?: string;
}

function autoScale(image: PixelImage, tileHeight: number): number {
  const byHeight = Math.max(1, Math.ceil(96 / Math.max(1, tileHeight)));
  const byWidth = Math.max(1, Math.floor(1600 / image.width));
  return Math.min(8, byHeight, byWidth);
}

/** The bundle for an image grid: `image/png` (base64) and a `text/plain` description. */
export async function imagesBundle(
  input: GridInput | PixelImage,
  options: ShowImagesOptions = {},
): Promise<MimeBundle> {
  const list: GridInput = isPixelImage(input) ? [input] : input;
  const { scale = "auto", title, ...grid } = options;
  let image = await imageGrid(list, { ...grid, scale: 1 });
  const count = Array.isArray(list)
    ? list.length
    : (list as { shape: number[] }).shape.length === 3
    ? 1
    : (list as { shape: number[] }).shape[0];
  const tileHeight = Array.isArray(list)
    ? Math.max(...(list as PixelImage[]).map((im) => im.height))
    : (list as { shape: number[] }).shape.at(-3)!;
  const factor = scale === "auto" ? autoScale(image, tileHeight) : scale;
  image = upscaleNearest(image, factor);
  const png = await encodePng(image);
  return {
    "image/png": toBase64(png),
    "text/plain": `${title ? `${title}: ` : ""}${count} image${count === 1 ? "" : "s"}, ` +
      `${image.width}x${image.height} px grid`,
  };
}

function isPixelImage(x: unknown): x is PixelImage {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "data" in x &&
    (x as PixelImage).data instanceof Uint8Array && "width" in x;
}

/**
 * Shows pixel images, or a batch tensor `[N,H,W,C]` in `[-1,1]`, `[0,1]` or 0..255, as one
 * inline PNG grid.
 *
 * @example
 * ```ts ignore
 * await showImages(refined, { cols: 8, title: "refined" });
 * ```
 */
export async function showImages(
  input: GridInput | PixelImage,
  options: ShowImagesOptions = {},
): Promise<MimeBundle | undefined> {
  const bundle = await imagesBundle(input, options);
  if (options.title && inJupyter()) await showBundle(markdownBundle(`**${options.title}**`));
  return await showBundle(bundle);
}

// ---------------------------------------------------------------------------------------------
// Plots

/** Options for {@link plotBundle}. */
export interface PlotBundleOptions {
  /** The plotly.js text to inline in the HTML fallback (first chart of a page). */
  plotlySource?: string;
}

function figureSummary(figure: PlotlyFigure): string {
  const title = figure.layout.title;
  const text = typeof title === "string"
    ? title
    : (title as { text?: string } | undefined)?.text ?? "untitled";
  const n = figure.data.length;
  return `Plotly figure: ${text} (${n} trace${n === 1 ? "" : "s"})`;
}

/**
 * The bundle for a plotly chart: `application/vnd.plotly.v1+json` (the figure), a `text/html`
 * fallback (a div and a script; with `plotlySource`, plotly.js inlined before it) and
 * `text/plain`. nbconvert's HTML export uses the fallback; JupyterLab/VS Code the JSON.
 */
export function plotBundle(figure: PlotlyFigure, options: PlotBundleOptions = {}): MimeBundle {
  const json: Record<string, unknown> = { data: figure.data, layout: figure.layout };
  if (figure.config) json.config = figure.config;
  return {
    [PLOTLY_MIME]: json,
    "text/html": figureHtml(figure, { plotlySource: options.plotlySource }),
    "text/plain": figureSummary(figure),
  };
}

let plotlyShown = false;

/** Options for {@link showPlot}. */
export interface ShowPlotOptions {
  /**
   * Inline plotly.js into this chart's HTML fallback: `auto` (default) does it for the first
   * chart shown in a kernel session, later charts reuse `window.Plotly`; `true` always (use it
   * after re-running a single cell in a fresh page); `false` never.
   */
  inlinePlotly?: boolean | "auto";
}

/**
 * Shows an interactive plotly chart as one MIME bundle (see {@link plotBundle}).
 *
 * Outside the kernel it returns the bundle, with plotly.js inlined (self-contained).
 */
export async function showPlot(
  figure: PlotlyFigure,
  options: ShowPlotOptions = {},
): Promise<MimeBundle | undefined> {
  const inKernel = inJupyter();
  const mode = options.inlinePlotly ?? "auto";
  const inline = mode === "auto" ? !(inKernel && plotlyShown) : mode;
  const bundle = plotBundle(figure, inline ? { plotlySource: await loadPlotlySource() } : {});
  const result = await showBundle(bundle);
  if (inKernel && inline) plotlyShown = true;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Tables, markdown, text

/** A table row: column name -> value (numbers, strings, booleans; others via `String`). */
export type TableRow = Record<string, unknown>;

/** Options for {@link showTable}. */
export interface TableOptions {
  /** Columns and their order; by default every key of every row, in order of appearance. */
  columns?: readonly string[];
  /** Digits after the point for non-integer numbers (default 3). */
  digits?: number;
  /** Caption above the table. */
  caption?: string;
}

function cellText(value: unknown, digits: number): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) || !Number.isFinite(value)
      ? String(value)
      : value.toFixed(digits);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The bundle for a table: `text/html` and an aligned `text/plain`. */
export function tableBundle(rows: readonly TableRow[], options: TableOptions = {}): MimeBundle {
  const digits = options.digits ?? 3;
  const columns = options.columns ? [...options.columns] : [];
  if (!options.columns) {
    for (const row of rows) {
      for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    }
  }
  const cells = rows.map((row) => columns.map((c) => cellText(row[c], digits)));
  const numeric = columns.map((c) =>
    rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] == null)
  );
  const align = (i: number) =>
    numeric[i] ? ' style="text-align:right"' : ' style="text-align:left"';
  const html = [
    "<table>",
    options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "",
    `<thead><tr>${
      columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("")
    }</tr></thead>`,
    "<tbody>",
    ...cells.map((r) =>
      `<tr>${r.map((v, i) => `<td${align(i)}>${escapeHtml(v)}</td>`).join("")}</tr>`
    ),
    "</tbody></table>",
  ].join("");
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values.map((v, i) => numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])).join("  ")
      .trimEnd();
  const plain = [
    ...(options.caption ? [options.caption] : []),
    line(columns),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map(line),
  ].join("\n");
  return { "text/html": html, "text/plain": plain };
}

/** Shows rows of values as a table. */
export async function showTable(
  rows: readonly TableRow[],
  options: TableOptions = {},
): Promise<MimeBundle | undefined> {
  return await showBundle(tableBundle(rows, options));
}

/** The bundle for markdown text: `text/markdown` and the same text as `text/plain`. */
export function markdownBundle(markdown: string): MimeBundle {
  return { "text/markdown": markdown, "text/plain": markdown };
}

/** Shows markdown text. */
export async function showMarkdown(markdown: string): Promise<MimeBundle | undefined> {
  return await showBundle(markdownBundle(markdown));
}

/**
 * Shows preformatted text (logs, reports) as display data rather than a stream, so that it is
 * flushed like the other outputs; `text/plain` plus an escaped `<pre>` for HTML.
 */
export async function showText(text: string): Promise<MimeBundle | undefined> {
  return await showBundle({ "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` });
}
