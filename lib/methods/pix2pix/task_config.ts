/**
 * The config of `deno task train-pix2pix` as the experiment harness sees it: the loop settings,
 * pix2pix's own ({@link PIX2PIX_DEFAULTS}), the paired task and data (`pairs`, `mapEncoding`,
 * `paired`, `pairedTest`), and the gaze protocol's data and evaluation fields of `train-simgan`
 * (used by `twins` runs), declared with CycleGAN's `cycleTaskSpec` (same loop and evaluation
 * preset values). Short flags: `--no-eval` (`--eval.enabled=false`) and `--objective l1|cgan|
 * l1+cgan` (the paper's objective ablations).
 *
 * @module
 */
import { DEFAULT_DATA } from "../../data/defaults.ts";
import type { ConfigSpec, LoopSettings } from "../../train/config.ts";
import { UsageError } from "../../util/cli.ts";
import { type CycleDataSettings, cycleTaskSpec } from "../cyclegan/task_config.ts";
import { PIX2PIX_DEFAULTS, PIX2PIX_FIELDS, PIX2PIX_PRESETS, type Pix2PixConfig } from "./config.ts";
import { MAP_ENCODINGS, type MapEncoding, PAIRS, type Pairs } from "./data.ts";

/** The paired task and its data sets. */
export interface Pix2PixDataSettings {
  /** `twins` (synthetic render -> its target-domain twin) or `maps` (semantic map -> image). */
  pairs: Pairs;
  /** How `maps` inputs are encoded: `onehot` (6 channels) or `scaled` (1 channel). */
  mapEncoding: MapEncoding;
  /** The paired training set. */
  paired: string;
  /** Held-out paired set of the paired metrics ("" = the default one when `paired` is; "none"). */
  pairedTest: string;
}

/** Everything `train-pix2pix` is configured by. */
export interface Pix2PixTaskConfig
  extends LoopSettings, Pix2PixConfig, Pix2PixDataSettings, CycleDataSettings {}

/** Defaults of the paired task and data. */
export const PIX2PIX_DATA_DEFAULTS: Pix2PixDataSettings = {
  pairs: "twins",
  mapEncoding: "onehot",
  paired: DEFAULT_DATA.pairedTrain,
  pairedTest: "",
};

/** The harness's declaration of `train-pix2pix`'s config. */
export const PIX2PIX_CONFIG: ConfigSpec<Pix2PixTaskConfig> = cycleTaskSpec<Pix2PixTaskConfig>({
  name: "pix2pix",
  description: "pix2pix (Isola et al. 2017): a U-Net G trained on aligned pairs with a " +
    "conditional PatchGAN D and lambda * |G(x) - y|_1 (lambda 100). --pairs twins: synthetic " +
    "render -> its target-domain twin; --pairs maps: semantic class map -> target-domain image. " +
    "Trains on a paired set (the default one is rendered into data/generated/ when missing), " +
    "then scores G on held-out pairs (L1, PSNR, SSIM: RUN/paired_eval.json), runs the gaze " +
    "protocol with G as the refiner (twins only: RUN/eval.json), and writes report.html. " +
    "Short flags: --no-eval (= --eval.enabled=false), --objective l1|cgan|l1+cgan " +
    "(= --adversarial.weight 0 | --lambdaL1 0 | the defaults). The --source ... --real and " +
    "--eval.* fields are the gaze protocol's, as in train-simgan.",
  defaults: { ...PIX2PIX_DATA_DEFAULTS, ...PIX2PIX_DEFAULTS },
  presets: PIX2PIX_PRESETS,
  fields: {
    ...PIX2PIX_FIELDS,
    pairs: {
      doc: "twins: synthetic render -> its twin; maps: semantic map -> target-domain image",
      choices: [...PAIRS],
    },
    mapEncoding: {
      doc: "maps input: onehot (6 channels in {-1, 1}) or scaled (1 channel, 2 id / 5 - 1)",
      choices: [...MAP_ENCODINGS],
    },
    paired: { doc: "paired training set (rendered when it is the default)" },
    pairedTest: {
      doc: "held-out paired set for L1/PSNR/SSIM ('' = the default one when --paired is the " +
        "default; 'none' = none)",
    },
  },
});

/** The short flags of `train-pix2pix` and what they stand for. */
export const PIX2PIX_FLAG_ALIASES = {
  "--no-eval": "--eval.enabled=false",
  "--objective l1": "--adversarial.weight=0 (L1 only; D is not trained)",
  "--objective cgan": "--lambdaL1=0 (cGAN only)",
  "--objective l1+cgan": "the defaults (the paper's objective)",
} as const;

const OBJECTIVES: Record<string, string[]> = {
  "l1": ["--adversarial.weight=0"],
  "cgan": ["--lambdaL1=0"],
  "l1+cgan": [],
};

/**
 * Rewrites `train-pix2pix`'s short flags into the harness's dotted ones: `--no-eval` becomes
 * `--eval.enabled=false`; `--objective NAME` / `--objective=NAME` becomes
 * `--adversarial.weight=0` (l1), `--lambdaL1=0` (cgan) or nothing (l1+cgan). Everything else is
 * passed through unchanged.
 *
 * @throws {UsageError} for an unknown or missing objective.
 */
export function expandPix2PixArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--no-eval") {
      out.push("--eval.enabled=false");
      continue;
    }
    let objective: string | undefined;
    if (arg === "--objective") objective = argv[++i] ?? "";
    else if (arg.startsWith("--objective=")) objective = arg.slice("--objective=".length);
    if (objective === undefined) {
      out.push(arg);
      continue;
    }
    const flags = OBJECTIVES[objective];
    if (!flags) {
      throw new UsageError(
        `--objective must be one of ${Object.keys(OBJECTIVES).join(", ")}, got '${objective}'`,
      );
    }
    out.push(...flags);
  }
  return out;
}
