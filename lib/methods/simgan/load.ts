/**
 * Building SimGAN from a config alone: psi `features` loads its frozen network from the
 * estimator file named in the config.
 *
 * @module
 */
import { loadEstimator } from "../../gaze/estimator.ts";
import { resolveSimganConfig, type SimGANOverrides } from "./config.ts";
import { SimGAN, type SimGANBuildOptions } from "./model.ts";

/**
 * {@link SimGAN.create}, loading psi's frozen network from `config.psi.estimator` (a file of
 * `saveEstimator`) when psi is `features` and no `featureNetwork` is given; the loaded network
 * (namespace `psi_E`) is released by `dispose`.
 *
 * @throws if psi is `features` and neither a network nor an estimator file is given.
 */
export async function loadSimGAN(
  config: SimGANOverrides,
  options: SimGANBuildOptions,
): Promise<SimGAN> {
  const resolved = resolveSimganConfig(config);
  if (resolved.psi.name !== "features" || options.featureNetwork) {
    return SimGAN.create(resolved as SimGANOverrides, options);
  }
  if (!resolved.psi.estimator) {
    throw new Error(
      "simgan: psi 'features' needs psi.estimator (a gaze estimator file from " +
        "`deno task train-estimator`)",
    );
  }
  const est = await loadEstimator(resolved.psi.estimator, "psi_E");
  try {
    const gan = SimGAN.create(resolved as SimGANOverrides, { ...options, featureNetwork: est.net });
    gan.adopt(est.net);
    return gan;
  } catch (e) {
    est.net.dispose();
    throw e;
  }
}
