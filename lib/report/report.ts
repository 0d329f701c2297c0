/**
 * A self-contained HTML report: one file with headings, text, tables, config tables,
 * interactive plotly charts and embedded images, that opens offline in any browser.
 *
 * - No external URLs: CSS is inline, images are `data:` URIs, plotly.js is inlined once, in a
 *   `<script>` in the `<head>`, and only when the report has a chart.
 * - Everything that comes from configs, file names or user text is HTML-escaped; figure JSON is
 *   made safe for `<script>` ({@link scriptJson}).
 * - The output is deterministic: the same calls give the same bytes (plot ids are counters).
 *
 * @example
 * ```ts ignore
 * const report = new Report("SimGAN on synthetic -> real eyes");
 * report.heading("Configuration").keyValue(config, { defaults: SIMGAN_DEFAULTS });
 * report.heading("Training").plot(lossCurvesFigure(rows, ["loss.R", "loss.D"]));
 * await report.imageGrid(refinedBatch, { cols: 8, caption: "refined samples" });
 * await report.write("runs/simgan/report.html");
 * ```
 *
 * @module
 */
import plotlyText from "plotly.js-dist-min/plotly.min.js" with { type: "text" };
import { type GridInput, type GridOptions, imageGrid, upscaleNearest } from "../image/grid.ts";
import { encodePng, type PixelImage } from "../image/io.ts";
import { escapeHtml, figureHtml, type PlotlyFigure, plotlyLibraryScript } from "../plot/mod.ts";
import { cellText, changedKeys, flattenObject } from "./format.ts";

/** A table given with explicit columns; each row is an array (in column order) or a record. */
export interface TableSpec {
  /** Column names, in order. */
  columns: readonly string[];
  /** Rows: arrays in column order, or records keyed by column name. */
  rows: readonly (readonly unknown[] | Readonly<Record<string, unknown>>)[];
}

/** Options of {@link Report.table}. */
export interface ReportTableOptions {
  /** Caption above the table. */
  caption?: string;
  /** Digits of non-integer numbers (see `formatNumber`; default 3). */
  digits?: number;
}

/** Options of {@link Report.keyValue}. */
export interface KeyValueOptions {
  /** Caption above the table. */
  caption?: string;
  /**
   * Dotted keys to mark as non-default (a key also marks everything below it: `net` marks
   * `net.blocks`).
   */
  nonDefault?: Iterable<string>;
  /** Defaults to compare with: keys whose value differs are marked (see `changedKeys`). */
  defaults?: Record<string, unknown>;
}

/** Options of {@link Report.image}. */
export interface ReportImageOptions {
  /** Caption under the image. */
  caption?: string;
  /** Alternative text (default: the caption, or "image"). */
  alt?: string;
  /** Display width in CSS pixels (default: the image's own width, at most the page width). */
  width?: number;
  /** MIME type (default: sniffed from the bytes, PNG or JPEG). */
  mime?: "image/png" | "image/jpeg";
}

/** Options of {@link Report.imageGrid}: the grid layout plus caption and alt text. */
export interface ReportGridOptions extends Omit<GridOptions, "scale"> {
  /**
   * Integer nearest-neighbour enlargement; `auto` (default) enlarges small tiles (36x60 eyes
   * become 3x) to at least 96 px high, at most 8x, keeping the grid under 1600 px wide.
   */
  scale?: number | "auto";
  /** Caption under the grid. */
  caption?: string;
  /** Alternative text (default: the caption). */
  alt?: string;
}

/** Options of the {@link Report} constructor. */
export interface ReportOptions {
  /** A line of text under the title (escaped). */
  subtitle?: string;
  /**
   * The plotly.js text to inline (default: `plotly.js-dist-min` pinned in `deno.json`); e.g. the
   * smaller `plotly.js-basic-dist-min` when only scatter and bar charts are used.
   */
  plotlySource?: string;
  /** List the level-2 headings at the top when there are at least this many (default 3). */
  tocMinHeadings?: number;
}

/** The inline style sheet: simple, readable, printable. */
const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2329;
  background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.3em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #d8dee4; }
