/**
 * The CycleGAN model: generators G (X -> Y) and F (Y -> X), discriminators D_Y and D_X, their two
 * Adam optimisers, one image pool per discriminator, and one function per kind of training step
 * (Zhu et al., ICCV 2017, https://arxiv.org/abs/1703.10593). See `mod.ts` for the symbol table
 * and an example.
 *
 * Losses (LSGAN by default, reductions `mean` over patches and pixels, then over the batch):
 *
 * ```text
 *   loss_G_adv = E[(D_Y(G(x)) - c)^2]                  G's images should look like Y
 *   loss_F_adv = E[(D_X(F(y)) - c)^2]                  F's images should look like X
 *   loss_cyc   = lambda_cyc (|F(G(x)) - x|_1 + |G(F(y)) - y|_1)
 *   loss_id    = lambda_id lambda_cyc (|G(y) - y|_1 + |F(x) - x|_1)        (0 when off)
 *   loss_G     = loss_G_adv + loss_F_adv + loss_cyc + loss_id (+ a subclass's terms)
 *   loss_D_Y   = 1/2 E[(D_Y(y) - b)^2] + 1/2 E[(D_Y(pool_Y(G(x))) - a)^2]
 *   loss_D_X   = 1/2 E[(D_X(x) - b)^2] + 1/2 E[(D_X(pool_X(F(y))) - a)^2]
 * ```
 *
 * With `adversarial.loss: "bce"`, (D - t)^2 becomes the binary cross-entropy on logits
 * BCE(D, t) (non-saturating for the generators), the D losses still halved.
 *
 * Optimisers: one Adam over the variables of G and F together (`optimizers().generators`) and
 * one over D_Y and D_X together (`optimizers().discriminators`), as the canonical code does
 * (`itertools.chain`). Adam is element-wise, so one Adam over two disjoint networks on the sum
 * of their losses makes exactly the updates of two separate Adams on their own losses.
 *
 * One {@link CycleGAN.step}: a generator update (G and F), then a discriminator update (D_Y and
 * D_X) on the generator step's own G(x) and F(y) (computed before the generators moved, as in
 * the canonical code), each passed through its image pool.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  bceDiscriminatorLoss,
  bceGeneratorLoss,
  lsganDiscriminatorLoss,
  lsganGeneratorLoss,
  type LsganOptions,
} from "../../losses/adversarial.ts";
import { l1Loss } from "../../losses/pixel.ts";
import type { Network } from "../../nn/network.ts";
import {
  type PatchganDiscriminatorConfig,
  patchganOutputSize,
} from "../../nn/networks/patchgan_discriminator.ts";
import {
  type ResnetGeneratorConfig,
  resnetMaxDownsamplings,
  resnetPadding,
  resnetSizeProblem,
} from "../../nn/networks/resnet_generator.ts";
import { buildNetwork } from "../../nn/registry.ts";
import { checkPatchganFits } from "../../train/gan_config.ts";
import { linearDecayLr, setLearningRate } from "../../train/schedule.ts";
import { SetupError } from "../../util/cli.ts";
import { Rng } from "../../util/random.ts";
import { ImagePool, type ImageShape, type PoolState } from "../image_pool.ts";
import type { BatchSource } from "../simgan/model.ts";
import { assertFinite, updateWithValues } from "../simgan/steps.ts";
import { type CycleGANConfig, type CycleGANOverrides, resolveCycleganConfig } from "./config.ts";

export type { BatchSource };

/** What a generator step reports (a subclass may add its own terms, e.g. `loss_gaze`). */
export interface GeneratorValues {
  [key: string]: number;
  /** G's adversarial loss against D_Y. */
  loss_G_adv: number;
  /** F's adversarial loss against D_X. */
  loss_F_adv: number;
  /** lambda_cyc x (forward + backward cycle L1). */
  loss_cyc: number;
  /** lambda_id x lambda_cyc x (identity L1 of G on y + of F on x); 0 when off. */
  loss_id: number;
  /** The total the generators minimise. */
  loss_G: number;
}

/** What a discriminator step reports. */
export interface DiscriminatorValues {
  [key: string]: number;
  /** D_Y's loss: real y vs pooled G(x), halved. */
  loss_D_Y: number;
  /** D_X's loss: real x vs pooled F(y), halved. */
  loss_D_X: number;
}

