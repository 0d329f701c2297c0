/**
 * Paired evaluation: how close a translator's output G(x) is to the ground truth y on held-out
 * pairs, pixel by pixel. The project's paired data sets (`make-data --domain paired`) hold, for
 * each parameter set, the synthetic render (`synthetic.npy`), its target-domain twin
 * (`images.npy`) and the semantic class-id map (`maps.npy`), pixel-aligned. So any refiner
 * (SimGAN, CycleGAN, GazeGAN, pix2pix `twins`) is scored on the same pairs: synthetic render in,
 * compared with the twin; a pix2pix `maps` model takes the (encoded) map instead.
 *
 * ## Metrics (per image, then mean and sample std over images)
 *
 * Outputs are quantised to 8 bits first, exactly as refined data sets are written
 * (`quantiseImages`: `round((v + 1) * 127.5)` clipped), and compared with the twin's bytes:
 *
 * - `l1`: mean |G(x) - y| on the [-1, 1] scale (bytes / 127.5), the pix2pix training L1;
 * - `psnr`: 10 log10(255^2 / MSE) in dB over the image's bytes, capped at {@link PSNR_CAP_DB}
 *   for identical images;
 * - `ssim`: Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
 *   L = 255, over the positions where the window fits (no padding), averaged over positions and
 *   channels (as `skimage.metrics.structural_similarity(..., gaussian_weights=True,
 *   use_sample_covariance=False, data_range=255)`).
 *
 * With a synthetic input, `identity` also scores the raw render against its twin: the floor a
 * refiner must beat (the twins differ by appearance only, not by geometry).
 *
 * ## The segmentation score (pix2pix's FCN-score)
 *
 * Given a segmenter S (`lib/eval/segmentation.ts`: a small U-Net trained on a paired training
 * set's target-domain twins to predict their class-id maps; `eval-pairs` trains or loads one
 * from its cache), `segmentation` also records how well S recovers each pair's class map
 * (`maps.npy`) from G(x): per-pixel accuracy, mean per-class accuracy and mean class IoU over
 * the whole set (definitions, and how absent classes count, in `segmentation.ts`). For a `maps`
 * translator the map is G's own input; for a refiner it is the render's map, which a refined
 * render should keep (refinement changes appearance, not the eye's layout). Reference rows: S
 * on the ground-truth twins (`twins`: S's own error, the upper bound) and, with a synthetic
 * input, S on the raw render (`identity`: the floor). S is trained on this toolkit's target
 * domain, so, like KID, the numbers are specific to it.
 *
 * ## The realism score (a real-vs-G(x) classifier)
 *
 * L1, PSNR, SSIM and the segmentation score all measure agreement with the twin and its layout,
 * so they reward a blurry average eye; pix2pix's cGAN term is there to make outputs *realistic*
 * (sharp, textured). Given classifier settings, `realism` records the held-out accuracy of the
 * small real-vs-refined CNN of `lib/eval/turing.ts` (`visualTuringTest`: 50% = it cannot tell
 * them apart, 100% = every image is recognisable), trained and tested with real = the pairs'
 * ground-truth target-domain twins (`images.npy`) and the other side = G(x) of the same pairs,
 * both as 8-bit images (G(x) quantised as above, then `v / 127.5 - 1`), with its standard error
 * and held-out n; and, with a synthetic input, the same with the raw renders as the other side
 * (`identity`: the floor, raw renders vs twins). Lower is more realistic.
 *
 * The two sides are *paired* (twin i and G(x_i) are the same eye). That is fine for a
 * classifier test (it must still tell them apart by appearance), and the split is by pair
 * (`visualTuringTest`'s `pairs` option): one seeded permutation splits both sides, so the
 * training and held-out images are disjoint and no held-out eye was seen in training under
 * either label. Each side has the evaluated pairs (at most the classifier's `maxPerClass`);
 * `testFraction` of them are held out (n = both sides' held-out images). Unlike the gaze
 * protocol's classifier (target *test* images against refined *training* renders) the real side
 * here is the paired test set's twins, so the two numbers are not interchangeable. The
 * classifier settings, seed included, are recorded (`realism.classifier`) and are one of the
 * file's settings ({@link realismSettingsKey}).
 *
 * ## Comparing methods: whose distribution the pairs come from
 *
 * A generated paired set draws its parameters from the target domain's distribution
 * (`REAL_SHAPES`, `lib/data/domains/shapes.ts`; recorded as `data.domain` and
 * `data.parameters` from its `meta.json`). That is pix2pix's own training distribution, while
 * the unpaired refiners (SimGAN, CycleGAN, GazeGAN) were trained on synthetic renders drawn from
 * `SYNTHETIC_SHAPES`: uniform gaze over the box instead of forward-down, smaller head poses,
 * open eyes, smaller irises of every colour, exact framing, other skin tones and lighting. So on
 * the same held-out twins pix2pix is scored in-distribution and the others on inputs partly
 * outside what they were trained on; read a cross-method comparison with that in mind.
 *
 * ## The file: `RUN/paired_eval.json`
 *
 * {@link PairedEvalFile}, format {@link PAIRED_EVAL_FORMAT}, written atomically by
 * {@link runPairedEval} (a temporary file in the same folder, renamed over the old one); a
 * separate file from the gaze protocol's `eval.json`, so the two evaluations are made and
 * replaced independently. `deno task eval-pairs --refiner RUN` writes it for any run whose
 * method can be loaded ({@link loadPairedTranslator}), and refuses to replace one made with
 * other settings ({@link checkPairedEvalTarget}).
 *
 * @example
 * ```ts ignore
 * import { loadPairedTranslator, runPairedEval } from "./paired.ts";
 * const t = await loadPairedTranslator("runs/cyclegan-quick-seed0");
 * const file = await runPairedEval(t, {
 *   paired: "data/generated/gap-paired-test-n1000-s0",
 *   out: "runs/cyclegan-quick-seed0/paired_eval.json",
 * });
 * console.log(file.metrics.ssim.mean, file.identity?.ssim.mean);
 * ```
 *
 * @module
 */