h3 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
p.subtitle { color: #57606a; margin-top: 0; }
nav.toc { background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 16px;
  margin: 16px 0; }
nav.toc ol { margin: 4px 0; padding-left: 20px; }
a { color: #0969da; }
table { border-collapse: collapse; margin: 12px 0 20px; font-size: 0.93em; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv td:first-child { font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  white-space: nowrap; }
table.kv td:last-child { font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  word-break: break-all; }
table.kv tr.changed td { background: #fff8c5; font-weight: 600; }
span.mark { color: #9a6700; margin-left: 4px; }
p.note { color: #57606a; font-size: 0.9em; margin: -12px 0 20px; }
figure { margin: 12px 0 24px; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated;
  border: 1px solid #d0d7de; }
figcaption { color: #57606a; font-size: 0.9em; margin-top: 4px; }
.eyegan-plot { border: 1px solid #eaeef2; }
`;

/** Whether `bytes` start like a JPEG file (FF D8 FF). */
function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Base64 of bytes, in chunks (large images would overflow the call stack). */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The enlargement `auto` picks for a grid of tiles `tileHeight` high. */
function autoScale(gridWidth: number, tileHeight: number): number {
  const byHeight = Math.max(1, Math.ceil(96 / Math.max(1, tileHeight)));
  const byWidth = Math.max(1, Math.floor(1600 / Math.max(1, gridWidth)));
  return Math.min(8, byHeight, byWidth);
}

/**
 * Builds a self-contained HTML report section by section. Every adder returns `this`, so
 * calls chain; {@link Report.render} gives the HTML and {@link Report.write} writes it
 * atomically.
 */
export class Report {
  /** The report's title (the page title and the `<h1>`). */
  readonly title: string;
  readonly #options: ReportOptions;
  readonly #sections: string[] = [];
  readonly #toc: { id: string; text: string }[] = [];
  #plots = 0;
  #headings = 0;

  /**
   * @param title the page title (escaped).
   * @param options subtitle, a different plotly.js text, table-of-contents threshold.
   */
  constructor(title: string, options: ReportOptions = {}) {
    this.title = title;
    this.#options = options;
  }

  /** Number of plotly charts added so far. */
  get plotCount(): number {
    return this.#plots;
  }

  /**
   * Adds a heading.
   *
   * @param text the heading (escaped).
   * @param level 2 (default, listed in the table of contents) to 4.
   */
  heading(text: string, level: 2 | 3 | 4 = 2): this {
    const id = `sec-${++this.#headings}`;
    if (level === 2) this.#toc.push({ id, text });
    this.#sections.push(`<h${level} id="${id}">${escapeHtml(text)}</h${level}>`);
    return this;
  }

  /** Adds a paragraph of plain text (escaped; blank lines start new paragraphs). */
  paragraph(text: string): this {
    for (const part of text.split(/\n\s*\n/)) {
      if (part.trim()) this.#sections.push(`<p>${escapeHtml(part.trim())}</p>`);
    }
    return this;
  }

  /**
   * Adds a table. Cells are escaped; numbers are formatted (`formatNumber`) and right-aligned;
   * missing values (`undefined`, `null`, `NaN`) show as "—".
   *
   * @param table records (columns: every key, in order of appearance) or a {@link TableSpec}.
   * @param options caption and digits.
   */
  table(
    table: readonly Readonly<Record<string, unknown>>[] | TableSpec,
    options: ReportTableOptions = {},
  ): this {
    const digits = options.digits ?? 3;
    let columns: string[];
    let rows: unknown[][];
    if (Array.isArray(table)) {
      const records = table as readonly Readonly<Record<string, unknown>>[];
      columns = [];
      for (const r of records) {
        for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
      }
      rows = records.map((r) => columns.map((c) => r[c]));
    } else {
      const spec = table as TableSpec;
      columns = [...spec.columns];
      rows = spec.rows.map((r) =>
        Array.isArray(r)
          ? columns.map((_, i) => r[i])
          : columns.map((c) => (r as Record<string, unknown>)[c])
      );
    }
    const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
    const body = rows.map((r) =>
      `<tr>${
        r.map((v) =>
          `<td${typeof v === "number" ? ' class="num"' : ""}>${
            escapeHtml(cellText(v, digits))
          }</td>`
        ).join("")
      }</tr>`
    );
    this.#sections.push(
      `<table>${this.#caption(options.caption)}<thead><tr>${head}</tr></thead>` +
        `<tbody>\n${body.join("\n")}\n</tbody></table>`,
    );
    return this;
  }

  /**
   * Adds a key/value table, e.g. a resolved config or the environment. Nested objects are
   * flattened to dotted keys (`optimizer.lr`); values are shown exactly (`String`, arrays as
   * JSON). Keys in `nonDefault`, or whose value differs from `defaults`, are highlighted and
   * marked with `*`.
   */
  keyValue(values: Readonly<Record<string, unknown>>, options: KeyValueOptions = {}): this {
    const marked = new Set(options.nonDefault ?? []);
    if (options.defaults) {
      for (const k of changedKeys(values as Record<string, unknown>, options.defaults)) {
        marked.add(k);
      }
    }
    const isMarked = (key: string) => {
      for (const m of marked) if (key === m || key.startsWith(`${m}.`)) return true;
      return false;
    };
    const rows = flattenObject(values as Record<string, unknown>).map(([key, v]) => {
      const text = v === undefined
        ? "undefined"
        : typeof v === "string"
        ? v
        : typeof v === "object" && v !== null
        ? JSON.stringify(v)
        : String(v);
      const mark = isMarked(key);
      return `<tr${mark ? ' class="changed"' : ""}><td>${escapeHtml(key)}${
        mark ? '<span class="mark" title="differs from the default">*</span>' : ""
      }</td><td>${escapeHtml(text)}</td></tr>`;
    });
    this.#sections.push(
      `<table class="kv">${this.#caption(options.caption)}` +
        `<thead><tr><th>key</th><th>value</th></tr></thead><tbody>\n${
          rows.join("\n")
        }\n</tbody></table>`,
    );
    if (marked.size > 0) {
      this.#sections.push(`<p class="note">* differs from the default</p>`);
    }
    return this;
  }

  /**
   * Adds an interactive plotly chart. plotly.js is inlined once per report, in the `<head>`.
   *
   * @param figure a figure from `lib/plot` or the report's figure helpers.
   * @param options `caption` under the chart.
   */
  plot(figure: PlotlyFigure, options: { caption?: string } = {}): this {
    const id = `plot-${++this.#plots}`;
    const fig: PlotlyFigure = {
      ...figure,
      config: { responsive: true, displaylogo: false, ...(figure.config ?? {}) },
    };
    this.#sections.push(
      `<figure class="plot">${figureHtml(fig, { divId: id })}${
        this.#figcaption(options.caption)
      }</figure>`,
    );
    return this;
  }

  /**
   * Adds an image, embedded as a base64 `data:` URI.
   *
   * @param bytes PNG (or JPEG) file contents.
   * @param options caption, alt text, display width, MIME type.
   */
  image(bytes: Uint8Array, options: ReportImageOptions = {}): this {
    const mime = options.mime ?? (isJpeg(bytes) ? "image/jpeg" : "image/png");
    const alt = options.alt ?? options.caption ?? "image";
    const width = options.width !== undefined && Number.isFinite(options.width)
      ? ` width="${Math.round(options.width)}"`
      : "";
    this.#sections.push(
      `<figure><img src="data:${mime};base64,${base64(bytes)}" alt="${escapeHtml(alt)}"${width}>` +
        `${this.#figcaption(options.caption)}</figure>`,
    );
    return this;
  }

  /**
   * Adds images tiled into one PNG (see `lib/image/grid.ts`): pixel images or a batch tensor
   * `[N,H,W,C]` in `[-1,1]`, `[0,1]` or 0..255. Asynchronous because it encodes the PNG.
   */
  async imageGrid(input: GridInput, options: ReportGridOptions = {}): Promise<this> {
    const { scale = "auto", caption, alt, ...grid } = options;
    const tiled = await imageGrid(input, { ...grid, scale: 1 });
    const tileHeight = Array.isArray(input)
      ? Math.max(...(input as readonly PixelImage[]).map((im) => im.height))
      : (input as { shape: number[] }).shape.at(-3)!;
    const factor = scale === "auto" ? autoScale(tiled.width, tileHeight) : scale;
    const png = await encodePng(upscaleNearest(tiled, factor));
    return this.image(png, { caption, alt: alt ?? caption ?? "image grid" });
  }

  #caption(text: string | undefined): string {
    return text ? `<caption>${escapeHtml(text)}</caption>` : "";
  }

  #figcaption(text: string | undefined): string {
    return text ? `<figcaption>${escapeHtml(text)}</figcaption>` : "";
  }

  /** The complete HTML document (UTF-8), self-contained. */
  render(): string {
    const title = escapeHtml(this.title);
    const lib = this.#plots > 0
      ? `\n${plotlyLibraryScript(this.#options.plotlySource ?? plotlyText)}`
      : "";
    const subtitle = this.#options.subtitle
      ? `\n<p class="subtitle">${escapeHtml(this.#options.subtitle)}</p>`
      : "";
    const toc = this.#toc.length >= (this.#options.tocMinHeadings ?? 3)
      ? `\n<nav class="toc"><strong>Contents</strong><ol>${
        this.#toc.map((h) => `<li><a href="#${h.id}">${escapeHtml(h.text)}</a></li>`).join("")
      }</ol></nav>`
      : "";
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="eyegan">
<title>${title}</title>
<style>${CSS}</style>${lib}
</head>
<body>
<main>
<h1>${title}</h1>${subtitle}${toc}
${this.#sections.join("\n")}
</main>
</body>
</html>
`;
  }

  /**
   * Writes the report to `path` atomically: into a temporary file in the same directory, then
   * renamed over `path` (readers never see half a report). Creates the directory if needed.
   *
   * @returns `path`.
   */
  async write(path: string): Promise<string> {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    const tmp = `${path}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      await Deno.writeTextFile(tmp, this.render());
      await Deno.rename(tmp, path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
    return path;
  }
}
