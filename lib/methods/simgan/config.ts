/**
 * SimGAN's typed config, its defaults and suggested presets.
 *
 * Every leaf is a number, string or array, so the config can be declared to the experiment
 * harness as is (`defineConfig({ name: "simgan", defaults: { ...LOOP_DEFAULTS,
 * ...SIMGAN_DEFAULTS }, presets: SIMGAN_PRESETS, fields: SIMGAN_FIELDS })`). The loop's `steps`
 * counts every step, pretraining included (see `SimGAN.phase`).
 *
 * Choices the paper leaves open, and ours:
 * - lambda: not published; reimplementations used 0.5-0.75 with the paper's sums over patches
 *   and pixels. We average both terms ({@link Reduction} `mean`), so the same balance needs a
 *   lambda larger by pixels / patches: 2160 / 135 = 16 at 36x60 (D's map is 9x15), 15.3 at
 *   35x55. Default 8, i.e. the reimplementations' 0.5. Measured on 36x60 (synthetic vs the
 *   target domain, quick networks, 400 steps): lambda 1 and 3 refine strongly but deform the
 *   eye (iris merged with the eyelid, mean |R(x) - x| 0.26-0.30); 8 darkens the iris and
 *   eyelid lines and raises contrast while keeping the iris where it was (|R(x) - x| 0.2).
 *   The `paper` preset uses the sums with lambda 0.5 instead.
 * - Kg = 2 refiner updates per Kd = 1 discriminator update (reimplementations: Kg 2 or 50).
 * - Buffer: the paper's size is not published (reimplementations: 25,600-128,000 images at
 *   batch 512, i.e. 50-250 batches); default 100 discriminator batches' worth of refined images.
 * - Adam, lr 1e-3 (paper: SGD or Adam at 1e-3), betas 0.9 / 0.999.
 *
 * @module
 */
import type { Reduction } from "../../losses/adversarial.ts";
import { PSI_NAMES, type PsiName } from "../../losses/psi.ts";
import { WEIGHT_INITS, type WeightInit } from "../../nn/params.ts";

/** SimGAN's settings (the training loop's `steps`, `logEvery`, ... are the harness's). */
export interface SimGANConfig {
  /** Images per refiner step; a discriminator step sees as many (half real). Multiple of 4. */
  batchSize: number;
  /**
   * Refiner R: hidden maps and ResNet blocks (paper: 64, 4), kernel initialisation (`he`,
   * `glorot` or `gan`; see `lib/nn/params.ts`).
   */
  refiner: { filters: number; blocks: number; init: WeightInit };
  /** Discriminator D: widths of its four hidden convolutions (paper: 96, 64, 32, 32), init. */
  discriminator: { filters: number[]; init: WeightInit };
  /** Weight lambda of the self-regularisation term. */
  lambda: number;
  /** Reduction over patches (adversarial) and pixels (self-regularisation), both the same. */
  reduction: Reduction;
  /**
   * Feature map psi of the self-regularisation: `name` (identity, gradients, stats, features),
   * `window` of `stats`, and for `features` the frozen network's `layer` and the `estimator`
   * file to load it from (`deno task train-estimator` output).
   */
  psi: { name: PsiName; layer: string; window: number; estimator: string };
  /** Adam for both networks. */
  optimizer: { lr: number; beta1: number; beta2: number };
  /** Images kept in the history buffer of refined images. */
  bufferSize: number;
  /** Refiner updates (K_g) and discriminator updates (K_d) per adversarial step. */
  kG: number;
  kD: number;
  /** Steps of refiner pretraining (self-regularisation only), counted in `steps`. */
  pretrainRefinerSteps: number;
  /** Steps of discriminator pretraining (real vs pretrained refiner), counted in `steps`. */
  pretrainDiscriminatorSteps: number;
}

/** A partial config: any subset of the fields (nested objects partial too). */
export type SimGANOverrides = {
  [K in keyof SimGANConfig]?: SimGANConfig[K] extends unknown[] ? SimGANConfig[K]
    : SimGANConfig[K] extends object ? Partial<SimGANConfig[K]>
    : SimGANConfig[K];
};

