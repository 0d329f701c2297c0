/**
 * The data sets of a `train-simgan` run: which directories play which role, the default sets
 * rendered when missing, every set checked up front (exists, same image size, labels where the
 * evaluation needs them), and the images training reads.
 *
 * Roles:
 * - `source`: labelled synthetic training set. Training reads its images; the evaluation
 *   refines it and trains estimator (a) on it.
 * - training target: `real` when given (unlabelled real images, the way SimGAN trained on
 *   unlabelled MPIIGaze), else `target`. Training reads IMAGES only, never labels.
 * - `target` / `targetTest`: labelled target-domain sets of the evaluation only (estimator (c)
 *   and the test set of every estimator).
 * - `syntheticTest`: held-out synthetic set for label preservation.
 *
 * @module
 */
import { DEFAULT_DATA_BY_SIZE, defaultDataSet, ensureDefaultData } from "../../data/defaults.ts";
import { Dataset } from "../../data/dataset.ts";
import type { ProtocolData } from "../../eval/protocol.ts";
import { SetupError } from "../../util/cli.ts";
import type { ImageShape } from "../image_pool.ts";
import { readImages } from "./source.ts";
import type { SimGANTaskConfig } from "./task_config.ts";

/** The directories of a run by role. */
export interface SimGANDataDirs {
  /** Labelled synthetic training set. */
  source: string;
  /** Where training's target images come from (`real`, else `target`). */
  trainTarget: string;
  /** Whether `trainTarget` is the unlabelled real set. */
  trainTargetIsReal: boolean;
  /** The evaluation's data sets; absent with `eval.enabled` false. */
  protocol?: ProtocolData;
}

type DataConfig = Pick<
  SimGANTaskConfig,
  "source" | "target" | "targetTest" | "syntheticTest" | "real" | "eval"
>;

/**
 * Resolves the roles of a config's data fields (see the module documentation): `targetTest` ""
 * is the default target test set when `target` is a default target training set (of the same
 * image size: `...-128x128x3` for the 128x128 colour one); `syntheticTest` "" is the default
 * synthetic test set of `source`'s size when `source` is a default one, else none ("none": none).
 *
 * @throws {SetupError} when the evaluation is on and no target test set can be named.
 */
export function simganDataDirs(config: DataConfig): SimGANDataDirs {
  const real = config.real.trim();
  const dirs: SimGANDataDirs = {
    source: config.source,
    trainTarget: real !== "" ? real : config.target,
    trainTargetIsReal: real !== "",
  };
  if (!config.eval.enabled) return dirs;
  let targetTest = config.targetTest;
  if (targetTest === "") {
    const target = defaultDataSet(config.target);
    if (target?.role !== "targetTrain") {
      throw new SetupError(
        `the evaluation needs a labelled target test set: give --targetTest DIR (with ` +
          `--target ${config.target}), or skip the evaluation with --no-eval`,
      );
    }
    targetTest = DEFAULT_DATA_BY_SIZE[target.size].targetTest;
  }
  let syntheticTest: string | undefined = config.syntheticTest;
  if (syntheticTest === "") {
    const source = defaultDataSet(config.source);
    syntheticTest = source?.role === "synthetic"
      ? DEFAULT_DATA_BY_SIZE[source.size].syntheticTest
      : undefined;
  } else if (syntheticTest === "none") syntheticTest = undefined;
  dirs.protocol = {
    synthetic: config.source,
    targetTrain: config.target,
    targetTest,
    ...(real !== "" ? { real } : {}),
    ...(syntheticTest ? { syntheticTest } : {}),
  };
  return dirs;
}

/** Every directory of `dirs` with its role name, training's first. */
function namedDirs(dirs: SimGANDataDirs): [string, string, boolean][] {
  const out: [string, string, boolean][] = [
    ["--source", dirs.source, dirs.protocol !== undefined],
    [dirs.trainTargetIsReal ? "--real" : "--target", dirs.trainTarget, false],
  ];
  const p = dirs.protocol;
  if (p) {
    if (dirs.trainTargetIsReal) out.push(["--target", p.targetTrain, true]);
    out.push(["--targetTest", p.targetTest, true]);
    if (p.syntheticTest) out.push(["--syntheticTest", p.syntheticTest, true]);
  }
  return out;
}

const sizeOf = (s: ImageShape) => `${s.height}x${s.width}x${s.channels}`;

