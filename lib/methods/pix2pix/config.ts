/**
 * pix2pix's typed config, its defaults and suggested presets, declared to the experiment harness
 * like CycleGAN's (`lib/methods/cyclegan/config.ts`). The image size and the input channels are
 * not part of it: they come from the data (the paired set and `--pairs`).
 *
 * Choices, after the paper (Isola et al. 2017, sec. 3 and 4) and its canonical code
 * (`junyanz/pytorch-CycleGAN-and-pix2pix`, `models/pix2pix_model.py`, `networks.py`):
 * - G: the U-Net (`unet_generator`): 4x4 stride-2 convs, batch norm, LeakyReLU 0.2 down, ReLU up,
 *   skip concatenations, dropout 0.5 in the innermost 3 decoder blocks, kept on at test time as
 *   the only noise; batch norm with the test batch's statistics at test time (the paper's
 *   "batch normalization using the statistics of the test batch"); tanh out. Depth
 *   `0` = auto: floor(log2(min(H, W))) levels (7 at 128 px, 5 at 36x60, padded to 64x64).
 *   `skips: false` is the encoder-decoder of the paper's ablation.
 * - D: the 70x70 conditional PatchGAN (`patchgan_discriminator`), batch norm, seeing the input x
 *   and the output (G(x) or y) concatenated on channels; `conditional: false` shows it only the
 *   output (the paper's unconditional-D ablation); `receptiveField` 1 (PixelGAN), 16, 34, 70,
 *   142, 286.
 * - Objective: `adversarial.weight` x L_cGAN(G, D) + `lambdaL1` x |G(x) - y|_1 with lambda = 100;
 *   the non-saturating GAN loss (`bce`; `lsgan` also), D's objective halved. `adversarial.weight
 *   0` is the L1-only ablation (D is then not trained); `lambdaL1 0` the cGAN-only one.
 * - One G and one D update per step; Adam lr 2e-4, beta1 0.5; batch 1 in the paper (1-10);
 *   constant rate, then linear decay to 0 (canonical: 100 + 100 epochs).
 *
 * @module
 */
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
import { GAN_LOSSES, type GanLoss, mergeConfig } from "../cyclegan/config.ts";

export { GAN_LOSSES, type GanLoss };

/**
 * pix2pix's settings (the training loop's `steps`, `logEvery`, ... are the harness's); Adam of G
 * and of D and the schedule are {@link GanOptimizerConfig}'s.
 */
export interface Pix2PixConfig extends GanOptimizerConfig {
  /** Pairs per step (paper 1). */
  batchSize: number;
  /**
   * G (`unet_generator`): first-level maps F (paper 64), cap on any level's maps (paper 512),
   * `depth` (0 = auto), U-Net `skips` (false = encoder-decoder), `norm`, `dropout` rate and
   * `dropoutBlocks` (innermost decoder blocks with dropout; paper 3), `dropoutAtTest` (paper
   * true), kernel `init`.
   */
  generator: {
    filters: number;
    maxFilters: number;
    depth: number;
    skips: boolean;
    norm: NormKind;
    dropout: number;
    dropoutBlocks: number;
    dropoutAtTest: boolean;
    init: WeightInit;
  };
  /**
   * D (`patchgan_discriminator`): first-layer maps (paper 64), `receptiveField` (70), `norm`,
   * `conditional` (sees x too; paper true), kernel `init`.
   */
  discriminator: {
    filters: number;
    receptiveField: number;
    norm: NormKind;
    conditional: boolean;
    init: WeightInit;
  };
  /** The adversarial term: `loss` (`bce`, the paper; or `lsgan`) and its `weight` (0 = L1 only). */
  adversarial: { loss: GanLoss; weight: number };
  /** lambda, the weight of |G(x) - y|_1 (paper 100; 0 = cGAN only). */
  lambdaL1: number;
}

/** A partial config: any subset of the fields (nested objects partial too). */
export type Pix2PixOverrides = {
  [K in keyof Pix2PixConfig]?: Pix2PixConfig[K] extends object ? Partial<Pix2PixConfig[K]>
    : Pix2PixConfig[K];
};

/** Defaults: the paper's networks, objective and optimiser (128-256 px, batch 1). */
export const PIX2PIX_DEFAULTS: Pix2PixConfig = {
  batchSize: 1,
  generator: {
    filters: 64,
    maxFilters: 512,
    depth: 0,
    skips: true,
    norm: "batch",
    dropout: 0.5,
    dropoutBlocks: 3,
    dropoutAtTest: true,
    init: "gan",
  },
  discriminator: {
    filters: 64,
    receptiveField: 70,
    norm: "batch",
    conditional: true,
    init: "gan",
  },
  adversarial: { loss: "bce", weight: 1 },
  lambdaL1: 100,
  ...paperGanOptimizer(),
};

/** A preset: overrides plus the loop's total `steps`. */
export type Pix2PixPreset = Pix2PixOverrides & { steps: number };

/**
 * Suggested presets (wasm backend, two CPU cores; timings in `mod.ts`):
 * - `smoke`: seconds; tests and CI (4 maps, 16x16 PatchGAN, batch 2).
 * - `quick`: the project's 36x60x1 eyes with a U-Net of 16 first-level maps (capped at 128; depth
 *   auto = 5, run at 64x64), a 34x34 PatchGAN of 16 maps (7x13 patches; the 70x70 one gives
 *   only 2x5 at this size), batch 8, Adam 2e-4, 1000 steps: 700 constant, 300 decaying.
 * - `paper`: the paper's networks (U-Net 64 capped at 512, 70x70 PatchGAN of 64), batch 1,
 *   100k + 100k steps; weeks on CPU.
 */
