/**
 * The shared network library: parameters as named, seeded `tf.Variable`s ({@link ParamStore}),
 * functional layers and blocks, and the project's networks chosen by name
 * ({@link buildNetwork}).
 *
 * @example
 * ```ts ignore
 * import * as nn from "../lib/nn/mod.ts";
 * const G = nn.buildNetwork("resnet_generator", { filters: 32 }, { seed: 7, namespace: "G" });
 * const opt = tf.train.adam(2e-4, 0.5);
 * const loss = opt.minimize(() => tf.mean(tf.abs(tf.sub(G.apply(x, { training: true }), x))),
 *   true, G.trainableVariables());
 * ```
 *
 * @module
 */
export * from "./gradients.ts";
export * from "./rng.ts";
export * from "./params.ts";
export * from "./padding.ts";
export * from "./layers.ts";
export * from "./norm.ts";
export * from "./blocks.ts";
export * from "./network.ts";
export * from "./registry.ts";
export {
  SIMGAN_REFINER_DEFAULTS,
  simganRefiner,
  type SimganRefinerConfig,
} from "./networks/simgan_refiner.ts";
export {
  SIMGAN_DISCRIMINATOR_DEFAULTS,
  simganDiscriminator,
  type SimganDiscriminatorConfig,
} from "./networks/simgan_discriminator.ts";
export {
  RESNET_GENERATOR_DEFAULTS,
  resnetGenerator,
  type ResnetGeneratorConfig,
  resnetMaxDownsamplings,
  resnetPadding,
  resnetSizeProblem,
} from "./networks/resnet_generator.ts";
export {
  PATCHGAN_DISCRIMINATOR_DEFAULTS,
  PATCHGAN_RECEPTIVE_FIELDS,
  patchganDiscriminator,
  type PatchganDiscriminatorConfig,
  patchganFittingFields,
  patchganMinSize,
  patchganOutputSize,
  patchganReceptiveField,
} from "./networks/patchgan_discriminator.ts";
export {
  UNET_GENERATOR_DEFAULTS,
  unetDepth,
  unetGenerator,
  type UnetGeneratorConfig,
  unetMaxDepth,
  unetPadding,
} from "./networks/unet_generator.ts";
export {
  GAZE_ESTIMATOR_DEFAULTS,
  type GazeEstimator,
  gazeEstimator,
  type GazeEstimatorConfig,
} from "./networks/gaze_estimator.ts";
