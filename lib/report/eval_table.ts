/**
 * The evaluation table every method's report shows: one row per training set of the gaze
 * estimator (synthetic, refined by a method, real), with the gaze protocol's errors on real
 * test images and the realism measures of the refined images.
 *
 * @module
 */
import { type GazeErrorSummary, withinPctAt } from "../gaze/metrics.ts";
import { formatNumber, MISSING } from "./format.ts";
import type { TableSpec } from "./report.ts";

/** One row of {@link evalTable}. Every measure is optional; missing ones show as "—". */
export interface EvalRow {
  /** What the estimator was trained on, e.g. `synthetic`, `refined (SimGAN)`, `real`. */
  data: string;
  /** Errors on the real test set of an estimator trained on `data` (the SimGAN protocol). */
  gaze?: GazeErrorSummary;
  /**
   * Label preservation: errors of an estimator trained on synthetic images, applied to the
   * refined images, against the synthetic labels (a summary, or its mean in degrees).
   */
  labelPreservation?: GazeErrorSummary | number;
  /**
   * Label preservation as the target-domain estimator (c) reads these images: its errors
   * against the synthetic labels (a summary, or its mean in degrees).
   */
  labelPreservationByTarget?: GazeErrorSummary | number;
  /** KID of these images against real ones (domain-specific features; `lib/eval/kid.ts`). */
  kid?: { mean: number; std?: number };
  /** Held-out accuracy of a real-vs-these classifier, 0..1 (`lib/eval/turing.ts`). */
  realVsRefined?: { accuracy: number; stdError?: number; n?: number };
}

/** Options of {@link evalTable}. */
export interface EvalTableOptions {
  /** The threshold of the "within" column, degrees (default 7, as in SimGAN's Table 2). */
  withinDeg?: number;
  /** Digits of the composite cells (default 3, see `formatNumber`). */
  digits?: number;
}

/**
 * Builds the evaluation table (pass it to `Report.table`): columns training data, mean and
 * median error (°), % within `withinDeg`°, label preservation by the raw-synthetic
 * estimator (a) and by the target-domain estimator (c) (mean error °), KID (mean ± std) and
 * real-vs-refined accuracy (% ± standard error, with n). Missing values are "—".
 *
 * @example
 * ```ts ignore
 * report.table(evalTable([
 *   { data: "synthetic", gaze: synSummary },
 *   { data: "refined (SimGAN)", gaze: refSummary, kid, realVsRefined: turing },
 * ]), { caption: "Estimator trained on ..., tested on real images" });
 * ```
 */
export function evalTable(rows: readonly EvalRow[], options: EvalTableOptions = {}): TableSpec {
  const within = options.withinDeg ?? 7;
  const digits = options.digits ?? 3;
  const columns = [
    "training data",
    "mean error (°)",
    "median error (°)",
    `within ${within}° (%)`,
    "label preservation by (a) (°)",
    "label preservation by (c) (°)",
    "KID (domain-specific)",
    "real-vs-refined accuracy (%)",
  ];
  const out = rows.map((r) => {
    const mean = (v: GazeErrorSummary | number | undefined) =>
      typeof v === "number" ? v : v?.meanDeg;
    // no spread to show: none recorded, or one subset (both sets whole; older files hold
    // the rounding noise of identical subsets there)
    const kid = r.kid
      ? r.kid.std === undefined || Number.isNaN(r.kid.std) ||
          Math.abs(r.kid.std) <= 1e-12 * Math.max(1, Math.abs(r.kid.mean))
        ? formatNumber(r.kid.mean, digits)
        : `${formatNumber(r.kid.mean, digits)} ± ${formatNumber(r.kid.std, digits)}`
      : MISSING;
    let acc = MISSING;
    if (r.realVsRefined) {
      const { accuracy, stdError, n } = r.realVsRefined;
      acc = (100 * accuracy).toFixed(1);
      if (stdError !== undefined && Number.isFinite(stdError)) {
        acc += ` ± ${(100 * stdError).toFixed(1)}`;
      }
      if (n !== undefined) acc += ` (n=${n})`;
    }
    return [
      r.data,
      r.gaze?.meanDeg,
      r.gaze?.medianDeg,
      r.gaze ? withinPctAt(r.gaze, within) : undefined,
      mean(r.labelPreservation),
      mean(r.labelPreservationByTarget),
      kid,
      acc,
    ];
  });
  return { columns, rows: out };
}
