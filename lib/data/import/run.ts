/**
 * `import-data` as a library call: check the destination, import with a progress bar, save the
 * dataset atomically, and describe the result.
 *
 * @module
 */
import { isPermissionError } from "../../util/cli.ts";
import { ProgressBar } from "../../util/progress.ts";
import {
  checkDestination,
  importData,
  type ImportedDataset,
  type ImportOptions,
  isInputError,
  pixelStats,
  saveImported,
} from "./mod.ts";

/** Options of {@link runImport}. */
export interface RunImportOptions {
  /** One of `IMPORT_FORMATS`. */
  format: string;
  /** The file or folder to import. */
  input: string;
  /** The dataset directory to write. */
  out: string;
  /** Size, channels, equalisation, limit, skipping bad inputs. */
  importOptions?: Omit<ImportOptions, "onProgress">;
  /** Replace an existing dataset at `out`, once the import has succeeded. */
  force?: boolean;
  /** No progress bar. */
  quiet?: boolean;
  /** Recorded as `created_by` in `meta.json`. */
  createdBy?: string;
}

/**
 * Imports `input` and writes it as a dataset at `out`. Fails before any work when `out` holds
 * something and `force` is not set; nothing is written unless the whole import succeeds.
 *
 * @returns the imported data set (see {@link formatImportSummary}).
 * @throws {ImportError} for a taken destination or nothing to import; input errors (see
 * `isInputError`) for a bad input file without `skipBad`.
 *
 * @example
 * ```ts ignore
 * import { formatImportSummary, runImport } from "./run.ts";
 * const ds = await runImport({ format: "images", input: "eyes/", out: "/tmp/eyes" });
 * console.log(formatImportSummary(ds, "/tmp/eyes"));
 * ```
 */
export async function runImport(options: RunImportOptions): Promise<ImportedDataset> {
  const { format, input, out, force = false } = options;
  await checkDestination(out, force);
  let bar: ProgressBar | undefined;
  const importOptions: ImportOptions = { ...options.importOptions };
  if (!options.quiet) {
    // Created once the total is known.
    importOptions.onProgress = (done, total) => {
      bar ??= new ProgressBar(total, { label: `import ${format}`, unit: "file" });
      bar.update(done);
    };
  }
  const ds = await importData(format, input, importOptions).finally(() => bar?.finish());
  await saveImported(out, ds, { force, createdBy: options.createdBy });
  return ds;
}

/**
 * What was written: sample count, shape, labels, pixel statistics and skipped inputs.
 *
 * @example
 * ```ts ignore
 * // wrote /tmp/eyes: 50 samples, 36x60x1 (HxWxC), unlabelled
 * //   pixels: mean 101.3, std 48.2, range 0..255
 * ```
 */
export function formatImportSummary(ds: ImportedDataset, out: string): string {
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

/** Advice for the import-data task after a failure: `--skip-bad`, or the permissions it needs. */
export function importErrorHint(error: unknown): string | undefined {
  if (isInputError(error)) return "(pass --skip-bad to skip bad inputs; nothing was written)";
  if (isPermissionError(error)) {
    return "(run with deno run --allow-read --allow-write=<folder of --out> --allow-env " +
      "--allow-ffi tasks/import_data.ts ...)";
  }
  return undefined;
}
