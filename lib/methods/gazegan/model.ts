/**
 * The GazeGAN model: CycleGAN ({@link CycleGAN}) with GazeGAN's adversarial settings and the
 * gaze cycle-consistency term of a frozen gaze estimator E (Sela et al. 2017,
 * https://arxiv.org/abs/1711.09767). See `mod.ts` for the symbol table.
 *
 * Generator loss (the discriminators' are CycleGAN's):
 *
 * ```text
 *   loss_G_adv = E[(D_Y(G(x)) - 0.9)^2]      loss_F_adv = E[(D_X(F(y)) - 0.9)^2]
 *   loss_cyc   = lambda_cyc (|F(G(x)) - x|_1 + |G(F(y)) - y|_1)
 *   loss_id    = lambda_id lambda_cyc (|G(y) - y|_1 + |F(x) - x|_1)
 *   loss_gaze  = lambda_gaze mean_i d(E(F(G(x_i))), E(x_i))
 *   loss_G     = loss_G_adv + loss_F_adv + loss_cyc + loss_id + loss_gaze
 * ```
 *
 * The gaze term is on the synthetic side only (x -> G(x) -> F(G(x))): E was trained on
 * synthetic images and is only trusted there.
 *
 * E is frozen: GazeGAN runs it in inference mode, never puts its variables in an optimiser's
 * `varList`, and marks them non-trainable (`Variable.trainable = false`), so even a
 * `tf.variableGrads` without an explicit list computes no gradient for them. It is not part of
 * the checkpoint (its file is named in the config, `gaze.estimator`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { type Estimator, loadEstimator } from "../../gaze/estimator.ts";
import { gazeCycleLoss, type GazeOutput } from "../../losses/gaze_cycle.ts";
import { CycleGAN, type CycleGANBuildOptions, type CycleTensors } from "../cyclegan/model.ts";
import { type GazeGANConfig, type GazeGANOverrides, resolveGazeganConfig } from "./config.ts";

/** Options of {@link GazeGAN.create}. */
export interface GazeGANBuildOptions extends CycleGANBuildOptions {
  /**
   * The frozen gaze estimator E (e.g. `loadEstimator(path)`), trained on synthetic images of
   * the same size as `shape`. GazeGAN marks its variables non-trainable; it stays the caller's
   * to dispose.
   */
  estimator: Estimator;
}

/** GazeGAN: build with {@link GazeGAN.create} or {@link loadGazeGAN}, train with `step`. */
export class GazeGAN extends CycleGAN {
  override readonly method: string = "GazeGAN";
  declare readonly config: GazeGANConfig;
  /** The frozen gaze estimator E. */
  readonly E: Estimator;
  /** What E outputs: (pitch, yaw) or a gaze vector. */
  readonly gazeOutput: GazeOutput;

  /** Builds CycleGAN's parts and freezes E; use {@link GazeGAN.create}. */
  protected constructor(config: GazeGANConfig, options: GazeGANBuildOptions) {
    const est = options.estimator;
    const { height, width, channels } = options.shape;
    const e = est.config;
    if (e.height !== height || e.width !== width || e.channels !== channels) {
      throw new Error(
        `gazegan: the gaze estimator takes ${e.height}x${e.width}x${e.channels} images, the ` +
          `data is ${height}x${width}x${channels}; train one on synthetic images of this size`,
      );
    }
    super(config, options);
    this.E = est;
    this.gazeOutput = e.target === "vector" ? "vector" : "pitchyaw";
    // frozen: no optimiser and no default variableGrads may touch E
    for (const v of est.net.params.variables()) v.trainable = false;
  }

  /**
   * Builds G, F, D_Y, D_X, their optimisers and pools around the frozen estimator.
   *
   * @param config overrides of `GAZEGAN_DEFAULTS` (`gaze.estimator` is not read here).
   * @throws for a bad config, or an estimator of another image size.
   */
  static override create(config: GazeGANOverrides, options: GazeGANBuildOptions): GazeGAN {
    return new GazeGAN(resolveGazeganConfig(config), options);
  }

  /** E's gaze prediction for images (inference mode), [B, 2] or [B, 3]. */
  estimateGaze(x: tf.Tensor4D): tf.Tensor {
    return this.E.net.apply(x, { training: false });
  }

  /** The gaze cycle term: lambda_gaze mean_i d(E(F(G(x_i))), E(x_i)). */
  protected override generatorTerms(t: CycleTensors): Record<string, tf.Scalar> {
    const { loss, weight } = this.config.gaze;
    if (weight === 0) return {};
    // lambda_gaze * mean_i d(E(F(G(x_i))), E(x_i))
    const gaze = gazeCycleLoss((im) => this.estimateGaze(im), t.x, t.recX, {
      loss,
      weight,
      output: this.gazeOutput,
    });
    return { loss_gaze: gaze };
  }
}

/**
 * {@link GazeGAN.create}, loading the frozen estimator from `config.gaze.estimator` (a file of
 * `saveEstimator`) under the namespace `gaze_E` (default); `dispose` releases it.
 *
 * @throws if `gaze.estimator` is empty or not an estimator file, or the sizes do not fit.
 */
export async function loadGazeGAN(
  config: GazeGANOverrides,
  options: CycleGANBuildOptions & { estimatorNamespace?: string },
): Promise<GazeGAN> {
  const resolved = resolveGazeganConfig(config);
  if (!resolved.gaze.estimator) {
    throw new Error(
      "gazegan: gaze.estimator must name a gaze estimator file trained on synthetic images " +
        "(`deno task train-estimator`)",
    );
  }
  const est = await loadEstimator(resolved.gaze.estimator, options.estimatorNamespace ?? "gaze_E");
  try {
    const gan = GazeGAN.create(resolved as GazeGANOverrides, { ...options, estimator: est });
    gan.adopt(est.net);
    return gan;
  } catch (e) {
    est.net.dispose();
    throw e;
  }
}
