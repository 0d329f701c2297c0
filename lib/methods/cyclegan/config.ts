/**
 * CycleGAN's typed config, its defaults and suggested presets, and the nested-merge helper
 * GazeGAN's config reuses.
 *
 * Every leaf is a number, string or array, so the config can be declared to the experiment
 * harness as is (`defineConfig({ name: "cyclegan", defaults: { ...LOOP_DEFAULTS,
 * ...CYCLEGAN_DEFAULTS }, presets: CYCLEGAN_PRESETS, fields: CYCLEGAN_FIELDS })`). The image
 * size is not part of it: it comes from the data (both domains the same size).
 *
 * Choices, after the paper (Zhu et al. 2017, sec. 4 and 7) and its canonical code
 * (`junyanz/pytorch-CycleGAN-and-pix2pix`, `models/cycle_gan_model.py`):
 * - Generators c7s1-64, d128, d256, 6 residual blocks (128 px; 9 at 256 px), u128, u64,
 *   c7s1-C, instance norm, reflection padding, transposed-conv ups; discriminators 70x70
 *   PatchGAN with 64 first-layer maps, instance norm; N(0, 0.02) initialisation.
 * - LSGAN (a = 0, b = c = 1) with the generator loss unhalved and the discriminator loss
 *   halved: L_G_adv = E[(D(G(x)) - c)^2], L_D = 1/2 E[(D(y) - b)^2] + 1/2 E[(D(G(x)) - a)^2].
 *   `bce` is the original non-saturating GAN instead (D halved the same way).
 * - lambda_cyc = 10 (`lambdaCycle`), identity weight lambda_id = 0.5 x lambda_cyc (`lambdaIdentity`
 *   is the canonical code's relative `--lambda_identity 0.5`; 0 disables the identity term).
 * - Image pools of 50 generated images per discriminator; batch 1; Adam lr 2e-4, beta1 0.5.
 * - The rate is constant for `schedule.constantSteps` and decays linearly to 0 over
 *   `schedule.decaySteps` (paper: 100 + 100 epochs); `decaySteps: 0` keeps it constant.
 *
 * @module
 */
import type { LabelSmoothing } from "../../losses/adversarial.ts";
import type { NormKind } from "../../nn/norm.ts";
import { PATCHGAN_RECEPTIVE_FIELDS } from "../../nn/networks/patchgan_discriminator.ts";
import { WEIGHT_INITS, type WeightInit } from "../../nn/params.ts";
import {
  configChecks,
  GAN_OPTIMIZER_FIELDS,
  type GanOptimizerConfig,
  paperGanOptimizer,
  validateGanOptimizer,
} from "../../train/gan_config.ts";

/** Adversarial losses CycleGAN can use. */
export const GAN_LOSSES = ["lsgan", "bce"] as const;

/** `lsgan` (least squares, the paper) or `bce` (non-saturating cross-entropy). */
export type GanLoss = typeof GAN_LOSSES[number];

/**
 * CycleGAN's settings (the training loop's `steps`, `logEvery`, ... are the harness's); Adam of
 * the generators and of the discriminators and the schedule are {@link GanOptimizerConfig}'s.
 */
export interface CycleGANConfig extends GanOptimizerConfig {
  /** Images of each domain per step (paper: 1). */
  batchSize: number;
  /**
   * Both generators G and F (`resnet_generator`): first-layer maps F (paper 64), residual
   * `blocks` (6 at 128 px, 9 at 256 px), stride-2 `downsamplings` (2), `upsample`
   * (`transpose` or `resize_conv`), `norm` and kernel `init`.
   */
  generator: {
    filters: number;
    blocks: number;
    downsamplings: number;
    upsample: "transpose" | "resize_conv";
    norm: NormKind;
    init: WeightInit;
  };
  /**
   * Both discriminators D_Y and D_X (`patchgan_discriminator`): first-layer maps (paper 64),
   * `receptiveField` (70; 1, 16, 34, 142, 286 also), `norm`, `init`.
   */
  discriminator: { filters: number; receptiveField: number; norm: NormKind; init: WeightInit };
  /**
   * The adversarial loss: `loss` (`lsgan` or `bce`), LSGAN's codes a (fake), b (real),
   * c (generator's target), one-sided `labelSmoothing` (`none`, `generator`: c := smoothTo,
   * `real`: b := smoothTo) and `smoothTo` (0.9). With `bce`, a, b, c must stay 0, 1, 1.
   */
  adversarial: {
    loss: GanLoss;
    a: number;
    b: number;
    c: number;
    labelSmoothing: LabelSmoothing;
    smoothTo: number;
  };
  /** lambda_cyc, weight of both cycle L1 terms (paper 10). */
  lambdaCycle: number;
  /** Identity weight as a fraction of lambda_cyc (paper 0.5 for photo<->painting; 0 = off). */
  lambdaIdentity: number;
  /** Generated images kept per discriminator's image pool (paper 50; 0 = no pool). */
  poolSize: number;
}

