/**
 * `deno task compare RUN RUN... [--out FILE|DIR] [--name A,B,...]`: one self-contained HTML
 * report comparing run folders (`lib/report/compare.ts`): evaluation tables side by side,
 * %-within-d curves overlaid, loss curves, sample grids on the same inputs, config differences.
 * Evaluations made with other data or settings are flagged in the report and on stdout.
 *
 * Exit codes: 0 written (warnings printed), 1 an input could not be read (or `--strict` and a
 * run is not comparable), 2 a bad command line.
 *
 * @module
 */
import {
  defaultComparisonPath,
  formatComparisonSummary,
  strictFailures,
  writeComparisonReport,
} from "../lib/report/compare.ts";
import {
  intFlag,
  isPermissionError,
  listFlag,
  numberFlag,
  parseFlags,
  runTask,
  UsageError,
} from "../lib/util/cli.ts";

const USAGE = `Usage: deno task compare RUN RUN... [--out FILE|DIR] [--name A,B,...]
       [--title TEXT] [--samples N] [--smoothing A] [--strict]

Writes one self-contained HTML report comparing run folders: their evaluation tables side by
side (raw-synthetic and target baselines once when they agree), the %-within-d gaze error
curves overlaid, each run's loss curves, the first refined images of every run on the same
synthetic inputs, and the config values that differ. Evaluations made with other data or
settings (compareEvalSettings) are flagged at the top of the report and here. A run without
eval.json is listed as not evaluated.

  RUN          run folders (config.json, metrics.jsonl, eval.json, refined/)
  --out        an .html file, or a folder for report.html
               (default runs/compare-<YYYYmmdd-HHMMSS>/report.html)
  --name       the runs' names in the report, comma-separated, one per RUN
               (default: the folder names)
  --title      the report's title (default "Comparison: A vs B ...")
  --samples    images per row of the sample grids (default 8; 0: no grids)
  --smoothing  EMA factor of the loss curves in [0, 1) (default 0.6 from 50 records on)
  --strict     exit 1 when an evaluation is not (fully) comparable with the first one
               (INCOMPATIBLE or PARTLY COMPARABLE), or extra metrics were measured with
               other settings (INCOMPATIBLE METRICS); seed replicates are allowed
  -h, --help   this text

The task may write under runs/ only (least privilege); to write elsewhere, run it as
  deno run --allow-read --allow-write=DIR --allow-env=IMAGESCRIPT_WASM_SIMD --allow-ffi
    tasks/compare.ts RUN... --out DIR/report.html`;

const FLAGS = {
  out: { type: "string" },
  name: { type: "string", multiple: true },
  title: { type: "string" },
  samples: { type: "string", default: "8" },
  smoothing: { type: "string" },
  strict: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The report path for `--out`: an `.html` file as it is, anything else a folder. */
export function resolveOut(out: string | undefined, now: Date = new Date()): string {
  if (out === undefined) return defaultComparisonPath(now);
  if (out.trim() === "") throw new UsageError("--out: empty");
  return /\.html?$/i.test(out) ? out : `${out.replace(/\/+$/, "")}/report.html`;
}

/** The task; returns its exit code. */
export async function compareMain(args: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags(args, FLAGS, { positionals: true });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("give at least one run folder");
  const names = v.name?.flatMap((n) => listFlag(n));
  if (names && names.length !== positionals.length) {
    throw new UsageError(`--name: ${names.length} names for ${positionals.length} runs`);
  }
  const smoothing = v.smoothing === undefined ? undefined : numberFlag("smoothing", v.smoothing);
  if (smoothing !== undefined && !(smoothing >= 0 && smoothing < 1)) {
    throw new UsageError(`--smoothing must be in [0, 1), got ${smoothing}`);
  }
  const result = await writeComparisonReport(positionals, {
    out: resolveOut(v.out),
    names,
    title: v.title,
    samples: intFlag("samples", v.samples, 0),
    smoothing,
  });
  console.log(formatComparisonSummary(result.analysis));
  for (const n of result.notes) console.log(`note: ${n}`);
  console.log(`wrote ${result.path}`);
  const failures = strictFailures(result.analysis);
  if (v.strict && failures.length > 0) {
    console.log(`--strict: not (fully) comparable: ${failures.join("; ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  await runTask("compare", USAGE, () => compareMain(Deno.args), {
    hint: (e) =>
      isPermissionError(e)
        ? "deno task compare reads anywhere but writes under runs/ only; to write elsewhere " +
          "run: deno run --allow-read --allow-write=DIR --allow-env=IMAGESCRIPT_WASM_SIMD " +
          "--allow-ffi tasks/compare.ts ..."
        : undefined,
  });
}
