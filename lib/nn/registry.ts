/**
 * Networks by name: the builders of `networks/`, their configs and defaults, and
 * {@link buildNetwork} to build one from a name and a (partial) config, as read from a run config.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { BuildOptions, Network } from "./network.ts";
import {
  GAZE_ESTIMATOR_DEFAULTS,
  type GazeEstimator,
  gazeEstimator,
  type GazeEstimatorConfig,
} from "./networks/gaze_estimator.ts";
import {
  PATCHGAN_DISCRIMINATOR_DEFAULTS,
  patchganDiscriminator,
  type PatchganDiscriminatorConfig,
} from "./networks/patchgan_discriminator.ts";
import {
  RESNET_GENERATOR_DEFAULTS,
  resnetGenerator,
  type ResnetGeneratorConfig,
} from "./networks/resnet_generator.ts";
import {
  SIMGAN_DISCRIMINATOR_DEFAULTS,
  simganDiscriminator,
  type SimganDiscriminatorConfig,
} from "./networks/simgan_discriminator.ts";
import {
  SIMGAN_REFINER_DEFAULTS,
  simganRefiner,
  type SimganRefinerConfig,
} from "./networks/simgan_refiner.ts";
import {
  UNET_GENERATOR_DEFAULTS,
  unetGenerator,
  type UnetGeneratorConfig,
} from "./networks/unet_generator.ts";

/** Config type of each network name. */
export interface NetworkConfigs {
  simgan_refiner: SimganRefinerConfig;
  simgan_discriminator: SimganDiscriminatorConfig;
  resnet_generator: ResnetGeneratorConfig;
  patchgan_discriminator: PatchganDiscriminatorConfig;
  unet_generator: UnetGeneratorConfig;
  gaze_estimator: GazeEstimatorConfig;
}

/** A network name accepted by {@link buildNetwork}. */
export type NetworkName = keyof NetworkConfigs;

/** What {@link buildNetwork} returns for each name. */
export interface NetworkTypes {
  simgan_refiner: Network<SimganRefinerConfig, tf.Tensor4D>;
  simgan_discriminator: Network<SimganDiscriminatorConfig, tf.Tensor4D>;
  resnet_generator: Network<ResnetGeneratorConfig, tf.Tensor4D>;
  patchgan_discriminator: Network<PatchganDiscriminatorConfig, tf.Tensor4D>;
  unet_generator: Network<UnetGeneratorConfig, tf.Tensor4D>;
  gaze_estimator: GazeEstimator;
}

type Builder<N extends NetworkName> = (
  config: Partial<NetworkConfigs[N]>,
  options: BuildOptions,
) => NetworkTypes[N];

const BUILDERS: { [N in NetworkName]: Builder<N> } = {
  simgan_refiner: simganRefiner,
  simgan_discriminator: simganDiscriminator,
  resnet_generator: resnetGenerator,
  patchgan_discriminator: patchganDiscriminator,
  unet_generator: unetGenerator,
  gaze_estimator: gazeEstimator,
};

/** Default config of each network. */
export const NETWORK_DEFAULTS: { readonly [N in NetworkName]: Readonly<NetworkConfigs[N]> } = {
  simgan_refiner: SIMGAN_REFINER_DEFAULTS,
  simgan_discriminator: SIMGAN_DISCRIMINATOR_DEFAULTS,
  resnet_generator: RESNET_GENERATOR_DEFAULTS,
  patchgan_discriminator: PATCHGAN_DISCRIMINATOR_DEFAULTS,
  unet_generator: UNET_GENERATOR_DEFAULTS,
  gaze_estimator: GAZE_ESTIMATOR_DEFAULTS,
};

/** Every network name. */
export const NETWORK_NAMES = Object.keys(BUILDERS) as NetworkName[];

/** Checks a network name from a config file or flag, with an error listing the valid ones. */
export function parseNetworkName(value: string): NetworkName {
  if ((NETWORK_NAMES as string[]).includes(value)) return value as NetworkName;
  throw new Error(`unknown network '${value}': expected one of ${NETWORK_NAMES.join(", ")}`);
}

/**
 * Builds a network by name. Unknown config keys and mistyped values are errors; missing keys
 * take the defaults of {@link NETWORK_DEFAULTS}.
 *
 * @param name a {@link NetworkName}.
 * @param config overrides of the defaults.
 * @param options `seed` of the initial weights; `namespace` of the tfjs variable names.
 * @example
 * ```ts ignore
 * const R = buildNetwork("simgan_refiner", { blocks: 4 }, { seed: 1, namespace: "R" });
 * const y = tf.tidy(() => R.apply(x, { training: false }));
 * const weights = await R.params.getWeights();  // { "conv_in/kernel": { shape, data }, ... }
 * R.params.setWeights(weights);
 * R.dispose();
 * ```
 */
export function buildNetwork<N extends NetworkName>(
  name: N,
  config: Partial<NetworkConfigs[N]>,
  options: BuildOptions,
): NetworkTypes[N] {
  const builder = BUILDERS[parseNetworkName(name) as N];
  return builder(config, options);
}
