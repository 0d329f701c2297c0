/**
 * `make-data` as a library call: render a data set with {@link makeDataset}, with a progress
 * bar and a one-line summary on stderr.
 *
 * @module
 */
import { type DatasetMeta, makeDataset, type MakeDatasetOptions } from "./dataset.ts";
import { ProgressBar } from "../util/progress.ts";

/** Options of {@link runMakeData}: those of {@link makeDataset}, and `quiet`. */
export interface RunMakeDataOptions extends Omit<MakeDatasetOptions, "onProgress"> {
  /** No progress bar and no summary. */
  quiet?: boolean;
}

/**
 * Renders a data set into `out` (see {@link makeDataset}), showing progress and then
 * `wrote N DOMAIN samples to OUT (files) in S s` on stderr unless `quiet`.
 *
 * @returns the data set's `meta.json`.
 * @throws {DatasetExistsError} when `out` exists and `force` is not set.
 *
 * @example
 * ```ts ignore
 * import { runMakeData } from "./make.ts";
 * await runMakeData("/tmp/syn", { domain: "synthetic", n: 100, seed: 0, quiet: true });
 * ```
 */
export async function runMakeData(out: string, options: RunMakeDataOptions): Promise<DatasetMeta> {
  const { quiet = false, ...make } = options;
  const shape = `${make.height ?? 36}x${make.width ?? 60}x${make.channels ?? 1}`;
  const bar = new ProgressBar(make.n, { label: `${make.domain} ${shape}`, unit: "img", quiet });
  const t0 = performance.now();
  const meta = await makeDataset(out, { ...make, onProgress: (done) => bar.update(done) });
  bar.finish();
  const secs = (performance.now() - t0) / 1000;
  if (!quiet) {
    console.error(
      `wrote ${meta.count} ${meta.domain} samples to ${out} ` +
        `(${Object.keys(meta.files).join(", ")}) in ${secs.toFixed(1)} s`,
    );
  }
  return meta;
}