/** The images of one generator forward pass, for a subclass's extra loss terms. */
export interface CycleTensors {
  /** Synthetic x and real y. */
  x: tf.Tensor4D;
  y: tf.Tensor4D;
  /** G(x), F(G(x)), F(y), G(F(y)). */
  fakeY: tf.Tensor4D;
  recX: tf.Tensor4D;
  fakeX: tf.Tensor4D;
  recY: tf.Tensor4D;
}

/** Generated images for a discriminator step, [n, H, W, C] row-major in [-1, 1]. */
export interface Fakes {
  /** G(x), shown to D_Y. */
  fakeY: Float32Array;
  /** F(y), shown to D_X. */
  fakeX: Float32Array;
}

/** Options of {@link CycleGAN.create}. */
export interface CycleGANBuildOptions {
  /** The run seed: every network and pool gets a stream derived from it by name. */
  seed: number;
  /** Image height, width and channels, the same in both domains. */
  shape: ImageShape;
  /**
   * tfjs variable namespaces of the networks (default `G`, `F`, `D_Y`, `D_X`). Two live models
   * need different ones.
   */
  namespaces?: { G?: string; F?: string; D_Y?: string; D_X?: string };
}

/** Seed of network `name` under the run seed, as the harness's `RunSeeds.network(name)`. */
function networkSeed(seed: number, name: string): number {
  return new Rng(seed).fork("network", name).key;
}

/**
 * Refuses, before anything is built or written, networks that do not fit the image size:
 * `generator.downsamplings` the ResNet generators cannot take at this size
 * (`resnetSizeProblem`: the reflection padding to a multiple of 2^n, and at least 2x2 left for
 * the residual blocks; at most 5 for 36x60) and a `discriminator.receptiveField` whose PatchGAN
 * the images are too small for (`checkPatchganFits`). The CycleGAN-family tasks call it with the
 * data's size before making the run folder.
 *
 * @param shape the images' height and width (both domains).
 * @param options `data` names the images in messages (default `the data`).
 * @throws {SetupError} naming the flag (`--generator.downsamplings`,
 *   `--discriminator.receptiveField`), the image size and the values that fit.
 */
export function checkCycleGANGeometry(
  config: Pick<CycleGANConfig, "generator" | "discriminator">,
  shape: { height: number; width: number },
  options: { data?: string } = {},
): void {
  const { height, width } = shape;
  const data = options.data ?? "the data";
  const g = config.generator;
  const problem = resnetSizeProblem(g, height, width);
  if (problem !== undefined) {
    const max = resnetMaxDownsamplings(height, width, g.blocks);
    const noBlocks = g.blocks > 0 ? resnetMaxDownsamplings(height, width, 0) : max;
    throw new SetupError(
      `--generator.downsamplings ${g.downsamplings} does not fit the ${height}x${width} images ` +
        `of ${data}: ${problem}; ` +
        (max >= 0
          ? `use --generator.downsamplings of at most ${max}` +
            (noBlocks > max ? ` (${noBlocks} with --generator.blocks 0)` : "")
          : `no setting of G and F fits ${height}x${width}`),
    );
  }
  checkPatchganFits(config.discriminator.receptiveField, shape, data);
}

type Generator = Network<ResnetGeneratorConfig, tf.Tensor4D>;
type Discriminator = Network<PatchganDiscriminatorConfig, tf.Tensor4D>;

/** CycleGAN: build with {@link CycleGAN.create}, train with {@link CycleGAN.step}. */
export class CycleGAN {
  /** Method name in messages (`GazeGAN` for the subclass). */
  readonly method: string = "CycleGAN";
  /** Resolved config. */
  readonly config: CycleGANConfig;
  /** Image shape of both domains. */
  readonly shape: ImageShape;
  /** G: X -> Y (synthetic to real; namespace `G`). */
  readonly G: Generator;
  /** F: Y -> X (real to synthetic; namespace `F`). */
  readonly F: Generator;
  /** D_Y: real y vs G(x) (namespace `D_Y`), logits [B, h, w, 1]. */
  readonly D_Y: Discriminator;
  /** D_X: synthetic x vs F(y) (namespace `D_X`). */
  readonly D_X: Discriminator;
  /** Adam over G and F. */
  readonly optG: tf.Optimizer;
  /** Adam over D_Y and D_X. */
  readonly optD: tf.Optimizer;
  /** Pool of G(x) images shown to D_Y. */
  readonly poolY: ImagePool;
  /** Pool of F(y) images shown to D_X. */
  readonly poolX: ImagePool;
  #updatesG = 0;
  #updatesD = 0;
  #where = "";
  /** G(x) and F(y) of the last generator step, until taken. */
  #pending: Fakes | undefined;
  #owned: { dispose(): void }[] = [];