/** A partial config: any subset of the fields (nested objects partial too). */
export type CycleGANOverrides = {
  [K in keyof CycleGANConfig]?: CycleGANConfig[K] extends object ? Partial<CycleGANConfig[K]>
    : CycleGANConfig[K];
};

/** Defaults: the paper's networks, losses and optimiser at 128x128, 100k + 100k steps. */
export const CYCLEGAN_DEFAULTS: CycleGANConfig = {
  batchSize: 1,
  generator: {
    filters: 64,
    blocks: 6,
    downsamplings: 2,
    upsample: "transpose",
    norm: "instance",
    init: "gan",
  },
  discriminator: { filters: 64, receptiveField: 70, norm: "instance", init: "gan" },
  adversarial: { loss: "lsgan", a: 0, b: 1, c: 1, labelSmoothing: "none", smoothTo: 0.9 },
  lambdaCycle: 10,
  lambdaIdentity: 0.5,
  poolSize: 50,
  ...paperGanOptimizer(),
};

/** A preset: overrides plus the loop's total `steps`. */
export type CycleGANPreset = CycleGANOverrides & { steps: number };

/**
 * Suggested presets (wasm backend, two CPU cores; timings in `lib/methods/gazegan/mod.ts`):
 * - `smoke`: seconds; tests and CI (4 maps, 1 block, 16x16 PatchGAN, batch 2).
 * - `quick`: the project's 36x60x1 eye images with c7s1-16, d32, d64, 3 residual blocks,
 *   nearest-resize + conv ups (`resize_conv`: no checkerboard speckle, which the transposed
 *   convs showed after 150 steps), a 34x34 PatchGAN of 16 maps (7x13 patches; the 70x70 one
 *   gives only 2x5 at this size), batch 4, pool 50, Adam 5e-4 (2.5 x the paper's rate, for
 *   4 images a step), 600 steps: 400 constant, 200 decaying. 0.4 s a step on an idle machine,
 *   about 1 s with the cores shared: 4-10 minutes.
 * - `paper`: the paper's networks at 128x128 colour, batch 1, 100k + 100k steps; weeks on CPU.
 *   The task's `paper` preset trains on the 128x128x3 default data sets
 *   (`data/generated/gap-*-128x128x3`, `task_config.ts`).
 */
export const CYCLEGAN_PRESETS: {
  smoke: CycleGANPreset;
  quick: CycleGANPreset;
  paper: CycleGANPreset;
} = {
  smoke: {
    steps: 4,
    batchSize: 2,
    generator: { filters: 4, blocks: 1 },
    discriminator: { filters: 4, receptiveField: 16 },
    poolSize: 4,
    schedule: { constantSteps: 2, decaySteps: 2 },
  },
  quick: {
    steps: 600,
    batchSize: 4,
    generator: { filters: 16, blocks: 3, upsample: "resize_conv" },
    discriminator: { filters: 16, receptiveField: 34 },
    poolSize: 50,
    optimizer: { lr: 5e-4 },
    schedule: { constantSteps: 400, decaySteps: 200 },
  },
  paper: {
    steps: 200_000,
    batchSize: 1,
    generator: { filters: 64, blocks: 6, upsample: "transpose" },
    discriminator: { filters: 64, receptiveField: 70 },
    poolSize: 50,
    optimizer: { lr: 2e-4, beta1: 0.5 },
    schedule: { constantSteps: 100_000, decaySteps: 100_000 },
  },
};

/** Per-field details in the harness's `FieldInfo` shape (docs, choices, bounds). */
export const CYCLEGAN_FIELDS = {
  batchSize: { doc: "images of each domain per step (paper 1)", integer: true, min: 1 },
  "generator.filters": { doc: "G and F: first-layer maps (paper 64)", integer: true, min: 1 },
  "generator.blocks": {
    doc: "G and F: residual blocks (paper 6 at 128 px)",
    integer: true,
    min: 0,
  },
  "generator.downsamplings": { doc: "G and F: stride-2 steps (paper 2)", integer: true, min: 0 },
  "generator.upsample": { doc: "G and F: upsampling", choices: ["transpose", "resize_conv"] },
  "generator.norm": { doc: "G and F: normalisation", choices: ["instance", "batch", "none"] },
  "generator.init": { doc: "G and F: kernel initialisation", choices: [...WEIGHT_INITS] },
  "discriminator.filters": {
    doc: "D_Y and D_X: first-layer maps (paper 64)",
    integer: true,
    min: 1,
  },
  "discriminator.receptiveField": {
    doc: "D_Y and D_X: PatchGAN patch size (paper 70)",
    integer: true,
    min: 1,
  },
  "discriminator.norm": {
    doc: "D_Y and D_X: normalisation",
    choices: ["instance", "batch", "none"],
  },
  "discriminator.init": { doc: "D_Y and D_X: kernel initialisation", choices: [...WEIGHT_INITS] },
  "adversarial.loss": { doc: "adversarial loss (paper lsgan)", choices: [...GAN_LOSSES] },
  "adversarial.a": { doc: "LSGAN: D's target on generated images (0)" },
  "adversarial.b": { doc: "LSGAN: D's target on real images (1)" },
  "adversarial.c": { doc: "LSGAN: the generators' target on their images (1)" },
  "adversarial.labelSmoothing": {
    doc: "one-sided label smoothing: generator (c := smoothTo) or real (b := smoothTo)",
    choices: ["none", "generator", "real"],
  },
  "adversarial.smoothTo": { doc: "smoothed target (0.9)", min: 0, max: 1 },
  lambdaCycle: { doc: "weight of the cycle L1 terms (paper 10)", min: 0 },
  lambdaIdentity: { doc: "identity weight / lambdaCycle (paper 0.5; 0 = off)", min: 0 },
  poolSize: { doc: "image pool per discriminator (paper 50; 0 = none)", integer: true, min: 0 },
  ...GAN_OPTIMIZER_FIELDS,
} as const;

