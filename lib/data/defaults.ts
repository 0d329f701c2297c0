/**
 * The project's default data sets: the four 36x60 gray sets that `deno task domain-gap` measures
 * the gap on, and that the training tasks and `eval-gaze` use when no data set is named, and two
 * paired sets of the same size for `train-pix2pix` and `eval-pairs`. They
 * are rendered on demand (seconds) into `data/generated/` under the names of
 * `lib/gaze/gap.ts` ({@link gapDatasetDir}), and reused when present and matching
 * ({@link ensureGapDataset} checks generator version, domain, split, seed, count and image size).
 *
 * | role | directory (defaults) | content |
 * |---|---|---|
 * | `synthetic` | `data/generated/gap-synthetic-train-n10000-s0` | simulator images, gaze labels |
 * | `syntheticTest` | `data/generated/gap-synthetic-test-n1000-s0` | held-out simulator images |
 * | `targetTrain` | `data/generated/gap-real-train-n10000-s0` | target-domain ("real") images |
 * | `targetTest` | `data/generated/gap-real-test-n1000-s0` | held-out target-domain images |
 * | `pairedTrain` | `data/generated/gap-paired-train-n10000-s0` | paired: maps, renders, twins (pix2pix) |
 * | `pairedTest` | `data/generated/gap-paired-test-n1000-s0` | held-out pairs (paired metrics) |
 *
 * The same roles come in other image sizes ({@link DEFAULT_DATA_SIZES}): the sets of size
 * `HxWxC` other than 36x60x1 have `-HxWxC` appended to the name (same counts and seed), e.g.
 * `data/generated/gap-synthetic-train-n10000-s0-128x128x3`, the 128x128 colour sets that the
 * `paper` presets of `train-cyclegan` and `train-gazegan` train and evaluate on
 * ({@link DEFAULT_DATA_BY_SIZE}). Any directory of these names is a default set: rendered when
 * missing, re-rendered when stale.
 *
 * @example
 * ```ts ignore
 * import { DEFAULT_DATA, ensureDefaultData } from "./defaults.ts";
 * await ensureDefaultData([DEFAULT_DATA.synthetic, DEFAULT_DATA.targetTrain, "data/mine"]);
 * // renders the two default sets if missing; "data/mine" is not a default set and is left alone
 * ```
 *
 * @module
 */
import type { DomainName } from "./domains/mod.ts";
import { ensureGapDataset, GAP_DEFAULTS, gapDatasetDir } from "../gaze/gap.ts";

/** The roles of the default data sets. */
export type DefaultDataRole =
  | "synthetic"
  | "syntheticTest"
  | "targetTrain"
  | "targetTest"
  | "pairedTrain"
  | "pairedTest";

const ROLES: readonly DefaultDataRole[] = [
  "synthetic",
  "syntheticTest",
  "targetTrain",
  "targetTest",
  "pairedTrain",
  "pairedTest",
];

/**
 * The image sizes, `HxWxC`, the default data sets come in: `36x60x1` (the default; the gap, the
 * `quick` presets, SimGAN's and pix2pix's presets) and `128x128x3` (the `paper` presets of
 * CycleGAN and GazeGAN: the CycleGAN paper's 128x128 colour images).
 */
export const DEFAULT_DATA_SIZES = ["36x60x1", "128x128x3"] as const;

/** One of {@link DEFAULT_DATA_SIZES}. */
export type DefaultDataSize = typeof DEFAULT_DATA_SIZES[number];

/** The size of the default data sets when none is named: 36x60 gray. */
export const DEFAULT_DATA_SIZE: DefaultDataSize = "36x60x1";

/** Height, width and channels of a default size. */
export function dataSizeShape(
  size: DefaultDataSize,
): { height: number; width: number; channels: 1 | 3 } {
  const [height, width, channels] = size.split("x").map(Number);
  return { height, width, channels: channels as 1 | 3 };
}

/** What a default data set is: the arguments of `ensureGapDataset`, image size included. */
export interface DefaultDataSpec {
  domain: DomainName;
  split: "train" | "test";
  n: number;
  seed: number;
  height: number;
  width: number;
  channels: 1 | 3;
}

const ROLE_SETS: Readonly<
  Record<DefaultDataRole, { domain: DomainName; split: "train" | "test" }>
> = {
  synthetic: { domain: "synthetic", split: "train" },
  syntheticTest: { domain: "synthetic", split: "test" },
  targetTrain: { domain: "real", split: "train" },
  targetTest: { domain: "real", split: "test" },
  pairedTrain: { domain: "paired", split: "train" },
  pairedTest: { domain: "paired", split: "test" },
};

/**
 * The specs of the default data sets of one image size: counts and seed of `GAP_DEFAULTS`
 * (10,000 training and 1,000 test images, data seed 0) at every size.
 */
export function defaultDataSpecs(
  size: DefaultDataSize = DEFAULT_DATA_SIZE,
): Record<DefaultDataRole, DefaultDataSpec> {
  const shape = dataSizeShape(size);
  const out = {} as Record<DefaultDataRole, DefaultDataSpec>;
  for (const role of ROLES) {
    const { domain, split } = ROLE_SETS[role];
    const n = split === "train" ? GAP_DEFAULTS.nTrain : GAP_DEFAULTS.nTest;
    out[role] = { domain, split, n, seed: GAP_DEFAULTS.dataSeed, ...shape };
  }
  return out;
}

/** The specs of the default data sets of every size. */
export const DEFAULT_DATA_SPECS_BY_SIZE: Readonly<
  Record<DefaultDataSize, Readonly<Record<DefaultDataRole, DefaultDataSpec>>>
> = Object.fromEntries(
  DEFAULT_DATA_SIZES.map((size) => [size, defaultDataSpecs(size)]),
) as Record<DefaultDataSize, Record<DefaultDataRole, DefaultDataSpec>>;

