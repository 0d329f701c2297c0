/**
 * The SimGAN model: refiner R, local discriminator D, their Adam optimisers, the history
 * buffer, and one function per kind of training step (Shrivastava et al., CVPR 2017,
 * https://arxiv.org/abs/1612.07828). See `mod.ts` for the symbol table and an example.
 *
 * Losses (reductions as configured, `mean` by default; classes 0 refined, 1 real):
 *
 *   loss_R_adv = L_local(D(R(x)), real)                       refined should look real
 *   loss_R_reg = lambda * |psi(R(x)) - psi(x)|_1               stay close to the input
 *   loss_R     = loss_R_adv + loss_R_reg
 *   loss_D     = (n_y L_local(D(y), real) + n_r L_local(D(r), refined)) / (n_y + n_r)
 *
 * where r is the refined part of D's mini-batch (current R(x) and history samples).
 *
 * A NaN or infinite loss is an error, but it is detected after the optimiser has applied the
 * update (`optimizer.minimize` computes and applies the gradients in one call): by the time it is
 * thrown, the updated network (and its Adam moments) may already hold NaN. The model is then
 * unusable: dispose of it, and resume from the last checkpoint, which holds the last good state
 * (`train-simgan` writes nothing after the error). The history buffer is the exception: a failed
 * discriminator step leaves it as it was.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { localAccuracy, localAdversarialLoss, REAL, REFINED } from "../../losses/adversarial.ts";
import { selfRegularisation } from "../../losses/pixel.ts";
import { type FeatureNetwork, makePsi, type Psi } from "../../losses/psi.ts";
import type { Network } from "../../nn/network.ts";
import { buildNetwork } from "../../nn/registry.ts";
import type { SimganDiscriminatorConfig } from "../../nn/networks/simgan_discriminator.ts";
import type { SimganRefinerConfig } from "../../nn/networks/simgan_refiner.ts";
import { Rng } from "../../util/random.ts";
import {
  HistoryBuffer,
  type ImageShape,
  type PoolState,
  simganComposition,
} from "../image_pool.ts";
import { resolveSimganConfig, type SimGANConfig, type SimGANOverrides } from "./config.ts";
import { assertFinite, updateWithValues } from "./steps.ts";

/** Where SimGAN's steps get their images: tensors in [-1, 1], [n, H, W, C]. */
export interface BatchSource {
  /** `n` synthetic images x (the step disposes them). */
  synthetic(n: number): tf.Tensor4D | Promise<tf.Tensor4D>;
  /** `n` real images y (the step disposes them). */
  real(n: number): tf.Tensor4D | Promise<tf.Tensor4D>;
}

/** What a refiner step reports. */
export interface RefinerValues {
  [key: string]: number;
  loss_R_adv: number;
  loss_R_reg: number;
  loss_R: number;
}

/** What a discriminator step reports. */
export interface DiscriminatorValues {
  [key: string]: number;
  loss_D: number;
  /** Fraction of real patches D calls real. */
  acc_real: number;
  /** Fraction of refined patches (current and history) D calls refined. */
  acc_refined: number;
}

/** How the last discriminator mini-batch was made up. */
export interface BatchMakeup {
  real: number;
  current: number;
  history: number;
}

/** Training phase of a step index. */
export type SimGANPhase = "pretrain_R" | "pretrain_D" | "adversarial";

/** Options of {@link SimGAN.create}. */
export interface SimGANBuildOptions {
  /** The run seed: R, D and the buffer get streams derived from it by name. */
  seed: number;
  /** Image height, width and channels. */
  shape: ImageShape;
  /** The frozen network of psi `features` (e.g. a trained gaze estimator's `net`). */
  featureNetwork?: FeatureNetwork;
  /**
   * tfjs variable namespaces of the networks (default `R` and `D`). Two live SimGANs need
   * different ones.
   */
  namespaces?: { R?: string; D?: string };
}

/** Seed of network `name` under the run seed, as the harness's `RunSeeds.network(name)`. */
function networkSeed(seed: number, name: string): number {
  return new Rng(seed).fork("network", name).key;
}

