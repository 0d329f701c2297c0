/**
 * `deno task import-data`: imports a public eye-image data set into a dataset directory.
 *
 * ```
 * deno task import-data --format unityeyes|mpiigaze|images --in PATH --out DIR
 *   [--size HxW] [--channels 1|3] [--equalize] [--limit N] [--skip-bad] [--force]
 * ```
 *
 * Exit status: 0 done; 1 the import failed (bad input, nothing to import, destination
 * exists); 2 bad command line. Nothing is written unless the whole import succeeds.
 *
 * Permissions: `--allow-read` (inputs), `--allow-write` for the destination's parent folder
 * (the task line allows `data/generated` and `/tmp`), `--allow-env --allow-ffi` (the image
 * codec).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  checkDestination,
  IMPORT_FORMATS,
  importData,
  type ImportedDataset,
  ImportError,
  type ImportOptions,
  isInputError,
  pixelStats,
  saveImported,
} from "../lib/data/import/mod.ts";
import { ProgressBar } from "../lib/util/progress.ts";
import { DatasetExistsError } from "../lib/data/dataset.ts";

const USAGE = `Usage: deno task import-data --format FORMAT --in PATH --out DIR [options]

Formats:
  unityeyes   folder of UnityEyes (v1) or UnityEyes2 renders: N.jpg + N.json (labelled)
  mpiigaze    MPIIGaze Normalized .mat file, or a folder searched for them (labelled;
              right eyes mirrored, yaw negated; head pose kept)
  images      folder of .png/.jpg/.jpeg images (unlabelled)

Options:
  --size HxW      output height x width, e.g. 36x60 (default: 36x60 for unityeyes and
                  mpiigaze, the images' own size for images)
  --channels C    1 (gray, BT.601 luma; default) or 3
  --equalize      histogram-equalise every image
  --limit N       import at most N samples
  --skip-bad      skip unreadable/malformed inputs (counted and reported) instead of failing
  --force         replace an existing dataset at --out (only once the import has succeeded)
  -q, --quiet     no progress bar
  -h, --help      this text`;

class UsageError extends Error {}

/** Parsed command line. */
interface Args {
  format: string;
  input: string;
  out: string;
  options: ImportOptions;
  force: boolean;
  quiet: boolean;
}

function parse(argv: string[]): Args | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        format: { type: "string" },
        in: { type: "string" },
        out: { type: "string" },
        size: { type: "string" },
        channels: { type: "string" },
        equalize: { type: "boolean" },
        limit: { type: "string" },
        "skip-bad": { type: "boolean" },
        force: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return "help";
  for (const k of ["format", "in", "out"] as const) {
    if (!values[k]) throw new UsageError(`missing --${k}`);
  }
  const format = values.format!;
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `unknown --format ${JSON.stringify(format)}; use one of ${IMPORT_FORMATS.join(", ")}`,
    );
  }
  const options: ImportOptions = {
    equalize: values.equalize ?? false,
    skipBad: values["skip-bad"] ?? false,
  };
  if (values.size !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(values.size);
    if (!m || +m[1] < 1 || +m[2] < 1) {
      throw new UsageError(`--size must be HEIGHTxWIDTH like 36x60, got ${values.size}`);
    }
    options.height = +m[1];
    options.width = +m[2];
  }
  if (values.channels !== undefined) {
    if (values.channels !== "1" && values.channels !== "3") {
      throw new UsageError(`--channels must be 1 or 3, got ${values.channels}`);
    }
    options.channels = +values.channels as 1 | 3;
  }
  if (values.limit !== undefined) {
    if (!/^\d+$/.test(values.limit) || +values.limit < 1) {
      throw new UsageError(`--limit must be a positive integer, got ${values.limit}`);
    }
    options.limit = +values.limit;
  }
  return {
    format,
    input: values.in!,
    out: values.out!,
    options,
    force: values.force ?? false,
    quiet: values.quiet ?? false,
  };
}

/** Progress on stderr through the project's progress bar, created once the total is known. */
function progress(
  label: string,
): { onProgress: (done: number, total: number) => void; end(): void } {
  let bar: ProgressBar | undefined;
  return {
    onProgress(done, total) {
      bar ??= new ProgressBar(total, { label, unit: "file" });
      bar.update(done);
    },
    end() {
      bar?.finish();
    },
  };
}

function summary(ds: ImportedDataset, out: string): string {
  const s = pixelStats(ds.images);
  const lines = [
    `wrote ${out}: ${ds.n} samples, ${ds.height}x${ds.width}x${ds.channels} (HxWxC), ` +
    (ds.gaze ? "gaze-labelled" : "unlabelled") + (ds.headPose ? ", with head pose" : ""),
    `  pixels: mean ${s.mean.toFixed(1)}, std ${s.std.toFixed(1)}, range ${s.min}..${s.max}`,
  ];
  const skipped = ds.meta.skipped as { count: number; first: string[] } | undefined;
  if (skipped && skipped.count > 0) {
    lines.push(`  skipped ${skipped.count} bad input(s); first:`);
    for (const r of skipped.first.slice(0, 5)) lines.push(`    ${r}`);
  }
  return lines.join("\n");
}

function isPermissionError(e: unknown): boolean {
  // Deno 2 raises NotCapable for a missing --allow-* flag.
  const errors = Deno.errors as unknown as Record<string, unknown>;
  return (typeof errors.NotCapable === "function" &&
    e instanceof (errors.NotCapable as new () => Error)) ||
    e instanceof Deno.errors.PermissionDenied;
}

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: Args | "help";
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`import-data: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  const { format, input, out, options, force, quiet } = args;
  try {
    await checkDestination(out, force);
    const bar = progress(`import ${format}`);
    if (!quiet) options.onProgress = bar.onProgress;
    const ds = await importData(format, input, options).finally(() => bar.end());
    await saveImported(out, ds, {
      force,
      createdBy: ["deno task import-data", ...argv].join(" "),
    });
    console.log(summary(ds, out));
    return 0;
  } catch (e) {
    if (e instanceof ImportError || e instanceof DatasetExistsError || isInputError(e)) {
      console.error(`import-data: ${(e as Error).message}`);
      if (isInputError(e)) {
        console.error("(pass --skip-bad to skip bad inputs; nothing was written)");
      }
      return 1;
    }
    if (isPermissionError(e)) {
      console.error(
        `import-data: ${(e as Error).message}\n(run with deno run --allow-read ` +
          `--allow-write=<folder of --out> --allow-env --allow-ffi tasks/import_data.ts ...)`,
      );
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