  /** Builds the networks, optimisers and pools; use {@link CycleGAN.create}. */
  protected constructor(config: CycleGANConfig, options: CycleGANBuildOptions) {
    this.config = config;
    this.shape = { ...options.shape };
    const { seed } = options;
    const { channels } = options.shape;
    const ns = options.namespaces ?? {};
    // networks too big for the images fail here, not at the first step
    resnetPadding(config.generator, this.shape.height, this.shape.width);
    patchganOutputSize(config.discriminator.receptiveField, this.shape.height, this.shape.width);
    const built: { dispose(): void }[] = [];
    try {
      const gen = (name: "G" | "F") => {
        const net = buildNetwork("resnet_generator", {
          ...config.generator,
          inChannels: channels,
          outChannels: channels,
        }, { seed: networkSeed(seed, name), namespace: ns[name] ?? name });
        built.push(net);
        return net;
      };
      const disc = (name: "D_Y" | "D_X") => {
        const net = buildNetwork("patchgan_discriminator", {
          ...config.discriminator,
          inChannels: channels,
        }, { seed: networkSeed(seed, name), namespace: ns[name] ?? name });
        built.push(net);
        return net;
      };
      this.G = gen("G");
      this.F = gen("F");
      this.D_Y = disc("D_Y");
      this.D_X = disc("D_X");
    } catch (e) {
      for (const n of built) n.dispose();
      throw e;
    }
    const { lr, beta1, beta2 } = config.optimizer;
    this.optG = tf.train.adam(lr, beta1, beta2);
    this.optD = tf.train.adam(lr, beta1, beta2);
    const pool = (name: string) =>
      new ImagePool({
        capacity: config.poolSize,
        shape: this.shape,
        seed: new Rng(seed).fork("pool", name).key,
      });
    this.poolY = pool("Y");
    this.poolX = pool("X");
  }

  /**
   * Builds G, F, D_Y, D_X, their optimisers and the pools.
   *
   * @param config overrides of `CYCLEGAN_DEFAULTS`.
   * @throws for a bad config, or networks that do not fit the image size
   *   ({@link checkCycleGANGeometry} says the same in terms of the task's flags).
   */
  static create(config: CycleGANOverrides, options: CycleGANBuildOptions): CycleGAN {
    return new CycleGAN(resolveCycleganConfig(config), options);
  }

