/**
 * The config of `deno task train-cyclegan` as the experiment harness sees it: the loop settings,
 * CycleGAN's own ({@link CYCLEGAN_DEFAULTS}), the data sets and the evaluation (the same fields
 * as `train-simgan`'s), with the `smoke`, `quick` and `paper` presets, plus the short flag
 * `--no-eval` (`--eval.enabled=false`). {@link cycleTaskSpec} builds the same for GazeGAN.
 *
 * @module
 */
import { DEFAULT_DATA_BY_SIZE, type DefaultDataSize } from "../../data/defaults.ts";
import {
  type ConfigSpec,
  defineConfig,
  LOOP_DEFAULTS,
  LOOP_FIELDS,
  type LoopSettings,
  type PresetValues,
} from "../../train/config.ts";
import {
  SIMGAN_CONFIG,
  SIMGAN_TASK_DEFAULTS,
  SIMGAN_TASK_PRESETS,
  type TaskDataSettings,
} from "../simgan/task_config.ts";
import {
  CYCLEGAN_DEFAULTS,
  CYCLEGAN_FIELDS,
  CYCLEGAN_PRESETS,
  type CycleGANConfig,
} from "./config.ts";

/** The data and evaluation fields shared with `train-simgan` (same meaning, same defaults). */
export type CycleDataSettings = TaskDataSettings;

/** Everything `train-cyclegan` is configured by. */
export interface CycleGANTaskConfig extends LoopSettings, CycleGANConfig, CycleDataSettings {}

const DATA_KEYS = ["source", "target", "targetTest", "syntheticTest", "real", "eval"] as const;

/** The loop defaults, and the data and evaluation defaults of `train-simgan`. */
function sharedDefaults(): Record<string, unknown> {
  const d = SIMGAN_TASK_DEFAULTS as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = structuredClone(LOOP_DEFAULTS) as unknown as Record<
    string,
    unknown
  >;
  for (const k of DATA_KEYS) out[k] = structuredClone(d[k]);
  return out;
}

/** The field declarations of the data and evaluation settings (`train-simgan`'s). */
function sharedFields(): Record<string, unknown> {
  const f = SIMGAN_CONFIG.fields as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if ((DATA_KEYS as readonly string[]).includes(k.split(".")[0])) out[k] = v;
  }
  return out;
}

/**
 * The image size of the default data sets each preset trains and evaluates on: the paper's
 * 128x128 colour images for `paper`, the project's 36x60 gray eyes for the others.
 */
export const CYCLE_PRESET_DATA_SIZES: Readonly<
  Record<"smoke" | "quick" | "paper", DefaultDataSize>
> = { smoke: "36x60x1", quick: "36x60x1", paper: "128x128x3" };

/**
 * The data sets of a preset: `source` and `target` are the default synthetic and target
 * training sets of the preset's size ({@link CYCLE_PRESET_DATA_SIZES}); their test sets follow
 * from them (`simganDataDirs`), and all four are rendered on demand. Empty for the 36x60x1
 * presets, whose defaults these are already.
 */
function presetData(name: "smoke" | "quick" | "paper"): Record<string, unknown> {
  const size = CYCLE_PRESET_DATA_SIZES[name];
  if (size === "36x60x1") return {};
  const dirs = DEFAULT_DATA_BY_SIZE[size];
  return { source: dirs.synthetic, target: dirs.targetTrain };
}

/** Loop, data and evaluation settings of the presets (as `train-simgan`'s, but the data). */
function presetExtras(name: "smoke" | "quick" | "paper"): Record<string, unknown> {
  const p = SIMGAN_TASK_PRESETS[name] as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ["logEvery", "sampleEvery", "checkpointEvery", "eval"]) {
    if (k in p) out[k] = structuredClone(p[k]);
  }
  if (name === "smoke") Object.assign(out, { sampleEvery: 2, checkpointEvery: 2 });
  if (name === "quick") Object.assign(out, { sampleEvery: 50, checkpointEvery: 100 });
  return { ...out, ...presetData(name) };
}

/**
 * The harness's declaration of a CycleGAN-family task: `method` defaults and presets plus the
 * loop, data and evaluation fields of `train-simgan`.
 */
export function cycleTaskSpec<C extends object>(spec: {
  name: string;
  description: string;
  defaults: object;
  presets: { smoke: object; quick: object; paper: object };
  fields: object;
}): ConfigSpec<C> {
  const presets = Object.fromEntries(
    (["smoke", "quick", "paper"] as const).map((n) => [
      n,
      { ...structuredClone(spec.presets[n]), ...presetExtras(n) },
    ]),
  ) as unknown as Record<string, PresetValues<C>>;
  return defineConfig<C>({
    name: spec.name,
    description: spec.description,
    defaults: { ...sharedDefaults(), ...structuredClone(spec.defaults) } as unknown as C,
    presets,
    fields: { ...LOOP_FIELDS, ...spec.fields, ...sharedFields() },
  } as unknown as ConfigSpec<C>);
}

/**
 * The harness's declaration of `train-cyclegan`'s config. Presets: CycleGAN's
 * ({@link CYCLEGAN_PRESETS}) with `train-simgan`'s loop and evaluation settings (`smoke`:
 * seconds, tiny evaluation; `quick`, the default: 600 steps, 4-10 minutes of training, then the
 * protocol with its defaults; `paper`: weeks on CPU, on the 128x128 colour default data sets,
 * `data/generated/gap-*-128x128x3`, rendered when missing).
 */
export const CYCLEGAN_CONFIG: ConfigSpec<CycleGANTaskConfig> = cycleTaskSpec<CycleGANTaskConfig>({
  name: "cyclegan",
  description:
    "CycleGAN (Zhu et al. 2017): generators G: X -> Y and F: Y -> X between synthetic and " +
    "target-domain eyes, LSGAN PatchGAN discriminators with image pools, cycle and identity " +
    "L1 terms. Trains, then runs the gaze evaluation protocol on G and writes report.html. " +
    "Short flag: --no-eval (= --eval.enabled=false).",
  defaults: CYCLEGAN_DEFAULTS,
  presets: CYCLEGAN_PRESETS,
  fields: CYCLEGAN_FIELDS,
});

/** The short flags of `train-cyclegan` / `train-gazegan` and what they stand for. */
export const CYCLE_FLAG_ALIASES = { "--no-eval": "--eval.enabled=false" } as const;

/** Rewrites `--no-eval` into `--eval.enabled=false`; everything else passes unchanged. */
export function expandCycleArgs(argv: readonly string[]): string[] {
  return argv.map((a) => (a === "--no-eval" ? "--eval.enabled=false" : a));
}