/** SimGAN: build with {@link SimGAN.create}, train with {@link SimGAN.step}. */
export class SimGAN {
  /** Resolved config. */
  readonly config: SimGANConfig;
  /** Image shape. */
  readonly shape: ImageShape;
  /** Refiner R_theta (namespace `R`). */
  readonly R: Network<SimganRefinerConfig, tf.Tensor4D>;
  /** Discriminator D_phi (namespace `D`), logits [B, h, w, 2]. */
  readonly D: Network<SimganDiscriminatorConfig, tf.Tensor4D>;
  /** Adam of R. */
  readonly optR: tf.Optimizer;
  /** Adam of D. */
  readonly optD: tf.Optimizer;
  /** History of refined images. */
  readonly history: HistoryBuffer;
  /** psi of the self-regularisation. */
  readonly psi: Psi;
  /** Makeup of the last discriminator mini-batch. */
  lastMakeup: BatchMakeup = { real: 0, current: 0, history: 0 };
  #updatesR = 0;
  #updatesD = 0;
  #where = "";
  #owned: { dispose(): void } | undefined;

  private constructor(config: SimGANConfig, options: SimGANBuildOptions) {
    this.config = config;
    this.shape = { ...options.shape };
    const { seed } = options;
    const { channels } = options.shape;
    this.psi = makePsi(config.psi.name, {
      window: config.psi.window,
      layer: config.psi.layer,
      network: options.featureNetwork,
    });
    this.R = buildNetwork("simgan_refiner", { channels, ...config.refiner }, {
      seed: networkSeed(seed, "R"),
      namespace: options.namespaces?.R ?? "R",
    });
    try {
      this.D = buildNetwork("simgan_discriminator", {
        inChannels: channels,
        filters: [...config.discriminator.filters],
        init: config.discriminator.init,
      }, {
        seed: networkSeed(seed, "D"),
        namespace: options.namespaces?.D ?? "D",
      });
    } catch (e) {
      this.R.dispose();
      throw e;
    }
    const { lr, beta1, beta2 } = config.optimizer;
    this.optR = tf.train.adam(lr, beta1, beta2);
    this.optD = tf.train.adam(lr, beta1, beta2);
    this.history = new HistoryBuffer({
      capacity: config.bufferSize,
      shape: this.shape,
      seed: new Rng(seed).fork("buffer").key,
    });
  }

  /**
   * Builds R, D, their optimisers and the buffer.
   *
   * @param config overrides of `SIMGAN_DEFAULTS`.
   * @throws for a bad config, or psi `features` without `featureNetwork`.
   */
  static create(config: SimGANOverrides, options: SimGANBuildOptions): SimGAN {
    return new SimGAN(resolveSimganConfig(config), options);
  }

  /** The phase of step `i` (0-based): R pretraining, D pretraining, then adversarial. */
  phase(i: number): SimGANPhase {
    const { pretrainRefinerSteps: pR, pretrainDiscriminatorSteps: pD } = this.config;
    return i < pR ? "pretrain_R" : i < pR + pD ? "pretrain_D" : "adversarial";
  }

