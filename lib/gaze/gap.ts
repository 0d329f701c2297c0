/**
 * The measured domain gap: how much worse a gaze estimator trained on synthetic eyes does on the
 * target ("real") domain than on synthetic eyes, next to an estimator trained on the target
 * domain itself. This is the gap that refinement (SimGAN, pix2pix, CycleGAN, GazeGAN) must
 * close.
 *
 * For each seed, two estimators with the same config, steps and seed are trained, one on a
 * synthetic training set and one on a target-domain training set, and each is tested on both
 * test sets:
 *
 * | cell | trained on | tested on |
 * |---|---|---|
 * | `a` | synthetic | synthetic test |
 * | `b` | synthetic | target test |
 * | `c` | target | target test |
 * | `d` | target | synthetic test |
 *
 * The gap ratio is `b / a` (mean angular errors), per seed; `gap.json` also holds the mean and
 * the sample standard deviation over seeds, and a constant predictor (the mean training label)
 * for every cell as a floor of uselessness. It is rewritten after every seed; `complete` says
 * whether every requested seed is in it.
 *
 * The four data sets are generated with `makeDataset` into `dataDir` under names that encode
 * domain, split, size and data seed, and are reused when they are present and their
 * `meta.json` matches (same generator version, domain, split, seed, count, image size).
 *
 * @example
 * ```ts ignore
 * const result = await measureDomainGap({ steps: 100, seeds: [0], nTrain: 2000, nTest: 200 });
 * console.log(gapMarkdownTable(result));
 * ```
 *
 * @module
 */
import {
  Dataset,
  DATASET_FORMAT,
  DatasetFileError,
  type DatasetMeta,
  makeDataset,
} from "../data/dataset.ts";
import { EyeRenderer, GENERATOR_VERSION } from "../data/domains/mod.ts";
import type { EyeParams } from "../data/render/params.ts";
import { DEG } from "../data/gaze.ts";
import type { PixelImage } from "../image/io.ts";
import { encodePng } from "../image/io.ts";
import { tileImages, upscaleNearest } from "../image/grid.ts";
import { exists, readJson, writeJsonAtomic, writeTextAtomic } from "../util/fs.ts";
import { ProgressBar } from "../util/progress.ts";
import { Rng } from "../util/random.ts";
import {
  type EstimatorConfig,
  evaluateEstimator,
  trainEstimatorWithProgress,
} from "./estimator.ts";
import { evaluateGaze, type GazeErrorSummary } from "./metrics.ts";
import { formatSeedStat, type SeedStat, seedStat } from "../util/stats.ts";

export { type SeedStat, seedStat };

/** Format tag of `gap.json`. */
export const GAP_FORMAT = "eyegan-domain-gap/1";

/** The two domains the gap is measured between (names of `makeDataset` domains). */
export type GapDomain = "synthetic" | "real";

/** The cells of the gap table. */
export const GAP_CELLS = [
  { id: "a", train: "synthetic", test: "synthetic" },
  { id: "b", train: "synthetic", test: "real" },
  { id: "c", train: "real", test: "real" },
  { id: "d", train: "real", test: "synthetic" },
] as const satisfies readonly { id: string; train: GapDomain; test: GapDomain }[];

/** One of `a`, `b`, `c`, `d` (see the module documentation). */
export type GapCellId = typeof GAP_CELLS[number]["id"];

/** Options of {@link measureDomainGap}; everything has a default ({@link GAP_DEFAULTS}). */
export interface DomainGapOptions {
  /** Training images per domain. */
  nTrain?: number;
  /** Test images per domain. */
  nTest?: number;
  /** Training steps of every estimator. */
  steps?: number;
  /** Estimator seeds (weights and batch order); one pair of estimators per seed. */
  seeds?: number[];
  /** Seed of the four data sets (the same for every estimator seed). */
  dataSeed?: number;
  /** Where the data sets are generated or found. */
  dataDir?: string;
  /** Run folder for `gap.json` and `gap.md`; omit to write nothing. */
  out?: string;
  /** Estimator config overrides (steps and seed are set from the options above). */
  estimator?: Partial<Omit<EstimatorConfig, "steps" | "seed">>;
  /** No progress bars or log lines. */
  quiet?: boolean;
  /** Where log lines go (default `console.error`). */
  log?: (line: string) => void;
  /** Recorded as `created_by`. */
  command?: string;
  /** Recorded as `backend` (e.g. the backend report). */
  backend?: unknown;
}