  /** G(x): synthetic to real, [B, H, W, C] in [-1, 1]; the caller disposes it. */
  translate(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.G.apply(x, { training: false }));
  }

  /** F(y): real to synthetic; the caller disposes it. */
  translateBack(y: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.F.apply(y, { training: false }));
  }

  /** F(G(x)): the forward cycle; the caller disposes it. */
  cycle(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.F.apply(this.G.apply(x, { training: false }), { training: false }));
  }

  /** The refiner of the shared evaluation protocol: G (synthetic to real). */
  refine(x: tf.Tensor4D): tf.Tensor4D {
    return this.translate(x);
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

  /** LSGAN codes and smoothing of the config. */
  #lsgan(): LsganOptions {
    const { a, b, c, labelSmoothing, smoothTo } = this.config.adversarial;
    return { a, b, c, labelSmoothing, smoothTo };
  }

  /** A generator's adversarial loss on D's output for its images (not halved). */
  protected generatorAdversarial(out: tf.Tensor): tf.Scalar {
    const adv = this.config.adversarial;
    if (adv.loss === "bce") {
      // E[BCE(D(G(x)), c)], c = smoothTo with generator smoothing
      const target = adv.labelSmoothing === "generator" ? adv.smoothTo : 1;
      return bceGeneratorLoss(out, { target });
    }
    // E[(D(G(x)) - c)^2] = 2 x Mao's 1/2 E[(D(G(x)) - c)^2]
    return tf.tidy(() => tf.mul(2, lsganGeneratorLoss(out, this.#lsgan())));
  }

  /** A discriminator's loss on real and generated outputs, halved. */
  protected discriminatorAdversarial(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
    const adv = this.config.adversarial;
    if (adv.loss === "bce") {
      // 1/2 (E[BCE(D(y), b)] + E[BCE(D(G(x)), 0)])
      const realLabel = adv.labelSmoothing === "real" ? adv.smoothTo : 1;
      return tf.tidy(() => tf.mul(0.5, bceDiscriminatorLoss(realOut, fakeOut, { realLabel })));
    }
    // 1/2 E[(D(y) - b)^2] + 1/2 E[(D(G(x)) - a)^2]
    return lsganDiscriminatorLoss(realOut, fakeOut, this.#lsgan());
  }

  /**
   * Extra weighted generator terms computed from one forward pass (name -> scalar); each is
   * added to `loss_G` and reported under its name. CycleGAN has none; GazeGAN adds `loss_gaze`.
   */
  protected generatorTerms(_t: CycleTensors): Record<string, tf.Scalar> {
    return {};
  }

  /**
   * `net` applied to each of `parts`: one call on their concatenation when the network
   * normalises per image (instance norm or none: the same result, one bigger batch), else one
   * call each (batch statistics must not mix the parts).
   */
  #applyEach(net: Generator | Discriminator, parts: tf.Tensor4D[]): tf.Tensor4D[] {
    if (parts.length === 1 || net.config.norm === "batch") {
      return parts.map((p) => net.apply(p, { training: true }));
    }
    const out = net.apply(tf.concat(parts, 0), { training: true });
    return tf.split(out, parts.map((p) => p.shape[0]), 0) as tf.Tensor4D[];
  }

  /**
   * One update of G and F together on synthetic `x` and real `y` (same batch size): both
   * adversarial terms, both cycle terms, the identity terms when on, and a subclass's terms.
   * Also keeps G(x) and F(y) of this forward pass for the next {@link discriminatorStep}.
   */
  async generatorStep(x: tf.Tensor4D, y: tf.Tensor4D): Promise<GeneratorValues> {
    this.#pending = undefined;
    if (x.shape[0] !== y.shape[0]) {
      throw new Error(`${this.method}: x and y batches differ (${x.shape[0]} vs ${y.shape[0]})`);
    }
    const { lambdaCycle, lambdaIdentity } = this.config;
    const lambdaId = lambdaIdentity * lambdaCycle;
    let kept: tf.Tensor4D[] = [];
    let extraNames: string[] = [];
    let values: number[];
    let fakes: Fakes;
    try {
      const varList = [...this.G.trainableVariables(), ...this.F.trainableVariables()];
      values = await updateWithValues(this.optG, varList, () => {
        // F on [y, x]: F(y), identity F(x); G on [x, F(y), y]: G(x), G(F(y)), identity G(y)
        const useId = lambdaId > 0;
        const [fakeX, idX] = this.#applyEach(this.F, useId ? [y, x] : [y]);
        const [fakeY, recY, idY] = this.#applyEach(this.G, useId ? [x, fakeX, y] : [x, fakeX]);
        const [recX] = this.#applyEach(this.F, [fakeY]);
        // E[(D_Y(G(x)) - c)^2], E[(D_X(F(y)) - c)^2]
        const advG = this.generatorAdversarial(this.D_Y.apply(fakeY, { training: true }));
        const advF = this.generatorAdversarial(this.D_X.apply(fakeX, { training: true }));
        // lambda_cyc (|F(G(x)) - x|_1 + |G(F(y)) - y|_1)
        const cyc = tf.mul(lambdaCycle, tf.add(l1Loss(recX, x), l1Loss(recY, y))) as tf.Scalar;
        // lambda_id lambda_cyc (|G(y) - y|_1 + |F(x) - x|_1)
        const id = useId
          ? tf.mul(lambdaId, tf.add(l1Loss(idY, y), l1Loss(idX, x))) as tf.Scalar
          : tf.scalar(0);
        const extra = this.generatorTerms({ x, y, fakeY, recX, fakeX, recY });
        extraNames = Object.keys(extra);
        const terms = [advG, advF, cyc, id, ...Object.values(extra)];
        // loss_G = loss_G_adv + loss_F_adv + loss_cyc + loss_id (+ extra)
        const loss = tf.addN(terms) as tf.Scalar;
        // the images outlive minimize's scope for the discriminator step
        kept = [tf.keep(fakeY), tf.keep(fakeX)];
        return { loss, values: terms };
      });
      fakes = {
        fakeY: (await kept[0].data()) as Float32Array,
        fakeX: (await kept[1].data()) as Float32Array,
      };
    } finally {
      tf.dispose(kept);
    }
    this.#updatesG++;
    const [total, advG, advF, cyc, id, ...extra] = values;
    const out: GeneratorValues = {
      loss_G_adv: advG,
      loss_F_adv: advF,
      loss_cyc: cyc,
      loss_id: id,
      loss_G: total,
    };
    extraNames.forEach((name, k) => (out[name] = extra[k]));
    this.#checkFinite(out, `generator update ${this.#updatesG}`);
    this.#pending = fakes;
    return out;
  }

  /** G(x) and F(y) of the last generator step, once (then forgotten). */
  takeFakes(): Fakes | undefined {
    const f = this.#pending;
    this.#pending = undefined;
    return f;
  }

  /**
   * One update of D_Y and D_X together: D_Y sees real `y` and G(x) after the pool, D_X real `x`
   * and F(y) after the pool. The generated images are `options.fakes` (e.g. those of the
   * generator step, {@link takeFakes}) or computed now from `x` and `y` with the current
   * generators. Each batch of generated images goes through its pool (`ImagePool.query`:
   * stored while the pool fills, then each swapped for a stored one with probability 1/2).
   */
  async discriminatorStep(
    x: tf.Tensor4D,
    y: tf.Tensor4D,
    options: { fakes?: Fakes } = {},
  ): Promise<DiscriminatorValues> {
    let fakes = options.fakes;
    if (!fakes) {
      const [fy, fx] = [this.translate(x), this.translateBack(y)];
      try {
        fakes = {
          fakeY: (await fy.data()) as Float32Array,
          fakeX: (await fx.data()) as Float32Array,
        };
      } finally {
        tf.dispose([fy, fx]);
      }
    }
    const { height, width, channels } = this.shape;
    const per = height * width * channels;
    const nY = fakes.fakeY.length / per, nX = fakes.fakeX.length / per;
    // the pools' state changes only after the update succeeded
    const poolYState = this.poolY.state(), poolXState = this.poolX.state();
    const pooledY = this.poolY.query(fakes.fakeY);
    const pooledX = this.poolX.query(fakes.fakeX);
    let values: number[];
    try {
      const varList = [...this.D_Y.trainableVariables(), ...this.D_X.trainableVariables()];
      const fy = tf.tensor4d(pooledY, [nY, height, width, channels]);
      const fx = tf.tensor4d(pooledX, [nX, height, width, channels]);
      try {
        values = await updateWithValues(this.optD, varList, () => {
          const [dyReal, dyFake] = this.#applyEach(this.D_Y, [y, fy]);
          const [dxReal, dxFake] = this.#applyEach(this.D_X, [x, fx]);
          // 1/2 E[(D_Y(y) - b)^2] + 1/2 E[(D_Y(pool(G(x))) - a)^2], and the same for D_X
          const lossY = this.discriminatorAdversarial(dyReal, dyFake);
          const lossX = this.discriminatorAdversarial(dxReal, dxFake);
          return { loss: tf.add(lossY, lossX) as tf.Scalar, values: [lossY, lossX] };
        });
      } finally {
        tf.dispose([fy, fx]);
      }
      this.#updatesD++;
      const [, lossY, lossX] = values;
      const out = { loss_D_Y: lossY, loss_D_X: lossX };
      this.#checkFinite(out, `discriminator update ${this.#updatesD}`);
      return out;
    } catch (e) {
      this.poolY.restore(poolYState);
      this.poolX.restore(poolXState);
      throw e;
    }
  }

  /**
   * Training step `i` (0-based): sets both optimisers' rate to {@link learningRate}(i), takes
   * B synthetic and B real images from `source`, makes one generator update and one
   * discriminator update on the generator update's G(x) and F(y).
   *
   * @returns the generator and discriminator values and `lr`.
   * @throws if a loss is NaN or infinite, naming it and the step.
   */
  async step(i: number, source: BatchSource): Promise<Record<string, number>> {
    const lr = this.learningRate(i);
    setLearningRate(this.optG, lr);
    setLearningRate(this.optD, lr);
    const B = this.config.batchSize;
    this.#where = `step ${i + 1}, `;
    const x = await source.synthetic(B);
    try {
      const y = await source.real(B);
      try {
        const g = await this.generatorStep(x, y);
        const d = await this.discriminatorStep(x, y, { fakes: this.takeFakes() });
        return { ...g, ...d, lr };
      } finally {
        y.dispose();
      }
    } finally {
      x.dispose();
      this.#where = "";
    }
  }

  #checkFinite(values: Record<string, number>, what: string): void {
    assertFinite(values, `${this.#where}${what}`, this.method);
  }

  /** The networks by checkpoint name. */
  networks(): { G: Generator; F: Generator; D_Y: Discriminator; D_X: Discriminator } {
    return { G: this.G, F: this.F, D_Y: this.D_Y, D_X: this.D_X };
  }

  /** The optimisers by checkpoint name: `generators` (G and F), `discriminators` (D_Y, D_X). */
  optimizers(): { generators: tf.Optimizer; discriminators: tf.Optimizer } {
    return { generators: this.optG, discriminators: this.optD };
  }

  /**
   * Everything a checkpoint needs besides networks and optimisers: both pools' images
   * (`arrays.pool_Y`, `arrays.pool_X`) and a JSON blob (pool counters, update counts). The
   * learning rate is a function of the step and needs no saving.
   */
  extraState(): { arrays: CycleGANArrays; state: CycleGANExtraState } {
    const y = this.poolY.state(), x = this.poolX.state();
    return {
      arrays: { pool_Y: y.arrays.images, pool_X: x.arrays.images },
      state: { poolY: y.json, poolX: x.json, updatesG: this.#updatesG, updatesD: this.#updatesD },
    };
  }

  /**
   * What the harness's checkpoint saves (its `CheckpointPayload`): networks `G`, `F`, `D_Y`,
   * `D_X`, the optimisers `generators` and `discriminators`, the pools as arrays and the
   * counters as `state`. Add the data streams' positions to `state` where the caller owns them.
   */
  checkpointPayload(): {
    networks: ReturnType<CycleGAN["networks"]>;
    optimizers: ReturnType<CycleGAN["optimizers"]>;
    arrays: CycleGANArrays;
    state: CycleGANExtraState;
  } {
    return { networks: this.networks(), optimizers: this.optimizers(), ...this.extraState() };
  }

  /**
   * Restores {@link extraState} (after the networks and optimisers were restored).
   *
   * @throws if a pool's state does not fit (nothing is changed then).
   */
  restoreExtraState(arrays: CycleGANArrays, state: CycleGANExtraState): void {
    const y = { arrays: { images: arrays.pool_Y }, json: state.poolY };
    const x = { arrays: { images: arrays.pool_X }, json: state.poolX };
    const oldY = this.poolY.state();
    this.poolY.restore(y);
    try {
      this.poolX.restore(x);
    } catch (e) {
      this.poolY.restore(oldY);
      throw e;
    }
    this.#updatesG = state.updatesG;
    this.#updatesD = state.updatesD;
    this.#pending = undefined;
  }

  /** Releases the networks, the optimisers and anything {@link adopt}ed. */
  dispose(): void {
    for (const n of [this.G, this.F, this.D_Y, this.D_X]) n.dispose();
    this.optG.dispose();
    this.optD.dispose();
    for (const r of this.#owned) r.dispose();
    this.#owned = [];
  }

  /** Makes {@link dispose} release `resource` too (e.g. a loaded frozen network). */
  adopt(resource: { dispose(): void }): void {
    this.#owned.push(resource);
  }
}

/**
 * {@link CycleGAN.create} behind the `load` entry point every method has (SimGAN's and
 * GazeGAN's load frozen networks named in their configs; CycleGAN has none to load).
 */
export function loadCycleGAN(
  config: CycleGANOverrides,
  options: CycleGANBuildOptions,
): Promise<CycleGAN> {
  return Promise.resolve(CycleGAN.create(config, options));
}

/**
 * The arrays of {@link CycleGAN.extraState}: the two pools' images (a type alias, so that it
 * fits the checkpoint's `Record<string, Float32Array>`).
 */
export type CycleGANArrays = { pool_Y: Float32Array; pool_X: Float32Array };

/** The JSON part of {@link CycleGAN.extraState}. */
export interface CycleGANExtraState {
  poolY: PoolState["json"];
  poolX: PoolState["json"];
  updatesG: number;
  updatesD: number;
}