import { Dataset, toFloat } from "../data/dataset.ts";
import { readRunConfig } from "../train/run.ts";
import { canonicalPath, exists, readJson, writeJsonAtomic } from "../util/fs.ts";
import { UsageError } from "../util/cli.ts";
import { ProgressBar } from "../util/progress.ts";
import { seedStat } from "../util/stats.ts";
import {
  type ConfusionMatrix,
  confusionMatrix,
  emptyConfusion,
  type ObtainedSegmenter,
  type SegmentationScores,
  segmentationScores,
  type Segmenter,
  type SegmenterConfig,
  segmentImages,
} from "./segmentation.ts";
import type { ClassifierSummary } from "./eval_file.ts";
import { TURING_DEFAULTS, type TuringConfig, visualTuringTest } from "./turing.ts";
import {
  importMethodModule,
  loadRefinerFromRun,
  quantiseImages,
  type RefineFn,
  type Refiner,
} from "./refiner.ts";

/** Format tag of `paired_eval.json`; bump it when the schema changes. */
export const PAIRED_EVAL_FORMAT = "eyegan-paired-eval/1";

/** File name of the paired evaluation inside a run folder. */
export const PAIRED_EVAL_FILE = "paired_eval.json";

/** PSNR of identical images (whose MSE is 0), in dB. */
export const PSNR_CAP_DB = 100;

/** SSIM's window: size, Gaussian sigma, and the stabilising constants' K1, K2. */
export const SSIM_SETTINGS = { window: 11, sigma: 1.5, k1: 0.01, k2: 0.03, range: 255 } as const;

/** Image size of the paired metrics. */
export interface PairShape {
  height: number;
  width: number;
  channels: number;
}

/** Mean and sample standard deviation (n - 1; 0 for one image) over images. */
export interface MetricStat {
  mean: number;
  std: number;
}

/** The paired metrics of a set of images. */
export interface PairedMetrics {
  /** Images compared. */
  count: number;
  /** Mean |G(x) - y| on the [-1, 1] scale. */
  l1: MetricStat;
  /** dB, peak 255, capped at {@link PSNR_CAP_DB}. */
  psnr: MetricStat;
  /** Structural similarity in [-1, 1] (1 = identical). */
  ssim: MetricStat;
}

/** The metrics of one pair of images. */
export interface ImagePairMetrics {
  l1: number;
  psnr: number;
  ssim: number;
}

function checkPair(a: Uint8Array, b: Uint8Array, shape: PairShape, what: string): number {
  const per = shape.height * shape.width * shape.channels;
  if (!(per > 0) || a.length !== b.length || a.length % per !== 0) {
    throw new RangeError(
      `${what}: ${a.length} and ${b.length} values are not the same whole number of ` +
        `${shape.height}x${shape.width}x${shape.channels} images`,
    );
  }
  return a.length / per;
}

/** The normalised 1-D Gaussian of SSIM's window. */
function gaussian1d(size: number, sigma: number): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) g[i] /= sum;
  return g;
}

const GAUSS = gaussian1d(SSIM_SETTINGS.window, SSIM_SETTINGS.sigma);

/**
 * SSIM of one image pair (bytes, `[H, W, C]` row-major); see the module documentation.
 *
 * @throws {RangeError} when the images differ in size or are smaller than the 11x11 window.
 */
export function ssim(a: Uint8Array, b: Uint8Array, shape: PairShape): number {
  const n = checkPair(a, b, shape, "ssim");
  if (n !== 1) throw new RangeError(`ssim: expected one image, got ${n}`);
  const { height: h, width: w, channels: c } = shape;
  const k = SSIM_SETTINGS.window;
  if (h < k || w < k) {
    throw new RangeError(`ssim: images of ${h}x${w} are smaller than the ${k}x${k} window`);
  }
  const c1 = (SSIM_SETTINGS.k1 * SSIM_SETTINGS.range) ** 2;
  const c2 = (SSIM_SETTINGS.k2 * SSIM_SETTINGS.range) ** 2;
  const oh = h - k + 1, ow = w - k + 1;
  // five maps filtered along rows, then columns: a, b, a^2, b^2, ab
  const rows = Array.from({ length: 5 }, () => new Float64Array(h * ow));
  let total = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < ow; x++) {
        let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (let t = 0; t < k; t++) {
          const i = (y * w + x + t) * c + ch;
          const va = a[i], vb = b[i], g = GAUSS[t];
          sa += g * va;
          sb += g * vb;
          saa += g * va * va;
          sbb += g * vb * vb;
          sab += g * va * vb;
        }
        const j = y * ow + x;
        rows[0][j] = sa;
        rows[1][j] = sb;
        rows[2][j] = saa;
        rows[3][j] = sbb;
        rows[4][j] = sab;
      }
    }
    let sum = 0;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const m = [0, 0, 0, 0, 0];
        for (let t = 0; t < k; t++) {
          const j = (y + t) * ow + x, g = GAUSS[t];
          for (let q = 0; q < 5; q++) m[q] += g * rows[q][j];
        }
        const [mu_a, mu_b, e_aa, e_bb, e_ab] = m;
        const va = e_aa - mu_a * mu_a, vb = e_bb - mu_b * mu_b, cov = e_ab - mu_a * mu_b;
        // ((2 mu_a mu_b + C1)(2 cov + C2)) / ((mu_a^2 + mu_b^2 + C1)(var_a + var_b + C2))
        sum += ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) /
          ((mu_a * mu_a + mu_b * mu_b + c1) * (va + vb + c2));
      }
    }
    total += sum / (oh * ow);
  }
  return total / c;
}