/**
 * Defaults of {@link measureDomainGap}: one seed takes about 7-13 minutes on two CPU cores
 * (two trainings of 1,500 steps at 4-8 steps/s); pass `seeds: [0, 1, 2]` for mean ± std.
 */
export const GAP_DEFAULTS = {
  nTrain: 10_000,
  nTest: 1_000,
  steps: 1_500,
  seeds: [0],
  dataSeed: 0,
  dataDir: "data/generated",
};

/** Results of one estimator seed. */
export interface GapSeedResult {
  seed: number;
  /** Error summary of every cell. */
  errors: Record<GapCellId, GazeErrorSummary>;
  /** `b.meanDeg / a.meanDeg`. */
  ratio: number;
  /** Training loss of the last step, per training domain. */
  final_loss: Record<GapDomain, number>;
  /** Training time, seconds, per training domain. */
  train_seconds: Record<GapDomain, number>;
}

/** A data set used by the measurement. */
export interface GapDataRef {
  dir: string;
  domain: GapDomain;
  split: "train" | "test";
  count: number;
  /** Whether an existing data set was reused (else generated by this run). */
  reused: boolean;
}

/** Contents of `gap.json`. */
export interface DomainGapResult {
  format: typeof GAP_FORMAT;
  /**
   * Whether every requested seed finished. `gap.json` is rewritten after each seed with
   * `complete: false` (so a failure in a later seed keeps the finished ones), and with `true` at
   * the end. Files written before this field existed are complete.
   */
  complete: boolean;
  /** What each cell means. */
  cells: typeof GAP_CELLS;
  generator: string;
  data: Record<`${GapDomain}_${"train" | "test"}`, GapDataRef>;
  data_seed: number;
  /** The estimator config shared by every training (its `seed` is per seed). */
  estimator: Omit<EstimatorConfig, "seed">;
  /** The seeds whose results are in `per_seed` (all of `seeds_requested` when complete). */
  seeds: number[];
  /** Every seed asked for, in order. */
  seeds_requested: number[];
  per_seed: GapSeedResult[];
  /** Mean ± std over seeds of every cell's mean error, median error and % within 7 degrees. */
  summary: Record<
    GapCellId,
    { mean_deg: SeedStat; median_deg: SeedStat; within_7_pct: SeedStat }
  >;
  /** `b / a` over seeds. */
  ratio_b_over_a: SeedStat;
  /** A constant predictor, the mean label of the training set, in every cell. */
  baseline: Record<GapCellId, GazeErrorSummary>;
  backend?: unknown;
  seconds: number;
  created_by: string;
}

/** The directory name of one of the measurement's data sets inside `dataDir`. */
export function gapDatasetDir(
  dataDir: string,
  spec: { domain: GapDomain; split: "train" | "test"; n: number; seed: number },
): string {
  return `${dataDir.replace(/\/+$/, "")}/gap-${spec.domain}-${spec.split}-n${spec.n}-s${spec.seed}`;
}

/** Why an existing data set does not match the wanted one, or `undefined` when it matches. */
async function mismatch(
  dir: string,
  want: { domain: GapDomain; split: string; n: number; seed: number },
): Promise<string | undefined> {
  let meta: Partial<DatasetMeta>;
  try {
    meta = JSON.parse(await Deno.readTextFile(`${dir}/meta.json`));
  } catch (e) {
    return `unreadable meta.json (${e instanceof Error ? e.message : e})`;
  }
  const checks: [string, unknown, unknown][] = [
    ["format", meta.format, DATASET_FORMAT],
    ["generator", meta.generator, GENERATOR_VERSION],
    ["domain", meta.domain, want.domain],
    ["split", meta.split, want.split],
    ["seed", meta.seed, want.seed],
    ["count", meta.count, want.n],
    ["height", meta.height, 36],
    ["width", meta.width, 60],
    ["channels", meta.channels, 1],
  ];
  for (const [name, got, expected] of checks) {
    if (got !== expected) return `${name} is ${JSON.stringify(got)}, wanted ${expected}`;
  }
  try {
    (await Dataset.open(dir)).close();
  } catch (e) {
    if (e instanceof DatasetFileError) return e.message;
    throw e;
  }
  return undefined;
}

