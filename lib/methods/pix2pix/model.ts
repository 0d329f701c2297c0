/**
 * The pix2pix model: the U-Net generator G, the conditional PatchGAN discriminator D, their two
 * Adam optimisers, the objective as pure functions of tensors ({@link generatorObjective},
 * {@link discriminatorObjective}) and one function per kind of training step (Isola et al.,
 * CVPR 2017, https://arxiv.org/abs/1611.07004). See `mod.ts` for the symbol table and an
 * example.
 *
 * Objective (reductions `mean` over patches and pixels, then over the batch):
 *
 * ```text
 *   D(x, t)  = D's logits on [x, t] concatenated on channels (on t alone when unconditional)
 *   loss_G_adv = w E[BCE(D(x, G(x)), 1)]                       non-saturating; w = adversarial.weight
 *   loss_L1    = lambda E|G(x) - y|                            lambda = lambdaL1 (100)
 *   loss_G     = loss_G_adv + loss_L1
 *   loss_D     = 1/2 (E[BCE(D(x, y), 1)] + E[BCE(D(x, G(x)), 0)])   the D objective halved
 * ```
 *
 * With `adversarial.loss: "lsgan"`, BCE(D, t) becomes (D - t)^2 (G's term unhalved, D's halved,
 * as CycleGAN's). With w = 0 (L1 only) D is neither used by G nor trained; `loss_D` is then not
 * reported. `l1` is the raw mean |G(x) - y| of the step, reported whatever lambda is.
 *
 * One {@link Pix2Pix.step}: a G update, then a D update on the G update's own G(x) (computed
 * once, before G moved: no second forward pass of G). The canonical code updates D first and
 * then G on the same G(x); this order is the same alternation, half a step shifted, and the one
 * this repository's CycleGAN uses.
 *
 * Dropout is G's only noise (no z), kept on at test time by default. Each update draws its masks
 * from a key derived from the update counter (`ApplyContext.noiseKey`, `G:<k>`), which the
 * checkpoint holds, so a resumed run draws the same masks as an uninterrupted one.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  bceDiscriminatorLoss,
  bceGeneratorLoss,
  lsganDiscriminatorLoss,
  lsganGeneratorLoss,
} from "../../losses/adversarial.ts";
import { l1Loss } from "../../losses/pixel.ts";
import type { Network } from "../../nn/network.ts";
import { padToMultiple } from "../../nn/padding.ts";
import {
  type PatchganDiscriminatorConfig,
  patchganOutputSize,
} from "../../nn/networks/patchgan_discriminator.ts";
import {
  unetDepth,
  type UnetGeneratorConfig,
  unetMaxDepth,
} from "../../nn/networks/unet_generator.ts";
import { buildNetwork } from "../../nn/registry.ts";
import { checkPatchganFits } from "../../train/gan_config.ts";
import { linearDecayLr, setLearningRate } from "../../train/schedule.ts";
import { RunSeeds } from "../../train/seeds.ts";
import { SetupError } from "../../util/cli.ts";
import type { ImageShape } from "../image_pool.ts";
import { assertFinite, updateWithValues } from "../simgan/steps.ts";
import {
  type GanLoss,
  type Pix2PixConfig,
  type Pix2PixOverrides,
  resolvePix2PixConfig,
} from "./config.ts";
import type { PairSource } from "./data.ts";

/** The objective's settings (a {@link Pix2PixConfig}'s `adversarial` and `lambdaL1`). */
export interface ObjectiveSettings {
  /** `bce` (non-saturating) or `lsgan`. */
  loss: GanLoss;
  /** w, the weight of the adversarial term (0: L1 only). */
  weight: number;
  /** lambda, the weight of the L1 term (0: cGAN only). */
  lambdaL1: number;
}

/**
 * G's adversarial loss on D's logits for G's images, unweighted: E[BCE(D, 1)] (`bce`,
 * non-saturating) or E[(D - 1)^2] (`lsgan`).
 */
export function generatorAdversarialLoss(dOnFake: tf.Tensor, loss: GanLoss): tf.Scalar {
  // E[BCE(D(x, G(x)), 1)]
  if (loss === "bce") return bceGeneratorLoss(dOnFake);
  // E[(D(x, G(x)) - 1)^2] = 2 x Mao's 1/2 E[(D - c)^2]
  return tf.tidy(() => tf.mul(2, lsganGeneratorLoss(dOnFake)));
}