/** L1 (on the [-1, 1] scale), PSNR and SSIM of one image pair of bytes. */
export function imagePairMetrics(a: Uint8Array, b: Uint8Array, shape: PairShape): ImagePairMetrics {
  checkPair(a, b, shape, "imagePairMetrics");
  let abs = 0, sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    abs += Math.abs(d);
    sq += d * d;
  }
  const mse = sq / a.length;
  // 10 log10(255^2 / MSE), capped for identical images
  const psnr = mse === 0 ? PSNR_CAP_DB : Math.min(PSNR_CAP_DB, 10 * Math.log10(255 * 255 / mse));
  return { l1: abs / a.length / 127.5, psnr, ssim: ssim(a, b, shape) };
}

/** Accumulates per-image metrics into means and sample standard deviations ({@link seedStat}). */
class MetricAccumulator {
  #values: ImagePairMetrics[] = [];

  add(m: ImagePairMetrics): void {
    this.#values.push(m);
  }

  result(): PairedMetrics {
    const stat = (key: keyof ImagePairMetrics): MetricStat => {
      const { mean, std } = seedStat(this.#values.map((v) => v[key]));
      return { mean, std };
    };
    return { count: this.#values.length, l1: stat("l1"), psnr: stat("psnr"), ssim: stat("ssim") };
  }
}

/**
 * The paired metrics of N predicted images against N ground-truth images (bytes, `[N, H, W, C]`).
 *
 * @throws {RangeError} for arrays that are not the same number of images of `shape`.
 */
export function pairedMetrics(
  predicted: Uint8Array,
  truth: Uint8Array,
  shape: PairShape,
): PairedMetrics {
  const n = checkPair(predicted, truth, shape, "pairedMetrics");
  const per = shape.height * shape.width * shape.channels;
  const acc = new MetricAccumulator();
  for (let i = 0; i < n; i++) {
    const s = i * per, e = s + per;
    acc.add(imagePairMetrics(predicted.subarray(s, e), truth.subarray(s, e), shape));
  }
  return acc.result();
}

/** What a paired data set feeds a translator: the synthetic render, or the class-id map. */
export type PairedInput = "synthetic" | "maps";

/** A translator from a paired set's inputs to target-domain images. */
export interface PairedTranslator {
  /** Shown in the file and the summary, e.g. `pix2pix (twins)`, `CycleGAN`. */
  name: string;
  /** Which array of the paired set is its input. */
  input: PairedInput;
  /**
   * The translation: inputs `[N, H, W, C_x]` in [-1, 1] (synthetic renders as `v / 127.5 - 1`,
   * or maps after `encodeMaps`) to images `[N, H, W, C]` in [-1, 1].
   */
  translate: RefineFn;
  /** For `maps`: class ids `[N, H, W, 1]` to the network's input `[N, H, W, C_x]`. */
  encodeMaps?: (ids: Uint8Array) => Float32Array;
  /** Images per call (default 256). */
  batchSize?: number;
  /** Where it came from (run, checkpoint, step), recorded in the file. */
  source?: Record<string, unknown>;
  /** Frees its weights; called by whoever loaded it. */
  dispose?: () => void;
}

/** A {@link Refiner} (synthetic images in) as a {@link PairedTranslator}. */
export function refinerTranslator(refiner: Refiner): PairedTranslator {
  return {
    name: refiner.name,
    input: "synthetic",
    translate: refiner.refine,
    batchSize: refiner.batchSize,
    source: refiner.source,
    dispose: refiner.dispose,
  };
}

/** Builds a method's {@link PairedTranslator} from one of its run folders. */
export type TranslatorLoader = (runDir: string) => Promise<PairedTranslator>;

const translatorLoaders = new Map<string, TranslatorLoader>();

/**
 * Registers how a method's runs become paired translators, for methods whose input is not (or
 * not always) a synthetic image (pix2pix `maps`). Methods without one are loaded through their
 * refiner loader (`registerRefinerLoader`) as synthetic-image translators.
 */
export function registerTranslatorLoader(method: string, loader: TranslatorLoader): void {
  if (!/^[A-Za-z0-9_-]+$/.test(method)) {
    throw new RangeError(`registerTranslatorLoader: bad method name '${method}'`);
  }
  translatorLoaders.set(method, loader);
}

/**
 * The translator of a run folder: the method's translator loader when it registered one (its
 * module is imported first, as `loadRefinerFromRun` does), else its refiner, as a translator of
 * synthetic renders.
 */
export async function loadPairedTranslator(runDir: string): Promise<PairedTranslator> {
  const { method } = await readRunConfig(runDir);
  await importMethodModule(method);
  const loader = translatorLoaders.get(method);
  if (loader) {
    const t = await loader(runDir);
    return { ...t, source: { run: runDir, method, ...(t.source ?? {}) } };
  }
  return refinerTranslator(await loadRefinerFromRun(runDir));
}

/** What {@link evaluatePairs} measured. */
export interface PairedEvaluation {
  /** G(x) against the twins. */
  metrics: PairedMetrics;
  /** The synthetic input itself against the twins (synthetic input only). */
  identity?: PairedMetrics;
  /** Fraction of output values outside [-1, 1] (clipped before quantising). */
  clippedFraction: number;
  /** Pairs evaluated (the first ones in file order). */
  count: number;
  /** The segmentation scores, when a segmenter was given. */
  segmentation?: SegmentationResult;
  /** The realism score, when classifier settings were given. */
  realism?: RealismResult;
}

/** The realism score of a paired evaluation: real-vs-X classifiers with real = the twins. */
export interface RealismResult {
  /** Held-out accuracy of twins vs G(x) (0.5 = indistinguishable). */
  metrics: ClassifierSummary;
  /** Twins vs the raw synthetic renders (synthetic input only: the floor). */
  identity?: ClassifierSummary;
  /** The classifier settings used (both classifiers). */
  classifier: TuringConfig;
}

/** The segmentation scores of a paired evaluation against the pairs' class maps. */
export interface SegmentationResult {
  /** S on G(x). */
  metrics: SegmentationScores;
  /** S on the ground-truth twins: S's own error (the upper bound). */
  twins: SegmentationScores;
  /** S on the raw synthetic render (synthetic input only: the floor). */
  identity?: SegmentationScores;
}

/** Options of {@link evaluatePairs}. */
export interface EvaluatePairsOptions {
  /** Evaluate the first `limit` pairs only (default all). */
  limit?: number;
  /** Images per call (default the translator's, else 256). */
  batchSize?: number;
  /** No progress bar. */
  quiet?: boolean;
  /**
   * Also score G(x), the twins and (synthetic input) the raw renders with this segmenter
   * against the pairs' `maps.npy` (see the module documentation).
   */
  segmenter?: Segmenter;
  /**
   * Also train and test real-vs-G(x) classifiers (and, synthetic input, real-vs-raw) with these
   * overrides of `TURING_DEFAULTS` (`{}`: the defaults); see the module documentation.
   */
  realism?: Partial<TuringConfig>;
}

/**
 * Translates the inputs of a paired data set (in file order, in chunks) and scores the outputs
 * against its `images.npy` (see the module documentation).
 *
 * @throws when the data set lacks the translator's input array, or the translator returns the
 *   wrong number of values or a non-finite one.
 */
export async function evaluatePairs(
  ds: Dataset,
  translator: PairedTranslator,
  options: EvaluatePairsOptions = {},
): Promise<PairedEvaluation> {
  const input = translator.input;
  if (!ds.arrays.includes(input)) {
    throw new Error(
      `${ds.dir}: has no ${input}.npy, which '${translator.name}' translates; paired metrics ` +
        `need a paired data set (deno task make-data --domain paired)`,
    );
  }
  const seg = options.segmenter;
  if (seg && !ds.arrays.includes("maps")) {
    throw new Error(`${ds.dir}: has no maps.npy, which the segmentation score compares with`);
  }
  if (
    seg &&
    (seg.config.height !== ds.height || seg.config.width !== ds.width ||
      seg.config.channels !== ds.channels)
  ) {
    throw new Error(
      `${ds.dir}: images are ${ds.height}x${ds.width}x${ds.channels}, the segmenter was ` +
        `trained on ${seg.config.height}x${seg.config.width}x${seg.config.channels}`,
    );
  }
  const realismConfig: TuringConfig | undefined = options.realism
    ? { ...TURING_DEFAULTS, ...options.realism }
    : undefined;
  if (input === "maps" && !translator.encodeMaps) {
    throw new Error(`paired translator '${translator.name}' takes maps but has no encodeMaps`);
  }
  const limit = options.limit ?? ds.count;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`evaluatePairs: limit must be an integer >= 1, got ${limit}`);
  }
  const n = Math.min(limit, ds.count);
  if (realismConfig && Math.min(n, realismConfig.maxPerClass) < 4) {
    throw new RangeError(
      `evaluatePairs: the realism score needs at least 4 pairs, got ${
        Math.min(n, realismConfig.maxPerClass)
      } (evaluate more pairs, or skip it: --no-realism)`,
    );
  }
  const batchSize = options.batchSize ?? translator.batchSize ?? 256;
  const shape = { height: ds.height, width: ds.width, channels: ds.channels };
  const per = shape.height * shape.width * shape.channels;
  const acc = new MetricAccumulator();
  const idAcc = input === "synthetic" ? new MetricAccumulator() : undefined;
  const k = seg?.config.classes ?? 0;
  const conf: { out: ConfusionMatrix; twins: ConfusionMatrix; identity?: ConfusionMatrix } = {
    out: emptyConfusion(k),
    twins: emptyConfusion(k),
    ...(input === "synthetic" ? { identity: emptyConfusion(k) } : {}),
  };
  const bar = new ProgressBar(n, {
    label: `pairs (${translator.name})`,
    unit: "img",
    quiet: options.quiet,
  });
  let clipped = 0, done = 0;
  // the realism score's images (bytes), the first maxPerClass pairs: twins, G(x), raw renders
  const keep = realismConfig ? Math.min(n, realismConfig.maxPerClass) : 0;
  const kept = {
    twins: new Uint8Array(keep * per),
    out: new Uint8Array(keep * per),
    raw: input === "synthetic" ? new Uint8Array(keep * per) : undefined,
  };
  const include: ("synthetic" | "maps")[] = seg && input !== "maps" ? [input, "maps"] : [input];
  const batches = ds.batches({ batchSize, include, format: "uint8", end: n });
  for await (const batch of batches) {
    const b = batch.indices.length;
    const raw = (input === "synthetic" ? batch.synthetic : batch.maps) as Uint8Array;
    const x = input === "maps" ? translator.encodeMaps!(raw) : toFloat(raw);
    const inChannels = x.length / (b * shape.height * shape.width);
    const out = await translator.translate(x, [b, shape.height, shape.width, inChannels]);
    if (!(out instanceof Float32Array) || out.length !== b * per) {
      throw new RangeError(
        `paired translator '${translator.name}' returned ${
          (out as { length?: number } | undefined)?.length
        } values for ${b} images of ${per} values`,
      );
    }
    const q = quantiseImages(out);
    if (q.firstNonFinite >= 0) {
      throw new RangeError(
        `paired translator '${translator.name}': output image ${
          done + Math.floor(q.firstNonFinite / per)
        } has a non-finite value`,
      );
    }
    clipped += q.clipped;
    const truth = batch.images as Uint8Array;
    for (let i = 0; i < b; i++) {
      const s = i * per, e = s + per;
      acc.add(imagePairMetrics(q.bytes.subarray(s, e), truth.subarray(s, e), shape));
      idAcc?.add(imagePairMetrics(raw.subarray(s, e), truth.subarray(s, e), shape));
    }
    if (seg) {
      const maps = batch.maps as Uint8Array;
      confusionMatrix(await segmentImages(seg, q.bytes), maps, k, conf.out);
      confusionMatrix(await segmentImages(seg, truth), maps, k, conf.twins);
      if (conf.identity) confusionMatrix(await segmentImages(seg, raw), maps, k, conf.identity);
    }
    if (done < keep) {
      const m = Math.min(b, keep - done) * per;
      kept.twins.set(truth.subarray(0, m), done * per);
      kept.out.set(q.bytes.subarray(0, m), done * per);
      kept.raw?.set(raw.subarray(0, m), done * per);
    }
    done += b;
    bar.update(done);
  }
  bar.finish();
  let realism: RealismResult | undefined;
  if (realismConfig) {
    const cfg = realismConfig;
    const images = (bytes: Uint8Array) => ({
      data: toFloat(bytes),
      shape: [keep, shape.height, shape.width, shape.channels] as const,
    });
    const twins = images(kept.twins);
    const classify = async (what: string, other: Uint8Array): Promise<ClassifierSummary> => {
      const cbar = new ProgressBar(cfg.steps, {
        label: `classifier ${what}`,
        unit: "step",
        quiet: options.quiet,
      });
      const { config: _config, ...summary } = await visualTuringTest(twins, images(other), {
        ...cfg,
        pairs: true,
        onStep: ({ step, loss }) => cbar.update(step, { loss }),
      });
      cbar.finish();
      return summary;
    };
    realism = {
      metrics: await classify("twins vs G(x)", kept.out),
      ...(kept.raw ? { identity: await classify("twins vs raw synthetic", kept.raw) } : {}),
      classifier: cfg,
    };
  }
  return {
    metrics: acc.result(),
    ...(idAcc ? { identity: idAcc.result() } : {}),
    clippedFraction: n > 0 ? clipped / (n * per) : 0,
    count: n,
    ...(seg
      ? {
        segmentation: {
          metrics: segmentationScores(conf.out),
          twins: segmentationScores(conf.twins),
          ...(conf.identity ? { identity: segmentationScores(conf.identity) } : {}),
        },
      }
      : {}),
    ...(realism ? { realism } : {}),
  };
}

