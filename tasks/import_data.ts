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
import { IMPORT_FORMATS } from "../lib/data/import/mod.ts";
import { formatImportSummary, importErrorHint, runImport } from "../lib/data/import/run.ts";
import {
  channelsFlag,
  choiceFlag,
  intFlag,
  parseFlags,
  requiredFlag,
  sizeFlag,
  taskExitCode,
} from "../lib/util/cli.ts";

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

const FLAGS = {
  format: { type: "string" },
  in: { type: "string" },
  out: { type: "string" },
  size: { type: "string" },
  channels: { type: "string" },
  equalize: { type: "boolean", default: false },
  limit: { type: "string" },
  "skip-bad": { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  quiet: { type: "boolean", short: "q", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Runs the command line; returns the exit status. */
export function main(argv: string[]): Promise<number> {
  return taskExitCode("import-data", USAGE, async () => {
    const { values: v } = parseFlags(argv, FLAGS);
    if (v.help) return void console.log(USAGE);
    const format = choiceFlag("format", v.format, IMPORT_FORMATS);
    const input = requiredFlag("in", v.in);
    const out = requiredFlag("out", v.out);
    const ds = await runImport({
      format,
      input,
      out,
      importOptions: {
        ...(v.size === undefined ? {} : sizeFlag("size", v.size)),
        channels: v.channels === undefined ? undefined : channelsFlag("channels", v.channels),
        equalize: v.equalize,
        limit: v.limit === undefined ? undefined : intFlag("limit", v.limit),
        skipBad: v["skip-bad"],
      },
      force: v.force,
      quiet: v.quiet,
      createdBy: ["deno task import-data", ...argv].join(" "),
    });
    console.log(formatImportSummary(ds, out));
  }, { hint: importErrorHint });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
