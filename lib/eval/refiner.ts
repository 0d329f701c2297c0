/**
 * Refiners as the evaluation sees them, method-agnostic: a function from synthetic images to
 * refined ones, plus the registry through which each method says how to rebuild its refiner
 * from a run folder (used by `deno task eval-gaze --refiner RUN`), and
 * {@link writeRefinedDataset}, which refines a labelled synthetic data set in chunks and writes
 * the result as a data set with the synthetic labels.
 *
 * A method registers its loader when its module is imported:
 *
 * ```ts ignore
 * // lib/methods/simgan/mod.ts
 * import { registerRefinerLoader } from "../../eval/refiner.ts";
 * registerRefinerLoader("simgan", async (runDir) => {
 *   const model = await loadSimGANFromRun(runDir); // reads checkpoints/latest.safetensors
 *   return {
 *     name: "SimGAN",
 *     refine: (x, shape) => model.refineArray(x, shape),
 *     dispose: () => model.dispose(),
 *   };
 * });
 * ```
 *
 * {@link loadRefinerFromRun} (used by `eval-gaze --refiner RUN`) reads the method name from
 * `RUN/config.json`, imports `lib/methods/<method>/mod.ts` ({@link importMethodModule}, so the
 * loader registers itself) and asks the registry.
 *
 * @module
 */
import {
  type ArrayName,
  Dataset,
  DATASET_ARRAYS,
  DATASET_FORMAT,
  NpyWriter,
  writeDirectoryAtomically,
} from "../data/dataset.ts";
import { readRunConfig } from "../train/run.ts";
import { UsageError } from "../util/cli.ts";
import { ProgressBar } from "../util/progress.ts";

/**
 * Refines a chunk of synthetic images.
 *
 * @param images `[N, H, W, C]` row-major, values in [-1, 1].
 * @param shape `[N, H, W, C]` of `images`.
 * @returns the refined images, same shape, values in [-1, 1] (values outside are clipped
 *   when written, and counted).
 */
export type RefineFn = (
  images: Float32Array,
  shape: readonly [number, number, number, number],
) => Promise<Float32Array>;

/** A refiner as the evaluation protocol uses it. */
export interface Refiner {
  /** Shown in reports and recorded in `eval.json`, e.g. `SimGAN` or `identity`. */
  name: string;
  /** The refinement itself. */
  refine: RefineFn;
  /** Images per `refine` call (default 256). */
  batchSize?: number;
  /** Where the refiner came from (run folder, checkpoint step, ...), recorded in `eval.json`. */
  source?: Record<string, unknown>;
  /** Frees the refiner's weights; called by whoever loaded it, once refining is done. */
  dispose?: () => void;
}

/** Precomputed refined images: one for every synthetic training image, in file order. */
export interface PrecomputedRefined {
  /** Shown in reports and recorded in `eval.json`. */
  name: string;
  /** `[N, H, W, C]` values in [-1, 1], N = the synthetic training set's count. */
  images: Float32Array;
  /** Recorded in `eval.json`. */
  source?: Record<string, unknown>;
}

/** Whether `r` is a {@link PrecomputedRefined} (rather than a {@link Refiner}). */
export function isPrecomputed(r: Refiner | PrecomputedRefined): r is PrecomputedRefined {
  return (r as PrecomputedRefined).images instanceof Float32Array &&
    typeof (r as Refiner).refine !== "function";
}

/**
 * The run folder of an evaluation task's `--refiner RUN`, or `undefined` with `--identity`.
 *
 * @throws {UsageError} unless exactly one of the two is given, or for an empty `--refiner`.
 */
export function refinerRunFlag(v: { refiner?: unknown; identity?: unknown }): string | undefined {
  const runDir = typeof v.refiner === "string" ? v.refiner : undefined;
  if ((runDir !== undefined) === (v.identity === true)) {
    throw new UsageError("give exactly one of --refiner RUN and --identity");
  }
  if (runDir === "") throw new UsageError("--refiner needs a run folder");
  return runDir;
}

/**
 * The identity refiner: "refined" images are the synthetic ones. Evaluating it reproduces the
 * raw-synthetic baseline exactly (a sanity check of the protocol).
 */
export function identityRefiner(): Refiner {
  return {
    name: "identity",
    refine: (images) => Promise.resolve(images.slice()),
    source: { kind: "identity" },
  };
}

/** Builds a method's refiner from one of its run folders. */
export type RefinerLoader = (runDir: string) => Promise<Refiner | RefineFn>;

const loaders = new Map<string, RefinerLoader>();

/**
 * Registers how refiners of `method` runs are loaded (call it at the top level of the method's
 * module). Registering the same method again replaces the loader.
 *
 * @param method the method name as written in `config.json` (`simgan`, `cyclegan`, ...).
 * @param loader builds a {@link Refiner} (or a bare {@link RefineFn}) from a run folder.
 */