/**
 * Makes sure a 36x60 gray data set of `(domain, split, n, seed)` exists at `dir`: reuses it
 * when its `meta.json` matches and its files open, else (re)generates it with `makeDataset`
 * (an existing mismatched one is replaced only once the new one is complete).
 *
 * @returns whether it was reused, and why an existing one was not.
 */
export async function ensureGapDataset(
  dir: string,
  spec: { domain: GapDomain; split: "train" | "test"; n: number; seed: number },
  options: { quiet?: boolean; log?: (line: string) => void; command?: string } = {},
): Promise<{ reused: boolean; replaced?: string }> {
  const log = options.log ?? ((line: string) => console.error(line));
  let replaced: string | undefined;
  if (await exists(dir)) {
    replaced = await mismatch(dir, spec);
    if (replaced === undefined) {
      if (!options.quiet) log(`reusing ${dir}`);
      return { reused: true };
    }
    if (!options.quiet) log(`regenerating ${dir}: ${replaced}`);
  }
  const bar = new ProgressBar(spec.n, {
    label: `${spec.domain} ${spec.split}`,
    unit: "img",
    quiet: options.quiet,
  });
  await makeDataset(dir, {
    domain: spec.domain,
    n: spec.n,
    seed: spec.seed,
    split: spec.split,
    force: replaced !== undefined,
    createdBy: options.command ?? "ensureGapDataset()",
    onProgress: (done) => bar.update(done),
  });
  bar.finish();
  return { reused: false, replaced };
}

/** The mean label of a data set, as `[pitch, yaw]`. */
async function meanLabel(ds: Dataset): Promise<[number, number]> {
  const g = (await ds.readAll("gaze")) as Float32Array;
  let p = 0, y = 0;
  for (let i = 0; i < g.length; i += 2) {
    p += g[i];
    y += g[i + 1];
  }
  const n = g.length / 2;
  return [p / n, y / n];
}

/** Error of always predicting `label` on a test set. */
async function constantError(label: [number, number], test: Dataset): Promise<GazeErrorSummary> {
  const truth = (await test.readAll("gaze")) as Float32Array;
  const predicted = truth.map((_, i) => label[i % 2]);
  return evaluateGaze(predicted, truth);
}

/** Mean ± std over seeds of every cell's mean error, median error and % within 7 degrees. */
function summariseSeeds(perSeed: GapSeedResult[]): DomainGapResult["summary"] {
  const summary = {} as DomainGapResult["summary"];
  for (const cell of GAP_CELLS) {
    const cells = perSeed.map((r) => r.errors[cell.id]);
    summary[cell.id] = {
      mean_deg: seedStat(cells.map((e) => e.meanDeg)),
      median_deg: seedStat(cells.map((e) => e.medianDeg)),
      within_7_pct: seedStat(cells.map((e) => e.withinPct[e.thresholdsDeg.indexOf(7)])),
    };
  }
  return summary;
}

/**
 * Measures the domain gap (see the module documentation): ensures the four data sets, trains
 * two estimators per seed, evaluates every cell, and writes `OUT/gap.json` and `OUT/gap.md`
 * (when `out` is given, atomically): after every seed with `complete: false` and the seeds
 * finished so far, so that a failure in a later seed keeps them, and at the end with
 * `complete: true`.
 *
 * Needs an initialised TensorFlow.js backend (`initBackend`).
 */