/** The specs of the default data sets (36x60x1; sizes and seed of `GAP_DEFAULTS`). */
export const DEFAULT_DATA_SPECS: Readonly<Record<DefaultDataRole, DefaultDataSpec>> =
  DEFAULT_DATA_SPECS_BY_SIZE[DEFAULT_DATA_SIZE];

/**
 * The directories of the default data sets of `size` (default 36x60x1) under `dataDir`
 * (default `data/generated`).
 *
 * @example
 * ```ts
 * import { defaultDataDirs } from "./defaults.ts";
 * console.log(defaultDataDirs().targetTest); // data/generated/gap-real-test-n1000-s0
 * console.log(defaultDataDirs(undefined, "128x128x3").targetTest);
 * // data/generated/gap-real-test-n1000-s0-128x128x3
 * ```
 */
export function defaultDataDirs(
  dataDir: string = GAP_DEFAULTS.dataDir,
  size: DefaultDataSize = DEFAULT_DATA_SIZE,
): Record<DefaultDataRole, string> {
  const out = {} as Record<DefaultDataRole, string>;
  for (const [role, spec] of Object.entries(DEFAULT_DATA_SPECS_BY_SIZE[size])) {
    out[role as DefaultDataRole] = gapDatasetDir(dataDir, spec);
  }
  return out;
}

/** The default data set directories (36x60x1) under `data/generated`. */
export const DEFAULT_DATA: Readonly<Record<DefaultDataRole, string>> = defaultDataDirs();

/** The default data set directories of every size under `data/generated`. */
export const DEFAULT_DATA_BY_SIZE: Readonly<
  Record<DefaultDataSize, Readonly<Record<DefaultDataRole, string>>>
> = Object.fromEntries(
  DEFAULT_DATA_SIZES.map((size) => [size, defaultDataDirs(GAP_DEFAULTS.dataDir, size)]),
) as Record<DefaultDataSize, Record<DefaultDataRole, string>>;

/** `a/b/` and `./a//b` name the same directory as `a/b`. */
function normalise(dir: string): string {
  return dir.replace(/\/+/g, "/").replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

/** A default data set: its role, its image size and its spec. */
export interface DefaultDataSet {
  role: DefaultDataRole;
  size: DefaultDataSize;
  spec: DefaultDataSpec;
}

/**
 * The default data set `dir` names (under `dataDir`), of any size, or `undefined` when it is not
 * one.
 *
 * @example
 * ```ts
 * import { defaultDataSet } from "./defaults.ts";
 * const set = defaultDataSet("data/generated/gap-real-train-n10000-s0-128x128x3");
 * console.log(set?.role, set?.size); // targetTrain 128x128x3
 * ```
 */
export function defaultDataSet(
  dir: string,
  dataDir: string = GAP_DEFAULTS.dataDir,
): DefaultDataSet | undefined {
  const want = normalise(dir);
  for (const size of DEFAULT_DATA_SIZES) {
    const dirs = defaultDataDirs(dataDir, size);
    const role = ROLES.find((r) => normalise(dirs[r]) === want);
    if (role) return { role, size, spec: DEFAULT_DATA_SPECS_BY_SIZE[size][role] };
  }
  return undefined;
}

/**
 * The role of the default data set `dir` names (under `dataDir`, of any size: see
 * {@link defaultDataSet} for the size), or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { defaultDataRole } from "./defaults.ts";
 * console.log(defaultDataRole("./data/generated/gap-synthetic-train-n10000-s0/")); // synthetic
 * console.log(defaultDataRole("data/generated/mpiigaze-p00")); // undefined
 * ```
 */
export function defaultDataRole(
  dir: string,
  dataDir: string = GAP_DEFAULTS.dataDir,
): DefaultDataRole | undefined {
  return defaultDataSet(dir, dataDir)?.role;
}

/** Options of {@link ensureDefaultData}. */
export interface EnsureDefaultDataOptions {
  /** Where the default sets live (default `data/generated`). */
  dataDir?: string;
  /** No progress bars or log lines. */
  quiet?: boolean;
  /** Where log lines go (default `console.error`). */
  log?: (line: string) => void;
  /** Recorded as `created_by` of the sets it renders. */
  command?: string;
}

/** What {@link ensureDefaultData} did for one directory. */
export interface EnsuredDataset {
  dir: string;
  /** The default role of `dir`; `undefined` for a directory that is not a default set. */
  role?: DefaultDataRole;
  /** `reused`: present and matching; `generated`: rendered now; `other`: not a default set. */
  action: "reused" | "generated" | "other";
}

/**
 * Makes sure that every directory of `dirs` that names a default data set (of any size) exists
 * and matches (rendering it at its size, with a progress bar, when it is missing or stale).
 * Directories that are not default sets are left alone (their readers report them missing).
 *
 * @param dirs data set directories a task is about to read (duplicates are handled once).
 * @param options data folder, quiet, log, `created_by`.
 * @returns what was done for each distinct directory, in order.
 */
export async function ensureDefaultData(
  dirs: readonly string[],
  options: EnsureDefaultDataOptions = {},
): Promise<EnsuredDataset[]> {
  const out: EnsuredDataset[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const key = normalise(dir);
    if (seen.has(key)) continue;
    seen.add(key);
    const set = defaultDataSet(dir, options.dataDir);
    if (!set) {
      out.push({ dir, action: "other" });
      continue;
    }
    const { role, spec } = set;
    const { reused } = await ensureGapDataset(dir, spec, {
      quiet: options.quiet,
      log: options.log,
      command: options.command ?? "ensureDefaultData()",
    });
    out.push({ dir, role, action: reused ? "reused" : "generated" });
  }
  return out;
}