export function registerRefinerLoader(method: string, loader: RefinerLoader): void {
  if (!/^[A-Za-z0-9_-]+$/.test(method)) {
    throw new RangeError(`registerRefinerLoader: bad method name '${method}'`);
  }
  loaders.set(method, loader);
}

/** The methods with a registered refiner loader, sorted. */
export function registeredRefinerMethods(): string[] {
  return [...loaders.keys()].sort();
}

/**
 * Imports `lib/methods/<method>/mod.ts` when it exists and `method` has no refiner loader yet:
 * a method registers its loader when its module is imported. A method without such a module,
 * or a name that is not a plain identifier, is left alone (the registry then reports it).
 */
export async function importMethodModule(method: string): Promise<void> {
  if (registeredRefinerMethods().includes(method) || !/^[A-Za-z0-9_-]+$/.test(method)) return;
  const url = new URL(`../methods/${method}/mod.ts`, import.meta.url);
  const found = await Deno.stat(url).then((s) => s.isFile, () => false);
  if (found) await import(url.href);
}

/**
 * Loads the refiner of a run folder: reads `RUN/config.json`'s method, imports the method's
 * module if its loader is not registered yet ({@link importMethodModule}), and calls the loader
 * registered for it.
 *
 * @throws Error naming the method and the registered ones when no loader is registered, or
 *   when `runDir` is not a run folder.
 */
export async function loadRefinerFromRun(runDir: string): Promise<Refiner> {
  const { method } = await readRunConfig(runDir);
  await importMethodModule(method);
  const loader = loaders.get(method);
  if (!loader) {
    const known = registeredRefinerMethods();
    throw new Error(
      `${runDir}: no refiner loader is registered for method '${method}' (registered: ${
        known.length ? known.join(", ") : "none"
      }); the method's module must call registerRefinerLoader('${method}', ...)`,
    );
  }
  const r = await loader(runDir);
  const refiner: Refiner = typeof r === "function" ? { name: method, refine: r } : r;
  return { ...refiner, source: { run: runDir, method, ...(refiner.source ?? {}) } };
}

/** What {@link writeRefinedDataset} wrote. */
export interface RefinedDatasetInfo {
  /** The data set directory. */
  dir: string;
  /** Images written. */
  count: number;
  /** Fraction of refined values outside [-1, 1] (clipped before quantising to 8 bits). */
  clippedFraction: number;
  /** Seconds spent refining and writing. */
  seconds: number;
}

/**
 * Quantises refined values in [-1, 1] to bytes, `round((v + 1) * 127.5)` clipped to 0..255
 * (the inverse of the data sets' `v / 127.5 - 1`, so unchanged images give unchanged bytes).
 *
 * @returns the bytes, how many values were outside [-1, 1], and the index of the first
 *   non-finite value (-1 when all are finite; such values become 0).
 */
export function quantiseImages(
  values: Float32Array,
): { bytes: Uint8Array; clipped: number; firstNonFinite: number } {
  const bytes = new Uint8Array(values.length);
  let clipped = 0;
  let firstNonFinite = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      if (firstNonFinite < 0) firstNonFinite = i;
      continue;
    }
    if (v < -1 || v > 1) clipped++;
    // byte = round((v + 1) * 127.5), clipped to 0..255
    bytes[i] = Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
  }
  return { bytes, clipped, firstNonFinite };
}

/** Checks a refiner's output for one chunk; returns its quantised bytes. */
function checkedBytes(
  out: Float32Array,
  chunk: { refiner: string; first: number; count: number; per: number },
): { bytes: Uint8Array; clipped: number } {
  const { refiner, first, count, per } = chunk;
  if (!(out instanceof Float32Array) || out.length !== count * per) {
    throw new RangeError(
      `refiner '${refiner}' returned ${
        (out as { length?: number } | undefined)?.length
      } values for ${count} images of ${per} values (expected a Float32Array of ${count * per})`,
    );
  }
  const q = quantiseImages(out);
  if (q.firstNonFinite >= 0) {
    throw new RangeError(
      `refiner '${refiner}': refined image ${first + Math.floor(q.firstNonFinite / per)} has a ` +
        `non-finite value (${out[q.firstNonFinite]})`,
    );
  }
  return q;
}

/** Options of {@link writeRefinedDataset}. */
export interface WriteRefinedOptions {
  /** Where to write the data set (replaced if present). */
  out: string;
  /** Images per chunk (default: the refiner's `batchSize`, else 256). */
  batchSize?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** Recorded as `created_by` in `meta.json`. */
  createdBy?: string;
}

/**
 * Refines every image of a labelled synthetic data set, in file order and in chunks, and writes
 * the refined images (8-bit) with the synthetic labels (`gaze`, and `head_pose` when present) as
 * a data set, atomically. `meta.json` records the source data set and the refiner.
 *
 * @param synthetic the synthetic data set (must have `gaze`).
 * @param refiner a {@link Refiner}, or precomputed refined images for every synthetic image.
 * @param options output directory, chunk size, progress.
 * @throws {RangeError} when the refiner returns the wrong number of values or a non-finite one.
 */