export async function measureDomainGap(options: DomainGapOptions = {}): Promise<DomainGapResult> {
  const t0 = performance.now();
  const nTrain = options.nTrain ?? GAP_DEFAULTS.nTrain;
  const nTest = options.nTest ?? GAP_DEFAULTS.nTest;
  const steps = options.steps ?? GAP_DEFAULTS.steps;
  const seeds = options.seeds ?? GAP_DEFAULTS.seeds;
  const dataSeed = options.dataSeed ?? GAP_DEFAULTS.dataSeed;
  const dataDir = options.dataDir ?? GAP_DEFAULTS.dataDir;
  const log = options.log ?? ((line: string) => console.error(line));
  for (const [name, v, min] of [["nTrain", nTrain, 1], ["nTest", nTest, 1], ["steps", steps, 1]]) {
    if (!Number.isInteger(v) || (v as number) < (min as number)) {
      throw new RangeError(`measureDomainGap: ${name} must be an integer >= ${min}, got ${v}`);
    }
  }
  if (seeds.length === 0 || !seeds.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new RangeError(`measureDomainGap: seeds must be non-negative integers, got ${seeds}`);
  }
  if (new Set(seeds).size !== seeds.length) {
    throw new RangeError(`measureDomainGap: seeds must be distinct, got ${seeds}`);
  }

  const data = {} as DomainGapResult["data"];
  for (const domain of ["synthetic", "real"] as const) {
    for (const split of ["train", "test"] as const) {
      const n = split === "train" ? nTrain : nTest;
      const dir = gapDatasetDir(dataDir, { domain, split, n, seed: dataSeed });
      const { reused } = await ensureGapDataset(dir, { domain, split, n, seed: dataSeed }, {
        quiet: options.quiet,
        log,
        command: options.command,
      });
      data[`${domain}_${split}`] = { dir, domain, split, count: n, reused };
    }
  }

  const open = {} as Record<keyof DomainGapResult["data"], Dataset>;
  try {
    for (const key of Object.keys(data) as (keyof DomainGapResult["data"])[]) {
      open[key] = await Dataset.open(data[key].dir);
    }
    const trainSets: Record<GapDomain, Dataset> = {
      synthetic: open.synthetic_train,
      real: open.real_train,
    };
    const testSets: Record<GapDomain, Dataset> = {
      synthetic: open.synthetic_test,
      real: open.real_test,
    };

    const baseline = {} as Record<GapCellId, GazeErrorSummary>;
    for (const cell of GAP_CELLS) {
      baseline[cell.id] = await constantError(
        await meanLabel(trainSets[cell.train]),
        testSets[cell.test],
      );
    }

    const perSeed: GapSeedResult[] = [];
    let config: EstimatorConfig | undefined;
    /** The result so far: the finished seeds (`complete` once every seed is done). */
    const result = (complete: boolean): DomainGapResult => {
      const { seed: _seed, ...estimator } = config!;
      return {
        format: GAP_FORMAT,
        complete,
        cells: GAP_CELLS,
        generator: GENERATOR_VERSION,
        data,
        data_seed: dataSeed,
        estimator,
        seeds: perSeed.map((r) => r.seed),
        seeds_requested: [...seeds],
        per_seed: [...perSeed],
        summary: summariseSeeds(perSeed),
        ratio_b_over_a: seedStat(perSeed.map((r) => r.ratio)),
        baseline,
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
        seconds: (performance.now() - t0) / 1000,
        created_by: options.command ?? "measureDomainGap()",
      };
    };
    for (const seed of seeds) {
      const errors = {} as Record<GapCellId, GazeErrorSummary>;
      const finalLoss = {} as Record<GapDomain, number>;
      const trainSeconds = {} as Record<GapDomain, number>;
      for (const domain of ["synthetic", "real"] as const) {
        const trained = await trainEstimatorWithProgress(
          trainSets[domain],
          { ...options.estimator, steps, seed },
          { label: `seed ${seed}, train on ${domain}`, quiet: options.quiet },
        );
        trainSeconds[domain] = trained.seconds;
        finalLoss[domain] = trained.finalLoss;
        config = trained.est.config;
        try {
          for (const cell of GAP_CELLS.filter((c) => c.train === domain)) {
            errors[cell.id] = await evaluateEstimator(trained.est, testSets[cell.test]);
          }
        } finally {
          trained.est.net.dispose();
        }
      }
      const ratio = errors.b.meanDeg / errors.a.meanDeg;
      perSeed.push({ seed, errors, ratio, final_loss: finalLoss, train_seconds: trainSeconds });
      // Every finished seed is on disk before the next one starts.
      if (options.out) await writeGapResult(options.out, result(false));
      if (!options.quiet) {
        const cells = GAP_CELLS.map((c) => `${c.id} ${errors[c.id].meanDeg.toFixed(2)} deg`);
        log(`seed ${seed}: ${cells.join(", ")}, b/a ${ratio.toFixed(2)}`);
      }
    }

    const final = result(true);
    if (options.out) await writeGapResult(options.out, final);
    return final;
  } finally {
    for (const ds of Object.values(open)) ds.close();
  }
}