/** Contents of `RUN/paired_eval.json`. */
export interface PairedEvalFile {
  format: typeof PAIRED_EVAL_FORMAT;
  /** The translator evaluated. */
  translator: { name: string; input: PairedInput; source: unknown };
  /**
   * The paired set: its directory, pairs evaluated (`count`) of `total`, image size, and from
   * its `meta.json` the split, the `domain` and the `parameters` (the shape distribution the
   * pairs were drawn from: for generated paired sets the target domain's, `REAL_SHAPES`, not the
   * synthetic training sets' `SYNTHETIC_SHAPES`; `null` when `meta.json` does not say).
   */
  data: {
    dir: string;
    count: number;
    total: number;
    height: number;
    width: number;
    channels: number;
    split: unknown;
    domain: string | null;
    parameters: unknown;
  };
  /** G(x) against the ground-truth twins. */
  metrics: PairedMetrics;
  /** The raw synthetic render against its twin (synthetic input only). */
  identity?: PairedMetrics;
  /** Fraction of output values outside [-1, 1], clipped before quantising. */
  clipped_fraction: number;
  /**
   * The segmentation score (FCN-score) against the pairs' class maps, when a segmenter was
   * given (absent in files made without one, e.g. at training time).
   */
  segmentation?: PairedSegmentation;
  /**
   * The realism score (real-vs-G(x) classifier accuracy, real = the twins), when classifier
   * settings were given (absent in files made without it, e.g. at training time).
   */
  realism?: PairedRealism;
  /** What the numbers mean (`segmentation`, `realism` only in files that have the score). */
  definitions: Record<"l1" | "psnr" | "ssim", string> & {
    segmentation?: string;
    realism?: string;
  };
  seconds: number;
  created_by: string;
}

