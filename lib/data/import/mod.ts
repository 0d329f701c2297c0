/**
 * Importers of public eye-image formats into the project's dataset form.
 *
 * - `unityeyes`: a folder of UnityEyes or UnityEyes2 renders (`N.jpg` + `N.json`), labelled;
 * - `mpiigaze`: MPIIGaze "Normalized" `.mat` files (one file or a folder), labelled, with
 *   head pose; right eyes mirrored;
 * - `images`: a folder of PNG/JPEG images, unlabelled.
 *
 * Each returns an {@link ImportedDataset} in memory; {@link saveImported} writes it as a
 * dataset directory (atomically: a failed import never leaves a partial dataset, and an
 * existing one is replaced only with `force`).
 *
 * @module
 */
import { importImageFolder } from "./images.ts";
import { importMpiiGaze } from "./mpiigaze.ts";
import { importUnityEyes } from "./unityeyes.ts";
import { type ImportedDataset, ImportError, type ImportOptions } from "./common.ts";
import {
  type ArrayData,
  DATASET_FORMAT,
  type DatasetMeta,
  writeDataset,
  writeDirectoryAtomically,
} from "../dataset.ts";

export * from "./common.ts";
export { importImageFolder } from "./images.ts";
export {
  importMpiiGaze,
  parseMpiiGazeMat,
  rodriguesToHeadPose,
  rodriguesToPitchYaw,
} from "./mpiigaze.ts";
export {
  cropLandmarks,
  importUnityEyes,
  parseTuple,
  parseUnityEyesJson,
  unityEyes2CropBox,
  unityEyesCropBox,
} from "./unityeyes.ts";
export { isMat73, MatFileError, parseMat, readMat } from "./matv5.ts";

/** The formats {@link importData} understands. */
export const IMPORT_FORMATS = ["unityeyes", "mpiigaze", "images"] as const;

/** One of {@link IMPORT_FORMATS}. */
export type ImportFormat = typeof IMPORT_FORMATS[number];

/**
 * Imports `path` in the given format.
 *
 * @throws {ImportError} for an unknown format and for inputs with nothing to import.
 */
export function importData(
  format: string,
  path: string,
  options: ImportOptions = {},
): Promise<ImportedDataset> {
  switch (format) {
    case "unityeyes":
      return importUnityEyes(path, options);
    case "mpiigaze":
      return importMpiiGaze(path, options);
    case "images":
      return importImageFolder(path, options);
    default:
      return Promise.reject(
        new ImportError(
          `unknown format ${JSON.stringify(format)}; use one of ${IMPORT_FORMATS.join(", ")}`,
        ),
      );
  }
}

/** Writes an imported data set's files into an (existing, empty) directory. */
export type DatasetDirWriter = (dir: string, ds: ImportedDataset) => Promise<void>;

/** Options of {@link saveImported}. */
export interface SaveOptions {
  /** Replace an existing dataset at the destination (default false). */
  force?: boolean;
  /** Writes the dataset files into the partial directory instead of the default
   * (`writeDataset` of `lib/data/dataset.ts`); for tests. */
  writer?: DatasetDirWriter;
  /** Recorded as `created_by` in `meta.json` (e.g. the command line). */
  createdBy?: string;
}

async function existing(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function isEmptyDir(path: string): Promise<boolean> {
  for await (const _ of Deno.readDir(path)) return false;
  return true;
}

/**
 * Fails early when `out` holds something and `force` is not set (call before a long import).
 *
 * @throws {ImportError} naming `out`.
 */
export async function checkDestination(out: string, force = false): Promise<void> {
  const info = await existing(out);
  if (!info || force) return;
  if (info.isDirectory && await isEmptyDir(out)) return;
  throw new ImportError(
    `${out} already exists${info.isDirectory ? " and is not empty" : " (a file)"}; ` +
      "choose another --out or pass --force to replace it",
  );
}

/**
 * Writes `ds` as a dataset directory at `out`, atomically, through `lib/data/dataset.ts`
 * (`writeDataset` / `writeDirectoryAtomically`): the files go to a sibling
 * `OUT.partial-<pid>-<n>/` that is renamed to `out` only when complete, so `out` never holds a
 * partial dataset. An existing `out` is replaced only with `force` (an existing EMPTY folder
 * counts as free), and only after the new dataset is complete; if anything fails, the partial
 * directory is removed and the old `out` is left as it was.
 *
 * @throws {ImportError} when `out` exists and `force` is not set.
 */
export async function saveImported(
  out: string,
  ds: ImportedDataset,
  options: SaveOptions = {},
): Promise<void> {
  const dest = out.replace(/\/+$/, "") || out;
  await checkDestination(dest, options.force);
  const info = await existing(dest);
  const force = (options.force ?? false) || (info?.isDirectory === true && await isEmptyDir(dest));
  if (options.writer) {
    const writer = options.writer;
    await writeDirectoryAtomically(dest, force, (partial) => writer(partial, ds));
    return;
  }
  const arrays: Record<string, ArrayData> = {
    images: { data: ds.images, shape: [ds.n, ds.height, ds.width, ds.channels] },
  };
  if (ds.gaze) arrays.gaze = { data: ds.gaze, shape: [ds.n, 2] };
  if (ds.headPose) arrays.head_pose = { data: ds.headPose, shape: [ds.n, 3] };
  if (ds.landmarks) arrays.landmarks = { data: ds.landmarks, shape: [ds.n, 55, 2] };
  await writeDataset(dest, {
    arrays,
    meta: importedMeta(ds, options.createdBy),
    extraFiles: { "sources.txt": ds.files.join("\n") + "\n" },
  }, { force });
}

/** Landmark index ranges of `landmarks.npy` (the renderer's order). */
const LANDMARK_RANGES: Record<string, [number, number]> = {
  interior_margin: [0, 16],
  iris: [16, 48],
  caruncle: [48, 55],
};

/**
 * The `meta.json` of an imported data set: the fields of `lib/data/dataset.ts`'s
 * {@link DatasetMeta} (so `Dataset.open` reads it), plus `labelled` and the importer's own
 * description under `import`.
 */
export function importedMeta(
  ds: ImportedDataset,
  createdBy = "importData()",
): DatasetMeta & { labelled: boolean; import: Record<string, unknown> } {
  const files: DatasetMeta["files"] = {
    images: { dtype: "uint8", shape: [ds.n, ds.height, ds.width, ds.channels] },
  };
  if (ds.gaze) files.gaze = { dtype: "float32", shape: [ds.n, 2] };
  if (ds.headPose) files.head_pose = { dtype: "float32", shape: [ds.n, 3] };
  if (ds.landmarks) files.landmarks = { dtype: "float32", shape: [ds.n, 55, 2] };
  return {
    format: DATASET_FORMAT,
    generator: `eyegan-import/1 (${ds.meta.format ?? "unknown"})`,
    domain: ds.domain,
    split: "all",
    seed: "none",
    count: ds.n,
    height: ds.height,
    width: ds.width,
    channels: ds.channels,
    supersample: 1,
    files,
    gaze_convention: ds.gaze
      ? "radians; pitch = asin(-y) (up positive), yaw = atan2(-x, -z) (towards the image's " +
        "left positive); camera frame x right, y down, z forward (MPIIGaze/GazeML)"
      : "none: unlabelled",
    classes: [],
    landmarks: ds.landmarks ? LANDMARK_RANGES : {},
    parameters: null,
    created_by: createdBy,
    labelled: ds.gaze !== undefined,
    import: ds.meta,
  };
}
