/**
 * The SimGAN evaluation protocol, for any refiner (SimGAN, pix2pix, CycleGAN, GazeGAN, or the
 * identity as a sanity check): does training a gaze estimator on refined synthetic images work
 * better on the target domain than training it on raw synthetic images, do the refined images
 * keep their labels, and do they look like target images?
 *
 * ## Steps ({@link runGazeProtocol})
 *
 * 1. **Refine** every synthetic training image, in chunks, and write the refined images with the
 *    synthetic labels as a data set (8-bit, like every data set), so the estimator trains from
 *    disk exactly as it does on the raw set. It is written to a temporary folder next to
 *    `RUN/refined/` and becomes `RUN/refined/` only in step 5.
 * 2. **Gaze** (SimGAN's Tables 2-3, Figure 7): train the same estimator (same config, steps and
 *    seed) on
 *    - (a) the raw synthetic training set,
 *    - (b) the refined set,
 *    - (c) the target-domain training set (the upper bound; the only use of target labels),
 *
 *    and test all three on the target test set: mean, median, % within d degrees
 *    (`GazeErrorSummary`). (a) and (c) depend only on their training set and the settings, so
 *    they are cached (`estimator_cache.ts`) and several method runs train them once.
 * 3. **Label preservation**: estimator (a) applied to the refined images against the synthetic
 *    labels, next to (a) on the raw images (its fit to its own training set; a refiner that
 *    keeps the gaze scores about the same). With a held-out synthetic test set, also on that set
 *    refined vs raw (not seen by (a)). Then the same with the target-domain estimator (c)
 *    (`by_target`, unless the upper bound is skipped). The two read differently. (a) was trained
 *    on synthetic images, so refined images that really look like target images cost it about
 *    the domain gap even when their gaze is intact. (c) knows the target domain's appearance, so
 *    a refiner that makes images look like target images *and* keeps their gaze lowers (c)'s
 *    error relative to the raw images; the signal is (c) on refined against (c) on raw. (c) never
 *    reaches its own target test error here: it is scored against synthetic labels, whose gaze
 *    range (uniform) is wider than the target domain's (concentrated near the centre), so it
 *    extrapolates on part of them. (c) is also independent of GazeGAN's frozen estimator E
 *    (which is (a)), so it is the non-circular check for that method.
 * 4. **Realism** of refined images and, as the baseline, of raw synthetic images:
 *    - KID against the target test images on features of a fixed in-project network: by default
 *      the `fc1` layer of estimator (c) (trained on target images, which it has not been tested
 *      on; a network that knows what target eyes look like), else (with the upper bound
 *      skipped) an untrained estimator with fixed seed. **The numbers are domain-specific**:
 *      comparable between evaluations with the same features (see `compareEvalSettings`), not
 *      with published FID/KID.
 *    - held-out accuracy of a real-vs-refined classifier (`visualTuringTest`) whose real side is
 *      the target **test** set, against refined images (and against raw synthetic ones). The
 *      test set is held out from everything that trained: a refiner's adversarial training
 *      usually sees the target training images (a classifier on those could reward memorising
 *      them), and no estimator trains on the test set. `eval.json` records it as
 *      `realism.target.classifier_real_set: "target_test"`;
 *    - the same two against an optional unlabelled real set (e.g. imported MPIIGaze patches).
 *
 *    Each set contributes at most `realismLimit` images (the first ones in file order).
 * 5. Swap the new refined set in as `RUN/refined/` (the old one is moved aside first and deleted
 *    last) and write `RUN/eval.json` (schema `GazeEvalFile` in `eval_file.ts`, format-versioned,
 *    with the settings and data directories) atomically, and return it. Until this step nothing
 *    in `RUN` changes: an evaluation that fails leaves the previous `eval.json` and the
 *    `refined/` it describes as they were (so evaluating into a training run's own folder is
 *    safe), and removes its temporary folder. (A killed process can leave a `refined.new-*` or
 *    `refined.old-*` folder behind; they are safe to delete.)
 *
 * Every data set must have the same image size (resizing is the caller's job).
 *
 * With the identity refiner, (a) and (b) are identical (same bytes, same seed), as are the KIDs,
 * classifier accuracies and label-preservation numbers of the refined and raw rows.
 *
 * @example
 * ```ts ignore
 * const result = await runGazeProtocol(
 *   { name: "SimGAN", refine: (x, shape) => model.refineArray(x, shape) },
 *   {
 *     runDir: run.paths.dir,
 *     data: { synthetic: "data/generated/syn", targetTrain: "data/generated/real-train",
 *             targetTest: "data/generated/real-test" },
 *     estimator: { steps: 600, seed: 0 },
 *   },
 * );
 * console.log(result.gaze.refined.test_error.meanDeg);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Dataset } from "../data/dataset.ts";
import {
  buildEstimator,
  type Estimator,
  type EstimatorConfig,
  evaluateEstimator,
  predictImages,
  resolveEstimatorConfig,
} from "../gaze/estimator.ts";
import { evaluateGaze, type GazeErrorSummary } from "../gaze/metrics.ts";
import { exists, writeJsonAtomic } from "../util/fs.ts";
import { ProgressBar } from "../util/progress.ts";
import {
  DEFAULT_ESTIMATOR_CACHE,
  type ObtainedEstimator,
  obtainEstimator,
} from "./estimator_cache.ts";
import {
  type ClassifierSummary,
  type EstimatorOutcome,
  type EvalDataRef,
  GAZE_EVAL_FORMAT,
  type GazeEvalFile,
  type KidSummary,
  type LabelPreservation,
  type RealismAgainst,
} from "./eval_file.ts";
import { extractFeatures } from "./features.ts";
import { type FeatureMatrix, kid, type KidOptions } from "./kid.ts";
import {
  isPrecomputed,
  type PrecomputedRefined,
  type Refiner,
  refineToMemory,
  writeRefinedDataset,
} from "./refiner.ts";
import { TURING_DEFAULTS, type TuringConfig, visualTuringTest } from "./turing.ts";

/** The three estimators of the protocol. */
export type EstimatorRole = "synthetic" | "refined" | "target";