export const PIX2PIX_PRESETS: {
  smoke: Pix2PixPreset;
  quick: Pix2PixPreset;
  paper: Pix2PixPreset;
} = {
  smoke: {
    steps: 4,
    batchSize: 2,
    generator: { filters: 4, maxFilters: 8 },
    discriminator: { filters: 4, receptiveField: 16 },
    schedule: { constantSteps: 2, decaySteps: 2 },
  },
  quick: {
    steps: 1000,
    batchSize: 8,
    generator: { filters: 16, maxFilters: 128 },
    discriminator: { filters: 16, receptiveField: 34 },
    optimizer: { lr: 2e-4 },
    schedule: { constantSteps: 700, decaySteps: 300 },
  },
  paper: {
    steps: 200_000,
    batchSize: 1,
    generator: { filters: 64, maxFilters: 512 },
    discriminator: { filters: 64, receptiveField: 70 },
    optimizer: { lr: 2e-4, beta1: 0.5 },
    schedule: { constantSteps: 100_000, decaySteps: 100_000 },
  },
};

const NORMS = ["batch", "instance", "none"];

/** Per-field details in the harness's `FieldInfo` shape (docs, choices, bounds). */
export const PIX2PIX_FIELDS = {
  batchSize: { doc: "pairs per step (paper 1)", integer: true, min: 1 },
  "generator.filters": { doc: "G: first-level maps (paper 64)", integer: true, min: 1 },
  "generator.maxFilters": { doc: "G: cap on any level's maps (paper 512)", integer: true, min: 1 },
  "generator.depth": {
    doc: "G: stride-2 levels (0 = auto: floor(log2(min(H, W))))",
    integer: true,
    min: 0,
  },
  "generator.skips": { doc: "G: U-Net skip connections (false = encoder-decoder)" },
  "generator.norm": { doc: "G: normalisation (paper batch)", choices: NORMS },
  "generator.dropout": {
    doc: "G: dropout rate in [0, 1) (paper 0.5; 0 = none)",
    min: 0,
    lessThan: 1,
  },
  "generator.dropoutBlocks": {
    doc: "G: innermost decoder blocks with dropout (paper 3)",
    integer: true,
    min: 0,
  },
  "generator.dropoutAtTest": { doc: "G: keep dropout on at test time (paper true)" },
  "generator.init": { doc: "G: kernel initialisation", choices: [...WEIGHT_INITS] },
  "discriminator.filters": { doc: "D: first-layer maps (paper 64)", integer: true, min: 1 },
  "discriminator.receptiveField": {
    doc: "D: PatchGAN patch size, 1 (PixelGAN), 16, 34, 70 (paper), 142, 286",
    integer: true,
    min: 1,
  },
  "discriminator.norm": { doc: "D: normalisation (paper batch)", choices: NORMS },
  "discriminator.conditional": { doc: "D sees the input x with the output (paper true)" },
  "discriminator.init": { doc: "D: kernel initialisation", choices: [...WEIGHT_INITS] },
  "adversarial.loss": { doc: "adversarial loss (paper bce)", choices: [...GAN_LOSSES] },
  "adversarial.weight": { doc: "weight of the cGAN term (paper 1; 0 = L1 only)", min: 0 },
  lambdaL1: { doc: "weight of |G(x) - y|_1 (paper 100; 0 = cGAN only)", min: 0 },
  ...GAN_OPTIMIZER_FIELDS,
} as const;

/**
 * The defaults with `overrides` applied, checked.
 *
 * @throws for unknown keys, mistyped values and invalid settings (bad receptive field, norm or
 *   loss, negative weights, both objective terms off, ...).
 */
export function resolvePix2PixConfig(overrides: Pix2PixOverrides = {}): Pix2PixConfig {
  const cfg = mergeConfig("pix2pix", PIX2PIX_DEFAULTS, overrides);
  validatePix2PixConfig(cfg);
  return cfg;
}

/** Checks the settings of a merged config. */
export function validatePix2PixConfig(c: Pix2PixConfig): void {
  const check = configChecks("pix2pix");
  const { fail, int, nonNegative, oneOf, bool } = check;
  const g = c.generator, d = c.discriminator;
  int("batchSize", c.batchSize, 1);
  int("generator.filters", g.filters, 1);
  int("generator.maxFilters", g.maxFilters, 1);
  int("generator.depth", g.depth, 0);
  bool("generator.skips", g.skips);
  oneOf("generator.norm", g.norm, NORMS);
  if (!(g.dropout >= 0 && g.dropout < 1)) {
    fail(`generator.dropout must be in [0, 1), got ${g.dropout}`);
  }
  int("generator.dropoutBlocks", g.dropoutBlocks, 0);
  bool("generator.dropoutAtTest", g.dropoutAtTest);
  oneOf("generator.init", g.init, WEIGHT_INITS);
  int("discriminator.filters", d.filters, 1);
  oneOf(
    "discriminator.receptiveField",
    String(d.receptiveField),
    Object.keys(PATCHGAN_RECEPTIVE_FIELDS),
  );
  oneOf("discriminator.norm", d.norm, NORMS);
  bool("discriminator.conditional", d.conditional);
  oneOf("discriminator.init", d.init, WEIGHT_INITS);
  oneOf("adversarial.loss", c.adversarial.loss, GAN_LOSSES);
  nonNegative("adversarial.weight", c.adversarial.weight);
  nonNegative("lambdaL1", c.lambdaL1);
  if (c.adversarial.weight === 0 && c.lambdaL1 === 0) {
    fail("adversarial.weight and lambdaL1 are both 0: nothing would train G");
  }
  validateGanOptimizer(c, check);
}
