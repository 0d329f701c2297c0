/**
 * The config of `deno task train-simgan` as the experiment harness sees it: the loop settings,
 * SimGAN's own ({@link SIMGAN_DEFAULTS}), the data sets and the evaluation, with the `smoke`,
 * `quick` and `paper` presets, plus two short flags the task accepts besides the dotted ones
 * (`--psi NAME` for `--psi.name NAME`, `--no-eval` for `--eval.enabled=false`).
 *
 * @module
 */
import { DEFAULT_DATA } from "../../data/defaults.ts";
import { DEFAULT_ESTIMATOR_CACHE } from "../../eval/estimator_cache.ts";
import { REALISM_LIMIT_DEFAULT } from "../../eval/protocol.ts";
import { TURING_DEFAULTS } from "../../eval/turing.ts";
import { ESTIMATOR_DEFAULTS } from "../../gaze/estimator.ts";
import {
  type ConfigSpec,
  defineConfig,
  LOOP_DEFAULTS,
  LOOP_FIELDS,
  type LoopSettings,
  type PresetValues,
} from "../../train/config.ts";
import { SIMGAN_DEFAULTS, SIMGAN_FIELDS, SIMGAN_PRESETS, type SimGANConfig } from "./config.ts";

/** Settings of the evaluation after training (`lib/eval/protocol.ts`). */
export interface SimGANEvalSettings {
  /** Run the evaluation protocol after training (`--no-eval` sets false). */
  enabled: boolean;
  /** Training steps of each gaze estimator. */
  steps: number;
  /** Width multiplier of the estimator (1 = the paper's network). */
  width: number;
  /** Estimator batch size. */
  batch: number;
  /** Estimator seed (weights and batch order). */
  seed: number;
  /** Steps of the real-vs-refined classifier. */
  classifierSteps: number;
  /** Images per set for KID and the classifier. */
  realismLimit: number;
  /** Cache of the raw-synthetic and target estimators, shared by runs ("" = no cache). */
  cache: string;
}

/**
 * The data and evaluation settings of every method's training task (`train-simgan`'s, shared
 * by the CycleGAN family and pix2pix with the same meaning and defaults).
 */
export interface TaskDataSettings {
  /** Labelled synthetic training set: refined in training and in the evaluation. */
  source: string;
  /** Labelled target-domain training set: the target images of training unless `real`. */
  target: string;
  /** Labelled target-domain test set of the evaluation ("" = see the field doc). */
  targetTest: string;
  /** Held-out labelled synthetic set for label preservation ("" = see the field doc). */
  syntheticTest: string;
  /** Unlabelled real images: the target domain of training, and realism in the evaluation. */
  real: string;
  /** The evaluation after training. */
  eval: SimGANEvalSettings;
}

/** Everything `train-simgan` is configured by. */
export interface SimGANTaskConfig extends LoopSettings, SimGANConfig, TaskDataSettings {}

/** Defaults of {@link SimGANTaskConfig}: the default data sets and the protocol's defaults. */
export const SIMGAN_TASK_DEFAULTS: SimGANTaskConfig = {
  ...LOOP_DEFAULTS,
  ...structuredClone(SIMGAN_DEFAULTS),
  source: DEFAULT_DATA.synthetic,
  target: DEFAULT_DATA.targetTrain,
  targetTest: "",
  syntheticTest: "",
  real: "",
  eval: {
    enabled: true,
    steps: ESTIMATOR_DEFAULTS.steps,
    width: ESTIMATOR_DEFAULTS.widthMultiplier,
    batch: ESTIMATOR_DEFAULTS.batchSize,
    seed: 0,
    classifierSteps: TURING_DEFAULTS.steps,
    realismLimit: REALISM_LIMIT_DEFAULT,
    cache: DEFAULT_ESTIMATOR_CACHE,
  },
};

/**
 * The presets: SimGAN's ({@link SIMGAN_PRESETS}) with loop and evaluation settings.
 * - `smoke`: seconds, tiny networks and a token evaluation (tests, CI, notebooks).
 * - `quick` (the default): R 16 maps x 2 blocks, 700 steps (100 R + 30 D pretraining), then
 *   the protocol with its defaults (600-step estimators, as `eval-gaze`, so the two share the
 *   estimator cache). `deno task train-simgan` with no flags and no estimator cached took 11.2
 *   minutes on two CPU cores with other work running (load 2-3): SimGAN 4.9 min
 *   (2.4 steps/s), refining 10,000 images 14 s, the three 600-step estimators 1.5-2 min each,
 *   KID and classifiers 30 s. Rendering the four default data sets when missing adds about
 *   20 s; with (a) and (c) cached the evaluation takes about 2.5 minutes less.
 * - `paper`: the paper's networks and schedule (days on CPU).
 */
