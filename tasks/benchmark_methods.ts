/**
 * `deno task benchmark-methods`: trains and evaluates every method with the same data, seeds and
 * evaluation settings (`lib/methods/benchmark.ts`), then writes the results table over seeds
 * (`OUT/table.md`, `OUT/table.json`), prints it, and writes the comparison report of all runs
 * with the table first (`OUT/report.html`, `lib/report/compare.ts`).
 *
 * ```sh
 * deno task benchmark-methods                         # quick preset, seeds 0,1,2, all methods
 * deno task benchmark-methods --seeds 0,1 --methods simgan,gazegan --preset smoke --runs runs/try
 * deno task benchmark-methods --dry-run               # what would be trained, resumed, reused
 * ```
 *
 * @module
 */
import { parseBackendName } from "../lib/backend/mod.ts";
import {
  benchmarkMethods,
  type BenchmarkOptions,
  planBenchmark,
  runBenchmark,
} from "../lib/methods/benchmark.ts";
import { writeComparisonReport } from "../lib/report/compare.ts";
import { SEED_TABLE_MEASURES, seedTableMarkdown, seedTableSpec } from "../lib/report/seed_table.ts";
import { parseFlags, runTask, seedsFlag, UsageError } from "../lib/util/cli.ts";
import { writeJsonAtomic, writeTextAtomic } from "../lib/util/fs.ts";

const USAGE = `Usage: deno task benchmark-methods [--preset quick] [--seeds 3 | --seeds 0,1,2]
       [--methods ${benchmarkMethods().map((m) => m.key).join(",")}] [--runs DIR] [--out DIR]
       [--backend NAME] [--dry-run] [--no-train] [--quiet]

Trains and evaluates every method and the raw-synthetic baseline with the same data, seeds and
estimator, then writes the table over seeds (mean +- std), the toolkit's own "Table 3", and the
comparison report of all runs (deno task compare) with the table first.

Each method and seed has the run folder RUNS/<method>-<preset>-seed<S>, trained with the
method's task and --preset P --seed S --eval.seed S --out DIR. Finished and evaluated runs are
reused, unfinished ones resumed, so an interrupted benchmark continues where it stopped.

  --preset    preset of every run (default quick)
  --seeds     a count N (seeds 0..N-1) or a comma-separated list (default 3)
  --methods   comma-separated method keys (default: all)
  --runs      folder of the run folders (default runs)
  --out       where table.md, table.json and report.html go (default RUNS/benchmark-<preset>)
  --backend   backend of new runs: auto (default), wasm, cpu, webgpu, tfjs-node, tfjs-node-gpu
  --dry-run   print the plan and exit
  --no-train  train and resume nothing: the table over the finished runs only (the others
              are listed as skipped, and rows over fewer seeds are pointed out)
  --quiet     no progress bars`;

const FLAGS = {
  preset: { type: "string", default: "quick" },
  seeds: { type: "string", default: "3" },
  methods: { type: "string" },
  runs: { type: "string", default: "runs" },
  out: { type: "string" },
  backend: { type: "string" },
  "dry-run": { type: "boolean", default: false },
  "no-train": { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** `--seeds`: a count (`3` = 0, 1, 2) or a list with commas (`0,2,5`). */
export function parseSeedsFlag(value: string): number[] {
  return seedsFlag(value, { count: true, repeated: (v) => `--seeds repeats a seed: ${v}` });
}

/** Runs the task; returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const extraFlags: string[] = [];
  if (v.backend !== undefined) extraFlags.push("--backend", parseBackendName(v.backend));
  if (v.quiet) extraFlags.push("--quiet");
  const options: BenchmarkOptions = {
    preset: v.preset,
    seeds: parseSeedsFlag(v.seeds),
    methods: v.methods?.split(",").map((s) => s.trim()).filter((s) => s !== ""),
    runsDir: v.runs,
    extraFlags,
    noTrain: v["no-train"],
  };
  let plan;
  try {
    plan = await planBenchmark(options);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v["dry-run"]) {
    for (const p of plan) console.log(`${p.action.padEnd(6)} ${p.dir}  (${p.reason})`);
    return 0;
  }
  const out = (v.out ?? `${v.runs.replace(/\/+$/, "")}/benchmark-${v.preset}`).replace(/\/+$/, "");
  const result = await runBenchmark(options);
  let reportFailed = false;
  if (result.table) {
    const md = seedTableMarkdown(result.table);
    await Deno.mkdir(out, { recursive: true });
    await writeTextAtomic(`${out}/table.md`, `${md}\n`);
    await writeJsonAtomic(`${out}/table.json`, {
      format: "eyegan-benchmark-table/1",
      preset: v.preset,
      seeds: result.table.seeds,
      measures: SEED_TABLE_MEASURES,
      rows: result.table.rows,
      warnings: result.table.warnings,
      runs: result.runs.map((r) => ({ method: r.method, seed: r.seed, dir: r.runDir })),
      failures: result.failures,
      skipped: result.skipped.map((p) => p.dir),
      complete: result.exitCode === 0 && result.skipped.length === 0,
      created: new Date().toISOString(),
      created_by: ["deno task benchmark-methods", ...argv].join(" "),
    });
    console.log(md);
    for (const w of result.table.warnings) console.log(`warning: not comparable: ${w}`);
    console.log(`table: ${out}/table.md`);
    const table = result.table;
    try {
      const { path } = await writeComparisonReport(result.runs.map((r) => r.runDir!), {
        out: `${out}/report.html`,
        names: result.runs.map((r) => `${r.method} s${r.seed}`),
        title: `Benchmark: ${[...new Set(result.runs.map((r) => r.method))].join(", ")} ` +
          `(${v.preset} preset, seeds ${table.seeds.join(", ")})`,
        leadSections: [{
          heading: "Results over seeds",
          build: (report) => {
            report.table(seedTableSpec(table), {
              caption: `Gaze estimator trained on each set, tested on the target test set; ` +
                `mean ± sample std over seeds ${table.seeds.join(", ")}`,
            });
            if (table.warnings.length > 0) {
              report.paragraph(`⚠ Not comparable:\n\n${table.warnings.join("\n\n")}`);
            }
          },
        }],
      });
      console.log(`report: ${path}`);
    } catch (e) {
      // the table is written; a report that fails must not hide the runs' failures below
      console.error(`benchmark-methods: the comparison report failed: ${(e as Error).message}`);
      reportFailed = true;
    }
  }
  for (const f of result.failures) console.error(`failed: ${f.key} seed ${f.seed}: ${f.message}`);
  return reportFailed && result.exitCode === 0 ? 1 : result.exitCode;
}

if (import.meta.main) {
  await runTask("benchmark-methods", USAGE, () => main(Deno.args));
}