/**
 * The defaults with `overrides` applied (one level of nesting), checked for unknown keys and
 * mistyped values; `method` names the config in errors. Shared by CycleGAN and GazeGAN.
 *
 * @throws for unknown keys and values whose type differs from the default's.
 */
export function mergeConfig<C extends object>(
  method: string,
  defaults: C,
  overrides: object = {},
): C {
  const out = structuredClone(defaults) as Record<string, unknown>;
  const defs = defaults as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in defs)) {
      throw new Error(`${method}: unknown config key '${key}' (known: ${Object.keys(defs)})`);
    }
    if (value === undefined) continue;
    const def = defs[key];
    if (def !== null && typeof def === "object" && !Array.isArray(def)) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(`${method}: config '${key}' must be an object`);
      }
      const sub = out[key] as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) {
        if (!(k in sub)) throw new Error(`${method}: unknown config key '${key}.${k}'`);
        checkType(method, `${key}.${k}`, (def as Record<string, unknown>)[k], v);
        if (v !== undefined) sub[k] = structuredClone(v);
      }
    } else {
      checkType(method, key, def, value);
      out[key] = structuredClone(value);
    }
  }
  return out as C;
}

function checkType(method: string, path: string, def: unknown, value: unknown): void {
  const kind = (v: unknown) => (Array.isArray(v) ? "array" : typeof v);
  if (value !== undefined && kind(def) !== kind(value)) {
    throw new Error(
      `${method}: config '${path}' must be ${kind(def)}, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * The defaults with `overrides` applied, checked.
 *
 * @throws for unknown keys, mistyped values and invalid settings (bad loss or receptive field,
 *   negative weights, a/b/c changed with `bce`, ...).
 */
export function resolveCycleganConfig(overrides: CycleGANOverrides = {}): CycleGANConfig {
  const cfg = mergeConfig("cyclegan", CYCLEGAN_DEFAULTS, overrides);
  validateCycleganConfig(cfg, "cyclegan");
  return cfg;
}

/** Checks the settings of a merged config; `method` names it in errors. */
export function validateCycleganConfig(c: CycleGANConfig, method: string): void {
  const check = configChecks(method);
  const { fail, int, nonNegative, oneOf } = check;
  int("batchSize", c.batchSize, 1);
  int("generator.filters", c.generator.filters, 1);
  int("generator.blocks", c.generator.blocks, 0);
  int("generator.downsamplings", c.generator.downsamplings, 0);
  oneOf("generator.upsample", c.generator.upsample, ["transpose", "resize_conv"]);
  oneOf("generator.norm", c.generator.norm, ["instance", "batch", "none"]);
  oneOf("generator.init", c.generator.init, WEIGHT_INITS);
  int("discriminator.filters", c.discriminator.filters, 1);
  const fields = Object.keys(PATCHGAN_RECEPTIVE_FIELDS);
  oneOf("discriminator.receptiveField", String(c.discriminator.receptiveField), fields);
  oneOf("discriminator.norm", c.discriminator.norm, ["instance", "batch", "none"]);
  oneOf("discriminator.init", c.discriminator.init, WEIGHT_INITS);
  const adv = c.adversarial;
  oneOf("adversarial.loss", adv.loss, GAN_LOSSES);
  oneOf("adversarial.labelSmoothing", adv.labelSmoothing, ["none", "generator", "real"]);
  for (const k of ["a", "b", "c"] as const) {
    if (!Number.isFinite(adv[k])) fail(`adversarial.${k} must be a finite number`);
  }
  if (!(adv.smoothTo >= 0 && adv.smoothTo <= 1)) {
    fail(`adversarial.smoothTo must be in [0, 1], got ${adv.smoothTo}`);
  }
  if (adv.loss === "bce" && (adv.a !== 0 || adv.b !== 1 || adv.c !== 1)) {
    fail("adversarial a, b, c are LSGAN's codes; with 'bce' they must stay 0, 1, 1");
  }
  nonNegative("lambdaCycle", c.lambdaCycle);
  nonNegative("lambdaIdentity", c.lambdaIdentity);
  int("poolSize", c.poolSize, 0);
  validateGanOptimizer(c, check);
}