export const SIMGAN_TASK_PRESETS: {
  smoke: PresetValues<SimGANTaskConfig>;
  quick: PresetValues<SimGANTaskConfig>;
  paper: PresetValues<SimGANTaskConfig>;
} = {
  smoke: {
    ...SIMGAN_PRESETS.smoke,
    logEvery: 1,
    sampleEvery: 3,
    checkpointEvery: 3,
    eval: { steps: 4, width: 0.25, batch: 8, classifierSteps: 4, realismLimit: 16 },
  },
  quick: {
    ...SIMGAN_PRESETS.quick,
    logEvery: 10,
    sampleEvery: 100,
    checkpointEvery: 200,
  },
  paper: {
    ...SIMGAN_PRESETS.paper,
    logEvery: 20,
    sampleEvery: 500,
    checkpointEvery: 1000,
    eval: { steps: 3000, width: 1, batch: 128 },
  },
};

const EVAL_FIELD = { resumable: true } as const;

/** The harness's declaration of `train-simgan`'s config. */
export const SIMGAN_CONFIG: ConfigSpec<SimGANTaskConfig> = defineConfig<SimGANTaskConfig>({
  name: "simgan",
  description:
    "SimGAN (Shrivastava et al. 2017): a refiner R makes synthetic eyes look like target-domain " +
    "eyes, trained against a local discriminator with a history buffer and held close to its " +
    "input by lambda * |psi(R(x)) - psi(x)|_1. Trains, then runs the gaze evaluation protocol " +
    "and writes report.html. The default data sets are rendered into data/generated/ when " +
    "missing. Short flags: --psi NAME (= --psi.name NAME), --no-eval (= --eval.enabled=false).",
  defaults: SIMGAN_TASK_DEFAULTS,
  presets: SIMGAN_TASK_PRESETS,
  fields: {
    ...LOOP_FIELDS,
    ...SIMGAN_FIELDS,
    source: { doc: "labelled synthetic training set (rendered when it is a default set)" },
    target: { doc: "labelled target training set; training reads its images only" },
    targetTest: {
      doc: "labelled target test set for the evaluation ('' = the default one when --target " +
        "is a default set, of its image size)",
    },
    syntheticTest: {
      doc: "held-out synthetic set for label preservation ('' = the default one when " +
        "--source is a default set, of its image size; 'none' = none)",
    },
    real: {
      doc: "unlabelled real images (same size): the target domain of training instead of " +
        "--target's images, and realism measures in the evaluation",
    },
    "eval.enabled": { doc: "evaluate after training (--no-eval: false)", ...EVAL_FIELD },
    "eval.steps": { doc: "estimator steps", integer: true, min: 1, ...EVAL_FIELD },
    "eval.width": { doc: "estimator width multiplier", min: 0.01, ...EVAL_FIELD },
    "eval.batch": { doc: "estimator batch size", integer: true, min: 1, ...EVAL_FIELD },
    "eval.seed": { doc: "estimator seed", integer: true, min: 0, ...EVAL_FIELD },
    "eval.classifierSteps": {
      doc: "real-vs-refined classifier steps",
      integer: true,
      min: 1,
      ...EVAL_FIELD,
    },
    "eval.realismLimit": {
      doc: "images per set for KID and the classifier",
      integer: true,
      min: 4,
      ...EVAL_FIELD,
    },
    "eval.cache": { doc: "estimator cache shared by runs ('' = none)", ...EVAL_FIELD },
  },
});

/** The short flags of `train-simgan` and what they stand for. */
export const SIMGAN_FLAG_ALIASES = {
  "--psi NAME": "--psi.name NAME (identity, gradients, stats, features)",
  "--no-eval": "--eval.enabled=false",
} as const;

/**
 * Rewrites `train-simgan`'s short flags into the harness's dotted ones: `--psi NAME` and
 * `--psi=NAME` become `--psi.name NAME`, `--no-eval` becomes `--eval.enabled=false`. Everything
 * else is passed through unchanged.
 *
 * @example
 * ```ts
 * import { expandSimganArgs } from "./task_config.ts";
 * console.log(expandSimganArgs(["--psi", "stats", "--no-eval"]));
 * // ["--psi.name", "stats", "--eval.enabled=false"]
 * ```
 */
export function expandSimganArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === "--psi") out.push("--psi.name");
    else if (arg.startsWith("--psi=")) out.push(`--psi.name=${arg.slice("--psi=".length)}`);
    else if (arg === "--no-eval") out.push("--eval.enabled=false");
    else out.push(arg);
  }
  return out;
}
