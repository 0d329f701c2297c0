/**
 * The project's default data sets: the four 36x60 gray sets that `deno task domain-gap` measures
 * the gap on, and that the training tasks and `eval-gaze` use when no data set is named, and two
 * paired sets of the same size for `train-pix2pix` and `eval-pairs`. They
 * are rendered on demand (seconds) into `data/generated/` under the names of
 * `lib/gaze/gap.ts` ({@link gapDatasetDir}), and reused when present and matching
 * ({@link ensureGapDataset} checks generator version, domain, split, seed, count and size).
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

/** What a default data set is: the arguments of `ensureGapDataset`. */
export interface DefaultDataSpec {
  domain: DomainName;
  split: "train" | "test";
  n: number;
  seed: number;
}

/** The specs of the default data sets (sizes and seed of `GAP_DEFAULTS`). */
export const DEFAULT_DATA_SPECS: Readonly<Record<DefaultDataRole, DefaultDataSpec>> = {
  synthetic: {
    domain: "synthetic",
    split: "train",
    n: GAP_DEFAULTS.nTrain,
    seed: GAP_DEFAULTS.dataSeed,
  },
  syntheticTest: {
    domain: "synthetic",
    split: "test",
    n: GAP_DEFAULTS.nTest,
    seed: GAP_DEFAULTS.dataSeed,
  },
  targetTrain: {
    domain: "real",
    split: "train",
    n: GAP_DEFAULTS.nTrain,
    seed: GAP_DEFAULTS.dataSeed,
  },
  targetTest: { domain: "real", split: "test", n: GAP_DEFAULTS.nTest, seed: GAP_DEFAULTS.dataSeed },
  pairedTrain: {
    domain: "paired",
    split: "train",
    n: GAP_DEFAULTS.nTrain,
    seed: GAP_DEFAULTS.dataSeed,
  },
  pairedTest: {
    domain: "paired",
    split: "test",
    n: GAP_DEFAULTS.nTest,
    seed: GAP_DEFAULTS.dataSeed,
  },
};

/**
 * The directories of the default data sets under `dataDir` (default `data/generated`).
 *
 * @example
 * ```ts
 * import { defaultDataDirs } from "./defaults.ts";
 * console.log(defaultDataDirs().targetTest); // data/generated/gap-real-test-n1000-s0
 * ```
 */
export function defaultDataDirs(
  dataDir: string = GAP_DEFAULTS.dataDir,
): Record<DefaultDataRole, string> {
  const out = {} as Record<DefaultDataRole, string>;
  for (const [role, spec] of Object.entries(DEFAULT_DATA_SPECS)) {
    out[role as DefaultDataRole] = gapDatasetDir(dataDir, spec);
  }
  return out;
}

/** The default data set directories under `data/generated`. */
export const DEFAULT_DATA: Readonly<Record<DefaultDataRole, string>> = defaultDataDirs();

/** `a/b/` and `./a//b` name the same directory as `a/b`. */
function normalise(dir: string): string {
  return dir.replace(/\/+/g, "/").replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

/**
 * The default data set `dir` names (under `dataDir`), or `undefined` when it is not one.
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
  const dirs = defaultDataDirs(dataDir);
  const want = normalise(dir);
  return (Object.keys(dirs) as DefaultDataRole[]).find((r) => normalise(dirs[r]) === want);
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
 * Makes sure that every directory of `dirs` that names a default data set exists and matches
 * (rendering it, with a progress bar, when it is missing or stale). Directories that are not
 * default sets are left alone (their readers report them missing).
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
    const role = defaultDataRole(dir, options.dataDir);
    if (!role) {
      out.push({ dir, action: "other" });
      continue;
    }
    const { reused } = await ensureGapDataset(dir, DEFAULT_DATA_SPECS[role], {
      quiet: options.quiet,
      log: options.log,
      command: options.command ?? "ensureDefaultData()",
    });
    out.push({ dir, role, action: reused ? "reused" : "generated" });
  }
  return out;
}
