/**
 * The report of a training run: `RUN/report.html`, built from the run folder alone (see
 * `lib/train/run.ts` for the layout), so any method gets it with one call at the end of
 * training, and `eval-gaze` refreshes it after an evaluation (with the method's sections rebuilt
 * from the run folder: `writeRunReportWithMethodSections` in `run_report_sections.ts`).
 *
 * Sections, in order (each only when its data is there; the missing ones are listed in a note
 * at the top, with what would produce them):
 *
 * | section | from |
 * |---|---|
 * | Configuration | `config.json`: method, preset, seed, every value (non-defaults marked) |
 * | Training losses | `metrics.jsonl`: interactive plotly curves |
 * | Samples | `samples/*.png`: the latest grid and a few earlier ones (progress) |
 * | Evaluation | `eval.json` (`lib/eval/protocol.ts`): raw synthetic / refined / upper bound |
 * | Gaze error curves | `eval.json`: % of target test images within d degrees |
 * | Realism against real images | `eval.json`, when it was given an unlabelled real set |
 * | Refined images | `RUN/refined/`: synthetic, refined, amplified difference, target |
 * | the method's sections | `extraSections` |
 * | Environment | `env.json` |
 *
 * All text is escaped by the {@link Report} builder.
 *
 * @example
 * ```ts ignore
 * // at the end of a method's task
 * await runGazeProtocol(refiner, { runDir: run.paths.dir, data, estimator: { steps: 600 } });
 * await writeRunReport(run.paths.dir, {
 *   title: "SimGAN",
 *   extraSections: [{ heading: "History buffer", build: (r) => r.paragraph("...") }],
 * });
 * ```
 *
 * @module
 */
import { Dataset } from "../data/dataset.ts";
import { type GazeErrorSummary, withinPctAt } from "../gaze/metrics.ts";
import type { PixelImage } from "../image/grid.ts";
import type { GazeEvalFile } from "../eval/eval_file.ts";
import { readGazeEval } from "../eval/eval_file.ts";
import { quantiseImages } from "../eval/refiner.ts";
import { readMetrics, runPaths } from "../train/run.ts";
import { type EvalRow, evalTable } from "./eval_table.ts";
import { lossCurvesFigure, withinCurveFigure } from "./figures.ts";
import { Report } from "./report.ts";

/** A section a method adds to its run report. */
export interface RunReportSection {
  /** The section's heading (level 2, listed in the contents). */
  heading: string;
  /** Adds the section's content (text, tables, plots, grids) to the report. */
  build: (report: Report) => void | Promise<void>;
}

/** Options of {@link writeRunReport} and {@link buildRunReport}. */
export interface RunReportOptions {
  /** The title (default: `<method> run <folder name>`). */
  title?: string;
  /** A line under the title (default: the run folder). */
  subtitle?: string;
  /** The method's own sections, placed after the evaluation, before the environment. */
  extraSections?: readonly RunReportSection[];
  /** Metric keys to draw (dotted; default every numeric key but the bookkeeping ones). */
  lossKeys?: readonly string[];
  /** Smoothing of the loss curves, in [0, 1) (default 0.6 from 50 records on, else 0). */
  smoothing?: number;
  /** Earlier sample grids shown besides the latest (default 3). */
  earlierSamples?: number;
  /** Images per row of the refined-images grid (default 8; 0 leaves the section out). */
  comparisonCount?: number;
  /** Where to write (default `RUN/report.html`). */
  out?: string;
}

/** A section left out, and why. */
export interface OmittedSection {
  section: string;
  reason: string;
}

/** What {@link buildRunReport} made. */
export interface RunReportResult {
  /** The report, ready to render or write. */
  report: Report;
  /** Headings of the sections included, in order. */
  sections: string[];
  /** Sections left out for lack of data. */
  omitted: OmittedSection[];
}

interface RunConfigLike {
  format?: string;
  method?: string;
  preset?: string;
  seed?: number;
  values?: Record<string, unknown>;
  non_default?: Record<string, unknown>;
}