/**
 * G's objective terms: `adv` = w x {@link generatorAdversarialLoss} (0 when w = 0 or no D
 * output is given), `l1` = mean |G(x) - y|, `weightedL1` = lambda x l1, `total` = adv +
 * weightedL1. Nothing is disposed; call inside a tidy or an optimiser's `minimize`.
 */
export function generatorObjective(
  dOnFake: tf.Tensor | undefined,
  fake: tf.Tensor,
  y: tf.Tensor,
  s: ObjectiveSettings,
): { adv: tf.Scalar; l1: tf.Scalar; weightedL1: tf.Scalar; total: tf.Scalar } {
  // w E[BCE(D(x, G(x)), 1)]
  const adv = s.weight > 0 && dOnFake
    ? tf.mul(s.weight, generatorAdversarialLoss(dOnFake, s.loss)) as tf.Scalar
    : tf.scalar(0);
  // E|G(x) - y|, lambda E|G(x) - y|
  const l1 = l1Loss(fake, y);
  const weightedL1 = tf.mul(s.lambdaL1, l1) as tf.Scalar;
  return { adv, l1, weightedL1, total: tf.add(adv, weightedL1) as tf.Scalar };
}

/**
 * D's objective, halved: 1/2 (E[BCE(D(x, y), 1)] + E[BCE(D(x, G(x)), 0)]) (`bce`) or
 * 1/2 E[(D(x, y) - 1)^2] + 1/2 E[(D(x, G(x)))^2] (`lsgan`).
 */
export function discriminatorObjective(
  dReal: tf.Tensor,
  dFake: tf.Tensor,
  loss: GanLoss,
): tf.Scalar {
  // 1/2 (E[BCE(D(x, y), 1)] + E[BCE(D(x, G(x)), 0)])
  if (loss === "bce") return tf.tidy(() => tf.mul(0.5, bceDiscriminatorLoss(dReal, dFake)));
  // 1/2 E[(D(x, y) - 1)^2] + 1/2 E[(D(x, G(x)) - 0)^2]
  return lsganDiscriminatorLoss(dReal, dFake);
}

/** What a generator update reports. */
export interface GeneratorValues {
  [key: string]: number;
  /** w x G's adversarial loss (0 when w = 0). */
  loss_G_adv: number;
  /** lambda x mean |G(x) - y|. */
  loss_L1: number;
  /** The total G minimises. */
  loss_G: number;
  /** mean |G(x) - y| (unweighted). */
  l1: number;
}

/** What a discriminator update reports. */
export interface DiscriminatorValues {
  [key: string]: number;
  /** D's loss, halved. */
  loss_D: number;
}

/** Options of {@link Pix2Pix.create}. */
export interface Pix2PixBuildOptions {
  /** The run seed: each network's initial weights and dropout masks derive from it by name. */
  seed: number;
  /** Input channels C_x (the image's for `twins`, 6 for one-hot maps, ...). */
  inChannels: number;
  /** Size of the output images (and of the inputs, but for their channels). */
  shape: ImageShape;
  /** tfjs variable namespaces (default `G`, `D`); two live models need different ones. */
  namespaces?: { G?: string; D?: string };
}

/** The `unet_generator` config of a pix2pix generator config. */
export function unetConfig(
  g: Pix2PixConfig["generator"],
  inChannels: number,
  shape: ImageShape,
): Partial<UnetGeneratorConfig> {
  return {
    inChannels,
    outChannels: shape.channels,
    height: shape.height,
    width: shape.width,
    filters: g.filters,
    maxFilters: g.maxFilters,
    depth: g.depth === 0 ? "auto" : g.depth,
    norm: g.norm,
    batchTestStatistics: "batch",
    dropout: g.dropout,
    dropoutBlocks: g.dropoutBlocks,
    dropoutAtTest: g.dropoutAtTest,
    skips: g.skips,
    sizeMode: "pad",
    init: g.init,
  };
}

/**
 * Refuses, before anything is built or written, networks that do not fit the image size: a
 * `generator.depth` whose padding reflection cannot make (as `unetPadding` refuses; at most
 * `unetMaxDepth`, 6 for 36x60) and, when D is trained (adversarial weight > 0; an L1-only run
 * never applies D), a `discriminator.receptiveField` whose PatchGAN the images are too small
 * for (`checkPatchganFits`). `train-pix2pix` calls it with the paired set's size before making
 * the run folder.
 *
 * @param shape the images' height and width (the input's and the output's).
 * @param options `data` names the images in messages (default `the data`).
 * @throws {SetupError} naming the flag (`--generator.depth`, `--discriminator.receptiveField`),
 *   the image size and the values that fit.
 */