/** Writes `dir/gap.json` and `dir/gap.md` (the markdown table), each atomically. */
export async function writeGapResult(dir: string, result: DomainGapResult): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeJsonAtomic(`${dir}/gap.json`, result);
  await writeTextAtomic(`${dir}/gap.md`, gapMarkdownTable(result) + "\n");
}

/**
 * Reads and checks a `gap.json`.
 *
 * @throws naming the file when it is not a domain-gap result.
 */
export async function readGapResult(path: string): Promise<DomainGapResult> {
  const value = await readJson<Partial<DomainGapResult> | null>(path);
  if (value?.format !== GAP_FORMAT || !Array.isArray(value.per_seed)) {
    throw new Error(`${path}: not a domain-gap result (format '${value?.format}')`);
  }
  // Files from before `complete` and `seeds_requested` existed hold every seed.
  return {
    ...value,
    complete: value.complete ?? true,
    seeds_requested: value.seeds_requested ?? value.seeds,
  } as DomainGapResult;
}

const DOMAIN_LABEL: Record<GapDomain, string> = { synthetic: "synthetic", real: "target" };

const pm = formatSeedStat;

/**
 * The result as a markdown table: one row per cell with mean ± std over seeds of the mean
 * error, median error and % within 7 degrees, the constant-predictor error, and the ratio b/a.
 */