/** Reads a JSON file; `undefined` with the reason when it is missing or unreadable. */
async function tryJson<T>(path: string): Promise<{ value?: T; reason?: string }> {
  try {
    return { value: JSON.parse(await Deno.readTextFile(path)) as T };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { reason: `no ${baseName(path)}` };
    return { reason: `${baseName(path)} unreadable (${(e as Error).message})` };
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Sample grids of a run: `step-NNNNNN.png` by step, then other PNGs by name. */
async function listSamples(dir: string): Promise<{ name: string; step?: number }[]> {
  const out: { name: string; step?: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.toLowerCase().endsWith(".png")) continue;
      const m = /^step-(\d+)\.png$/i.exec(e.name);
      out.push(m ? { name: e.name, step: Number(m[1]) } : { name: e.name });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) =>
    a.step !== undefined && b.step !== undefined
      ? a.step - b.step
      : a.step !== undefined
      ? -1
      : b.step !== undefined
      ? 1
      : a.name < b.name
      ? -1
      : a.name > b.name
      ? 1
      : 0
  );
}

/** Up to `k` evenly spaced items of `items` (first included), in order. */
function spread<T>(items: readonly T[], k: number): T[] {
  if (k <= 0 || items.length === 0) return [];
  if (items.length <= k) return [...items];
  return Array.from({ length: k }, (_, i) => items[Math.round((i * (items.length - 1)) / k)]);
}

/**
 * The evaluation table's rows from an `eval.json`: raw synthetic, refined, target upper bound.
 * Label preservation uses the held-out synthetic set when there is one.
 */
export function evalRows(ev: GazeEvalFile): EvalRow[] {
  const lp = ev.label_preservation?.test ?? ev.label_preservation?.train;
  const t = ev.realism?.target;
  const rows: EvalRow[] = [
    {
      data: "raw synthetic (a)",
      gaze: ev.gaze.synthetic.test_error,
      labelPreservation: lp?.raw,
      labelPreservationByTarget: lp?.by_target?.raw,
      kid: t?.kid?.synthetic,
      realVsRefined: t?.classifier?.synthetic,
    },
    {
      data: `refined: ${ev.refiner.name} (b)`,
      gaze: ev.gaze.refined.test_error,
      labelPreservation: lp?.refined,
      labelPreservationByTarget: lp?.by_target?.refined,
      kid: t?.kid?.refined,
      realVsRefined: t?.classifier?.refined,
    },
  ];
  if (ev.gaze.target) {
    rows.push({ data: "target, upper bound (c)", gaze: ev.gaze.target.test_error });
  }
  return rows;
}

/**
 * The first `n` images of a data set (fewer when it has fewer) as pixel images, in file order;
 * the run report and the comparison report show them.
 */
export async function firstImages(dir: string, n: number): Promise<PixelImage[]> {
  const ds = await Dataset.open(dir);
  try {
    const k = Math.min(n, ds.count);
    const bytes = (await ds.readIndices(
      "images",
      Array.from({ length: k }, (_, i) => i),
    )) as Uint8Array;
    const per = ds.height * ds.width * ds.channels;
    return Array.from({ length: k }, (_, i) => ({
      width: ds.width,
      height: ds.height,
      channels: ds.channels as 1 | 3,
      data: bytes.slice(i * per, (i + 1) * per),
    }));
  } finally {
    ds.close();
  }
}

/** One labelled row of a {@link comparisonGrid}. */
export interface ComparisonRow {
  /** The row's name, listed in the caption. */
  label: string;
  /** Images `[N, H, W, C]` in [-1, 1] (Float32Array) or pixel images. */
  images: Float32Array | readonly PixelImage[];
}

/**
 * Adds a grid with one row per image set (e.g. synthetic | refined | |difference| | target) to a
 * report, as a section body: every row shows the same number of columns, and the caption names
 * the rows top to bottom. Methods use it in their `extraSections`.
 *
 * @param report the report.
 * @param rows the rows; `Float32Array` rows need `shape`.
 * @param options `shape` `[H, W, C]` of Float32Array rows, `caption` (prefix of the row list).
 */