/**
 * Defaults: the paper's networks and learning rate, lambda 8 (mean reductions), psi identity,
 * Kg 2 / Kd 1, batch 32, buffer 3,200 (100 discriminator batches of 32), 200 + 50 pretraining
 * steps. Initialisation: R `gan` (N(0, 0.02): R(x) starts near 0 and pretraining makes it the
 * identity); D `he`, because with `gan` the small-variance signal dies in D's plain ReLU stack
 * (no normalisation) and a narrow D learns only its output bias: the constant-output collapse
 * reported for reimplementations.
 */
export const SIMGAN_DEFAULTS: SimGANConfig = {
  batchSize: 32,
  refiner: { filters: 64, blocks: 4, init: "gan" },
  discriminator: { filters: [96, 64, 32, 32], init: "he" },
  lambda: 8,
  reduction: "mean",
  psi: { name: "identity", layer: "conv2", window: 4, estimator: "" },
  optimizer: { lr: 1e-3, beta1: 0.9, beta2: 0.999 },
  bufferSize: 3200,
  kG: 2,
  kD: 1,
  pretrainRefinerSteps: 200,
  pretrainDiscriminatorSteps: 50,
};

/** A preset: overrides plus the loop's total `steps` (pretraining included). */
export type SimGANPreset = SimGANOverrides & { steps: number };

/**
 * Suggested presets (time on two CPU cores, wasm backend, 36x60x1):
 * - `smoke`: seconds; tests and CI.
 * - `quick`: narrow networks (R 16 maps x 2 blocks, D 32-32-16-16), batch 32, 100 + 30
 *   pretraining and 570 adversarial steps: about 0.7 s per adversarial step (2 R + 1 D update),
 *   5-8 minutes in all; the iris and eyelids darken visibly (see `mod.ts`).
 * - `paper`: the paper's networks and schedule (1,000 R + 200 D pretraining), batch 512, the
 *   paper's sums with the reimplementations' lambda 0.5, 10,000 adversarial steps; days on CPU.
 */
export const SIMGAN_PRESETS: { smoke: SimGANPreset; quick: SimGANPreset; paper: SimGANPreset } = {
  smoke: {
    steps: 6,
    batchSize: 8,
    refiner: { filters: 8, blocks: 1 },
    discriminator: { filters: [12, 8, 8, 8] },
    bufferSize: 64,
    pretrainRefinerSteps: 2,
    pretrainDiscriminatorSteps: 1,
  },
  quick: {
    steps: 700,
    batchSize: 32,
    refiner: { filters: 16, blocks: 2 },
    discriminator: { filters: [32, 32, 16, 16] },
    bufferSize: 3200,
    pretrainRefinerSteps: 100,
    pretrainDiscriminatorSteps: 30,
  },
  paper: {
    steps: 11_200,
    lambda: 0.5,
    reduction: "sum",
    batchSize: 512,
    refiner: { filters: 64, blocks: 4 },
    discriminator: { filters: [96, 64, 32, 32] },
    bufferSize: 25_600,
    pretrainRefinerSteps: 1000,
    pretrainDiscriminatorSteps: 200,
  },
};

/** Per-field details in the harness's `FieldInfo` shape (docs, choices, bounds). */
export const SIMGAN_FIELDS = {
  batchSize: { doc: "images per refiner step (multiple of 4)", integer: true, min: 4 },
  "refiner.filters": { doc: "refiner hidden maps (paper 64)", integer: true, min: 1 },
  "refiner.blocks": { doc: "refiner ResNet blocks (paper 4)", integer: true, min: 0 },
  "refiner.init": { doc: "refiner kernel initialisation", choices: [...WEIGHT_INITS] },
  "discriminator.init": { doc: "discriminator kernel initialisation", choices: [...WEIGHT_INITS] },
  "discriminator.filters": {
    doc: "D's four hidden widths (paper 96,64,32,32)",
    integer: true,
    min: 1,
  },
  lambda: { doc: "self-regularisation weight", min: 0 },
  reduction: { doc: "over patches and pixels: mean, or sum (the paper)", choices: ["mean", "sum"] },
  "psi.name": { doc: "feature map of the self-regularisation", choices: [...PSI_NAMES] },
  "psi.layer": { doc: "psi 'features': stage of the frozen estimator (conv1..conv5, pool1, ...)" },
  "psi.window": { doc: "psi 'stats': window size (0 = whole image)", integer: true, min: 0 },
  "psi.estimator": { doc: "psi 'features': estimator file (.safetensors)" },
  "optimizer.lr": { doc: "Adam learning rate (paper 1e-3)", min: 0 },
  "optimizer.beta1": { doc: "Adam beta1", min: 0, max: 1 },
  "optimizer.beta2": { doc: "Adam beta2", min: 0, max: 1 },
  bufferSize: { doc: "history buffer of refined images", integer: true, min: 1 },
  kG: { doc: "refiner updates per step (K_g)", integer: true, min: 1 },
  kD: { doc: "discriminator updates per step (K_d)", integer: true, min: 1 },
  pretrainRefinerSteps: { doc: "steps of refiner pretraining (in steps)", integer: true, min: 0 },
  pretrainDiscriminatorSteps: {
    doc: "steps of discriminator pretraining (in steps)",
    integer: true,
    min: 0,
  },
} as const;