/** Where a paired evaluation's segmenter came from: its training set, settings and key. */
export interface SegmenterRecord {
  /** Its cache key (training set identity, settings, backend; `segmentation.ts`). */
  key: string;
  /** The paired training set it was trained on (target-domain images -> maps). */
  train: string;
  /** Pairs in that set. */
  train_count: number;
  /** The resolved settings. */
  config: SegmenterConfig;
  /** Loaded from the cache (else trained for this evaluation). */
  cached: boolean;
  /** Training loss of its last step, and the seconds its training took. */
  final_loss: number;
  train_seconds: number;
}

/**
 * The {@link SegmenterRecord} of a segmenter from `obtainSegmenter`, trained on the paired set
 * at `train` (its path as given) of `count` pairs; `key` is its cache key (`got.key` is `null`
 * when no cache was used, so the caller passes the key it computed).
 */
export function segmenterRecord(
  got: ObtainedSegmenter,
  train: { path: string; count: number; key: string },
): SegmenterRecord {
  return {
    key: train.key,
    train: train.path,
    train_count: train.count,
    config: got.seg.config,
    cached: got.cached,
    final_loss: got.finalLoss,
    train_seconds: got.trainSeconds,
  };
}

/** `paired_eval.json`'s `segmentation`: {@link SegmentationResult} and the segmenter. */
export interface PairedSegmentation extends SegmentationResult {
  segmenter: SegmenterRecord;
}

