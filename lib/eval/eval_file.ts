/**
 * `RUN/eval.json`, the result of the gaze evaluation protocol (`protocol.ts`): its schema, a
 * checked reader, and {@link compareEvalSettings}, which says whether two evaluations were made
 * with the same data and settings (so their numbers may be compared).
 *
 * This module has no TensorFlow.js dependency, so reports can read evaluations cheaply.
 *
 * @module
 */
import type { EstimatorConfig } from "../gaze/estimator.ts";
import { type GazeErrorSummary, withinPctAt } from "../gaze/metrics.ts";
import type { KidResult } from "./kid.ts";
import type { TuringConfig, TuringResult } from "./turing.ts";
import { readJson } from "../util/fs.ts";

/** Format tag of `eval.json` written by the protocol; bump it when the schema changes. */
export const GAZE_EVAL_FORMAT = "eyegan-gaze-eval/1";

/** A data set the evaluation used. */
export interface EvalDataRef {
  /** The directory as given. */
  dir: string;
  /** Images. */
  count: number;
  height: number;
  width: number;
  channels: number;
  /** `meta.json`'s `domain` (`synthetic`, `real`, `refined`, an importer's name...), or null. */
  domain: unknown;
}

/** One of the protocol's estimators. */
export interface EstimatorOutcome {
  /** Directory of its training set. */
  trained_on: string;
  /** Errors on the target test set. */
  test_error: GazeErrorSummary;
  /** Training loss of the last step. */
  final_loss: number;
  /** Seconds its training took (possibly in an earlier run, when cached). */
  train_seconds: number;
  /** Whether it was loaded from the estimator cache. */
  cached: boolean;
  /** Its cache key (see `estimator_cache.ts`), or null when not cached. */
  cache_key: string | null;
}

/** Label preservation on one image set: raw-synthetic estimator (a) against synthetic labels. */
export interface LabelPreservation {
  /** Which images: `synthetic_train` ((a)'s own training images) or `synthetic_test` (held out). */
  images: "synthetic_train" | "synthetic_test";
  /** (a) applied to the refined images. */
  refined: GazeErrorSummary;
  /** (a) applied to the raw synthetic images (the reference: what refinement should keep). */
  raw: GazeErrorSummary;
  /**
   * The target-domain estimator (c) applied to the same refined and raw images against the
   * synthetic labels (absent when the upper bound is skipped, and in older files). (a) pays
   * about the domain gap on refined images that look like target images, gaze intact or not;
   * (c) reads them in its own domain, so a refiner that keeps the gaze lowers (c)'s error on
   * refined against raw images. Compare the two rows, not (c)'s own test error: the synthetic
   * labels span a wider gaze range than the target domain's, so (c) extrapolates on part of
   * them. (c) is not GazeGAN's frozen estimator E (that is (a)), so for GazeGAN this is the
   * non-circular check.
   */
  by_target?: { refined: GazeErrorSummary; raw: GazeErrorSummary };
}

/** {@link KidResult} without the per-subset values. */
export type KidSummary = Omit<KidResult, "values">;

/** {@link TuringResult} without its config (recorded once in the settings). */
export type ClassifierSummary = Omit<TuringResult, "config">;

/** Realism of the refined and of the raw synthetic images against one set of real images. */
export interface RealismAgainst {
  /** Directory of the images KID compares with. */
  kid_images?: string;
  /** Directory of the images the classifier tells apart from refined ones (its real side). */
  classifier_images?: string;
  /**
   * Which of the evaluation's data sets is the classifier's real side: `target_test` (held out:
   * no network of the method or of the protocol trained on it; the SimGAN-style methods'
   * discriminators saw `target_train`), or `real`. Absent in files written before it was
   * recorded, whose classifier used `target_train` against the target domain.
   */
  classifier_real_set?: "target_test" | "target_train" | "real";
  /** Domain-specific KID (see `realism.features`) of refined and of raw synthetic images. */
  kid?: { refined: KidSummary; synthetic: KidSummary };
  /** Held-out accuracy of a real-vs-X classifier (0.5 = indistinguishable). */
  classifier?: { refined: ClassifierSummary; synthetic: ClassifierSummary };
}

