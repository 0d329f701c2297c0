/**
 * Statistics over repeated runs (seeds): mean and sample standard deviation, and their
 * `mean ± std` text. Used by the domain-gap measurement and the results table over seeds.
 *
 * @module
 */

/** Mean and sample standard deviation (n - 1; 0 for one value) of per-seed values. */
export interface SeedStat {
  mean: number;
  std: number;
  values: number[];
}

/**
 * Mean and sample standard deviation of `values` (NaN for none, std 0 for one).
 *
 * @example
 * ```ts
 * import { seedStat } from "./stats.ts";
 * console.log(seedStat([8, 10]).std.toFixed(3)); // 1.414
 * ```
 */
export function seedStat(values: readonly number[]): SeedStat {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, values: [] };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, values: [...values] };
}

/** `mean ± std` with `digits` decimals; the mean alone for a single value. */
export function formatSeedStat(s: SeedStat, digits: number): string {
  return s.values.length > 1
    ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`
    : s.mean.toFixed(digits);
}