/** `paired_eval.json`'s `realism`: {@link RealismResult}, which images and how they were split. */
export interface PairedRealism extends RealismResult {
  /** The real side: the evaluated pairs' ground-truth twins. */
  real_set: "paired_twins";
  /** Both sides split by pair with one permutation (`visualTuringTest`'s `pairs`). */
  split: "by_pair";
}

/** The definition of the realism score recorded in files that have it. */
export const REALISM_DEFINITION =
  "held-out accuracy of a small CNN trained to tell the pairs' ground-truth twins (real) from " +
  "G(x) of the same pairs (identity: the raw renders), both 8-bit; both sides split by pair " +
  "with one seeded permutation (testFraction held out); 0.5 = indistinguishable, lower is " +
  "more realistic; stdError = sqrt(p (1 - p) / n) (lib/eval/turing.ts)";

/**
 * The realism settings as one comparable string (every {@link TuringConfig} field and the split),
 * recorded as the `realism` of {@link PairedEvalSettings}.
 */
export function realismSettingsKey(config: TuringConfig): string {
  const c = config;
  return `steps ${c.steps}, batch ${c.batchSize}, lr ${c.learningRate}, filters ` +
    `${c.filters.join("/")}, test ${c.testFraction}, max/class ${c.maxPerClass}, ` +
    `seed ${c.seed}, split by pair`;
}

/** The definition of the segmentation score recorded in files that have it. */
export const SEGMENTATION_DEFINITION =
  "segmenter S (U-Net trained on target-domain twins -> class maps) applied to the 8-bit " +
  "images; confusion matrix summed over the set; pixel_accuracy = correct / pixels; " +
  "class_accuracy = mean over classes with true pixels of correct / true; class_iou = mean " +
  "over classes with a non-empty union of intersection / union (FCN score.py)";

/** The definitions recorded in every file. */
export const PAIRED_DEFINITIONS: PairedEvalFile["definitions"] = {
  l1: "mean |G(x) - y| on the [-1, 1] scale, outputs quantised to 8 bits; mean over images",
  psnr: `10 log10(255^2 / MSE) dB per image (capped at ${PSNR_CAP_DB}); mean over images`,
  ssim: "Gaussian 11x11 window, sigma 1.5, K1 0.01, K2 0.03, L 255, valid positions; " +
    "mean over positions, channels, then images",
};

/** Options of {@link runPairedEval}. */
export interface RunPairedEvalOptions extends EvaluatePairsOptions {
  /** The paired data set. */
  paired: string;
  /** Where to write the file (e.g. `RUN/paired_eval.json`); omit to write nothing. */
  out?: string;
  /** Recorded as `created_by`. */
  command?: string;
  /** With `segmenter`: where it came from, recorded as `segmentation.segmenter`. */
  segmenterRecord?: SegmenterRecord;
}

/**
 * Evaluates a translator on a paired data set ({@link evaluatePairs}) and writes the result as
 * a {@link PairedEvalFile} (atomically) when `out` is given.
 */
export async function runPairedEval(
  translator: PairedTranslator,
  options: RunPairedEvalOptions,
): Promise<PairedEvalFile> {
  const t0 = performance.now();
  const ds = await Dataset.open(options.paired);
  let result: PairedEvaluation;
  let data: PairedEvalFile["data"];
  try {
    result = await evaluatePairs(ds, translator, options);
    data = {
      dir: options.paired,
      count: result.count,
      total: ds.count,
      height: ds.height,
      width: ds.width,
      channels: ds.channels,
      split: ds.meta.split ?? null,
      domain: typeof ds.meta.domain === "string" ? ds.meta.domain : null,
      parameters: ds.meta.parameters ?? null,
    };
  } finally {
    ds.close();
  }
  const file: PairedEvalFile = {
    format: PAIRED_EVAL_FORMAT,
    translator: {
      name: translator.name,
      input: translator.input,
      source: translator.source ?? null,
    },
    data,
    metrics: result.metrics,
    ...(result.identity ? { identity: result.identity } : {}),
    ...(result.segmentation
      ? {
        segmentation: {
          ...result.segmentation,
          segmenter: options.segmenterRecord ?? unrecordedSegmenter(options.segmenter!),
        },
      }
      : {}),
    ...(result.realism
      ? { realism: { ...result.realism, real_set: "paired_twins", split: "by_pair" } as const }
      : {}),
    clipped_fraction: result.clippedFraction,
    definitions: {
      ...PAIRED_DEFINITIONS,
      ...(result.segmentation ? { segmentation: SEGMENTATION_DEFINITION } : {}),
      ...(result.realism ? { realism: REALISM_DEFINITION } : {}),
    },
    seconds: (performance.now() - t0) / 1000,
    created_by: options.command ?? "runPairedEval()",
  };
  if (options.out) await writeJsonAtomic(options.out, file);
  return file;
}

/** A record for a segmenter given without one: its config, nothing known of its training. */
function unrecordedSegmenter(seg: Segmenter): SegmenterRecord {
  return {
    key: "unrecorded",
    train: "unrecorded",
    train_count: 0,
    config: seg.config,
    cached: false,
    final_loss: NaN,
    train_seconds: NaN,
  };
}