export async function comparisonGrid(
  report: Report,
  rows: readonly ComparisonRow[],
  options: { shape?: readonly [number, number, number]; caption?: string } = {},
): Promise<Report> {
  const pixelRows = rows.map((r) => {
    if (!(r.images instanceof Float32Array)) return [...r.images];
    if (!options.shape) {
      throw new RangeError(`comparisonGrid: row '${r.label}' needs options.shape`);
    }
    const [h, w, c] = options.shape;
    const per = h * w * c;
    const n = r.images.length / per;
    if (!Number.isInteger(n)) {
      throw new RangeError(`comparisonGrid: row '${r.label}' is not N images of ${h}x${w}x${c}`);
    }
    const bytes = quantiseImages(r.images).bytes;
    return Array.from({ length: n }, (_, i): PixelImage => ({
      width: w,
      height: h,
      channels: c as 1 | 3,
      data: bytes.slice(i * per, (i + 1) * per),
    }));
  });
  const cols = Math.max(...pixelRows.map((r) => r.length));
  if (!(cols > 0)) throw new RangeError("comparisonGrid: no images");
  const tiles: PixelImage[] = [];
  for (const row of pixelRows) {
    for (let i = 0; i < cols; i++) {
      const im = row[i] ?? { ...row[0], data: new Uint8Array(row[0].data.length).fill(255) };
      tiles.push(im);
    }
  }
  const caption = `${options.caption ? `${options.caption}: ` : ""}rows, top to bottom: ${
    rows.map((r) => r.label).join(" | ")
  }`;
  return await report.imageGrid(tiles, { cols, rows: rows.length, caption });
}

/** `|a - b|` of two pixel images, amplified and clipped to 0..255. */
function absDiff(a: PixelImage, b: PixelImage, gain: number): PixelImage {
  const data = new Uint8Array(a.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.min(255, Math.abs(a.data[i] - b.data[i]) * gain);
  }
  return { ...a, data };
}

/**
 * Builds the run report (see the module documentation) without writing it.
 *
 * @param runDir the run folder.
 * @param options title, extra sections, loss keys and smoothing, sample counts.
 */