export function gapMarkdownTable(result: DomainGapResult): string {
  const k = result.seeds.length;
  const lines = [
    "| cell | trained on | tested on | mean error (°) | median error (°) | within 7° (%) " +
    "| constant predictor (°) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const cell of GAP_CELLS) {
    const s = result.summary[cell.id];
    lines.push(
      `| ${cell.id} | ${DOMAIN_LABEL[cell.train]} | ${DOMAIN_LABEL[cell.test]} test | ` +
        `${pm(s.mean_deg, 2)} | ${pm(s.median_deg, 2)} | ${pm(s.within_7_pct, 1)} | ` +
        `${result.baseline[cell.id].meanDeg.toFixed(2)} |`,
    );
  }
  const e = result.estimator;
  lines.push(
    "",
    `Gap ratio b/a (synthetic-trained estimator, target test vs synthetic test): ` +
      `**${pm(result.ratio_b_over_a, 2)}**` +
      (k > 1
        ? ` (mean ± std over ${k} seeds: ${result.seeds.join(", ")})`
        : ` (seed ${result.seeds[0]})`) +
      ".",
    "",
    `${result.data.synthetic_train.count} training and ${result.data.synthetic_test.count} ` +
      `test images per domain (data seed ${result.data_seed}, ${result.generator}); estimator ` +
      `${e.target}, width ${e.widthMultiplier}, hidden [${e.hidden.join(", ")}], ${e.steps} ` +
      `steps of batch ${e.batchSize}, Adam ${e.learningRate}` +
      `${e.flipAugment ? ", flip augmentation" : ""}. Constant predictor: the mean label of the ` +
      `training set.`,
  );
  if (result.complete === false) {
    const want = result.seeds_requested ?? result.seeds;
    lines.push(
      "",
      `**Incomplete:** ${result.seeds.length} of ${want.length} seeds finished ` +
        `(requested: ${want.join(", ")}).`,
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Pictures of the two domains

/** RGB colours of the semantic classes (skin, sclera, iris, pupil, eyelid, caruncle). */
export const CLASS_COLORS: readonly [number, number, number][] = [
  [222, 184, 150],
  [245, 245, 245],
  [70, 130, 200],
  [20, 20, 20],
  [150, 60, 40],
  [230, 110, 140],
];

/** A gray or RGB `H x W x C` buffer as a {@link PixelImage}. */
export function toPixelImage(
  data: Uint8Array,
  size: { height: number; width: number; channels?: 1 | 3 },
): PixelImage {
  return { width: size.width, height: size.height, channels: size.channels ?? 1, data };
}

/** A semantic map (`H x W` class ids) in {@link CLASS_COLORS}. */
export function colorizeMap(map: Uint8Array, size: { height: number; width: number }): PixelImage {
  const data = new Uint8Array(map.length * 3);
  for (let i = 0; i < map.length; i++) {
    const c = CLASS_COLORS[map[i]] ?? [255, 0, 255];
    data.set(c, 3 * i);
  }
  return { width: size.width, height: size.height, channels: 3, data };
}

/**
 * An image enlarged `scale` times (nearest neighbour) with the 55 landmarks drawn on it:
 * interior margin green, iris cyan, caruncle magenta, the first (inner corner) red.
 */
export function drawLandmarks(image: PixelImage, landmarks: Float32Array, scale = 4): PixelImage {
  const w = image.width * scale, h = image.height * scale;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * image.channels;
      for (let c = 0; c < 3; c++) {
        data[(y * w + x) * 3 + c] = image.data[src + (image.channels === 3 ? c : 0)];
      }
    }
  }
  const dot = (px: number, py: number, rgb: readonly number[]) => {
    // landmark coordinates: the centre of pixel (0, 0) is at (0, 0)
    const cx = Math.round((px + 0.5) * scale - 0.5), cy = Math.round((py + 0.5) * scale - 0.5);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const x = cx + dx, y = cy + dy;
        if (x >= 0 && y >= 0 && x < w && y < h) data.set(rgb, (y * w + x) * 3);
      }
    }
  };
  for (let i = 0; i < landmarks.length / 2; i++) {
    const rgb = i === 0
      ? [255, 0, 0]
      : i < 16
      ? [0, 220, 0]
      : i < 48
      ? [0, 220, 255]
      : [255, 0, 255];
    dot(landmarks[2 * i], landmarks[2 * i + 1], rgb);
  }
  return { width: w, height: h, channels: 3, data };
}

/** Options of {@link domainSamples}. */
export interface DomainSamplesOptions {
  /** Images per row (default 8). */
  cols?: number;
  /** Rows per grid (default 4). */
  rows?: number;
  /** Data seed (default 0). */
  seed?: number;
}

/** The pictures {@link domainSamples} makes, as pixel images (not yet enlarged). */
export interface DomainSamples {
  /** Samples of the synthetic domain (its own parameter distribution). */
  synthetic: PixelImage;
  /** Samples of the target domain (its own parameter distribution). */
  real: PixelImage;
  /** Paired rows: synthetic renders, then their target-domain twins (same parameters). */
  paired: PixelImage;
  /** A gaze sweep of one eye: yaw +30..-30 degrees across, pitch +20..-20 down, synthetic. */
  sweep: PixelImage;
  /** One eye: synthetic, target, semantic map, landmarks (each enlarged 4x). */
  anatomy: PixelImage;
}

/**
 * Renders the sample sheets of the two domains (README, notebook): grids of each domain,
 * paired rows, a gaze sweep and one eye's semantic map and landmarks. Deterministic.
 */