  /** R(x) for inference, [B, H, W, C] in [-1, 1]; the caller disposes it. */
  refine(synthetic: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.R.apply(synthetic, { training: false }));
  }

  /**
   * One refiner update with the self-regularisation loss only (pretraining).
   *
   * @throws if the loss is NaN or infinite; the update is already applied then, so R and its
   *   Adam state may hold NaN: the model is unusable (the last checkpoint is the good state).
   */
  async pretrainRefinerStep(synthetic: tf.Tensor4D): Promise<{ loss_R_reg: number }> {
    const { lambda, reduction } = this.config;
    const [reg] = await updateWithValues(this.optR, this.R.trainableVariables(), () => {
      const refined = this.R.apply(synthetic, { training: true });
      // lambda * |psi(R(x)) - psi(x)|
      return {
        loss: selfRegularisation(refined, synthetic, { psi: this.psi, lambda, reduction }),
        values: [],
      };
    });
    this.#updatesR++;
    const out = { loss_R_reg: reg };
    assertFinite(out, this.#label("refiner update", this.#updatesR));
    return out;
  }

  /**
   * One refiner update: adversarial (refined should be called real) + self-regularisation.
   *
   * @throws if a loss is NaN or infinite; the update is already applied then, so R and its Adam
   *   state may hold NaN: the model is unusable (the last checkpoint is the good state).
   */
  async refinerStep(synthetic: tf.Tensor4D): Promise<RefinerValues> {
    const { lambda, reduction } = this.config;
    const [total, adv, reg] = await updateWithValues(this.optR, this.R.trainableVariables(), () => {
      const refined = this.R.apply(synthetic, { training: true });
      const logits = this.D.apply(refined, { training: true });
      // L_local(D(R(x)), real) = -(1/P) sum_p log P_p(real | R(x))
      const lossAdv = localAdversarialLoss(logits, REAL, { reduction });
      // lambda * |psi(R(x)) - psi(x)|
      const lossReg = selfRegularisation(refined, synthetic, { psi: this.psi, lambda, reduction });
      return { loss: tf.add(lossAdv, lossReg) as tf.Scalar, values: [lossAdv, lossReg] };
    });
    this.#updatesR++;
    const out = { loss_R_adv: adv, loss_R_reg: reg, loss_R: total };
    assertFinite(out, this.#label("refiner update", this.#updatesR));
    return out;
  }

  /**
   * One discriminator update on real images `real` (n_y) and the refiner's output on
   * `synthetic` (n_c, the current part) plus, when `useHistory` (default true), n_c images
   * sampled from the history buffer (fewer while it holds fewer). Afterwards the current
   * refined images go into the buffer. SimGAN's mini-batch of B is n_y = B/2, n_c = B/4 (see
   * `simganComposition`); {@link step} asks the source for exactly that.
   *
   * @throws if a value is NaN or infinite; the update is already applied then, so D and its Adam
   *   state may hold NaN: the model is unusable (the last checkpoint is the good state). The
   *   history buffer is left as it was.
   */
  async discriminatorStep(
    real: tf.Tensor4D,
    synthetic: tf.Tensor4D,
    options: { useHistory?: boolean } = {},
  ): Promise<DiscriminatorValues> {
    const nReal = real.shape[0], nCurrent = synthetic.shape[0];
    const nHistory = options.useHistory ?? true ? Math.min(nCurrent, this.history.size) : 0;
    const { height, width, channels } = this.shape;
    const current = this.refine(synthetic);
    let values: number[];
    let currentData: Float32Array;
    try {
      currentData = (await current.data()) as Float32Array;
      const old = this.history.sample(nHistory);
      const batch = tf.tidy(() => {
        const parts = [real, current];
        if (nHistory > 0) parts.push(tf.tensor4d(old, [nHistory, height, width, channels]));
        return tf.concat(parts, 0);
      });
      try {
        const nRefined = nCurrent + nHistory;
        const { reduction } = this.config;
        values = await updateWithValues(this.optD, this.D.trainableVariables(), () => {
          const logits = this.D.apply(batch, { training: true });
          const [h, w, k] = logits.shape.slice(1);
          const onReal = tf.slice(logits, [0, 0, 0, 0], [nReal, h, w, k]);
          const onRefined = tf.slice(logits, [nReal, 0, 0, 0], [nRefined, h, w, k]);
          // mean over D's mini-batch: (n_y L(D(y), real) + n_r L(D(r), refined)) / (n_y + n_r)
          const lossReal = tf.mul(localAdversarialLoss(onReal, REAL, { reduction }), nReal);
          const lossRefined = tf.mul(
            localAdversarialLoss(onRefined, REFINED, { reduction }),
            nRefined,
          );
          const loss = tf.div(tf.add(lossReal, lossRefined), nReal + nRefined) as tf.Scalar;
          return { loss, values: [localAccuracy(onReal, REAL), localAccuracy(onRefined, REFINED)] };
        });
      } finally {
        batch.dispose();
      }
    } finally {
      current.dispose();
    }
    this.lastMakeup = { real: nReal, current: nCurrent, history: nHistory };
    this.#updatesD++;
    const [loss, accReal, accRefined] = values;
    const out = { loss_D: loss, acc_real: accReal, acc_refined: accRefined };
    assertFinite(out, this.#label("discriminator update", this.#updatesD));
    // after the check, so that a failed step leaves the buffer as it was
    this.history.add(currentData);
    return out;
  }

  /** One discriminator update during pretraining: real vs the current R, no history sampled. */
  pretrainDiscriminatorStep(
    real: tf.Tensor4D,
    synthetic: tf.Tensor4D,
  ): Promise<DiscriminatorValues> {
    return this.discriminatorStep(real, synthetic, { useHistory: false });
  }

  /**
   * Training step `i` (0-based, pretraining included), taking images from `source`:
   * - `pretrain_R` (i < pretrainRefinerSteps): one self-regularisation update on B synthetic;
   * - `pretrain_D` (next pretrainDiscriminatorSteps): one D update on B/2 real vs B/2 refined;
   * - `adversarial`: Kg refiner updates on B synthetic each, then Kd discriminator updates on
   *   B/2 real, B/4 current refined and B/4 history images each.
   *
   * @returns the step's values, averaged over its Kg (Kd) updates.
   * @throws if a loss is NaN or infinite, naming it and the step. It is detected after the
   *   update was applied, so R, D and their Adam state may already hold NaN: the model is
   *   unusable afterwards; dispose of it and resume from the last checkpoint (the good state).
   */
  async step(i: number, source: BatchSource): Promise<Record<string, number>> {
    const B = this.config.batchSize;
    const phase = this.phase(i);
    this.#where = `step ${i + 1} (${phase}), `;
    try {
      if (phase === "pretrain_R") {
        return await withImages(source.synthetic(B), (x) => this.pretrainRefinerStep(x));
      }
      if (phase === "pretrain_D") {
        return await this.#dUpdate(source, B / 2, B / 2, false);
      }
      const out: Record<string, number> = {};
      for (let k = 0; k < this.config.kG; k++) {
        const v = await withImages(source.synthetic(B), (x) => this.refinerStep(x));
        accumulate(out, v, this.config.kG);
      }
      const { real, current } = simganComposition(B);
      for (let k = 0; k < this.config.kD; k++) {
        accumulate(out, await this.#dUpdate(source, real, current, true), this.config.kD);
      }
      return out;
    } finally {
      this.#where = "";
    }
  }

  async #dUpdate(
    source: BatchSource,
    nReal: number,
    nSynthetic: number,
    useHistory: boolean,
  ): Promise<DiscriminatorValues> {
    return await withImages(
      source.real(nReal),
      (y) =>
        withImages(
          source.synthetic(nSynthetic),
          (x) => this.discriminatorStep(y, x, { useHistory }),
        ),
    );
  }

  /** `step 12 (adversarial), refiner update 20`, or just the update outside {@link step}. */
  #label(what: string, update: number): string {
    return `${this.#where}${what} ${update}`;
  }

  /** The networks by checkpoint name. */
  networks(): {
    R: Network<SimganRefinerConfig, tf.Tensor4D>;
    D: Network<SimganDiscriminatorConfig, tf.Tensor4D>;
  } {
    return { R: this.R, D: this.D };
  }

  /** The optimisers by checkpoint name (the same names as {@link networks}). */
  optimizers(): { R: tf.Optimizer; D: tf.Optimizer } {
    return { R: this.optR, D: this.optD };
  }

  /**
   * Everything a checkpoint needs besides networks and optimisers: the history buffer's images
   * (`arrays.history`) and a JSON blob (buffer counters, update counts).
   */
  extraState(): { arrays: { history: Float32Array }; state: SimGANExtraState } {
    const pool = this.history.state();
    return {
      arrays: { history: pool.arrays.images },
      state: { history: pool.json, updatesR: this.#updatesR, updatesD: this.#updatesD },
    };
  }

  /**
   * What the harness's checkpoint saves (its `CheckpointPayload`): networks `R`, `D`, their
   * optimisers, the history buffer as `arrays.history` and the counters as `state`. Add the
   * data streams' positions to `state` where the caller owns them.
   */
  checkpointPayload(): {
    networks: ReturnType<SimGAN["networks"]>;
    optimizers: ReturnType<SimGAN["optimizers"]>;
    arrays: { history: Float32Array };
    state: SimGANExtraState;
  } {
    return { networks: this.networks(), optimizers: this.optimizers(), ...this.extraState() };
  }

  /** Restores {@link extraState} (after the networks and optimisers were restored). */
  restoreExtraState(arrays: { history: Float32Array }, state: SimGANExtraState): void {
    this.history.restore({ arrays: { images: arrays.history }, json: state.history });
    this.#updatesR = state.updatesR;
    this.#updatesD = state.updatesD;
  }

  /**
   * Releases the networks and optimisers, and the frozen psi network if `loadSimGAN` (`load.ts`)
   * loaded it (one passed in as `featureNetwork` stays the caller's).
   */
  dispose(): void {
    this.R.dispose();
    this.D.dispose();
    this.optR.dispose();
    this.optD.dispose();
    this.#owned?.dispose();
  }

  /** Makes `dispose` release `resource` too (for `loadSimGAN` (`load.ts`)). */
  adopt(resource: { dispose(): void }): void {
    this.#owned = resource;
  }
}

/** The JSON part of {@link SimGAN.extraState}. */
export interface SimGANExtraState {
  history: PoolState["json"];
  updatesR: number;
  updatesD: number;
}

/** Awaits a batch, runs `f` on it and disposes it. */
async function withImages<T>(
  images: tf.Tensor4D | Promise<tf.Tensor4D>,
  f: (x: tf.Tensor4D) => Promise<T>,
): Promise<T> {
  const x = await images;
  try {
    return await f(x);
  } finally {
    x.dispose();
  }
}

/** out[k] += v[k] / n for every key. */
function accumulate(out: Record<string, number>, v: Record<string, number>, n: number): void {
  for (const [k, value] of Object.entries(v)) out[k] = (out[k] ?? 0) + value / n;
}