export async function buildRunReport(
  runDir: string,
  options: RunReportOptions = {},
): Promise<RunReportResult> {
  const paths = runPaths(runDir);
  const omitted: OmittedSection[] = [];
  const sections: string[] = [];

  const cfg = await tryJson<RunConfigLike>(paths.config);
  let config = cfg.value;
  if (config && (typeof config !== "object" || typeof config.values !== "object")) {
    omitted.push({ section: "Configuration", reason: "config.json is not a run config" });
    config = undefined;
  } else if (!config) {
    omitted.push({ section: "Configuration", reason: cfg.reason! });
  }
  const metrics = await readMetrics(paths.metrics).catch((e: Error) => {
    omitted.push({ section: "Training losses", reason: `metrics.jsonl unreadable (${e.message})` });
    return undefined;
  });
  if (metrics && metrics.length === 0) {
    omitted.push({ section: "Training losses", reason: "no metrics.jsonl records" });
  }
  const samples = await listSamples(paths.samples);
  if (samples.length === 0) omitted.push({ section: "Samples", reason: "no samples/*.png" });
  let ev: GazeEvalFile | undefined;
  const evalPath = `${paths.dir}/eval.json`;
  try {
    ev = await readGazeEval(evalPath);
  } catch (e) {
    const reason = /not found/.test((e as Error).message)
      ? "no eval.json (run deno task eval-gaze --refiner RUN)"
      : (e as Error).message;
    omitted.push({ section: "Evaluation", reason });
  }
  let comparison: { syn: PixelImage[]; ref: PixelImage[]; tgt: PixelImage[] } | undefined;
  const count = options.comparisonCount ?? 8;
  if (ev && count > 0) {
    try {
      const [syn, ref, tgt] = await Promise.all([
        firstImages(ev.data.synthetic.dir, count),
        firstImages(`${paths.dir}/refined`, count),
        firstImages(ev.data.target_test.dir, count),
      ]);
      comparison = { syn, ref, tgt };
    } catch (err) {
      omitted.push({
        section: "Refined images",
        reason: `cannot read the evaluation's images (${(err as Error).message})`,
      });
    }
  }
  const real = ev?.realism?.real;
  if (ev?.data.real && !(real && (real.kid || real.classifier))) {
    omitted.push({ section: "Realism against real images", reason: "skipped in eval.json" });
  }
  const env = await tryJson<Record<string, unknown>>(paths.env);
  if (!env.value) omitted.push({ section: "Environment", reason: env.reason! });

  const folder = baseName(paths.dir) || paths.dir;
  const title = options.title ?? `${config?.method ?? "run"} run ${folder}`;
  const report = new Report(title, { subtitle: options.subtitle ?? paths.dir });
  const section = (heading: string) => {
    sections.push(heading);
    report.heading(heading);
  };

  if (omitted.length > 0) {
    report.paragraph(
      `Not in this report: ${omitted.map((o) => `${o.section} (${o.reason})`).join("; ")}.`,
    );
  }

  if (config) {
    const c = config;
    section("Configuration");
    report.keyValue({ method: c.method, preset: c.preset, seed: c.seed }, { caption: "run" });
    report.keyValue(c.values ?? {}, {
      caption: `config (values that differ from the preset '${c.preset}' are marked)`,
      nonDefault: Object.keys(c.non_default ?? {}),
    });
  }

  if (metrics && metrics.length > 0) {
    const rows = metrics as unknown as Record<string, unknown>[];
    section("Training losses");
    const smoothing = options.smoothing ?? (rows.length >= 50 ? 0.6 : 0);
    report.plot(lossCurvesFigure(rows, options.lossKeys, { smoothing }), {
      caption: `${rows.length} records of metrics.jsonl` +
        (smoothing > 0 ? `; smoothed (EMA ${smoothing}), raw values faint` : ""),
    });
    const last = metrics[metrics.length - 1];
    const elapsed = typeof last.elapsed_s === "number"
      ? `, ${(last.elapsed_s / 60).toFixed(1)} min of training`
      : "";
    report.paragraph(`Last logged step: ${last.step}${elapsed}.`);
  }

  if (samples.length > 0) {
    section("Samples");
    const stepped = samples.filter((s) => s.step !== undefined);
    const others = samples.filter((s) => s.step === undefined);
    const shown: { name: string; step?: number; what: string }[] = [];
    if (stepped.length > 0) {
      const latest = stepped[stepped.length - 1];
      shown.push({ ...latest, what: "latest" });
      const earlier = spread(stepped.slice(0, -1), options.earlierSamples ?? 3);
      for (const s of earlier.reverse()) shown.push({ ...s, what: "earlier" });
    }
    for (const s of others.slice(0, 4)) shown.push({ ...s, what: "other" });
    for (const s of shown) {
      const bytes = await Deno.readFile(`${paths.samples}/${s.name}`);
      const label = s.step !== undefined ? `step ${s.step}` : s.name;
      report.image(bytes, { caption: `${label} (${s.what}; ${s.name})` });
    }
    if (stepped.length + others.length > shown.length) {
      report.paragraph(
        `${samples.length} sample grids in ${paths.samples}; ${shown.length} shown.`,
      );
    }
  }

  if (ev) {
    const e = ev;
    section("Evaluation");
    const lp = e.label_preservation?.test ?? e.label_preservation?.train;
    report.table(evalTable(evalRows(e)), {
      caption: `Gaze estimator trained on each set (${e.estimator.steps} steps, seed ` +
        `${e.estimator.seed}), tested on the target test set (${e.data.target_test.count} images)`,
    });
    const notes = [
      `Label preservation: the estimators (a), trained on raw synthetic images, and (c), ` +
      `trained on target images, applied to the ${
        lp
          ? (lp.images === "synthetic_test" ? "held-out synthetic test" : "synthetic training")
          : ""
      } images refined and raw, against the synthetic labels${lp ? "" : " (skipped)"}${
        lp && !lp.by_target ? " ((c): not evaluated)" : ""
      }. (a) pays about the domain gap on images that look like target images even with ` +
      `their gaze intact; (c) reads them in its own domain, so a refiner that keeps the gaze ` +
      `lowers (c)'s error on refined against raw images (the synthetic labels span a wider ` +
      `gaze range than the target domain's, so (c) does not reach its own test error here).`,
      e.realism?.features
        ? `KID: against the target test images, on ${e.realism.features.description}; ` +
          `domain-specific (comparable only between evaluations with the same features, not ` +
          `with published FID/KID).`
        : "KID: skipped.",
      e.realism?.classifier_settings
        ? `Real-vs-refined accuracy: a small CNN trained to tell target test images from ` +
          `each set, held-out accuracy (50% = indistinguishable).`
        : "Real-vs-refined classifier: skipped.",
    ];
    report.paragraph(notes.join("\n\n"));
    const settings: Record<string, unknown> = {
      refiner: e.refiner.name,
      synthetic: `${e.data.synthetic.dir} (${e.data.synthetic.count})`,
      "target train": `${e.data.target_train.dir} (${e.data.target_train.count})`,
      "target test": `${e.data.target_test.dir} (${e.data.target_test.count})`,
      refined: `${e.data.refined.dir} (${e.data.refined.count}; ${
        (100 * e.data.refined.clipped_fraction).toFixed(2)
      }% of values clipped)`,
      ...(e.data.real ? { real: `${e.data.real.dir} (${e.data.real.count})` } : {}),
      estimator: e.estimator,
      skipped: e.skipped.length ? e.skipped.join(", ") : "nothing",
      cached: ["synthetic", "target"]
        .filter((k) => e.gaze[k as "synthetic" | "target"]?.cached)
        .join(", ") || "none",
      backend: e.backend.tfjs,
      seconds: Math.round(e.seconds),
      created: e.created,
    };
    report.keyValue(settings, { caption: "evaluation settings" });

    section("Gaze error curves");
    const curves: Record<string, GazeErrorSummary> = {
      "raw synthetic (a)": e.gaze.synthetic.test_error,
      [`refined: ${e.refiner.name} (b)`]: e.gaze.refined.test_error,
    };
    if (e.gaze.target) curves["target, upper bound (c)"] = e.gaze.target.test_error;
    report.plot(withinCurveFigure(curves), {
      caption: "% of target test images whose angular error is at most d degrees " +
        "(SimGAN's Figure 7)",
    });
    const w7 = withinPctAt(e.gaze.refined.test_error, 7);
    const s7 = withinPctAt(e.gaze.synthetic.test_error, 7);
    if (w7 !== undefined && s7 !== undefined) {
      report.paragraph(
        `Within 7°: refined ${w7.toFixed(1)}% vs raw synthetic ${s7.toFixed(1)}% ` +
          `(${w7 - s7 >= 0 ? "+" : ""}${(w7 - s7).toFixed(1)} points).`,
      );
    }

    if (real && (real.kid || real.classifier)) {
      section("Realism against real images");
      const rows: EvalRow[] = [
        {
          data: "raw synthetic",
          kid: real.kid?.synthetic,
          realVsRefined: real.classifier?.synthetic,
        },
        {
          data: `refined: ${e.refiner.name}`,
          kid: real.kid?.refined,
          realVsRefined: real.classifier?.refined,
        },
      ];
      const spec = evalTable(rows);
      const keep = [0, 5, 6];
      report.table({
        columns: keep.map((i) => spec.columns[i]),
        rows: spec.rows.map((r) => keep.map((i) => (r as unknown[])[i])),
      }, {
        caption: `Against the unlabelled real set ${e.data.real?.dir ?? ""} (${
          e.data.real?.count ?? "?"
        } images; same features and classifier settings)`,
      });
    }

    if (comparison) {
      const { syn, ref, tgt } = comparison;
      section("Refined images");
      await comparisonGrid(report, [
        { label: "synthetic", images: syn },
        { label: `refined (${e.refiner.name})`, images: ref },
        { label: "|refined - synthetic| x4", images: ref.map((r, i) => absDiff(r, syn[i], 4)) },
        { label: "target test images (unpaired)", images: tgt },
      ], { caption: `The first ${syn.length} images of the refined set` });
    }
  }

  for (const extra of options.extraSections ?? []) {
    section(extra.heading);
    await extra.build(report);
  }

  if (env.value) {
    const v = env.value;
    section("Environment");
    report.keyValue(v, { caption: "env.json" });
  }

  return { report, sections, omitted };
}

/**
 * The title a method's task gives its run report: `<label> run <folder name>`, e.g.
 * `SimGAN run simgan-20261129-015635` (a report rebuilt from the run folder gets the same).
 */
export function runReportTitle(label: string, runDir: string): string {
  return `${label} run ${runPaths(runDir).dir.replace(/^.*\//, "")}`;
}

/**
 * Builds the run report (see {@link buildRunReport}) and writes it atomically to
 * `RUN/report.html` (or `options.out`).
 *
 * @returns the path written, the sections included and those left out.
 */
export async function writeRunReport(
  runDir: string,
  options: RunReportOptions = {},
): Promise<{ path: string; sections: string[]; omitted: OmittedSection[] }> {
  const { report, sections, omitted } = await buildRunReport(runDir, options);
  const path = await report.write(options.out ?? runPaths(runDir).report);
  return { path, sections, omitted };
}
