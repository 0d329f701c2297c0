/**
 * Gaze-estimation metrics: the toolkit's yardstick.
 *
 * From per-image angular errors (degrees, see `lib/data/gaze.ts` for the convention):
 * mean, median, and the cumulative curve "% of images whose error is at most d degrees" for
 * d = 0..20, the curve of the SimGAN paper's Figure 7 (its Table 2 quotes the value at 7°).
 *
 * @module
 */
import { angularErrorsDeg } from "../data/gaze.ts";

/** The thresholds of the %-within-d curve, in degrees: 0, 1, ..., 20. */
export const WITHIN_THRESHOLDS_DEG: readonly number[] = Array.from({ length: 21 }, (_, d) => d);

/** Summary of angular errors over a test set. */
export interface GazeErrorSummary {
  /** Number of images. */
  n: number;
  /** Mean angular error, degrees. */
  meanDeg: number;
  /** Median angular error, degrees. */
  medianDeg: number;
  /** Standard deviation of the per-image error, degrees. */
  stdDeg: number;
  /** `withinPct[i]` = % of images with error <= `thresholdsDeg[i]`. */
  withinPct: number[];
  /** The thresholds of `withinPct`, degrees. */
  thresholdsDeg: number[];
}

/**
 * Summarises per-image angular errors.
 *
 * @param errorsDeg per-image errors in degrees; must be non-empty and finite.
 * @param thresholdsDeg thresholds of the %-within-d curve (default 0..20).
 * @throws {RangeError} for an empty list or a non-finite error (a NaN prediction), naming the
 *   index of the first such error in `errorsDeg`.
 * @example
 * ```ts
 * import { summariseErrors } from "./metrics.ts";
 * const s = summariseErrors([1, 2, 3, 10]);
 * console.log(s.meanDeg, s.medianDeg, s.withinPct[7]); // 4, 2.5, 75
 * ```
 */
export function summariseErrors(
  errorsDeg: ArrayLike<number>,
  thresholdsDeg: readonly number[] = WITHIN_THRESHOLDS_DEG,
): GazeErrorSummary {
  const n = errorsDeg.length;
  if (n === 0) throw new RangeError("summariseErrors: no errors to summarise");
  // Checked before sorting, so that the index is the image's own.
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(errorsDeg[i])) {
      throw new RangeError(`summariseErrors: error ${i} is not finite (${errorsDeg[i]})`);
    }
  }
  const sorted = Float64Array.from(errorsDeg).sort();
  let sum = 0;
  for (const e of sorted) sum += e;
  const mean = sum / n;
  let ss = 0;
  for (const e of sorted) ss += (e - mean) ** 2;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const withinPct = thresholdsDeg.map((d) => (100 * upperBound(sorted, d)) / n);
  return {
    n,
    meanDeg: mean,
    medianDeg: median,
    stdDeg: Math.sqrt(ss / n),
    withinPct,
    thresholdsDeg: [...thresholdsDeg],
  };
}

/**
 * The %-within-d curve of `summary` at threshold `deg` (e.g. 7, SimGAN's Table 2), or
 * `undefined` when the curve does not have that threshold.
 *
 * @example
 * ```ts
 * import { summariseErrors, withinPctAt } from "./metrics.ts";
 * const s = summariseErrors([1, 2, 3, 10]);
 * console.log(withinPctAt(s, 7), withinPctAt(s, 7.5)); // 75, undefined
 * ```
 */
export function withinPctAt(summary: GazeErrorSummary, deg: number): number | undefined {
  const i = summary.thresholdsDeg.indexOf(deg);
  return i < 0 ? undefined : summary.withinPct[i];
}

/** Number of sorted values that are <= x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Compares predicted and true labels laid out as `[pitch0, yaw0, pitch1, yaw1, ...]` (radians)
 * and summarises the angular errors.
 */
export function evaluateGaze(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
): GazeErrorSummary {
  return summariseErrors(angularErrorsDeg(predicted, truth));
}