/** Contents of `RUN/eval.json`. */
export interface GazeEvalFile {
  format: typeof GAZE_EVAL_FORMAT;
  /** The refiner evaluated. */
  refiner: { name: string; precomputed: boolean; source: unknown };
  /** The image size of every data set. */
  image_size: { height: number; width: number; channels: number };
  /** Every data set used; `refined` is written by the protocol (`RUN/refined`). */
  data: {
    synthetic: EvalDataRef;
    target_train: EvalDataRef;
    target_test: EvalDataRef;
    real?: EvalDataRef;
    synthetic_test?: EvalDataRef;
    refined: EvalDataRef & { clipped_fraction: number };
  };
  /** The estimator config shared by (a), (b) and (c) (seed and steps included). */
  estimator: EstimatorConfig;
  /** Parts left out: `upper_bound`, `label_preservation`, `kid`, `classifier`. */
  skipped: string[];
  /**
   * Errors on the target test set of the estimator trained on (a) `synthetic` raw images,
   * (b) `refined` images, (c) `target` training images (the upper bound; absent when skipped).
   */
  gaze: { synthetic: EstimatorOutcome; refined: EstimatorOutcome; target?: EstimatorOutcome };
  /** Label preservation on the training images, and on a held-out synthetic set if given. */
  label_preservation?: { train: LabelPreservation; test?: LabelPreservation };
  /** Realism measures (absent when both KID and the classifier are skipped). */
  realism?: {
    /** The fixed network KID's features come from; the numbers are domain-specific. */
    features?: {
      network: "target-estimator" | "random-estimator";
      layer: string;
      description: string;
      domain_specific: true;
      /** Cache key of the target estimator, when that is the network. */
      cache_key: string | null;
    };
    /** KID settings: subsets, requested subset size, seed. */
    kid_settings?: { subsets: number; subsetSize: number; seed: number | string };
    /** The classifier's config. */
    classifier_settings?: TuringConfig;
    /** Images used at most per set (first ones in file order). */
    limit: number;
    /** Against the target domain. */
    target: RealismAgainst;
    /** Against the unlabelled real set, when one was given. */
    real?: RealismAgainst;
  };
  /** The TensorFlow.js backend, and the caller's backend report if it passed one. */
  backend: { tfjs: string; report?: unknown };
  /** ISO time the evaluation finished. */
  created: string;
  /** Seconds the evaluation took. */
  seconds: number;
  /** The command or caller. */
  created_by: string;
}

/**
 * Reads and format-checks an `eval.json` written by the protocol.
 *
 * @throws Error naming the file when it is missing, not JSON, or not {@link GAZE_EVAL_FORMAT}.
 */
export async function readGazeEval(path: string): Promise<GazeEvalFile> {
  const value = await readJson(path);
  const format = (value as { format?: unknown } | null)?.format;
  if (format !== GAZE_EVAL_FORMAT) {
    throw new Error(
      `${path}: format ${JSON.stringify(format)} is not ${GAZE_EVAL_FORMAT} ` +
        `(not a gaze evaluation, or made by another version)`,
    );
  }
  return value as GazeEvalFile;
}

/**
 * JSON with object keys sorted at every level, so equal values give equal text (comparisons of
 * settings, cache keys); `undefined` gives the text `undefined`.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./eval_file.ts";
 * console.log(canonicalJson({ b: 1, a: { d: [2], c: 3 } })); // {"a":{"c":3,"d":[2]},"b":1}
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  ) ?? "undefined";
}

/**
 * The settings of {@link compareEvalSettings} that follow the seed: the estimators' seed, and
 * with it the target-domain estimator (c) whose features KID uses (its cache key). Between
 * evaluations made with different seeds (seed replicates) they may differ; within one seed they
 * must not. The table over seeds (`lib/report/seed_table.ts`) and the comparison report
 * (`lib/report/compare.ts`) both read seed replicates by this list.
 */
export const SEED_FOLLOWING_SETTINGS: readonly string[] = [
  "estimator.seed",
  "realism.features.cache_key",
];

/**
 * The setting a line of {@link compareEvalSettings} is about: `estimator.steps` of
 * `estimator.steps: 600 vs 300`.
 */
export function differenceSetting(line: string): string {
  const i = line.indexOf(":");
  return i < 0 ? line : line.slice(0, i);
}

/**
 * Whether a line of {@link compareEvalSettings} (or a setting's name) is about a setting that
 * follows the seed ({@link SEED_FOLLOWING_SETTINGS}): a difference allowed between seed
 * replicates.
 */
export function isSeedFollowing(line: string): boolean {
  return SEED_FOLLOWING_SETTINGS.includes(differenceSetting(line));
}

/**
 * What differs between the settings of two evaluations: data sets (directories and counts),
 * image size, estimator config, KID features and settings, classifier settings and real side,
 * realism limit, skipped parts and backend. An empty list means their numbers are comparable; the refiner (and
 * its results) may of course differ.
 *
 * @returns one line per difference, e.g. `estimator.steps: 600 vs 300`.
 */
