/**
 * The results table over seeds: one row per method (plus the raw-synthetic and target-domain
 * baselines), each measure of the gaze protocol as mean ± sample standard deviation over the
 * seeds. It is the table `deno task benchmark-methods` prints and the README shows.
 *
 * Rows come from the runs' `eval.json` files ({@link SeedRun}):
 * - `raw synthetic (a)`: estimator (a) of every seed, once per seed (all runs of one seed share
 *   it when their evaluation settings agree; it is cached);
 * - one row per method: its refined estimator (b) and the realism of its refined images;
 * - `target domain, upper bound (c)`: estimator (c), once per seed.
 *
 * Runs are compared only when their evaluations are compatible: {@link seedTable} lists every
 * difference `compareEvalSettings` finds as a warning (except, between different seeds, the
 * estimator seed and the KID feature network, which follow the seed: `SEED_FOLLOWING_SETTINGS`
 * of `lib/eval/eval_file.ts`), and the caller decides whether to refuse.
 *
 * @module
 */
import { compareEvalSettings, type GazeEvalFile, isSeedFollowing } from "../eval/eval_file.ts";
import { withinPctAt } from "../gaze/metrics.ts";
import { formatSeedStat, type SeedStat, seedStat } from "../util/stats.ts";
import { MISSING } from "./format.ts";
import type { TableSpec } from "./report.ts";

/** One evaluated run. */
export interface SeedRun {
  /** The method's name in the table (`SimGAN`, `CycleGAN`...). */
  method: string;
  /** The run's seed (runs of one seed share the baselines). */
  seed: number;
  /** Its `eval.json`. */
  eval: GazeEvalFile;
  /** Its folder, for messages. */
  runDir?: string;
}

/** The measures of the table, in column order. */
export const SEED_TABLE_MEASURES = [
  { key: "mean", label: "mean error (°)", digits: 2 },
  { key: "median", label: "median (°)", digits: 2 },
  { key: "within7", label: "within 7° (%)", digits: 1 },
  { key: "lpA", label: "label preservation by (a) (°)", digits: 2 },
  { key: "lpC", label: "label preservation by (c) (°)", digits: 2 },
  { key: "kid", label: "KID to target (domain-specific)", digits: 4 },
  { key: "classifier", label: "real-vs-X accuracy (%)", digits: 1 },
] as const;

/** A measure's key. */
export type SeedMeasure = typeof SEED_TABLE_MEASURES[number]["key"];

/** One measure over seeds: {@link SeedStat} plus the seeds, in the order of `values`. */
export interface SeedStats extends SeedStat {
  seeds: number[];
}

/** One row of the table. */
export interface SeedTableRow {
  /** `raw synthetic (a)`, the method's name, or `target domain, upper bound (c)`. */
  label: string;
  /** `baseline` for (a) and (c), else `method`. */
  kind: "baseline" | "method";
  /** Per measure, when at least one seed has it. */
  measures: Partial<Record<SeedMeasure, SeedStats>>;
}

/** The table, and what makes its runs not comparable. */
export interface SeedTable {
  rows: SeedTableRow[];
  /** The seeds present. */
  seeds: number[];
  /** Differences in evaluation settings between runs (empty = all comparable). */
  warnings: string[];
}

/** The measures of one estimator row of an evaluation. */
function rowValues(
  ev: GazeEvalFile,
  role: "synthetic" | "refined" | "target",
): Partial<Record<SeedMeasure, number>> {
  const gaze = ev.gaze[role];
  if (!gaze) return {};
  const s = gaze.test_error;
  const out: Partial<Record<SeedMeasure, number>> = {
    mean: s.meanDeg,
    median: s.medianDeg,
    within7: withinPctAt(s, 7),
  };
  if (role === "target") return out;
  const side = role === "synthetic" ? "raw" : "refined";
  const lp = ev.label_preservation?.test ?? ev.label_preservation?.train;
  out.lpA = lp?.[side].meanDeg;
  out.lpC = lp?.by_target?.[side].meanDeg;
  const t = ev.realism?.target;
  const realismSide = role === "synthetic" ? "synthetic" : "refined";
  out.kid = t?.kid?.[realismSide].mean;
  const acc = t?.classifier?.[realismSide].accuracy;
  out.classifier = acc === undefined ? undefined : 100 * acc;
  return out;
}

function collect(
  entries: { seed: number; values: Partial<Record<SeedMeasure, number>> }[],
): Partial<Record<SeedMeasure, SeedStats>> {
  const out: Partial<Record<SeedMeasure, SeedStats>> = {};
  for (const { key } of SEED_TABLE_MEASURES) {
    const have = entries.filter((e) =>
      e.values[key] !== undefined && Number.isFinite(e.values[key])
    );
    if (have.length === 0) continue;
    const values = have.map((e) => e.values[key]!);
    out[key] = { ...seedStat(values), seeds: have.map((e) => e.seed) };
  }
  return out;
}