/**
 * The defaults with `overrides` applied (one level of nesting), checked.
 *
 * @throws for unknown keys, mistyped values and invalid settings (batch not a multiple of 4,
 *   negative lambda, unknown psi, ...).
 */
export function resolveSimganConfig(overrides: SimGANOverrides = {}): SimGANConfig {
  const out = structuredClone(SIMGAN_DEFAULTS) as unknown as Record<string, unknown>;
  const defaults = SIMGAN_DEFAULTS as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in defaults)) {
      throw new Error(`simgan: unknown config key '${key}' (known: ${Object.keys(defaults)})`);
    }
    if (value === undefined) continue;
    const def = defaults[key];
    if (def !== null && typeof def === "object" && !Array.isArray(def)) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(`simgan: config '${key}' must be an object`);
      }
      const sub = out[key] as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) {
        if (!(k in sub)) throw new Error(`simgan: unknown config key '${key}.${k}'`);
        checkType(`${key}.${k}`, (def as Record<string, unknown>)[k], v);
        if (v !== undefined) sub[k] = structuredClone(v);
      }
    } else {
      checkType(key, def, value);
      out[key] = structuredClone(value);
    }
  }
  const cfg = out as unknown as SimGANConfig;
  validate(cfg);
  return cfg;
}

function checkType(path: string, def: unknown, value: unknown): void {
  const kind = (v: unknown) => (Array.isArray(v) ? "array" : typeof v);
  if (value !== undefined && kind(def) !== kind(value)) {
    throw new Error(`simgan: config '${path}' must be ${kind(def)}, got ${JSON.stringify(value)}`);
  }
}

function validate(c: SimGANConfig): void {
  const int = (path: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new Error(`simgan: ${path} must be an integer >= ${min}, got ${v}`);
    }
  };
  int("batchSize", c.batchSize, 4);
  if (c.batchSize % 4 !== 0) {
    throw new Error(`simgan: batchSize must be a multiple of 4, got ${c.batchSize}`);
  }
  int("refiner.filters", c.refiner.filters, 1);
  int("refiner.blocks", c.refiner.blocks, 0);
  if (c.discriminator.filters.length !== 4) {
    throw new Error("simgan: discriminator.filters needs 4 widths");
  }
  c.discriminator.filters.forEach((f, i) => int(`discriminator.filters[${i}]`, f, 1));
  if (!(c.lambda >= 0)) throw new Error(`simgan: lambda must be >= 0, got ${c.lambda}`);
  if (c.reduction !== "mean" && c.reduction !== "sum") {
    throw new Error(`simgan: reduction must be mean or sum`);
  }
  if (!(PSI_NAMES as readonly string[]).includes(c.psi.name)) {
    throw new Error(`simgan: psi.name must be one of ${PSI_NAMES.join(", ")}, got ${c.psi.name}`);
  }
  int("psi.window", c.psi.window, 0);
  for (
    const [path, init] of [["refiner.init", c.refiner.init], [
      "discriminator.init",
      c.discriminator.init,
    ]]
  ) {
    if (!(WEIGHT_INITS as readonly string[]).includes(init)) {
      throw new Error(`simgan: ${path} must be one of ${WEIGHT_INITS.join(", ")}, got ${init}`);
    }
  }
  if (!(c.optimizer.lr > 0)) throw new Error(`simgan: optimizer.lr must be > 0`);
  int("bufferSize", c.bufferSize, 1);
  int("kG", c.kG, 1);
  int("kD", c.kD, 1);
  int("pretrainRefinerSteps", c.pretrainRefinerSteps, 0);
  int("pretrainDiscriminatorSteps", c.pretrainDiscriminatorSteps, 0);
}