export async function writeRefinedDataset(
  synthetic: Dataset,
  refiner: Refiner | PrecomputedRefined,
  options: WriteRefinedOptions,
): Promise<RefinedDatasetInfo> {
  const t0 = performance.now();
  const { height: h, width: w, channels: c, count: n } = synthetic;
  const per = h * w * c;
  if (!synthetic.arrays.includes("gaze")) {
    throw new Error(`${synthetic.dir}: has no gaze labels to carry over to the refined images`);
  }
  const precomputed = isPrecomputed(refiner) ? refiner.images : undefined;
  if (precomputed && precomputed.length !== n * per) {
    throw new RangeError(
      `precomputed refined images: ${precomputed.length} values, expected ${n} x ${h}x${w}x${c} ` +
        `(one per synthetic training image, same size)`,
    );
  }
  const batchSize = options.batchSize ??
    (isPrecomputed(refiner) ? undefined : refiner.batchSize) ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`writeRefinedDataset: batchSize must be >= 1, got ${batchSize}`);
  }
  const labels: Exclude<ArrayName, "images">[] = synthetic.arrays.includes("head_pose")
    ? ["gaze", "head_pose"]
    : ["gaze"];
  const bar = new ProgressBar(n, {
    label: `refine (${refiner.name})`,
    unit: "img",
    quiet: options.quiet,
  });
  let clipped = 0;
  await writeDirectoryAtomically(options.out, true, async (partial) => {
    const shapes: Record<string, number[]> = { images: [n, h, w, c], gaze: [n, 2] };
    const writers: Partial<Record<ArrayName, NpyWriter>> = {};
    try {
      writers.images = await NpyWriter.create(`${partial}/images.npy`, "|u1", [n, h, w, c]);
      for (const name of labels) {
        const f = await synthetic.readIndices(name, [0]);
        shapes[name] = [n, f.length];
        writers[name] = await NpyWriter.create(
          `${partial}/${name}.npy`,
          DATASET_ARRAYS[name],
          shapes[name],
        );
      }
      let done = 0;
      const batches = synthetic.batches({
        batchSize,
        include: labels,
        format: precomputed ? "uint8" : "float",
      });
      for await (const batch of batches) {
        const b = batch.indices.length;
        const out = precomputed
          ? precomputed.subarray(done * per, (done + b) * per)
          : await (refiner as Refiner).refine(batch.images as Float32Array, [b, h, w, c]);
        const q = checkedBytes(out, { refiner: refiner.name, first: done, count: b, per });
        clipped += q.clipped;
        await writers.images.append(q.bytes);
        for (const name of labels) await writers[name]!.append(batch[name] as Float32Array);
        done += b;
        bar.update(done);
      }
      for (const wr of Object.values(writers)) wr!.close();
    } catch (e) {
      for (const wr of Object.values(writers)) wr?.abort();
      throw e;
    }
    const meta = {
      format: DATASET_FORMAT,
      domain: "refined",
      split: synthetic.meta.split ?? "train",
      count: n,
      height: h,
      width: w,
      channels: c,
      files: Object.fromEntries(
        Object.entries(shapes).map(([name, shape]) => [name, {
          dtype: name === "images" ? "uint8" : "float32",
          shape,
        }]),
      ),
      refiner: { name: refiner.name, source: refiner.source ?? null },
      source: { dir: synthetic.dir, domain: synthetic.meta.domain ?? null, count: n },
      gaze_convention: synthetic.meta.gaze_convention ?? null,
      created_by: options.createdBy ?? "writeRefinedDataset()",
    };
    await Deno.writeTextFile(`${partial}/meta.json`, JSON.stringify(meta, null, 2) + "\n");
  });
  bar.finish();
  return {
    dir: options.out,
    count: n,
    clippedFraction: n > 0 ? clipped / (n * per) : 0,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Refines a whole data set into memory (e.g. a held-out synthetic test set), in chunks.
 *
 * @returns `[N, H, W, C]` refined values, quantised to 8 bits exactly as
 *   {@link writeRefinedDataset} writes them (so both measure the same images).
 */
export async function refineToMemory(
  ds: Dataset,
  refiner: Refiner,
  options: { batchSize?: number } = {},
): Promise<Float32Array> {
  const { height: h, width: w, channels: c } = ds;
  const per = h * w * c;
  const out = new Float32Array(ds.count * per);
  let done = 0;
  const batchSize = options.batchSize ?? refiner.batchSize ?? 256;
  for await (const batch of ds.batches({ batchSize, include: [] })) {
    const b = batch.indices.length;
    const r = await refiner.refine(batch.images as Float32Array, [b, h, w, c]);
    const { bytes } = checkedBytes(r, { refiner: refiner.name, first: done, count: b, per });
    for (let i = 0; i < bytes.length; i++) out[done * per + i] = bytes[i] / 127.5 - 1;
    done += b;
  }
  return out;
}