/**
 * Opens the data set `dir` given by `flag`.
 *
 * @throws {SetupError} naming the flag and the directory when it is missing or unreadable.
 */
export async function openFlagDataset(flag: string, dir: string): Promise<Dataset> {
  try {
    return await Dataset.open(dir);
  } catch (e) {
    throw new SetupError(`${flag} ${dir}: ${(e as Error).message}`);
  }
}

/**
 * Renders the default data sets among `dirs` when missing, then opens every set and checks that
 * all have the source's image size and that the labelled ones of the evaluation have gaze labels.
 *
 * @returns the image size.
 * @throws {SetupError} naming the flag and the directory of a set that is missing, unreadable,
 *   of another size (resizing happens at import: `deno task import-data --size HxW`), or
 *   without labels.
 */
export async function checkSimganData(
  dirs: SimGANDataDirs,
  options: { quiet?: boolean; log?: (line: string) => void; command?: string } = {},
): Promise<ImageShape> {
  const named = namedDirs(dirs);
  await ensureDefaultData(named.map(([, dir]) => dir), options);
  let shape: ImageShape | undefined;
  for (const [flag, dir, labelled] of named) {
    const ds = await openFlagDataset(flag, dir);
    try {
      const s = { height: ds.height, width: ds.width, channels: ds.channels };
      if (!shape) shape = s;
      else if (sizeOf(s) !== sizeOf(shape)) {
        throw new SetupError(
          `${flag} ${dir}: images are ${sizeOf(s)} (HxWxC) but --source's are ${sizeOf(shape)}; ` +
            `every data set must have one size (resize at import, e.g. deno task import-data ` +
            `--format images --in DIR --out data/generated/NAME --size ${shape.height}x${shape.width})`,
        );
      }
      if (labelled && !ds.arrays.includes("gaze")) {
        throw new SetupError(`${flag} ${dir}: has no gaze labels, which the evaluation needs`);
      }
    } finally {
      ds.close();
    }
  }
  return shape!;
}

/** The images training reads: the source's and the training target's, as bytes. */
export async function readTrainingImages(
  dirs: SimGANDataDirs,
): Promise<{ synthetic: Uint8Array; target: Uint8Array; shape: ImageShape }> {
  const syn = await readImages(dirs.source);
  const tgt = await readImages(dirs.trainTarget);
  if (sizeOf(syn.shape) !== sizeOf(tgt.shape)) {
    throw new SetupError(
      `${dirs.trainTarget}: images are ${sizeOf(tgt.shape)} but ${dirs.source}'s are ` +
        `${sizeOf(syn.shape)}`,
    );
  }
  return { synthetic: syn.images, target: tgt.images, shape: syn.shape };
}

/** The first `n` images (fewer when the set has fewer) of a data set as bytes, in file order. */
async function readFirstImages(
  dir: string,
  n: number,
): Promise<{ images: Uint8Array; shape: ImageShape }> {
  const ds = await Dataset.open(dir);
  try {
    const k = Math.min(n, ds.count);
    const indices = Array.from({ length: k }, (_, i) => i);
    const images = (await ds.readIndices("images", indices)) as Uint8Array;
    return { images, shape: { height: ds.height, width: ds.width, channels: ds.channels } };
  } finally {
    ds.close();
  }
}

/**
 * The first `n` images of the source and of the training target, as {@link readTrainingImages}
 * reads them but without the rest of the sets: what `pickSamples` takes for the sample grids and
 * the report, so a report rebuilt from a run folder shows the images training showed.
 *
 * @throws {SetupError} when the two sets' image sizes differ.
 */
export async function readFirstTrainingImages(
  dirs: Pick<SimGANDataDirs, "source" | "trainTarget">,
  n: number,
): Promise<{ synthetic: Uint8Array; target: Uint8Array; shape: ImageShape }> {
  const syn = await readFirstImages(dirs.source, n);
  const tgt = await readFirstImages(dirs.trainTarget, n);
  if (sizeOf(syn.shape) !== sizeOf(tgt.shape)) {
    throw new SetupError(
      `${dirs.trainTarget}: images are ${sizeOf(tgt.shape)} but ${dirs.source}'s are ` +
        `${sizeOf(syn.shape)}`,
    );
  }
  return { synthetic: syn.images, target: tgt.images, shape: syn.shape };
}
