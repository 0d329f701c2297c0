/**
 * Figures every method's report shows: loss curves from a run's metrics log, and the gaze
 * "% of images within d degrees" curves (the SimGAN paper's Figure 7).
 *
 * @module
 */
import type { GazeErrorSummary } from "../gaze/metrics.ts";
import { type FigureOptions, lineFigure, type PlotlyFigure } from "../plot/mod.ts";
import { flattenObject } from "./format.ts";

/** Plotly's default colours, so that a raw curve and its smoothed twin share a colour. */
const COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/**
 * Parses JSON Lines (one JSON object per line; blank lines skipped). A malformed last line is
 * skipped (a log being written, or cut off by an interrupted run), as `lib/train`'s
 * `readMetrics` does.
 *
 * @throws {SyntaxError} naming the line of any other malformed record (`name` prefixes it).
 */
export function parseJsonl(text: string, name = "jsonl"): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && !lines[last].trim()) last--;
  for (let i = 0; i <= last; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      if (i === last) break; // torn final line
      throw new SyntaxError(`${name}:${i + 1}: ${e instanceof Error ? e.message : e}`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new SyntaxError(`${name}:${i + 1}: not a JSON object`);
    }
    rows.push(value as Record<string, unknown>);
  }
  return rows;
}

/** Reads a JSON Lines file (e.g. a run's `metrics.jsonl`) with {@link parseJsonl}. */
export async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  return parseJsonl(await Deno.readTextFile(path), path);
}

/** Options of {@link lossCurvesFigure}. */
export interface LossCurvesOptions extends FigureOptions {
  /** The key of the x value (default `step`; rows without it use their index). */
  stepKey?: string;
  /**
   * Keys left out when `keys` is not given (default: `elapsed_s`, `tensors`, `epoch`, `time`,
   * the bookkeeping fields of `lib/train`'s `metrics.jsonl`).
   */
  exclude?: readonly string[];
  /**
   * Exponential moving average factor a in [0, 1) (default 0: raw values only). With a > 0 the
   * raw curves are drawn faintly and the smoothed ones over them.
   */
  smoothing?: number;
}

/**
 * Debiased exponential moving average (TensorBoard's smoothing):
 * `s_t = a s_{t-1} + (1 - a) v_t`, `s_0 = 0`, shown as `s_t / (1 - a^t)`.
 */
function ema(values: readonly number[], a: number): number[] {
  let s = 0;
  let weight = 1;
  return values.map((v) => {
    s = a * s + (1 - a) * v;
    weight *= a;
    return s / (1 - weight);
  });
}

/**
 * Loss curves against the training step, one line per key, from metrics records (the rows of a
 * run's `metrics.jsonl`). Nested records are read through dotted keys (`loss.G` reads
 * `{loss: {G: ...}}`); a row without a finite number for a key is skipped for that key, so
 * metrics logged at different intervals share one chart.
 *
 * @param rows metrics records, e.g. `{step: 100, loss: {G: 1.2, D: 0.6}}`.
 * @param keys the (dotted) keys to draw; default: every numeric key except the step key and
 *   `options.exclude`.
 * @param options titles, log scale, smoothing, step key.
 */
export function lossCurvesFigure(
  rows: readonly Record<string, unknown>[],
  keys?: readonly string[],
  options: LossCurvesOptions = {},
): PlotlyFigure {
  const stepKey = options.stepKey ?? "step";
  const flat = rows.map((r) => new Map(flattenObject(r as Record<string, unknown>)));
  let names = keys ? [...keys] : [];
  if (!keys) {
    const exclude = new Set(options.exclude ?? ["elapsed_s", "tensors", "epoch", "time"]);
    for (const m of flat) {
      for (const [k, v] of m) {
        if (k !== stepKey && !exclude.has(k) && typeof v === "number" && !names.includes(k)) {
          names.push(k);
        }
      }
    }
  }
  names = names.filter((k) => k !== stepKey);
  const a = options.smoothing ?? 0;
  if (!(a >= 0 && a < 1)) {
    throw new RangeError(`lossCurvesFigure: smoothing must be in [0, 1), got ${a}`);
  }
  const traces: Record<string, unknown>[] = [];
  names.forEach((key, i) => {
    const x: number[] = [];
    const y: number[] = [];
    flat.forEach((m, j) => {
      const v = m.get(key);
      if (typeof v !== "number" || !Number.isFinite(v)) return;
      const s = m.get(stepKey);
      x.push(typeof s === "number" ? s : j);
      y.push(v);
    });
    const color = COLORS[i % COLORS.length];
    if (a > 0) {
      traces.push({
        type: "scatter",
        mode: "lines",
        name: `${key} (raw)`,
        x,
        y,
        line: { color, width: 1 },
        opacity: 0.3,
        legendgroup: key,
        showlegend: false,
        hoverinfo: "skip",
      });
    }
    traces.push({
      type: "scatter",
      mode: "lines",
      name: key,
      x,
      y: a > 0 ? ema(y, a) : y,
      line: { color },
      legendgroup: key,
    });
  });
  const base = lineFigure({
    series: [],
    title: options.title ?? "Training losses",
    xTitle: options.xTitle ?? stepKey,
    yTitle: options.yTitle ?? "loss",
    logY: options.logY,
    height: options.height,
  });
  return { ...base, data: traces };
}

/**
 * The cumulative gaze-error curves of the SimGAN paper's Figure 7: for each training set, the
 * % of test images whose angular error is at most d degrees, against d.
 *
 * @param summaries label (e.g. "synthetic", "refined 4x") -> summary from `summariseErrors`.
 * @param options titles and height.
 */
export function withinCurveFigure(
  summaries: Readonly<Record<string, GazeErrorSummary>>,
  options: FigureOptions = {},
): PlotlyFigure {
  const fig = lineFigure({
    title: options.title ?? "Gaze error: % of test images within d degrees",
    xTitle: options.xTitle ?? "distance from ground truth d (degrees)",
    yTitle: options.yTitle ?? "% of images",
    height: options.height,
    series: Object.entries(summaries).map(([label, s]) => ({
      name: `${label} (mean ${s.meanDeg.toFixed(2)}°)`,
      x: s.thresholdsDeg,
      y: s.withinPct,
      mode: "lines+markers" as const,
    })),
  });
  fig.layout.yaxis = { ...(fig.layout.yaxis as Record<string, unknown>), range: [0, 100] };
  return fig;
}