export function checkPix2PixGeometry(
  config: Pick<Pix2PixConfig, "generator" | "discriminator" | "adversarial">,
  shape: { height: number; width: number },
  options: { data?: string } = {},
): void {
  const { height, width } = shape;
  const data = options.data ?? "the data";
  const depth = config.generator.depth === 0 ? "auto" : config.generator.depth;
  const d = unetDepth({ height, width, depth });
  const max = unetMaxDepth(height, width);
  // the pads grow with the depth, so exactly the depths up to max can be reflection-padded
  if (d > max) {
    const [t, b, l, r] = padToMultiple(height, width, 2 ** d);
    throw new SetupError(
      `--generator.depth ${d} does not fit the ${height}x${width} images of ${data}: the ` +
        `U-Net would reflection-pad them to ${height + t + b}x${width + l + r} (multiples of ` +
        `2^${d} = ${2 ** d}), but each side's pad (here up to ${Math.max(t, b, l, r)}) must be ` +
        `shorter than the side it mirrors; use --generator.depth of at most ${max}, or 0 ` +
        `(auto: ${unetDepth({ height, width, depth: "auto" })} for ${height}x${width})`,
    );
  }
  if (config.adversarial.weight > 0) {
    checkPatchganFits(config.discriminator.receptiveField, shape, data);
  }
}

type Generator = Network<UnetGeneratorConfig, tf.Tensor4D>;
type Discriminator = Network<PatchganDiscriminatorConfig, tf.Tensor4D>;

/** pix2pix: build with {@link Pix2Pix.create}, train with {@link Pix2Pix.step}. */
export class Pix2Pix {
  /** Resolved config. */
  readonly config: Pix2PixConfig;
  /** Size of the output images. */
  readonly shape: ImageShape;
  /** Input channels C_x. */
  readonly inChannels: number;
  /** G: input x to target-domain image (namespace `G`, `unet_generator`). */
  readonly G: Generator;
  /** D: conditional PatchGAN (namespace `D`), logits [B, h, w, 1]. */
  readonly D: Discriminator;
  /** Adam of G. */
  readonly optG: tf.Optimizer;
  /** Adam of D. */
  readonly optD: tf.Optimizer;
  #updatesG = 0;
  #updatesD = 0;
  #where = "";
  /** G(x) of the last generator update, until taken. */
  #pending: tf.Tensor4D | undefined;

  private constructor(config: Pix2PixConfig, options: Pix2PixBuildOptions) {
    this.config = config;
    this.shape = { ...options.shape };
    const { inChannels } = options;
    // each network's seed (initial weights; G's dropout masks derive from it too) is the
    // harness's RunSeeds.network(name), so a G rebuilt from a checkpoint draws the same masks
    const seeds = new RunSeeds(options.seed);
    if (!Number.isInteger(inChannels) || inChannels < 1) {
      throw new Error(`pix2pix: inChannels must be an integer >= 1, got ${inChannels}`);
    }
    this.inChannels = inChannels;
    // a D that is trained but too big for the images fails here, not at the first step
    if (config.adversarial.weight > 0) {
      patchganOutputSize(config.discriminator.receptiveField, this.shape.height, this.shape.width);
    }
    const ns = options.namespaces ?? {};
    this.G = buildNetwork("unet_generator", unetConfig(config.generator, inChannels, this.shape), {
      seed: seeds.network("G"),
      namespace: ns.G ?? "G",
    });
    try {
      const d = config.discriminator;
      this.D = buildNetwork("patchgan_discriminator", {
        inChannels: (d.conditional ? inChannels : 0) + this.shape.channels,
        filters: d.filters,
        receptiveField: d.receptiveField,
        norm: d.norm,
        init: d.init,
      }, { seed: seeds.network("D"), namespace: ns.D ?? "D" });
    } catch (e) {
      this.G.dispose();
      throw e;
    }
    const { lr, beta1, beta2 } = config.optimizer;
    this.optG = tf.train.adam(lr, beta1, beta2);
    this.optD = tf.train.adam(lr, beta1, beta2);
  }

