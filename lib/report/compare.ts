/**
 * The comparison of several run folders (`deno task compare RUN...`): one self-contained HTML
 * report, built with the same {@link Report} builder, tables and figures as the run reports.
 *
 * | section | from |
 * |---|---|
 * | Comparability | `compareEvalSettings` of each evaluated run against the first one; refined sets |
 * | Runs | `config.json`, `metrics.jsonl`, `eval.json`: what each folder holds |
 * | Evaluation | `eval.json` through `evalRows`/`evalTable` (one row block per run), plus extra metric groups |
 * | Gaze error curves | `eval.json`: one curve per refined estimator, raw and target baselines |
 * | Training losses | `metrics.jsonl`: one chart per run, as in the run report |
 * | Refined samples | the first images of each run's `refined/` and of the raw synthetic set |
 * | Configuration differences | `config.json`, flattened: the keys whose values differ |
 *
 * Evaluations that were not made with the same data and settings are **flagged**, never silently
 * put side by side: every difference `compareEvalSettings` finds is listed at the top of the
 * report and in {@link formatComparisonSummary}, with the measures it affects, as one of three
 * kinds: `incompatible` (data or settings every measure depends on: test set, training sets,
 * estimator config, image size, backend), `partial` (settings only some measures depend on:
 * the held-out synthetic set of label preservation, the realism settings, the real set) and
 * `seed` (only the estimators' seed, and with it the KID features of each seed's own target
 * estimator: seed replicates; the settings that follow the seed are `SEED_FOLLOWING_SETTINGS`
 * of `lib/eval/eval_file.ts`, as in the table over seeds). Runs flagged `incompatible` or
 * `partial` are marked ⚠ in the tables and charts; a comparison whose only differences are seed
 * replicates says so without ⚠. Extra metric groups of one name measured with other settings are
 * `INCOMPATIBLE METRICS`; {@link strictFailures} lists what makes `compare --strict` fail.
 *
 * A run folder without `eval.json` is listed as "not evaluated" (its losses and config are still
 * compared). A missing folder, a folder with none of `config.json`, `metrics.jsonl` and
 * `eval.json`, and a file that is there but unreadable (corrupt JSON, another format) are
 * errors that name the file.
 *
 * Extra metric groups are read from the paired evaluation `RUN/paired_eval.json`
 * (`lib/eval/paired.ts`'s `readPairedEval`: L1/PSNR/SSIM against ground-truth twins, the raw renders' in the (a)
 * row; and, in files that have it, the segmentation score: `seg pixel acc`, `seg class acc`,
 * `seg IoU`; and, in files that have it, the realism score: `realism acc`, the held-out
 * accuracy ± standard error of a twins-vs-G(x) classifier, 50% = indistinguishable), `eval.json`'s optional `metric_groups` field, and sibling files `RUN/eval.<group>.json`
 * (`{"format": "eyegan-metric-group/1", "group", "description"?, "metrics": {name: value}}`, a
 * value being a number or `{mean, std?}`); each metric becomes a column of the evaluation table,
 * "—" for runs without it.
 *
 * @example
 * ```ts ignore
 * const result = await writeComparisonReport(["runs/simgan-a", "runs/simgan-b"], {
 *   out: "runs/compare-ab/report.html",
 * });
 * console.log(formatComparisonSummary(result.analysis));
 * ```
 *
 * @module
 */
import {
  canonicalJson,
  compareEvalSettings,
  differenceSetting,
  type EvalDataRef,
  type GazeEvalFile,
  isSeedFollowing,
  readGazeEval,
} from "../eval/eval_file.ts";
import { PAIRED_EVAL_FILE, type PairedEvalFile, readPairedEval } from "../eval/paired.ts";
import { type GazeErrorSummary, withinPctAt } from "../gaze/metrics.ts";
import type { PixelImage } from "../image/grid.ts";
import type { PlotlyFigure } from "../plot/mod.ts";
import { readMetrics, runPaths } from "../train/run.ts";
import { exists, isRecord, readJson } from "../util/fs.ts";
import { evalTable } from "./eval_table.ts";
import { lossCurvesFigure, withinCurveFigure } from "./figures.ts";
import { cellText, flattenObject, formatNumber } from "./format.ts";
import { Report, type TableSpec } from "./report.ts";
import { comparisonGrid, evalRows, firstImages } from "./run_report.ts";

/** Format tag of a sibling metric-group file `RUN/eval.<group>.json`. */
export const METRIC_GROUP_FORMAT = "eyegan-metric-group/1";

/** One value of an extra metric: a number, or a mean with an optional spread. */
export type MetricValue = number | { mean: number; std?: number };

/** An optional group of extra measures of a run's refined images (e.g. paired L1/PSNR/SSIM). */
export interface MetricGroup {
  /** The group's name, e.g. `paired`; columns are named `<group>: <metric>`. */
  group: string;
  /** What the measures are (shown under the table). */
  description?: string;
  /** Metric name -> value of the refined images (the run's (b) row), in column order. */
  metrics: Record<string, MetricValue>;
  /** The same measures of the raw synthetic images (the (a) row), when the group has them. */
  baseline?: Record<string, MetricValue>;
  /**
   * What the numbers depend on besides the refiner (e.g. the paired set); groups of one name
   * whose settings differ between runs are flagged.
   */
  settings?: unknown;
  /** Where it was read: `eval.json`, `paired_eval.json` or the sibling file's name. */
  source: string;
}

/** `config.json` as far as the comparison reads it. */
export interface ComparedConfig {
  method?: string;
  preset?: string;
  seed?: number;
  values?: Record<string, unknown>;
}