/**
 * What makes two paired evaluations give the same result: the paired set (`dir`, its `total`
 * pairs), the pairs scored (the first `count`), the translator (`name`, `input`, the `run`
 * and training `step` it came from; `null` when not recorded), the segmenter's cache key
 * (`segmenter`: its training set, settings and backend; `null` without a segmentation score)
 * and the realism classifier's settings (`realism`: {@link realismSettingsKey}; `null` without a
 * realism score).
 */
export interface PairedEvalSettings {
  dir: string;
  count: number;
  total: number;
  translator: string;
  input: PairedInput;
  run: string | null;
  step: number | null;
  segmenter: string | null;
  realism: string | null;
}

/** The {@link PairedEvalSettings} a written file was made with. */
export function pairedEvalSettings(file: PairedEvalFile): PairedEvalSettings {
  const src =
    (typeof file.translator.source === "object" && file.translator.source !== null
      ? file.translator.source
      : {}) as Record<string, unknown>;
  return {
    dir: file.data.dir,
    count: file.data.count,
    total: file.data.total,
    translator: file.translator.name,
    input: file.translator.input,
    run: typeof src.run === "string" ? src.run : null,
    step: typeof src.step === "number" ? src.step : null,
    segmenter: typeof file.segmentation?.segmenter?.key === "string"
      ? file.segmentation.segmenter.key
      : null,
    realism: typeof file.realism?.classifier === "object" && file.realism.classifier !== null
      ? realismSettingsKey({ ...TURING_DEFAULTS, ...file.realism.classifier })
      : null,
  };
}

/**
 * The {@link PairedEvalSettings} that {@link runPairedEval} would record for `translator` on
 * `options.paired` (first `limit` pairs), read from the set's `meta.json` without evaluating.
 */
export async function plannedPairedEvalSettings(
  translator: PairedTranslator,
  options: {
    paired: string;
    limit?: number;
    segmenter?: string | null;
    /** The realism score's overrides of `TURING_DEFAULTS`; omit (or `null`) for none. */
    realism?: Partial<TuringConfig> | null;
  },
): Promise<PairedEvalSettings> {
  const ds = await Dataset.open(options.paired);
  let total: number;
  try {
    total = ds.count;
  } finally {
    ds.close();
  }
  const src = translator.source ?? {};
  return {
    dir: options.paired,
    count: Math.min(options.limit ?? total, total),
    total,
    translator: translator.name,
    input: translator.input,
    run: typeof src.run === "string" ? src.run : null,
    step: typeof src.step === "number" ? src.step : null,
    segmenter: options.segmenter ?? null,
    realism: options.realism
      ? realismSettingsKey({ ...TURING_DEFAULTS, ...options.realism })
      : null,
  };
}

/**
 * How two {@link PairedEvalSettings} differ, one `what: A there, B here` line each (paths
 * compared resolved); empty when they would give the same result.
 *
 * The segmenter: a file without a segmentation score (`null` there, e.g. the one written at
 * training time) does not differ from an evaluation that adds one with the same other settings
 * (the same L1/PSNR/SSIM, plus the score: nothing is lost); a file with a score differs from
 * one without (`segmenter: KEY there, none here`) or with another segmenter (other training
 * set, settings or backend). The realism score follows the same rule: a file without one may
 * gain it; a file with one differs from an evaluation without it or with other classifier
 * settings (`realism: SETTINGS there, none here`).
 */
export async function pairedEvalDifferences(
  there: PairedEvalSettings,
  here: PairedEvalSettings,
): Promise<string[]> {
  const out: string[] = [];
  const show = (v: unknown) => (v === null ? "not recorded" : String(v));
  const differ = (what: string, a: unknown, b: unknown) => {
    if (a !== b) out.push(`${what}: ${show(a)} there, ${show(b)} here`);
  };
  const path = async (what: string, a: string | null, b: string | null) => {
    const same = a === b ||
      (a !== null && b !== null && await canonicalPath(a) === await canonicalPath(b));
    if (!same) out.push(`${what}: ${show(a)} there, ${show(b)} here`);
  };
  await path("paired set", there.dir, here.dir);
  differ("pairs in the set", there.total, here.total);
  differ("pairs evaluated", there.count, here.count);
  differ("translator", there.translator, here.translator);
  differ("input", there.input, here.input);
  await path("run", there.run, here.run);
  differ("translator step", there.step, here.step);
  if (there.segmenter !== null && there.segmenter !== here.segmenter) {
    out.push(`segmenter: ${there.segmenter} there, ${here.segmenter ?? "none"} here`);
  }
  // `?? null`: settings read from elsewhere may predate the field
  const realismThere = there.realism ?? null, realismHere = here.realism ?? null;
  if (realismThere !== null && realismThere !== realismHere) {
    out.push(`realism: ${realismThere} there, ${realismHere ?? "none"} here`);
  }
  return out;
}

/**
 * Refuses to replace an existing paired evaluation at `path` that was made with other settings
 * (another paired set, number of pairs, translator, run or step, segmenter, or realism
 * classifier settings; see
 * {@link pairedEvalDifferences}): the file of a run holds the
 * result written at training time, and an `eval-pairs` with other settings must not silently
 * replace it. A file made with the same settings may be replaced (same result); so may any file
 * with `force`.
 *
 * @throws {UsageError} naming the file and the differences, with the way out (`--out DIR`,
 *   `--force`).
 */