  /**
   * Builds G, D and their optimisers.
   *
   * @param config overrides of `PIX2PIX_DEFAULTS`.
   * @throws for a bad config, a U-Net depth the image size does not allow, or (when D is
   *   trained) a D too big for the image size; {@link checkPix2PixGeometry} says the same in
   *   terms of the task's flags.
   */
  static create(config: Pix2PixOverrides, options: Pix2PixBuildOptions): Pix2Pix {
    return new Pix2Pix(resolvePix2PixConfig(config), options);
  }

  /** Whether D takes part (the adversarial weight is not 0). */
  get trainsD(): boolean {
    return this.config.adversarial.weight > 0;
  }

  /** The objective's settings. */
  get objective(): ObjectiveSettings {
    return { ...this.config.adversarial, lambdaL1: this.config.lambdaL1 };
  }

  /**
   * G(x) at test time: dropout on when `generator.dropoutAtTest` (with masks of `noiseKey` when
   * given, else of G's running stream), batch norm on the batch's own statistics. The caller
   * disposes the result.
   */
  translate(x: tf.Tensor4D, noiseKey?: string | number): tf.Tensor4D {
    return tf.tidy(() => this.G.apply(x, { training: false, noiseKey }));
  }

  /** The refiner of the evaluation protocol (`twins`): G. */
  refine(x: tf.Tensor4D, noiseKey?: string | number): tf.Tensor4D {
    return this.translate(x, noiseKey);
  }

  /** D's logits on the output `t` for the input `x` (training mode when `training`). */
  discriminate(x: tf.Tensor4D, t: tf.Tensor4D, training = false): tf.Tensor4D {
    return tf.tidy(() => this.D.apply(this.#dInput(x, t), { training }));
  }

  #dInput(x: tf.Tensor4D, t: tf.Tensor4D): tf.Tensor4D {
    return this.config.discriminator.conditional ? tf.concat([x, t], 3) as tf.Tensor4D : t;
  }

  /** The learning rate of step `i` (0-based): constant, then linear decay to 0. */
  learningRate(i: number): number {
    const { constantSteps, decaySteps } = this.config.schedule;
    return linearDecayLr(i, {
      base: this.config.optimizer.lr,
      constantSteps,
      totalSteps: constantSteps + decaySteps,
    });
  }

  #checkBatch(x: tf.Tensor4D, y: tf.Tensor4D): void {
    const { height, width, channels } = this.shape;
    const want = (t: tf.Tensor4D, c: number) =>
      t.rank === 4 && t.shape[1] === height && t.shape[2] === width && t.shape[3] === c;
    if (!want(x, this.inChannels) || !want(y, channels) || x.shape[0] !== y.shape[0]) {
      throw new Error(
        `pix2pix: expected x [B, ${height}, ${width}, ${this.inChannels}] and y [B, ${height}, ` +
          `${width}, ${channels}], got [${x.shape}] and [${y.shape}]`,
      );
    }
  }

  /**
   * One update of G on pairs (x, y): w x cGAN + lambda x L1. Keeps this forward pass's G(x)
   * for the next {@link discriminatorStep} ({@link takeFake}).
   */
  async generatorStep(x: tf.Tensor4D, y: tf.Tensor4D): Promise<GeneratorValues> {
    this.#checkBatch(x, y);
    this.#pending?.dispose();
    this.#pending = undefined;
    const s = this.objective;
    let kept: tf.Tensor4D | undefined;
    let values: number[];
    try {
      values = await updateWithValues(this.optG, this.G.trainableVariables(), () => {
        const fake = this.G.apply(x, { training: true, noiseKey: `G:${this.#updatesG}` });
        const dOut = this.trainsD
          ? this.D.apply(this.#dInput(x, fake), { training: true })
          : undefined;
        const o = generatorObjective(dOut, fake, y, s);
        // G(x) outlives minimize's scope for the discriminator update
        kept = tf.keep(fake);
        return { loss: o.total, values: [o.adv, o.weightedL1, o.l1] };
      });
    } catch (e) {
      kept?.dispose();
      throw e;
    }
    this.#updatesG++;
    const [total, adv, weightedL1, l1] = values;
    const out: GeneratorValues = { loss_G_adv: adv, loss_L1: weightedL1, loss_G: total, l1 };
    try {
      this.#checkFinite(out, `generator update ${this.#updatesG}`);
    } catch (e) {
      kept?.dispose();
      throw e;
    }
    this.#pending = kept;
    return out;
  }

  /** G(x) of the last generator update, once (the caller disposes it). */
  takeFake(): tf.Tensor4D | undefined {
    const f = this.#pending;
    this.#pending = undefined;
    return f;
  }

  /**
   * One update of D: 1/2 (cGAN loss on (x, y) as real + on (x, G(x)) as fake). G(x) is `fake`
   * (e.g. {@link takeFake}; not disposed here) or computed now with the current G (test mode,
   * masks keyed by the update count).
   */
  async discriminatorStep(
    x: tf.Tensor4D,
    y: tf.Tensor4D,
    fake?: tf.Tensor4D,
  ): Promise<DiscriminatorValues> {
    this.#checkBatch(x, y);
    const own = fake ? undefined : this.translate(x, `D:${this.#updatesD}`);
    const f = fake ?? own!;
    let values: number[];
    try {
      values = await updateWithValues(this.optD, this.D.trainableVariables(), () => {
        const [dReal, dFake] = this.#applyD([this.#dInput(x, y), this.#dInput(x, f)]);
        const loss = discriminatorObjective(dReal, dFake, this.config.adversarial.loss);
        return { loss, values: [] };
      });
    } finally {
      own?.dispose();
    }
    this.#updatesD++;
    const out = { loss_D: values[0] };
    this.#checkFinite(out, `discriminator update ${this.#updatesD}`);
    return out;
  }

  /**
   * D on each of `inputs`: one call on their concatenation unless D uses batch norm (whose
   * statistics must not mix real and generated pairs; then one call each).
   */
  #applyD(inputs: tf.Tensor4D[]): tf.Tensor4D[] {
    if (this.D.config.norm === "batch") {
      return inputs.map((t) => this.D.apply(t, { training: true }));
    }
    const out = this.D.apply(tf.concat(inputs, 0), { training: true });
    return tf.split(out, inputs.map((t) => t.shape[0]), 0) as tf.Tensor4D[];
  }