/** One run folder, read for a comparison ({@link readComparedRun}). */
export interface ComparedRun {
  /** The folder, as given (no trailing slash). */
  dir: string;
  /** Its name in the report: unique among the compared runs. */
  label: string;
  /** `config.json`, when present. */
  config?: ComparedConfig;
  /** The records of `metrics.jsonl` (none when missing). */
  metrics: Record<string, unknown>[];
  /** `eval.json`, when present. */
  eval?: GazeEvalFile;
  /** Extra metric groups, in order (`eval.json` first, then sibling files by name). */
  metricGroups: MetricGroup[];
  /** What the folder lacks, e.g. `no eval.json (not evaluated)`. */
  missing: string[];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function isSummary(v: unknown): v is GazeErrorSummary {
  return isRecord(v) && typeof v.meanDeg === "number" && Array.isArray(v.withinPct) &&
    Array.isArray(v.thresholdsDeg);
}

/** Checks the parts of an `eval.json` the comparison relies on; throws naming the file. */
function checkEval(path: string, ev: GazeEvalFile): void {
  const problems: string[] = [];
  const e = ev as unknown as Record<string, unknown>;
  const gaze = e.gaze as Record<string, { test_error?: unknown }> | undefined;
  if (!isRecord(gaze)) problems.push("gaze");
  else {
    for (const k of ["synthetic", "refined"]) {
      if (!isSummary(gaze[k]?.test_error)) problems.push(`gaze.${k}.test_error`);
    }
    if (gaze.target !== undefined && !isSummary(gaze.target?.test_error)) {
      problems.push("gaze.target.test_error");
    }
  }
  const data = e.data as Record<string, { dir?: unknown }> | undefined;
  for (const k of ["synthetic", "target_test"]) {
    if (typeof data?.[k]?.dir !== "string") problems.push(`data.${k}.dir`);
  }
  if (!isRecord(e.refiner) || typeof e.refiner.name !== "string") problems.push("refiner.name");
  if (!isRecord(e.estimator)) problems.push("estimator");
  if (problems.length > 0) {
    throw new Error(`${path}: not a complete gaze evaluation (missing ${problems.join(", ")})`);
  }
}

function parseMetricValue(v: unknown): MetricValue | undefined {
  if (typeof v === "number") return v;
  if (isRecord(v) && typeof v.mean === "number") {
    return typeof v.std === "number" ? { mean: v.mean, std: v.std } : { mean: v.mean };
  }
  return undefined;
}

function parseMetrics(where: string, group: string, raw: unknown): Record<string, MetricValue> {
  if (!isRecord(raw)) throw new Error(`${where}: metric group '${group}' needs an object`);
  const metrics: Record<string, MetricValue> = {};
  for (const [name, v] of Object.entries(raw)) {
    const value = parseMetricValue(v);
    if (value === undefined) {
      throw new Error(
        `${where}: metric '${group}: ${name}' is ${JSON.stringify(v)}, not a number or {mean, std}`,
      );
    }
    metrics[name] = value;
  }
  return metrics;
}

/**
 * A metric group from JSON (`{description?, metrics, baseline?, settings?}`); throws naming
 * `where`.
 */
function parseMetricGroup(where: string, group: string, raw: unknown): MetricGroup {
  if (!isRecord(raw) || !isRecord(raw.metrics)) {
    throw new Error(`${where}: metric group '${group}' needs an object 'metrics'`);
  }
  return {
    group,
    ...(typeof raw.description === "string" ? { description: raw.description } : {}),
    metrics: parseMetrics(where, group, raw.metrics),
    ...(raw.baseline !== undefined
      ? { baseline: parseMetrics(where, `${group} baseline`, raw.baseline) }
      : {}),
    ...(raw.settings !== undefined ? { settings: raw.settings } : {}),
    source: baseName(where),
  };
}

/**
 * The `paired` group from `RUN/paired_eval.json`, read with `lib/eval/paired.ts`'s
 * `readPairedEval`: L1, PSNR and SSIM of G(x) against the ground-truth twins, and of the raw
 * synthetic renders (`identity`) for the (a) row; the paired set is the group's setting.
 */
async function readPairedGroup(path: string): Promise<MetricGroup> {
  const raw: PairedEvalFile = await readPairedEval(path);
  /** The metrics `names` ([field, column]) of `m`, each a `kind` value, or an error naming it. */
  const pickNamed = (
    m: unknown,
    where: string,
    names: readonly (readonly [string, string])[],
    kind: string,
  ): Record<string, MetricValue> => {
    const out: Record<string, MetricValue> = {};
    const r = isRecord(m) ? m : {};
    for (const [key, name] of names) {
      const v = parseMetricValue(r[key]);
      if (v === undefined) throw new Error(`${path}: ${where}.${key} is not ${kind}`);
      out[name] = v;
    }
    return out;
  };
  const PIXEL = [["l1", "L1"], ["psnr", "PSNR (dB)"], ["ssim", "SSIM"]] as const;
  const pick = (m: unknown, what: string) => pickNamed(m, what, PIXEL, "{mean, std}");
  // the segmentation score (FCN-score), in files that have it: plain numbers (set-level)
  const seg = raw.segmentation;
  const SEG = [
    ["pixel_accuracy", "seg pixel acc"],
    ["class_accuracy", "seg class acc"],
    ["class_iou", "seg IoU"],
  ] as const;
  const pickSeg = (m: unknown, what: string) =>
    pickNamed(m, `segmentation.${what}`, SEG, "a number");
  // the realism score, in files that have it: accuracy ± its standard error (set-level)
  const real = raw.realism;
  const pickRealism = (m: unknown, what: string): Record<string, MetricValue> => {
    const r = isRecord(m) ? m : {};
    if (typeof r.accuracy !== "number" || typeof r.stdError !== "number") {
      throw new Error(`${path}: realism.${what}.accuracy or stdError is not a number`);
    }
    return { "realism acc": { mean: r.accuracy, std: r.stdError } };
  };
  const data = raw.data;
  return {
    group: "paired",
    description:
      `L1 ([-1, 1] scale), PSNR and SSIM against the ground-truth twins of ${String(data.dir)} (${
        String(data.count)
      } pairs); the (a) row: the raw synthetic renders` +
      (seg
        ? `; seg: the segmentation score (FCN-score) of segmenter ${
          String(seg.segmenter?.key)
        } against the pairs' class maps (its own on the twins: pixel ${
          seg.twins.pixel_accuracy.toFixed(4)
        }, class ${seg.twins.class_accuracy.toFixed(4)}, IoU ${seg.twins.class_iou.toFixed(4)})`
        : "") +
      (real
        ? `; realism acc: held-out accuracy ± standard error of a classifier telling the twins ` +
          `from G(x) (the (a) row: from the raw renders), ${
            String(real.classifier?.steps)
          } steps, seed ${String(real.classifier?.seed)}, split by pair; 0.5 = indistinguishable`
        : ""),
    metrics: {
      ...pick(raw.metrics, "metrics"),
      ...(seg ? pickSeg(seg.metrics, "metrics") : {}),
      ...(real ? pickRealism(real.metrics, "metrics") : {}),
    },
    ...(raw.identity !== undefined
      ? {
        baseline: {
          ...pick(raw.identity, "identity"),
          ...(seg?.identity ? pickSeg(seg.identity, "identity") : {}),
          ...(real?.identity ? pickRealism(real.identity, "identity") : {}),
        },
      }
      : {}),
    settings: {
      dir: data.dir,
      count: data.count,
      height: data.height,
      width: data.width,
      channels: data.channels,
      ...(seg ? { segmenter: seg.segmenter?.key ?? null } : {}),
      ...(real ? { realism: real.classifier ?? null } : {}),
    },
    source: PAIRED_EVAL_FILE,
  };
}

async function readMetricGroups(dir: string, ev: GazeEvalFile | undefined): Promise<MetricGroup[]> {
  const groups: MetricGroup[] = [];
  const inEval = (ev as unknown as { metric_groups?: unknown } | undefined)?.metric_groups;
  if (inEval !== undefined) {
    if (!isRecord(inEval)) throw new Error(`${dir}/eval.json: metric_groups is not an object`);
    for (const [g, raw] of Object.entries(inEval)) {
      groups.push(parseMetricGroup(`${dir}/eval.json`, g, raw));
    }
  }
  if (await exists(`${dir}/${PAIRED_EVAL_FILE}`)) {
    groups.push(await readPairedGroup(`${dir}/${PAIRED_EVAL_FILE}`));
  }
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^eval\.[A-Za-z0-9_-]+\.json$/.test(e.name)) files.push(e.name);
  }
  for (const name of files.sort()) {
    const path = `${dir}/${name}`;
    const raw = await readJson<Record<string, unknown>>(path);
    if (!isRecord(raw) || raw.format !== METRIC_GROUP_FORMAT) {
      throw new Error(
        `${path}: format ${JSON.stringify(raw?.format)} is not ${METRIC_GROUP_FORMAT}`,
      );
    }
    const group = typeof raw.group === "string" ? raw.group : name.slice(5, -5);
    groups.push(parseMetricGroup(path, group, raw));
  }
  return groups;
}