/** Data set directories of {@link runGazeProtocol}. */
export interface ProtocolData {
  /** Labelled synthetic training set: refined, and (a)'s training set. */
  synthetic: string;
  /** Labelled target-domain training set: (c)'s training set (its only use). */
  targetTrain: string;
  /**
   * Labelled target-domain test set: every estimator is tested on it, and it is the real side
   * of KID and of the real-vs-refined classifier.
   */
  targetTest: string;
  /** Optional unlabelled real images, for realism only. */
  real?: string;
  /** Optional held-out labelled synthetic set, refined for label preservation. */
  syntheticTest?: string;
}

/** Parts of the protocol that can be left out. */
export interface ProtocolSkips {
  /** Do not train or test (c) on target data. */
  upperBound?: boolean;
  /** No label-preservation numbers. */
  labelPreservation?: boolean;
  /** No KID. */
  kid?: boolean;
  /** No real-vs-refined classifier. */
  classifier?: boolean;
}

/** Options of {@link runGazeProtocol}. */
export interface GazeProtocolOptions {
  /** The run folder: `RUN/refined/` and `RUN/eval.json` are written there. */
  runDir: string;
  /** The data sets. */
  data: ProtocolData;
  /** Estimator settings shared by (a), (b), (c) (defaults: `ESTIMATOR_DEFAULTS`). */
  estimator?: Partial<Omit<EstimatorConfig, "height" | "width" | "channels">>;
  /** Parts to leave out. */
  skip?: ProtocolSkips;
  /**
   * KID features: `target` (default) = estimator (c)'s `fc1`; `random` = an untrained estimator
   * (seeded by the estimator seed). Default `random` when the upper bound is skipped.
   */
  kidFeatures?: "target" | "random";
  /** KID subsets, subset size and seed (defaults 100, 1000, 0). */
  kid?: Pick<KidOptions, "subsets" | "subsetSize" | "seed">;
  /** Classifier settings (default `TURING_DEFAULTS`, with `maxPerClass` = `realismLimit`). */
  turing?: Partial<TuringConfig>;
  /** Images per set used at most for realism (default 2000). */
  realismLimit?: number;
  /**
   * Cache of the (a) and (c) estimators (default `runs/.cache/estimators`); `false` trains
   * them every time.
   */
  cacheDir?: string | false;
  /** Images per refine call (default: the refiner's `batchSize`, else 256). */
  refineBatchSize?: number;
  /** No progress bars or log lines. */
  quiet?: boolean;
  /** Where log lines go (default `console.error`). */
  log?: (line: string) => void;
  /** Recorded as `created_by`. */
  command?: string;
  /** Recorded as `backend.report` (e.g. `initBackend`'s report). */
  backend?: unknown;
  /** Called once per estimator, after it is trained or loaded from the cache. */
  onEstimator?: (e: { role: EstimatorRole; cached: boolean; key: string | null }) => void;
}