export function domainSamples(options: DomainSamplesOptions = {}): DomainSamples {
  const cols = options.cols ?? 8, rows = options.rows ?? 4, seed = options.seed ?? 0;
  const r = new EyeRenderer();
  const size = { height: r.height, width: r.width };
  const grid = (domain: GapDomain) =>
    tileImages(
      Array.from({ length: cols * rows }, (_, i) =>
        toPixelImage(
          r.renderIndex({ domain, seed, split: "samples" }, i, { map: false }).image,
          size,
        )),
      { cols },
    );
  const paired: PixelImage[] = [];
  for (let row = 0; row < Math.ceil(rows / 2); row++) {
    const pairs = Array.from(
      { length: cols },
      (_, i) => r.renderIndex({ domain: "paired", seed, split: "samples" }, row * cols + i),
    );
    paired.push(...pairs.map((s) => toPixelImage(s.synthetic!, size)));
    paired.push(...pairs.map((s) => toPixelImage(s.image, size)));
  }
  const base = sweepBase(r);
  const yaws = [30, 20, 10, 0, -10, -20, -30];
  const pitches = [20, 0, -20];
  const sweep: PixelImage[] = [];
  for (const pitch of pitches) {
    for (const yaw of yaws) {
      const p = { ...base, pitch: pitch * DEG, yaw: yaw * DEG };
      sweep.push(
        toPixelImage(r.renderParams(p, "synthetic", undefined, { map: false }).image, size),
      );
    }
  }
  const one = r.renderIndex({ domain: "paired", seed, split: "samples" }, 3);
  const up = (im: PixelImage) => upscaleNearest(im, 4);
  const anatomy = tileImages([
    up(toPixelImage(one.synthetic!, size)),
    up(toPixelImage(one.image, size)),
    up(colorizeMap(one.map, size)),
    drawLandmarks(toPixelImage(one.synthetic!, size), one.landmarks, 4),
  ], { cols: 4, padding: 4 });
  return {
    synthetic: grid("synthetic"),
    real: grid("real"),
    paired: tileImages(paired, { cols }),
    sweep: tileImages(sweep, { cols: yaws.length }),
    anatomy,
  };
}

/** The parameters of a fixed, frontal, well-lit eye for sweeps (gaze set by the caller). */
export function sweepBase(renderer: EyeRenderer = new EyeRenderer()): EyeParams {
  const p = renderer.sampleParams(new Rng("eyegan-sweep"), {
    pitchDeg: { type: "const", value: 0 },
    yawDeg: { type: "const", value: 0 },
    headPitchDeg: { type: "const", value: 0 },
    headYawDeg: { type: "const", value: 0 },
    headRollDeg: { type: "const", value: 0 },
    maxRelPitchDeg: 30,
    maxRelYawDeg: 40,
    eyeWidth: { type: "const", value: 30 },
    openness: { type: "const", value: 1.1 },
    lowerLid: { type: "const", value: 1 },
    irisRadius: { type: "const", value: 5.9 },
    pupilRadius: { type: "const", value: 2 },
    creaseHeight: { type: "const", value: 4.5 },
    canthalTiltDeg: { type: "const", value: 3 },
    skinTone: { type: "const", value: 0.25 },
    irisWeights: [1, 0, 0, 0, 0, 0],
    lightElevationDeg: { type: "const", value: 25 },
    lightIntensity: { type: "const", value: 0.8 },
    ambient: { type: "const", value: 0.4 },
    zoom: { type: "const", value: 1 },
    shiftX: { type: "const", value: 0 },
    shiftY: { type: "const", value: 0 },
  });
  return p;
}

/** File names {@link writeDomainSamples} writes. */
export const SAMPLE_FILES = {
  synthetic: "synthetic.png",
  real: "target.png",
  paired: "paired.png",
  sweep: "gaze_sweep.png",
  anatomy: "anatomy.png",
} as const;

/**
 * Writes the {@link domainSamples} as PNG files into `dir` (grids enlarged 2x, the anatomy
 * sheet as is) and returns the paths with their sizes in bytes.
 */
export async function writeDomainSamples(
  dir: string,
  options: DomainSamplesOptions & { scale?: number } = {},
): Promise<{ path: string; bytes: number }[]> {
  const samples = domainSamples(options);
  await Deno.mkdir(dir, { recursive: true });
  const out: { path: string; bytes: number }[] = [];
  for (const key of Object.keys(SAMPLE_FILES) as (keyof DomainSamples)[]) {
    const scale = key === "anatomy" ? 1 : options.scale ?? 2;
    const image = tileImages([samples[key]], { padding: 0, scale });
    const png = await encodePng(image);
    const path = `${dir.replace(/\/+$/, "")}/${SAMPLE_FILES[key]}`;
    await Deno.writeFile(path, png);
    out.push({ path, bytes: png.length });
  }
  return out;
}