/**
 * Reads one run folder for a comparison.
 *
 * @param dir the run folder.
 * @param label its name in the report (default: the folder's name).
 * @throws Error naming the folder or file: no such folder, not a run folder (none of
 *   `config.json`, `metrics.jsonl`, `eval.json`), or a file that is there but unreadable.
 */
export async function readComparedRun(dir: string, label?: string): Promise<ComparedRun> {
  const paths = runPaths(dir);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(paths.dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${paths.dir}: no such run folder`);
    throw e;
  }
  if (!stat.isDirectory) throw new Error(`${paths.dir}: not a folder`);
  const missing: string[] = [];

  let config: ComparedConfig | undefined;
  if (await exists(paths.config)) {
    const raw = await readJson<Record<string, unknown>>(paths.config);
    if (!isRecord(raw) || !isRecord(raw.values)) {
      throw new Error(`${paths.config}: not a run config (no 'values' object)`);
    }
    config = {
      method: typeof raw.method === "string" ? raw.method : undefined,
      preset: typeof raw.preset === "string" ? raw.preset : undefined,
      seed: typeof raw.seed === "number" ? raw.seed : undefined,
      values: raw.values,
    };
  } else missing.push("no config.json");

  const hasMetrics = await exists(paths.metrics);
  const metrics = hasMetrics ? await readMetrics(paths.metrics) : [];
  if (!hasMetrics) missing.push("no metrics.jsonl");
  else if (metrics.length === 0) missing.push("no metrics.jsonl records");

  const evalPath = `${paths.dir}/eval.json`;
  let ev: GazeEvalFile | undefined;
  if (await exists(evalPath)) {
    ev = await readGazeEval(evalPath);
    checkEval(evalPath, ev);
  } else missing.push("no eval.json (not evaluated)");

  const metricGroups = await readMetricGroups(paths.dir, ev);
  if (!config && !hasMetrics && !ev && metricGroups.length === 0) {
    throw new Error(
      `${paths.dir}: not a run folder (no config.json, metrics.jsonl or eval.json)`,
    );
  }
  return {
    dir: paths.dir,
    label: label ?? (baseName(paths.dir) || paths.dir),
    config,
    metrics: metrics as unknown as Record<string, unknown>[],
    eval: ev,
    metricGroups,
    missing,
  };
}

/**
 * Unique labels for run folders: the given names, else each folder's name, with more of the
 * path (then `#2`, `#3`) where two would be the same.
 *
 * @throws Error when `names` is given with another length than `dirs`.
 */
export function runLabels(dirs: readonly string[], names?: readonly string[]): string[] {
  if (names && names.length !== dirs.length) {
    throw new Error(`${names.length} names for ${dirs.length} runs`);
  }
  const parts = dirs.map((d) => d.replace(/\/+$/, "").split("/").filter(Boolean));
  const labels = names ? [...names] : parts.map((p) => p.at(-1) ?? "/");
  if (!names) {
    for (let depth = 2; depth <= Math.max(1, ...parts.map((p) => p.length)); depth++) {
      const dup = labels.filter((l, i) => labels.indexOf(l) !== i);
      if (dup.length === 0) break;
      labels.forEach((l, i) => {
        if (dup.includes(l)) labels[i] = parts[i].slice(-depth).join("/");
      });
    }
  }
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} #${n}`;
  });
}

/**
 * Reads run folders ({@link readComparedRun}), labelled by {@link runLabels}.
 *
 * @throws Error for no folders, or any folder that cannot be read (see {@link readComparedRun}).
 */