export async function checkPairedEvalTarget(
  path: string,
  planned: PairedEvalSettings,
  options: { force?: boolean } = {},
): Promise<void> {
  if (options.force || !(await exists(path))) return;
  let problem: string;
  try {
    const diffs = await pairedEvalDifferences(
      pairedEvalSettings(await readPairedEval(path)),
      planned,
    );
    if (diffs.length === 0) return;
    problem = `holds a paired evaluation made with other settings (${diffs.join("; ")})`;
  } catch (e) {
    problem = `exists but is not a readable paired evaluation (${(e as Error).message})`;
  }
  throw new UsageError(
    `${path} ${problem}; it would be replaced. Write this evaluation elsewhere with --out DIR, ` +
      `or replace the file with --force`,
  );
}

/**
 * Reads a `paired_eval.json`.
 *
 * @throws naming the file when it is not a paired evaluation of this format.
 */
export async function readPairedEval(path: string): Promise<PairedEvalFile> {
  const v = await readJson<Partial<PairedEvalFile>>(path);
  if (v?.format !== PAIRED_EVAL_FORMAT) {
    throw new Error(
      `${path}: format is ${JSON.stringify(v?.format)}, expected ${PAIRED_EVAL_FORMAT}`,
    );
  }
  for (const k of ["translator", "data", "metrics"] as const) {
    if (typeof v[k] !== "object" || v[k] === null) throw new Error(`${path}: '${k}' is missing`);
  }
  return v as PairedEvalFile;
}

/** Rows of a summary table: the translator and, when scored, the raw renders. */
export function pairedRows(
  file: PairedEvalFile,
): { images: string; l1: number; psnr: number; ssim: number; n: number }[] {
  const row = (images: string, m: PairedMetrics) => ({
    images,
    l1: m.l1.mean,
    psnr: m.psnr.mean,
    ssim: m.ssim.mean,
    n: m.count,
  });
  const rows = [row(`G(x): ${file.translator.name}`, file.metrics)];
  if (file.identity) rows.push(row("raw synthetic x (identity)", file.identity));
  return rows;
}

/** One row of the segmentation table: whose images S segmented, and the three numbers. */
export interface SegmentationRow {
  images: string;
  pixelAccuracy: number;
  classAccuracy: number;
  classIou: number;
}

/**
 * Rows of the segmentation score (empty when the file has none): G(x), then the references,
 * S on the ground-truth twins and, with a synthetic input, on the raw renders.
 */
export function pairedSegmentationRows(file: PairedEvalFile): SegmentationRow[] {
  const s = file.segmentation;
  if (!s) return [];
  const row = (images: string, m: SegmentationScores): SegmentationRow => ({
    images,
    pixelAccuracy: m.pixel_accuracy,
    classAccuracy: m.class_accuracy,
    classIou: m.class_iou,
  });
  const rows = [row(`S(G(x)): ${file.translator.name}`, s.metrics)];
  if (s.identity) rows.push(row("S(raw synthetic x) (identity)", s.identity));
  rows.push(row("S(ground-truth twin y) (S's own error)", s.twins));
  return rows;
}

/** One row of the realism table: whose images the classifier told from the twins. */
export interface RealismRow {
  images: string;
  /** Held-out accuracy (0.5 = indistinguishable), its standard error, held-out images. */
  accuracy: number;
  stdError: number;
  n: number;
}

/** Rows of the realism score (empty when the file has none): G(x), then the raw renders. */
export function pairedRealismRows(file: PairedEvalFile): RealismRow[] {
  const r = file.realism;
  if (!r) return [];
  const row = (images: string, c: ClassifierSummary): RealismRow => ({
    images,
    accuracy: c.accuracy,
    stdError: c.stdError,
    n: c.n,
  });
  const rows = [row(`twins vs G(x): ${file.translator.name}`, r.metrics)];
  if (r.identity) rows.push(row("twins vs raw synthetic x (identity)", r.identity));
  return rows;
}

/** A short markdown table of a paired evaluation, for logs and the tasks' output. */
export function formatPairedSummary(file: PairedEvalFile): string {
  const lines = [
    `paired metrics against the ground-truth twins of ${file.data.dir} ` +
    `(${file.data.count} pairs):`,
    "",
    "| images | L1 ([-1, 1]) | PSNR (dB) | SSIM |",
    "| --- | --- | --- | --- |",
  ];
  for (const r of pairedRows(file)) {
    lines.push(
      `| ${r.images} | ${r.l1.toFixed(4)} | ${r.psnr.toFixed(2)} | ${r.ssim.toFixed(4)} |`,
    );
  }
  const seg = pairedSegmentationRows(file);
  if (seg.length > 0) {
    const sg = file.segmentation!.segmenter;
    lines.push(
      "",
      `segmentation score (FCN-score) against the pairs' class maps; segmenter ${sg.key} ` +
        `(${sg.config.steps} steps on ${sg.train}${sg.cached ? ", from the cache" : ""}):`,
      "",
      "| images | pixel acc. | class acc. | class IoU |",
      "| --- | --- | --- | --- |",
    );
    for (const r of seg) {
      lines.push(
        `| ${r.images} | ${r.pixelAccuracy.toFixed(4)} | ${r.classAccuracy.toFixed(4)} | ` +
          `${r.classIou.toFixed(4)} |`,
      );
    }
  }
  const real = pairedRealismRows(file);
  if (real.length > 0) {
    const c = file.realism!.classifier;
    lines.push(
      "",
      `realism score: held-out accuracy of a classifier of the twins (real) against each ` +
        `(50% = indistinguishable; ${c.steps} steps, seed ${c.seed}, split by pair):`,
      "",
      "| images | accuracy | ± s.e. | n |",
      "| --- | --- | --- | --- |",
    );
    for (const r of real) {
      lines.push(
        `| ${r.images} | ${(100 * r.accuracy).toFixed(1)}% | ${(100 * r.stdError).toFixed(1)} | ` +
          `${r.n} |`,
      );
    }
  }
  return lines.join("\n");
}