/**
 * The differences in evaluation settings that make two runs incomparable: all of them within
 * one seed; between seeds all but the settings that follow the seed (`isSeedFollowing`).
 */
function meaningfulDiffs(a: GazeEvalFile, b: GazeEvalFile, sameSeed: boolean): string[] {
  return compareEvalSettings(a, b).filter((d) => sameSeed || !isSeedFollowing(d));
}

/**
 * Builds the table from evaluated runs (see the module documentation). Methods keep the order in
 * which they first appear; seeds are sorted.
 *
 * @throws {RangeError} for no runs, or two runs of one method with the same seed.
 */
export function seedTable(runs: readonly SeedRun[]): SeedTable {
  if (runs.length === 0) throw new RangeError("seedTable: no runs");
  const seen = new Set<string>();
  for (const r of runs) {
    const k = `${r.method}\u0000${r.seed}`;
    if (seen.has(k)) {
      throw new RangeError(
        `seedTable: two runs of ${r.method} with seed ${r.seed}${
          r.runDir ? ` (one is ${r.runDir})` : ""
        }`,
      );
    }
    seen.add(k);
  }
  const sorted = [...runs].sort((a, b) => a.seed - b.seed);
  const seeds = [...new Set(sorted.map((r) => r.seed))];
  const warnings: string[] = [];
  const ref = sorted[0];
  const name = (r: SeedRun) => r.runDir ?? `${r.method} seed ${r.seed}`;
  for (const r of sorted.slice(1)) {
    for (const d of meaningfulDiffs(ref.eval, r.eval, r.seed === ref.seed)) {
      warnings.push(`${name(r)} vs ${name(ref)}: ${d}`);
    }
  }
  // Baselines: the first run of each seed; other runs of that seed should agree.
  const firstOfSeed = seeds.map((s) => sorted.find((r) => r.seed === s)!);
  for (const r of sorted) {
    const first = firstOfSeed[seeds.indexOf(r.seed)];
    if (r === first) continue;
    const a = r.eval.gaze.synthetic.test_error.meanDeg;
    const b = first.eval.gaze.synthetic.test_error.meanDeg;
    if (a !== b) {
      warnings.push(
        `${name(r)}: its raw-synthetic estimator (a) differs from ${name(first)}'s ` +
          `(${a.toFixed(3)}° vs ${b.toFixed(3)}°), though both have seed ${r.seed}`,
      );
    }
  }
  const methods = [...new Set(runs.map((r) => r.method))];
  const rows: SeedTableRow[] = [
    {
      label: "raw synthetic (a)",
      kind: "baseline",
      measures: collect(
        firstOfSeed.map((r) => ({ seed: r.seed, values: rowValues(r.eval, "synthetic") })),
      ),
    },
    ...methods.map((m): SeedTableRow => ({
      label: m,
      kind: "method",
      measures: collect(
        sorted.filter((r) => r.method === m).map((r) => ({
          seed: r.seed,
          values: rowValues(r.eval, "refined"),
        })),
      ),
    })),
  ];
  for (const r of rows) {
    const have = r.measures.mean?.seeds ?? [];
    if (have.length !== seeds.length) {
      warnings.push(
        `${r.label}: over seeds ${have.join(", ") || "none"} only, not all of ${seeds.join(", ")}`,
      );
    }
  }
  const target = collect(
    firstOfSeed.map((r) => ({ seed: r.seed, values: rowValues(r.eval, "target") })),
  );
  if (Object.keys(target).length > 0) {
    rows.push({ label: "target domain, upper bound (c)", kind: "baseline", measures: target });
  }
  return { rows, seeds, warnings };
}

/** `mean ± std` with `digits` decimals (the mean alone for one seed), or {@link MISSING}. */
export function formatStats(s: SeedStats | undefined, digits: number): string {
  return s ? formatSeedStat(s, digits) : MISSING;
}

/** The table as a report table (`Report.table`). */
export function seedTableSpec(t: SeedTable): TableSpec {
  return {
    columns: ["estimator trained on", ...SEED_TABLE_MEASURES.map((m) => m.label)],
    rows: t.rows.map((r) => [
      r.label,
      ...SEED_TABLE_MEASURES.map((m) => formatStats(r.measures[m.key], m.digits)),
    ]),
  };
}

/** The table as GitHub markdown (the README's form). */
export function seedTableMarkdown(t: SeedTable): string {
  const spec = seedTableSpec(t);
  const line = (cells: readonly unknown[]) => `| ${cells.map(String).join(" | ")} |`;
  return [
    line(spec.columns),
    line(spec.columns.map(() => "---")),
    ...spec.rows.map((r) => line(r as unknown[])),
  ].join("\n");
}