export async function readComparedRuns(
  dirs: readonly string[],
  names?: readonly string[],
): Promise<ComparedRun[]> {
  if (dirs.length === 0) throw new Error("no run folders to compare");
  const labels = runLabels(dirs, names);
  const runs: ComparedRun[] = [];
  for (const [i, d] of dirs.entries()) runs.push(await readComparedRun(d, labels[i]));
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Analysis (pure)

/** One setting in which an evaluation differs from the reference's. */
export interface SettingDifference {
  /** The setting, e.g. `data.target_test.dir`. */
  setting: string;
  /** `compareEvalSettings`' line: `setting: reference value vs this run's value`. */
  detail: string;
  /** The measures the difference makes incomparable. */
  affects: string;
}

/** An evaluated run whose evaluation settings differ from the reference run's. */
export interface ComparabilityFlag {
  /** The run's label. */
  run: string;
  /** The reference run's label (the first evaluated run). */
  reference: string;
  /**
   * `seed`: only the estimators' seed differs (seed replicates; read each refined row against
   * the run's own baselines); `partial`: settings that some measures depend on differ (e.g. the
   * held-out synthetic set of label preservation), the gaze errors are comparable;
   * `incompatible`: data or settings every measure depends on differ.
   */
  kind: "seed" | "partial" | "incompatible";
  differences: SettingDifference[];
}

/** A %-within-d curve of the comparison. */
export interface CurveSpec {
  /** The legend name (unique within its chart). */
  name: string;
  summary: GazeErrorSummary;
  /** A baseline (raw synthetic or target) rather than a refined estimator. */
  baseline: boolean;
}

/** The curves measured on one target test set. */
export interface CurveGroup {
  /** The test set: `dir (count images)`. */
  testSet: string;
  /** Labels of the runs in the chart. */
  runs: string[];
  curves: CurveSpec[];
}

/** The runs that refined one synthetic set (one sample grid). */
export interface SampleGroup {
  /** The synthetic training set the refined sets come from. */
  synthetic: EvalDataRef;
  /** Labels of the runs. */
  runs: string[];
}

/** What {@link analyseComparison} finds. */
export interface ComparisonAnalysis {
  /** The run labels, in order. */
  labels: string[];
  /** The first evaluated run: every other evaluation is checked against it. */
  reference?: string;
  /** Labels of the runs without `eval.json`. */
  notEvaluated: string[];
  /** Evaluated runs whose settings differ from the reference's. */
  flags: ComparabilityFlag[];
  /**
   * Extra metric groups whose runs measured them with other settings (e.g. paired metrics on
   * different paired sets): their columns cannot be compared ("INCOMPATIBLE METRICS").
   */
  incompatibleMetrics: string[];
  /** Whether the runs were evaluated on more than one synthetic set (one grid per set). */
  differentSyntheticSets: boolean;
  /**
   * Every warning, one line each (for stdout and the top of the report): one per flag first, in
   * the order of `flags`, then not-evaluated runs, refined and synthetic sets, test sets and
   * metric groups.
   */
  warnings: string[];
  /** The overview of the run folders. */
  overview: TableSpec;
  /** The evaluation tables side by side (see {@link comparisonEvalTable}). */
  evalTable: TableSpec;
  /** Whether the raw-synthetic (a) and target (c) rows were the same in every evaluated run. */
  sharedBaselines: { synthetic: boolean; target: boolean };
  /** Descriptions of the extra metric groups, `group -> description`. */
  metricGroups: Record<string, string>;
  /** The %-within-d curves, one group per target test set. */
  curveGroups: CurveGroup[];
  /** One sample grid per synthetic set. */
  sampleGroups: SampleGroup[];
  /** Config keys whose values differ across runs (plus method and preset). */
  configDiff: TableSpec;
}

/**
 * Which measures a setting of `compareEvalSettings` bears on, and whether that is every
 * measure (`all`), some of them (`some`), or a seed replicate's (`seed`: with another estimator
 * seed, a setting that follows the seed, `isSeedFollowing`).
 */
function affectedMeasures(
  setting: string,
  seedDiffers: boolean,
): { affects: string; scope: "all" | "some" | "seed" } {
  if (seedDiffers && isSeedFollowing(setting)) {
    return {
      affects: setting === "estimator.seed"
        ? "every gaze number (another estimator seed)"
        // with another seed, estimator (c) and so its KID features (cache key) differ as well
        : "KID (features of each seed's own estimator (c))",
      scope: "seed",
    };
  }
  const some = (affects: string) => ({ affects, scope: "some" as const });
  if (setting.startsWith("data.synthetic_test.")) return some("label preservation");
  if (setting.startsWith("data.real.")) return some("realism against the real set");
  if (setting === "realism.target.classifier_real_set") return some("real-vs-refined accuracy");
  if (setting === "realism.classifier_settings") return some("real-vs-refined accuracy");
  if (setting.startsWith("realism.")) return some("KID and real-vs-refined accuracy");
  if (setting === "skipped") return some("the measures skipped in one of them");
  return { affects: "every measure", scope: "all" };
}

/**
 * The settings in which `ev` differs from `ref` (`compareEvalSettings`) and what kind of
 * difference that is (see {@link ComparabilityFlag.kind}); `undefined` when none. With another
 * estimator seed, the settings that follow the seed (`SEED_FOLLOWING_SETTINGS` of
 * `lib/eval/eval_file.ts`, as in the table over seeds) count as seed replicates.
 */
export function classifyDifferences(
  ref: GazeEvalFile,
  ev: GazeEvalFile,
): { kind: ComparabilityFlag["kind"]; differences: SettingDifference[] } | undefined {
  const lines = compareEvalSettings(ref, ev);
  if (lines.length === 0) return undefined;
  const seedDiffers = lines.some((l) => differenceSetting(l) === "estimator.seed");
  const scopes: string[] = [];
  const differences = lines.map((detail) => {
    const setting = differenceSetting(detail);
    const { affects, scope } = affectedMeasures(setting, seedDiffers);
    scopes.push(scope);
    return { setting, detail, affects };
  });
  const kind = scopes.includes("all")
    ? "incompatible"
    : scopes.includes("some")
    ? "partial"
    : "seed";
  return { kind, differences };
}

/** The word each kind of flag starts its warning with. */
const FLAG_TITLES: Record<ComparabilityFlag["kind"], string> = {
  incompatible: "INCOMPATIBLE",
  partial: "PARTLY COMPARABLE",
  seed: "SEED",
};

/** Labels of the runs marked `⚠` in the tables and charts: flagged, but not as seed replicates. */
function markedRuns(flags: readonly ComparabilityFlag[]): Set<string> {
  return new Set(flags.filter((f) => f.kind !== "seed").map((f) => f.run));
}

function metricCell(v: MetricValue | undefined, digits = 3): unknown {
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  return v.std === undefined
    ? v.mean
    : `${formatNumber(v.mean, digits)} ± ${formatNumber(v.std, digits)}`;
}

/** Whether a row of `evalRows` is a baseline: (a) raw synthetic or (c) target. */
function baselineKind(data: unknown): "synthetic" | "target" | undefined {
  const text = String(data);
  if (/\(a\)\s*$/.test(text)) return "synthetic";
  if (/\(c\)\s*$/.test(text)) return "target";
  return undefined;
}

/**
 * The evaluation tables of the runs side by side: a `run` column, then the columns of
 * `evalTable(evalRows(eval.json))`, then one column per extra metric (`<group>: <metric>`).
 * The raw-synthetic (a) and target (c) rows appear once, at the top and the bottom, when they
 * are identical in every evaluated run, else in each run's block. Runs flagged `incompatible` or
 * `partial` are marked `⚠`; runs without `eval.json` get a "not evaluated" row. Extra metrics
 * fill the refined rows (b) and, for groups that measure the raw images too, the (a) rows.
 */
export function comparisonEvalTable(
  runs: readonly ComparedRun[],
  flags: readonly ComparabilityFlag[] = [],
): { table: TableSpec; shared: { synthetic: boolean; target: boolean } } {
  const evaluated = runs.filter((r) => r.eval);
  const specs = new Map(evaluated.map((r) => [r.label, evalTable(evalRows(r.eval!))]));
  const first = specs.values().next().value as TableSpec | undefined;
  const baseColumns = first ? [...first.columns] : [...evalTable([]).columns];
  const extra: string[] = [];
  for (const r of runs) {
    for (const g of r.metricGroups) {
      for (const m of [...Object.keys(g.metrics), ...Object.keys(g.baseline ?? {})]) {
        const c = `${g.group}: ${m}`;
        if (!extra.includes(c)) extra.push(c);
      }
    }
  }
  const columns = ["run", ...baseColumns, ...extra];
  const asCells = (spec: TableSpec, row: TableSpec["rows"][number]): unknown[] =>
    Array.isArray(row)
      ? baseColumns.map((c) => row[spec.columns.indexOf(c)])
      : baseColumns.map((c) => (row as Record<string, unknown>)[c]);

  // A baseline row is shared when every evaluated run has exactly the same one.
  const baselineOf = (label: string, kind: "synthetic" | "target"): unknown[] | undefined => {
    const spec = specs.get(label)!;
    const row = spec.rows.map((r) => asCells(spec, r)).find((c) => baselineKind(c[0]) === kind);
    return row;
  };
  const sharedRow = (kind: "synthetic" | "target"): unknown[] | undefined => {
    if (evaluated.length === 0) return undefined;
    const rows = evaluated.map((r) => baselineOf(r.label, kind));
    if (rows.some((r) => r === undefined)) return undefined;
    const text = canonicalJson(rows[0]);
    return rows.every((r) => canonicalJson(r) === text) ? rows[0] : undefined;
  };
  const sharedSyn = sharedRow("synthetic");
  const sharedTgt = sharedRow("target");
  const marked = markedRuns(flags);
  const nameOf = (label: string) => marked.has(label) ? `⚠ ${label}` : label;
  /** A run's extra metric of column `c`: of its refined images, or of the raw ones (a). */
  const extraOf = (r: ComparedRun, c: string, row: "refined" | "synthetic") => {
    for (const g of r.metricGroups) {
      const values = row === "refined" ? g.metrics : g.baseline;
      for (const [m, v] of Object.entries(values ?? {})) {
        if (`${g.group}: ${m}` === c) return v;
      }
    }
    return undefined;
  };
  const extrasFor = (r: ComparedRun, row: "refined" | "synthetic" | "target") =>
    extra.map((c) => (row === "target" ? undefined : metricCell(extraOf(r, c, row))));
  // The shared (a) row shows a baseline metric when every run that has it agrees.
  const sharedExtras = extra.map((c) => {
    const values = runs.map((r) => extraOf(r, c, "synthetic")).filter((v) => v !== undefined);
    if (values.length === 0) return undefined;
    return values.every((v) => canonicalJson(v) === canonicalJson(values[0]))
      ? metricCell(values[0])
      : undefined;
  });

  const out: unknown[][] = [];
  const all = evaluated.map((r) => r.label).join(", ");
  if (sharedSyn) out.push([`all evaluated runs (${all})`, ...sharedSyn, ...sharedExtras]);
  for (const r of runs) {
    if (!r.eval) {
      const cells = baseColumns.map((_, i) => i === 0 ? "not evaluated (no eval.json)" : undefined);
      out.push([nameOf(r.label), ...cells, ...extrasFor(r, "refined")]);
      continue;
    }
    const spec = specs.get(r.label)!;
    for (const row of spec.rows) {
      const cells = asCells(spec, row);
      const kind = baselineKind(cells[0]);
      if ((kind === "synthetic" && sharedSyn) || (kind === "target" && sharedTgt)) continue;
      out.push([nameOf(r.label), ...cells, ...extrasFor(r, kind ?? "refined")]);
    }
  }
  if (sharedTgt) {
    out.push([`all evaluated runs (${all})`, ...sharedTgt, ...extra.map(() => undefined)]);
  }
  return {
    table: { columns, rows: out },
    shared: { synthetic: sharedSyn !== undefined, target: sharedTgt !== undefined },
  };
}

/** The config keys whose values differ across runs (`method` and `preset` always). */
export function configDifferences(runs: readonly ComparedRun[]): TableSpec {
  const flat = runs.map((r) => {
    const m = new Map<string, unknown>();
    if (!r.config) return m;
    m.set("method", r.config.method);
    m.set("preset", r.config.preset);
    m.set("seed", r.config.seed);
    for (const [k, v] of flattenObject(r.config.values ?? {})) {
      m.set(["method", "preset", "seed"].includes(k) ? `values.${k}` : k, v);
    }
    return m;
  });
  const keys: string[] = ["method", "preset"];
  for (const m of flat) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
  // Exact values: strings as they are (the empty string quoted), the rest as JSON.
  const text = (v: unknown) =>
    v === undefined ? undefined : v === "" ? '""' : typeof v === "string" ? v : JSON.stringify(v);
  const rows = keys
    .filter((k) =>
      k === "method" || k === "preset" ||
      new Set(flat.map((m) => canonicalJson(m.get(k)))).size > 1
    )
    .map((k) => [k, ...flat.map((m) => text(m.get(k)))]);
  return { columns: ["key", ...runs.map((r) => r.label)], rows };
}

function dataKey(d: EvalDataRef): string {
  return canonicalJson({ dir: d.dir, count: d.count, h: d.height, w: d.width, c: d.channels });
}

/**
 * Compares the runs (pure): comparability flags against the first evaluated run, the
 * evaluation table, the curve groups, the sample-grid groups, the config differences, and one
 * warning line per problem.
 */
export function analyseComparison(runs: readonly ComparedRun[]): ComparisonAnalysis {
  const labels = runs.map((r) => r.label);
  const evaluated = runs.filter((r) => r.eval);
  const ref = evaluated[0];
  const notEvaluated = runs.filter((r) => !r.eval).map((r) => r.label);
  const flags: ComparabilityFlag[] = [];
  for (const r of evaluated.slice(1)) {
    const c = classifyDifferences(ref.eval!, r.eval!);
    if (c) flags.push({ run: r.label, reference: ref.label, ...c });
  }
  const warnings: string[] = [];
  // One warning per flag, first and in order (the report shows them shortened).
  for (const f of flags) {
    const list = f.differences.map((d) => `${d.detail} [affects ${d.affects}]`).join("; ");
    warnings.push(
      `${FLAG_TITLES[f.kind]}: ${f.run}'s evaluation ` + (
        f.kind === "incompatible"
          ? `differs from ${f.reference}'s in data or settings every measure depends on`
          : f.kind === "partial"
          ? `differs from ${f.reference}'s in settings some measures depend on (the others ` +
            `are comparable)`
          : `used another estimator seed than ${f.reference}'s (seed replicates; compare its ` +
            `refined row with its own baselines)`
      ) + `: ${list}`,
    );
  }
  // Extra metric groups of one name must have been measured the same way.
  const groupSettings = new Map<string, { label: string; settings: string }[]>();
  for (const r of runs) {
    for (const g of r.metricGroups) {
      const list = groupSettings.get(g.group) ?? [];
      list.push({ label: r.label, settings: canonicalJson(g.settings) });
      groupSettings.set(g.group, list);
    }
  }
  const incompatibleMetrics: string[] = [];
  for (const [group, list] of groupSettings) {
    if (new Set(list.map((x) => x.settings)).size > 1) {
      incompatibleMetrics.push(group);
      warnings.push(
        `INCOMPATIBLE METRICS: the '${group}' metrics were measured with other settings: ${
          list.map((x) => `${x.label}: ${x.settings}`).join("; ")
        }`,
      );
    }
  }
  if (notEvaluated.length > 0) {
    warnings.push(
      `NOT EVALUATED: ${notEvaluated.join(", ")} (no eval.json; run deno task eval-gaze ` +
        `--refiner RUN)`,
    );
  }

  // Refined sets: which synthetic set each run refined.
  const sampleGroups: SampleGroup[] = [];
  for (const r of evaluated) {
    const syn = r.eval!.data.synthetic;
    const g = sampleGroups.find((s) => dataKey(s.synthetic) === dataKey(syn));
    if (g) g.runs.push(r.label);
    else sampleGroups.push({ synthetic: syn, runs: [r.label] });
  }
  const differentSyntheticSets = sampleGroups.length > 1;
  if (differentSyntheticSets) {
    warnings.push(
      `DIFFERENT SYNTHETIC SETS: the runs refined different synthetic training sets: ${
        sampleGroups.map((g) => `${g.synthetic.dir} (${g.synthetic.count}): ${g.runs.join(", ")}`)
          .join("; ")
      }`,
    );
  }
  for (const r of evaluated) {
    const e = r.eval!;
    if (e.data.refined && e.data.refined.count !== e.data.synthetic.count) {
      warnings.push(
        `REFINED SET: ${r.label}'s refined set has ${e.data.refined.count} images, its ` +
          `synthetic set ${e.data.synthetic.count}`,
      );
    }
  }

  const { table, shared } = comparisonEvalTable(runs, flags);

  // Curves: one chart per target test set.
  const marked = markedRuns(flags);
  const mark = (label: string) => (marked.has(label) ? `⚠ ${label}` : label);
  const curveGroups: CurveGroup[] = [];
  for (const r of evaluated) {
    const t = r.eval!.data.target_test;
    const key = `${t.dir} (${t.count} images)`;
    let g = curveGroups.find((c) => c.testSet === key);
    if (!g) curveGroups.push(g = { testSet: key, runs: [], curves: [] });
    g.runs.push(r.label);
  }
  for (const g of curveGroups) {
    const members = evaluated.filter((r) => g.runs.includes(r.label));
    // Baseline curves: one per distinct curve, naming the runs that share it (all: no names).
    const baselines = (
      what: string,
      pick: (e: GazeEvalFile) => GazeErrorSummary | undefined,
    ): CurveSpec[] => {
      const distinct: { summary: GazeErrorSummary; runs: string[] }[] = [];
      for (const r of members) {
        const s = pick(r.eval!);
        if (!s) continue;
        const d = distinct.find((x) => canonicalJson(x.summary) === canonicalJson(s));
        if (d) d.runs.push(mark(r.label));
        else distinct.push({ summary: s, runs: [mark(r.label)] });
      }
      return distinct.map((d) => ({
        name: distinct.length === 1 && d.runs.length === members.length
          ? what
          : `${what}: ${d.runs.join(", ")}`,
        summary: d.summary,
        baseline: true,
      }));
    };
    g.curves.push(...baselines("raw synthetic (a)", (e) => e.gaze.synthetic.test_error));
    for (const r of members) {
      g.curves.push({
        name: `${mark(r.label)}: refined ${r.eval!.refiner.name} (b)`,
        summary: r.eval!.gaze.refined.test_error,
        baseline: false,
      });
    }
    g.curves.push(...baselines("target, upper bound (c)", (e) => e.gaze.target?.test_error));
  }
  if (curveGroups.length > 1) {
    warnings.push(
      `DIFFERENT TEST SETS: gaze errors were measured on ${curveGroups.length} target test ` +
        `sets (${curveGroups.map((g) => g.testSet).join("; ")}); one chart each`,
    );
  }

  // a group's description, once when the runs agree, else each with the runs it describes
  // (e.g. only some runs' paired evaluations have the segmentation score)
  const described: Record<string, { text: string; labels: string[] }[]> = {};
  for (const r of runs) {
    for (const g of r.metricGroups) {
      const text = g.description ?? `from ${g.source}`;
      const list = described[g.group] ??= [];
      const same = list.find((d) => d.text === text);
      if (same) same.labels.push(r.label);
      else list.push({ text, labels: [r.label] });
    }
  }
  const metricGroups: Record<string, string> = {};
  for (const [group, list] of Object.entries(described)) {
    metricGroups[group] = list.length === 1
      ? list[0].text
      : list.map((d) => `${d.labels.join(", ")}: ${d.text}`).join("; ");
  }

  const lastStep = (r: ComparedRun) => {
    const s = r.metrics.at(-1)?.step;
    return typeof s === "number" ? s : undefined;
  };
  const overview: TableSpec = {
    columns: [
      "run",
      "folder",
      "method",
      "preset",
      "seed",
      "last logged step",
      "evaluated",
      "refined mean error (°)",
      "within 7° (%)",
    ],
    rows: runs.map((r) => [
      mark(r.label),
      r.dir,
      r.config?.method,
      r.config?.preset,
      r.config?.seed,
      lastStep(r),
      r.eval ? r.eval.created : "no (no eval.json)",
      r.eval?.gaze.refined.test_error.meanDeg,
      r.eval ? withinPctAt(r.eval.gaze.refined.test_error, 7) : undefined,
    ]),
  };

  return {
    labels,
    reference: ref?.label,
    notEvaluated,
    flags,
    incompatibleMetrics,
    differentSyntheticSets,
    warnings,
    overview,
    evalTable: table,
    sharedBaselines: shared,
    metricGroups,
    curveGroups,
    sampleGroups,
    configDiff: configDifferences(runs),
  };
}

/** A table as markdown text (cells through `cellText`). */
export function markdownTable(spec: TableSpec, digits = 2): string {
  const cells = spec.rows.map((r) =>
    spec.columns.map((c, i) =>
      cellText(Array.isArray(r) ? r[i] : (r as Record<string, unknown>)[c], digits)
    )
  );
  const line = (values: readonly string[]) => `| ${values.join(" | ")} |`;
  return [line(spec.columns), `|${spec.columns.map(() => "---").join("|")}|`, ...cells.map(line)]
    .join("\n");
}

/** Whether `analysis.warnings[i]` is a `SEED` flag's line (seed replicates, not a problem). */
function isSeedNote(analysis: ComparisonAnalysis, i: number): boolean {
  return i < analysis.flags.length && analysis.flags[i].kind === "seed";
}

/**
 * The warnings that are more than seed replicates: every line of `analysis.warnings` but the
 * `SEED` flags'. Empty when the evaluations agree or differ only in the seed.
 */
export function comparabilityWarnings(analysis: ComparisonAnalysis): string[] {
  return analysis.warnings.filter((_, i) => !isSeedNote(analysis, i));
}

/**
 * What makes `compare --strict` fail: a run flagged `incompatible` or `partial`, or an extra
 * metric group measured with other settings (`INCOMPATIBLE METRICS`); one line each, empty when
 * every run is fully comparable (seed replicates are).
 */
export function strictFailures(analysis: ComparisonAnalysis): string[] {
  return [
    ...analysis.flags.filter((f) => f.kind !== "seed").map((f) =>
      `${FLAG_TITLES[f.kind]}: ${f.run}`
    ),
    ...analysis.incompatibleMetrics.map((g) => `INCOMPATIBLE METRICS: ${g}`),
  ];
}

/**
 * The task's summary: the evaluation table as markdown, then every warning (`WARNING ...`);
 * differences in the seed alone are seed replicates, printed as `note SEED: ...`.
 */
export function formatComparisonSummary(analysis: ComparisonAnalysis): string {
  const lines = [
    `compare: ${analysis.labels.length} runs (${analysis.labels.join(", ")})` +
    (analysis.reference ? `; evaluations checked against ${analysis.reference}` : ""),
    markdownTable(analysis.evalTable),
  ];
  if (analysis.warnings.length === 0) {
    lines.push("all evaluations were made with the same data and settings");
  } else if (comparabilityWarnings(analysis).length === 0) {
    lines.push(
      "all evaluations were made with the same data and settings but the estimator seed " +
        "(seed replicates: compare each refined row with its own run's baselines)",
    );
  }
  analysis.warnings.forEach((w, i) =>
    lines.push(`${isSeedNote(analysis, i) ? "note" : "WARNING"} ${w}`)
  );
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// The report

/** Options of {@link buildComparisonReport} and {@link writeComparisonReport}. */
export interface ComparisonReportOptions {
  /** The title (default `Comparison: A vs B vs ...`). */
  title?: string;
  /** Images per row of the sample grids (default 8; 0 leaves the grids out). */
  samples?: number;
  /** Smoothing of the loss curves (default as in the run report: 0.6 from 50 records on). */
  smoothing?: number;
  /** Where {@link writeComparisonReport} writes (default `runs/compare-<time>/report.html`). */
  out?: string;
  /**
   * Sections put first, before the comparability check (e.g. `benchmark-methods`' table over
   * seeds): a heading each, and a function that adds the section's content.
   */
  leadSections?: { heading: string; build: (report: Report) => void | Promise<void> }[];
}

/**
 * The %-within-d chart of one {@link CurveGroup} of {@link analyseComparison} (as in the report):
 * one curve per refined estimator, the baselines dashed so the refined estimators stand out.
 */
export function curvesFigure(group: CurveGroup): PlotlyFigure {
  const fig = withinCurveFigure(
    Object.fromEntries(group.curves.map((c) => [c.name, c.summary])),
    { title: `% of target test images within d degrees: ${group.testSet}` },
  );
  fig.data = fig.data.map((t, i) =>
    group.curves[i]?.baseline
      ? { ...t, line: { ...((t.line as Record<string, unknown>) ?? {}), dash: "dash" } }
      : t
  );
  return fig;
}

/**
 * Builds the comparison report (see the module documentation) without writing it.
 *
 * @returns the report, the analysis and the notes about sections that could not be drawn.
 */
export async function buildComparisonReport(
  runs: readonly ComparedRun[],
  options: ComparisonReportOptions = {},
): Promise<{ report: Report; analysis: ComparisonAnalysis; notes: string[] }> {
  const a = analyseComparison(runs);
  const notes: string[] = [];
  const title = options.title ?? `Comparison: ${a.labels.join(" vs ")}`;
  const report = new Report(title, {
    subtitle: `${runs.length} runs: ${runs.map((r) => r.dir).join(", ")}`,
  });
  for (const section of options.leadSections ?? []) {
    report.heading(section.heading);
    await section.build(report);
  }

  const marked = markedRuns(a.flags);
  // Differences in the seed alone (seed replicates) are said plainly, not raised as warnings.
  const problems = comparabilityWarnings(a).length;
  report.heading(
    a.warnings.length === 0
      ? "Comparability: all evaluations agree"
      : problems === 0
      ? "Comparability: seed replicates"
      : marked.size > 0
      ? `⚠ Comparability: ${marked.size} run${marked.size === 1 ? "" : "s"} not (fully) ` +
        `comparable`
      : `⚠ Comparability: ${problems} warning${problems === 1 ? "" : "s"}`,
  );
  if (a.warnings.length > 0 && problems === 0) {
    const seedRuns = a.flags.map((f) => f.run);
    const kid = a.flags.some((f) => f.differences.some((d) => d.setting !== "estimator.seed"));
    report.paragraph(
      `The evaluations differ only in the seed: ${seedRuns.join(", ")} used another ` +
        `estimator seed than ${a.reference}${
          kid ? ", and with it the KID features of each seed's own target estimator (c)" : ""
        }. Every data set and every other setting agree (compareEvalSettings): these are seed ` +
        `replicates. Each run's raw-synthetic (a) and target (c) baselines are its own, so ` +
        `compare each refined row (b) with its own run's baselines.`,
    );
  }
  if (a.warnings.length === 0) {
    report.paragraph(
      a.reference
        ? `Every evaluation was made with the same data sets, estimator config and realism ` +
          `settings as ${a.reference}'s (compareEvalSettings), so the numbers below compare ` +
          `the refiners.`
        : "No run has an eval.json: there is nothing to compare but losses and configs.",
    );
  } else if (problems > 0) {
    const headlines = [
      ...a.flags.map((f) =>
        `${FLAG_TITLES[f.kind]}: ${f.run} (against ${f.reference}); affects ${
          [...new Set(f.differences.map((d) => d.affects))].join("; ")
        }`
      ),
      ...a.warnings.slice(a.flags.length),
    ];
    report.paragraph(
      `Read the numbers below with these warnings. Each evaluation is checked against the ` +
        `first evaluated run${a.reference ? ` (${a.reference})` : ""}; runs marked ⚠ were ` +
        `evaluated with other data or settings, so the measures listed are not comparable ` +
        `with the others'.\n\n${headlines.join("\n\n")}`,
    );
  }
  if (a.flags.length > 0) {
    report.table({
      columns: ["run", "against", "kind", "setting", "values (against vs run)", "affects"],
      rows: a.flags.flatMap((f) =>
        f.differences.map((d) => [
          marked.has(f.run) ? `⚠ ${f.run}` : f.run,
          f.reference,
          f.kind,
          d.setting,
          d.detail.slice(d.setting.length + 2),
          d.affects,
        ])
      ),
    }, {
      caption: `Evaluation settings that differ (compareEvalSettings)${
        problems === 0 ? ": the seed only" : ""
      }`,
    });
  }

  report.heading("Runs");
  report.table(a.overview, { caption: "The run folders compared", digits: 2 });

  report.heading("Evaluation");
  if (runs.some((r) => r.eval)) {
    const ref = runs.find((r) => r.eval)!.eval!;
    report.table(a.evalTable, {
      caption: `Gaze estimators trained on each set, tested on the target test set` +
        ` (${ref.data.target_test.dir}, ${ref.data.target_test.count} images` +
        `${a.curveGroups.length > 1 ? ", for the first run; see the warnings" : ""})`,
    });
    const shared = [
      a.sharedBaselines.synthetic ? "raw synthetic (a)" : "",
      a.sharedBaselines.target ? "target (c)" : "",
    ].filter(Boolean);
    const groups = Object.entries(a.metricGroups)
      .map(([g, d]) => `${g}: ${d}`).join("; ");
    report.paragraph(
      [
        shared.length > 0
          ? `The ${shared.join(" and ")} row${shared.length > 1 ? "s are" : " is"} the same in ` +
            `every evaluated run and shown once.`
          : "",
        shared.length < 2 && runs.filter((r) => r.eval).length > 1
          ? `Baselines that differ between runs are shown in each run's block: compare each ` +
            `refined row (b) with its own run's baselines.`
          : "",
        `Label preservation, by (a) and by (c): the estimators (a), trained on raw synthetic ` +
        `images, and (c), trained on target images, applied to the refined and the raw ` +
        `synthetic images (the held-out synthetic set when the evaluation has one), against ` +
        `the synthetic labels. (a) pays about the domain gap on refined images that look like ` +
        `target images even with their gaze intact; (c) reads them in its own domain, so a ` +
        `refiner that keeps the gaze lowers (c)'s error on refined against raw images: read ` +
        `(c)'s column as refined vs raw (the synthetic labels span a wider gaze range than the ` +
        `target domain's, so (c) does not reach its own test error here). KID is ` +
        `domain-specific (features of a fixed in-project network), comparable only between ` +
        `evaluations with the same features. Real-vs-refined accuracy: 50% means ` +
        `indistinguishable.`,
        groups ? `Extra metric groups (absent: —): ${groups}.` : "",
      ].filter(Boolean).join(" "),
    );
  } else {
    report.paragraph("No run has an eval.json.");
  }

  if (a.curveGroups.length > 0) {
    report.heading("Gaze error curves");
    for (const g of a.curveGroups) {
      report.plot(curvesFigure(g), {
        caption: `% of the target test images whose angular error is at most d degrees ` +
          `(SimGAN's Figure 7); baselines dashed. Runs: ${g.runs.join(", ")}`,
      });
    }
  }

  const withMetrics = runs.filter((r) => r.metrics.length > 0);
  if (withMetrics.length > 0) {
    report.heading("Training losses");
    for (const r of withMetrics) {
      report.heading(r.label, 3);
      const smoothing = options.smoothing ?? (r.metrics.length >= 50 ? 0.6 : 0);
      report.plot(
        lossCurvesFigure(r.metrics, undefined, {
          smoothing,
          title: `Training losses: ${r.label}`,
        }),
        {
          caption: `${r.metrics.length} records of ${r.dir}/metrics.jsonl` +
            (smoothing > 0 ? `; smoothed (EMA ${smoothing}), raw values faint` : ""),
        },
      );
    }
  }
  const noMetrics = runs.filter((r) => r.metrics.length === 0).map((r) => r.label);
  if (noMetrics.length > 0) notes.push(`no training losses: ${noMetrics.join(", ")}`);

  const count = options.samples ?? 8;
  if (count > 0 && a.sampleGroups.length > 0) {
    report.heading("Refined samples");
    report.paragraph(
      `Each run's refined/ holds its refined synthetic training set in file order, so the ` +
        `first ${count} images of every run come from the same synthetic inputs (top row).` +
        (a.differentSyntheticSets
          ? "\n\nThe runs refined different synthetic sets: one grid per set."
          : ""),
    );
    for (const g of a.sampleGroups) {
      const rows: { label: string; images: PixelImage[] }[] = [];
      try {
        rows.push({ label: "raw synthetic", images: await firstImages(g.synthetic.dir, count) });
      } catch (e) {
        const msg = `cannot read the synthetic set ${g.synthetic.dir} (${(e as Error).message})`;
        notes.push(msg);
        report.paragraph(`No grid for ${g.runs.join(", ")}: ${msg}.`);
        continue;
      }
      for (const label of g.runs) {
        const r = runs.find((x) => x.label === label)!;
        try {
          const images = await firstImages(`${r.dir}/refined`, count);
          const size = (im: PixelImage) => `${im.width}x${im.height}x${im.channels}`;
          if (images.length > 0 && size(images[0]) !== size(rows[0].images[0])) {
            throw new Error(`images are ${size(images[0])}, not ${size(rows[0].images[0])}`);
          }
          rows.push({ label: `${label}: refined ${r.eval!.refiner.name}`, images });
        } catch (e) {
          const msg = `${label}: cannot read ${r.dir}/refined (${(e as Error).message})`;
          notes.push(msg);
          report.paragraph(msg);
        }
      }
      if (rows.length > 1) {
        await comparisonGrid(report, rows, {
          caption: `The first ${count} images of ${g.synthetic.dir} and of each run's refined set`,
        });
      }
    }
  }
  if (a.notEvaluated.length > 0) {
    notes.push(`no refined samples (not evaluated): ${a.notEvaluated.join(", ")}`);
  }

  report.heading("Configuration differences");
  const diffKeys = a.configDiff.rows.length;
  report.table(a.configDiff, {
    caption: diffKeys > 2
      ? "config.json values that differ between the runs (method and preset always shown)"
      : "The configs agree on every value besides method and preset",
  });
  const noConfig = runs.filter((r) => !r.config).map((r) => r.label);
  if (noConfig.length > 0) report.paragraph(`No config.json: ${noConfig.join(", ")} (—).`);

  return { report, analysis: a, notes };
}

/** The default output path: `runs/compare-<YYYYmmdd-HHMMSS>/report.html`. */
export function defaultComparisonPath(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `runs/compare-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}/report.html`;
}

/**
 * Reads the run folders, builds the comparison report and writes it atomically.
 *
 * @param dirs the run folders (at least one).
 * @param options title, sample count, smoothing, output path, and `names` (one per folder).
 * @returns the path written, the analysis and the notes.
 * @throws Error for unreadable inputs (see {@link readComparedRun}).
 */
export async function writeComparisonReport(
  dirs: readonly string[],
  options: ComparisonReportOptions & { names?: readonly string[] } = {},
): Promise<{ path: string; analysis: ComparisonAnalysis; notes: string[]; plots: number }> {
  const runs = await readComparedRuns(dirs, options.names);
  const { report, analysis, notes } = await buildComparisonReport(runs, options);
  const path = await report.write(options.out ?? defaultComparisonPath());
  return { path, analysis, notes, plots: report.plotCount };
}