/** The default `realismLimit`. */
export const REALISM_LIMIT_DEFAULT = 2000;

/** Paths of the protocol's outputs in a run folder. */
export function protocolPaths(runDir: string): { evalJson: string; refined: string } {
  const d = runDir.replace(/\/+$/, "") || ".";
  return { evalJson: `${d}/eval.json`, refined: `${d}/refined` };
}

/**
 * Makes `staged` (a complete refined data set) the run's `refined/` and writes `eval.json`, as
 * one step: the old `refined/` is moved aside, `staged` renamed in, `eval.json` written
 * atomically, and only then the old set deleted. If renaming or writing fails, the old
 * `refined/` is put back (and `eval.json` was not replaced), so the two always match.
 */
async function commitOutputs(
  staged: string,
  paths: { evalJson: string; refined: string },
  result: GazeEvalFile,
): Promise<void> {
  const old = `${paths.refined}.old-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const hadOld = await exists(paths.refined);
  if (hadOld) await Deno.rename(paths.refined, old);
  try {
    await Deno.rename(staged, paths.refined);
    try {
      await writeJsonAtomic(paths.evalJson, result);
    } catch (e) {
      await Deno.rename(paths.refined, staged); // the caller removes the staged set
      throw e;
    }
  } catch (e) {
    if (hadOld) await Deno.rename(old, paths.refined);
    throw e;
  }
  if (hadOld) await Deno.remove(old, { recursive: true });
}

function dataRef(ds: Dataset, dir: string = ds.dir): EvalDataRef {
  return {
    dir,
    count: ds.count,
    height: ds.height,
    width: ds.width,
    channels: ds.channels,
    domain: ds.meta.domain ?? null,
  };
}

/** Throws a clear error unless every data set has the same image size. */
function checkSameSize(sets: [string, Dataset][]): void {
  const size = (d: Dataset) => `${d.height}x${d.width}x${d.channels}`;
  const first = size(sets[0][1]);
  if (sets.every(([, d]) => size(d) === first)) return;
  throw new RangeError(
    `gaze protocol: the data sets differ in image size (${
      sets.map(([name, d]) => `${name} ${d.dir}: ${size(d)}`).join("; ")
    }); resize them to one size first (HxWxC)`,
  );
}

function fmtSummary(s: GazeErrorSummary): string {
  const i7 = s.thresholdsDeg.indexOf(7);
  return `mean ${s.meanDeg.toFixed(2)}°, median ${s.medianDeg.toFixed(2)}°` +
    (i7 >= 0 ? `, within 7° ${s.withinPct[i7].toFixed(1)}%` : "");
}

function kidSummary(r: ReturnType<typeof kid>): KidSummary {
  const { values: _values, ...rest } = r;
  return rest;
}

function classifierSummary(r: Awaited<ReturnType<typeof visualTuringTest>>): ClassifierSummary {
  const { config: _config, ...rest } = r;
  return rest;
}

/** Opens a data set, naming the role in the error. */
async function open(role: string, dir: string): Promise<Dataset> {
  try {
    return await Dataset.open(dir);
  } catch (e) {
    throw new Error(`gaze protocol: ${role} data set: ${(e as Error).message}`);
  }
}

/**
 * Runs the evaluation protocol (see the module documentation) and writes `RUN/eval.json`.
 * Needs an initialised TensorFlow.js backend (`initBackend`). Leaks no tensors. The refiner is
 * not disposed (its owner does that).
 *
 * @param refiner a {@link Refiner} (a refine function with a name), or precomputed refined images
 *   for every synthetic training image.
 * @param options run folder, data sets, estimator settings, parts to skip, cache, realism settings.
 * @returns the contents of `eval.json`.
 * @throws {RangeError} when the data sets differ in image size, a labelled set has no labels, or
 *   the options contradict each other (e.g. target KID features with the upper bound skipped).
 */
export async function runGazeProtocol(
  refiner: Refiner | PrecomputedRefined,
  options: GazeProtocolOptions,
): Promise<GazeEvalFile> {
  const t0 = performance.now();
  const log = options.log ?? ((line: string) => console.error(line));
  const say = (line: string) => {
    if (!options.quiet) log(line);
  };
  const skip = options.skip ?? {};
  const kidFeatures = options.kidFeatures ?? (skip.upperBound ? "random" : "target");
  if (kidFeatures === "target" && skip.upperBound && !skip.kid) {
    throw new RangeError(
      "gaze protocol: KID features from the target estimator need the upper bound (c); " +
        "skip KID or use random features (kidFeatures: 'random')",
    );
  }
  const limit = options.realismLimit ?? REALISM_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 4) {
    throw new RangeError(`gaze protocol: realismLimit must be an integer >= 4, got ${limit}`);
  }
  if (options.data.syntheticTest && isPrecomputed(refiner) && !skip.labelPreservation) {
    throw new RangeError(
      "gaze protocol: a held-out synthetic test set needs a refine function, not precomputed " +
        "images (or skip label preservation)",
    );
  }
  const cacheDir = options.cacheDir ?? DEFAULT_ESTIMATOR_CACHE;
  const paths = protocolPaths(options.runDir);
  const common = { quiet: options.quiet, log: options.log };

  const opened: Dataset[] = [];
  const openAs = async (role: string, dir: string) => {
    const ds = await open(role, dir);
    opened.push(ds);
    return ds;
  };
  /** The refined set until it becomes RUN/refined (removed if the evaluation fails). */
  let staged: string | undefined;
  try {
    const { data } = options;
    const syn = await openAs("synthetic", data.synthetic);
    const targetTrain = await openAs("target training", data.targetTrain);
    const targetTest = await openAs("target test", data.targetTest);
    const real = data.real ? await openAs("real", data.real) : undefined;
    const synTest = data.syntheticTest
      ? await openAs("synthetic test", data.syntheticTest)
      : undefined;
    const named: [string, Dataset][] = [
      ["synthetic", syn],
      ["target training", targetTrain],
      ["target test", targetTest],
    ];
    if (real) named.push(["real", real]);
    if (synTest) named.push(["synthetic test", synTest]);
    checkSameSize(named);
    for (const [name, ds] of named) {
      if (name !== "real" && !ds.arrays.includes("gaze")) {
        throw new RangeError(`gaze protocol: the ${name} set ${ds.dir} has no gaze labels`);
      }
    }
    const estimatorConfig = resolveEstimatorConfig(syn, options.estimator ?? {});

    // 1. Refine the synthetic training set into a staging folder (RUN/refined in step 5).
    await Deno.mkdir(options.runDir, { recursive: true });
    staged = `${paths.refined}.new-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    say(`refining ${syn.count} synthetic images with '${refiner.name}' into ${paths.refined}`);
    const refinedInfo = await writeRefinedDataset(syn, refiner, {
      out: staged,
      batchSize: options.refineBatchSize,
      quiet: options.quiet,
      createdBy: options.command ?? "runGazeProtocol()",
    });
    const refined = await openAs("refined", staged);
    const refinedTest = synTest && !skip.labelPreservation && !isPrecomputed(refiner)
      ? await refineToMemory(synTest, refiner, { batchSize: options.refineBatchSize })
      : undefined;

    const synTestLabels = synTest && refinedTest
      ? (await synTest.readAll("gaze")) as Float32Array
      : undefined;
    /**
     * Label preservation as `est` reads the images: its errors against the synthetic labels on
     * the refined and raw training images, and on the held-out set refined and raw when given.
     */
    const preservationBy = async (est: Estimator) => ({
      train: {
        refined: await evaluateEstimator(est, refined),
        raw: await evaluateEstimator(est, syn),
      },
      test: synTest && refinedTest && synTestLabels
        ? {
          refined: evaluateGaze(
            await predictImages(est, refinedTest, {
              source: `${synTest.dir} (refined in memory)`,
            }),
            synTestLabels,
          ),
          raw: await evaluateEstimator(est, synTest),
        }
        : undefined,
    });

    const obtain = async (
      role: EstimatorRole,
      train: Dataset,
      cached: boolean,
    ): Promise<ObtainedEstimator> => {
      const o = await obtainEstimator(train, {
        config: estimatorConfig,
        cacheDir: cached ? cacheDir : false,
        namespace: `E_eval_${role}`,
        label: `estimator (${role})`,
        ...common,
      });
      try {
        options.onEstimator?.({ role, cached: o.cached, key: o.key });
      } catch (e) {
        o.est.net.dispose();
        throw e;
      }
      return o;
    };
    /** Where a data set lives once the evaluation is done (the refined set's final place). */
    const finalDir = (ds: Dataset) => (ds === refined ? paths.refined : ds.dir);
    const outcome = async (o: ObtainedEstimator, train: Dataset): Promise<EstimatorOutcome> => ({
      trained_on: finalDir(train),
      test_error: await evaluateEstimator(o.est, targetTest),
      final_loss: o.finalLoss,
      train_seconds: o.trainSeconds,
      cached: o.cached,
      cache_key: o.key,
    });

    // 2a. Estimator on raw synthetic images; 3. label preservation.
    let gazeSynthetic: EstimatorOutcome;
    let labelPreservation: { train: LabelPreservation; test?: LabelPreservation } | undefined;
    {
      const a = await obtain("synthetic", syn, true);
      try {
        gazeSynthetic = await outcome(a, syn);
        say(`(a) raw synthetic -> target test: ${fmtSummary(gazeSynthetic.test_error)}`);
        if (!skip.labelPreservation) {
          const train = await preservationBy(a.est);
          labelPreservation = {
            train: { images: "synthetic_train", ...train.train },
            ...(train.test ? { test: { images: "synthetic_test", ...train.test } } : {}),
          };
          const lp = labelPreservation.test ?? labelPreservation.train;
          say(
            `label preservation (${lp.images}): refined ${fmtSummary(lp.refined)}; ` +
              `raw ${fmtSummary(lp.raw)}`,
          );
        }
      } finally {
        a.est.net.dispose();
      }
    }

    // 2b. Estimator on refined images (never cached: the refined images are new each time).
    let gazeRefined: EstimatorOutcome;
    {
      const b = await obtain("refined", refined, false);
      try {
        gazeRefined = await outcome(b, refined);
        say(`(b) refined -> target test: ${fmtSummary(gazeRefined.test_error)}`);
      } finally {
        b.est.net.dispose();
      }
    }

    // 2c. Upper bound: estimator on target training images (kept for KID features).
    let gazeTarget: EstimatorOutcome | undefined;
    let featureNet: Estimator | undefined;
    let featureKey: string | null = null;
    try {
      if (!skip.upperBound) {
        const c = await obtain("target", targetTrain, true);
        try {
          gazeTarget = await outcome(c, targetTrain);
        } catch (e) {
          c.est.net.dispose();
          throw e;
        }
        say(`(c) target (upper bound) -> target test: ${fmtSummary(gazeTarget.test_error)}`);
        if (labelPreservation) {
          // 3b. Label preservation as the target-domain estimator (c) reads the images.
          try {
            const byC = await preservationBy(c.est);
            labelPreservation.train.by_target = byC.train;
            if (labelPreservation.test && byC.test) labelPreservation.test.by_target = byC.test;
          } catch (e) {
            c.est.net.dispose();
            throw e;
          }
          const lp = labelPreservation.test ?? labelPreservation.train;
          say(
            `label preservation by (c) (${lp.images}): refined ${
              fmtSummary(lp.by_target!.refined)
            }; raw ${fmtSummary(lp.by_target!.raw)}`,
          );
        }
        if (kidFeatures === "target" && !skip.kid) {
          featureNet = c.est;
          featureKey = c.key;
        } else {
          c.est.net.dispose();
        }
      }

      // 4. Realism.
      let realism: GazeEvalFile["realism"];
      if (!skip.kid || !skip.classifier) {
        const against: { target: RealismAgainst; real?: RealismAgainst } = {
          target: {},
          ...(real ? { real: {} } : {}),
        };
        const kidSettings = {
          subsets: options.kid?.subsets ?? 100,
          subsetSize: options.kid?.subsetSize ?? 1000,
          seed: options.kid?.seed ?? 0,
        };
        let features: NonNullable<GazeEvalFile["realism"]>["features"];
        if (!skip.kid) {
          if (!featureNet) {
            featureNet = buildEstimator(estimatorConfig, "E_eval_features");
          }
          features = kidFeatures === "target"
            ? {
              network: "target-estimator",
              layer: "fc1",
              description: "fc1 of estimator (c), trained on the target training set with the " +
                "protocol's estimator settings",
              domain_specific: true,
              cache_key: featureKey,
            }
            : {
              network: "random-estimator",
              layer: "fc1",
              description: `fc1 of an untrained estimator (the protocol's estimator config, ` +
                `seed ${estimatorConfig.seed})`,
              domain_specific: true,
              cache_key: null,
            };
          const feats = (ds: Dataset) => extractFeatures(featureNet!, ds, { layer: "fc1", limit });
          const fRefined = await feats(refined);
          const fSyn = await feats(syn);
          const kidPair = (x: FeatureMatrix) => ({
            refined: kidSummary(kid(x, fRefined, kidSettings)),
            synthetic: kidSummary(kid(x, fSyn, kidSettings)),
          });
          against.target.kid_images = targetTest.dir;
          against.target.kid = kidPair(await feats(targetTest));
          say(
            `KID vs target (domain-specific): refined ${
              against.target.kid.refined.mean.toExponential(3)
            }, raw synthetic ${against.target.kid.synthetic.mean.toExponential(3)}`,
          );
          if (real && against.real) {
            against.real.kid_images = real.dir;
            against.real.kid = kidPair(await feats(real));
          }
        }
        featureNet?.net.dispose();
        featureNet = undefined;

        let classifierSettings: TuringConfig | undefined;
        if (!skip.classifier) {
          classifierSettings = { ...TURING_DEFAULTS, maxPerClass: limit, ...options.turing };
          const settings = classifierSettings;
          const classify = async (name: string, realSet: Dataset, other: Dataset) => {
            const bar = new ProgressBar(settings.steps, {
              label: `classifier ${name}`,
              unit: "step",
              quiet: options.quiet,
            });
            const r = await visualTuringTest(realSet, other, {
              ...settings,
              onStep: ({ step, loss }) => bar.update(step, { loss }),
            });
            bar.finish();
            return classifierSummary(r);
          };
          // The real side is the held-out target test set (see the module documentation).
          against.target.classifier_images = targetTest.dir;
          against.target.classifier_real_set = "target_test";
          against.target.classifier = {
            refined: await classify("target test vs refined", targetTest, refined),
            synthetic: await classify("target test vs synthetic", targetTest, syn),
          };
          say(
            `classifier accuracy vs target: refined ${
              (100 * against.target.classifier.refined.accuracy).toFixed(1)
            }%, raw synthetic ${(100 * against.target.classifier.synthetic.accuracy).toFixed(1)}%`,
          );
          if (real && against.real) {
            against.real.classifier_images = real.dir;
            against.real.classifier_real_set = "real";
            against.real.classifier = {
              refined: await classify("real vs refined", real, refined),
              synthetic: await classify("real vs synthetic", real, syn),
            };
          }
        }
        realism = {
          ...(features ? { features, kid_settings: kidSettings } : {}),
          ...(classifierSettings ? { classifier_settings: classifierSettings } : {}),
          limit,
          ...against,
        };
      }

      // 5. eval.json
      const skipped = [
        ...(skip.upperBound ? ["upper_bound"] : []),
        ...(skip.labelPreservation ? ["label_preservation"] : []),
        ...(skip.kid ? ["kid"] : []),
        ...(skip.classifier ? ["classifier"] : []),
      ];
      const result: GazeEvalFile = {
        format: GAZE_EVAL_FORMAT,
        refiner: {
          name: refiner.name,
          precomputed: isPrecomputed(refiner),
          source: refiner.source ?? null,
        },
        image_size: { height: syn.height, width: syn.width, channels: syn.channels },
        data: {
          synthetic: dataRef(syn),
          target_train: dataRef(targetTrain),
          target_test: dataRef(targetTest),
          ...(real ? { real: dataRef(real) } : {}),
          ...(synTest ? { synthetic_test: dataRef(synTest) } : {}),
          refined: {
            ...dataRef(refined, paths.refined),
            clipped_fraction: refinedInfo.clippedFraction,
          },
        },
        estimator: estimatorConfig,
        skipped,
        gaze: {
          synthetic: gazeSynthetic,
          refined: gazeRefined,
          ...(gazeTarget ? { target: gazeTarget } : {}),
        },
        ...(labelPreservation ? { label_preservation: labelPreservation } : {}),
        ...(realism ? { realism } : {}),
        backend: {
          tfjs: tf.getBackend(),
          ...(options.backend !== undefined ? { report: options.backend } : {}),
        },
        created: new Date().toISOString(),
        seconds: (performance.now() - t0) / 1000,
        created_by: options.command ?? "runGazeProtocol()",
      };
      // Every data set is closed before the refined one moves into place.
      for (const ds of opened.splice(0)) ds.close();
      await commitOutputs(staged, paths, result);
      staged = undefined;
      say(`wrote ${paths.evalJson} and ${paths.refined}`);
      return result;
    } finally {
      featureNet?.net.dispose();
    }
  } finally {
    for (const ds of opened) ds.close();
    if (staged !== undefined) await Deno.remove(staged, { recursive: true }).catch(() => {});
  }
}