export function compareEvalSettings(a: GazeEvalFile, b: GazeEvalFile): string[] {
  const out: string[] = [];
  const check = (name: string, x: unknown, y: unknown) => {
    const sx = canonicalJson(x), sy = canonicalJson(y);
    if (sx !== sy) out.push(`${name}: ${sx} vs ${sy}`);
  };
  check("format", a.format, b.format);
  check("image_size", a.image_size, b.image_size);
  for (const k of ["synthetic", "target_train", "target_test", "real", "synthetic_test"] as const) {
    check(`data.${k}.dir`, a.data[k]?.dir, b.data[k]?.dir);
    check(`data.${k}.count`, a.data[k]?.count, b.data[k]?.count);
  }
  const keys = new Set([...Object.keys(a.estimator ?? {}), ...Object.keys(b.estimator ?? {})]);
  for (const k of [...keys].sort()) {
    check(
      `estimator.${k}`,
      (a.estimator as unknown as Record<string, unknown>)?.[k],
      (b.estimator as unknown as Record<string, unknown>)?.[k],
    );
  }
  check("skipped", [...(a.skipped ?? [])].sort(), [...(b.skipped ?? [])].sort());
  const fa = a.realism?.features, fb = b.realism?.features;
  check("realism.features.network", fa?.network, fb?.network);
  check("realism.features.layer", fa?.layer, fb?.layer);
  if (fa?.network === "target-estimator" && fb?.network === "target-estimator") {
    check("realism.features.cache_key", fa.cache_key, fb.cache_key);
  }
  check("realism.kid_settings", a.realism?.kid_settings, b.realism?.kid_settings);
  check(
    "realism.classifier_settings",
    a.realism?.classifier_settings,
    b.realism?.classifier_settings,
  );
  if (a.realism?.target.classifier && b.realism?.target.classifier) {
    // Older files do not say, and their classifier's real side was the target training set.
    const realSet = (e: GazeEvalFile) => e.realism?.target.classifier_real_set ?? "target_train";
    check("realism.target.classifier_real_set", realSet(a), realSet(b));
  }
  check("realism.limit", a.realism?.limit, b.realism?.limit);
  check("backend.tfjs", a.backend?.tfjs, b.backend?.tfjs);
  return out;
}

/**
 * A short markdown table of an evaluation (for logs and the task's output): one row per
 * estimator with mean / median error, % within 7°, label preservation by (a) and by (c), KID and classifier
 * accuracy against the target domain.
 */
export function formatEvalSummary(ev: GazeEvalFile): string {
  const f = (v: number | undefined, digits = 2) => (v === undefined ? "—" : v.toFixed(digits));
  const within7 = (s: GazeErrorSummary) => withinPctAt(s, 7);
  const lp = ev.label_preservation?.test ?? ev.label_preservation?.train;
  const t = ev.realism?.target;
  const kidText = (k: KidSummary | undefined) => (k ? k.mean.toExponential(2) : "—");
  const accText = (c: ClassifierSummary | undefined) =>
    c ? `${(100 * c.accuracy).toFixed(1)}%` : "—";
  const rows: string[][] = [
    [
      "raw synthetic (a)",
      f(ev.gaze.synthetic.test_error.meanDeg),
      f(ev.gaze.synthetic.test_error.medianDeg),
      f(within7(ev.gaze.synthetic.test_error), 1),
      f(lp?.raw.meanDeg),
      f(lp?.by_target?.raw.meanDeg),
      kidText(t?.kid?.synthetic),
      accText(t?.classifier?.synthetic),
    ],
    [
      `refined: ${ev.refiner.name} (b)`,
      f(ev.gaze.refined.test_error.meanDeg),
      f(ev.gaze.refined.test_error.medianDeg),
      f(within7(ev.gaze.refined.test_error), 1),
      f(lp?.refined.meanDeg),
      f(lp?.by_target?.refined.meanDeg),
      kidText(t?.kid?.refined),
      accText(t?.classifier?.refined),
    ],
  ];
  if (ev.gaze.target) {
    const s = ev.gaze.target.test_error;
    rows.push(["target, upper bound (c)", f(s.meanDeg), f(s.medianDeg), f(within7(s), 1)]);
  }
  const head = [
    "estimator trained on",
    "mean °",
    "median °",
    "within 7° %",
    "label pres. (a) °",
    "label pres. (c) °",
    "KID (domain-specific)",
    "real-vs-X acc.",
  ];
  const line = (cells: string[]) => `| ${head.map((_, i) => cells[i] ?? "—").join(" | ")} |`;
  return [line(head), `|${head.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}