  /**
   * Training step `i` (0-based): sets both optimisers' rate to {@link learningRate}(i), takes
   * B pairs from `source`, makes one G update and (unless the adversarial weight is 0) one D
   * update on that update's G(x).
   *
   * @returns the generator's and discriminator's values and `lr`.
   * @throws if a loss is NaN or infinite, naming it and the step.
   */
  async step(i: number, source: PairSource): Promise<Record<string, number>> {
    const lr = this.learningRate(i);
    setLearningRate(this.optG, lr);
    setLearningRate(this.optD, lr);
    this.#where = `step ${i + 1}, `;
    const { x, y } = await source.next(this.config.batchSize);
    try {
      const g = await this.generatorStep(x, y);
      const fake = this.takeFake();
      try {
        const d = this.trainsD ? await this.discriminatorStep(x, y, fake) : {};
        return { ...g, ...d, lr };
      } finally {
        fake?.dispose();
      }
    } finally {
      tf.dispose([x, y]);
      this.#where = "";
    }
  }

  #checkFinite(values: Record<string, number>, what: string): void {
    assertFinite(values, `${this.#where}${what}`, "pix2pix");
  }

  /** The networks by checkpoint name. */
  networks(): { G: Generator; D: Discriminator } {
    return { G: this.G, D: this.D };
  }

  /** The optimisers by checkpoint name. */
  optimizers(): { G: tf.Optimizer; D: tf.Optimizer } {
    return { G: this.optG, D: this.optD };
  }

  /** The counters a checkpoint needs (the learning rate is a function of the step). */
  extraState(): Pix2PixExtraState {
    return { updatesG: this.#updatesG, updatesD: this.#updatesD };
  }

  /**
   * Restores {@link extraState} (after the networks and optimisers were restored).
   *
   * @throws for counters that are not integers >= 0 (nothing is changed then).
   */
  restoreExtraState(state: Pix2PixExtraState): void {
    for (const k of ["updatesG", "updatesD"] as const) {
      const v = (state as unknown as Record<string, unknown>)?.[k];
      if (!Number.isInteger(v) || (v as number) < 0) {
        throw new Error(`pix2pix: cannot restore ${k} = ${JSON.stringify(v)}`);
      }
    }
    this.#updatesG = state.updatesG;
    this.#updatesD = state.updatesD;
    this.#pending?.dispose();
    this.#pending = undefined;
  }

  /** Releases the networks, the optimisers and a pending G(x). */
  dispose(): void {
    this.#pending?.dispose();
    this.#pending = undefined;
    this.G.dispose();
    this.D.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}

/** The JSON part of a pix2pix checkpoint's model state: the update counters. */
export interface Pix2PixExtraState {
  updatesG: number;
  updatesD: number;
}
