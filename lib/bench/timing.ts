/**
 * Timing of an async unit of work: warm-up runs, then timed runs, summarised by median and min
 * (the median is the headline number; min is the least-disturbed run on a shared machine).
 *
 * @module
 */

/** Summary of timed runs, in milliseconds. */
export interface Timing {
  /** Every timed run, in order. */
  samplesMs: number[];
  /** Median (mean of the two middle runs for an even count). */
  medianMs: number;
  /** Fastest run. */
  minMs: number;
  /** Slowest run. */
  maxMs: number;
  /** Mean. */
  meanMs: number;
}

/** Summarises samples (ms). */
export function summarise(samplesMs: number[]): Timing {
  if (samplesMs.length === 0) throw new Error("no samples");
  const s = [...samplesMs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return {
    samplesMs,
    medianMs: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    minMs: s[0],
    maxMs: s[s.length - 1],
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/**
 * Runs `fn` `warmup` times untimed, then `runs` times timed with `performance.now()`.
 *
 * @example
 * ```ts
 * import { timeRuns } from "./timing.ts";
 * const t = await timeRuns(async () => {}, { warmup: 1, runs: 3 });
 * if (t.samplesMs.length !== 3) throw new Error();
 * ```
 */
export async function timeRuns(
  fn: () => Promise<void>,
  options: { warmup: number; runs: number },
): Promise<Timing> {
  if (!(options.runs >= 1)) throw new Error(`runs must be >= 1, got ${options.runs}`);
  for (let i = 0; i < options.warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarise(samples);
}

/** Rounds to 3 decimals for JSON output. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
