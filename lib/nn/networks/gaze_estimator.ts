/**
 * Gaze estimator CNN of the SimGAN paper's evaluation (Shrivastava et al., CVPR 2017), used to
 * compare training on synthetic vs refined images, for the gaze cycle loss of GazeGAN, as a
 * fixed feature extractor psi for SimGAN's self-regularisation, and for KID features.
 *
 * ```
 * x [B,H,W,C] -> conv3x3 32 -> conv3x3 32 -> conv3x3 64 -> maxpool3x3 s2 (pool1)
 *             -> conv3x3 80 -> conv3x3 192 -> maxpool2x2 s2 (pool2)
 *             [-> maxpool2x2 s2 (pool3, pool4, ...) while H'W' > maxFlattenPositions]
 *             -> flatten -> FC 1000 -> FC outputs
 * ```
 *
 * Convolutions are `valid` with ReLU (optionally batch norm before it). At 35x55x1 the flattened
 * pool2 output is 5 x 10 x 192 = 9600, the paper's "FC 9600"; we read the paper's
 * "FC 9600, FC 1000, FC 3" as flatten (9600) -> FC 1000 -> FC 3. Outputs: 3 (unit gaze vector,
 * the paper) or 2 (pitch, yaw).
 *
 * Scaling to the image size: the paper's stack on larger images gives a huge first FC (150k
 * inputs at 128x128), so extra 2x2 max-pools are appended after pool2 until at most
 * `maxFlattenPositions` positions remain (64 by default: none at 35x55 or 36x60, one at 64x64,
 * two at 128x128). `widthMultiplier` scales every width (small nets for tests, bigger for
 * colour images).
 *
 * Feature outputs ({@link GazeEstimator.features}): the output of any stage by name (`conv1` ...
 * `conv5`, `pool1`, `pool2`, extra `pool<k>`, `fc1`, ...), e.g. `conv2` as an early-layer psi,
 * `fc1` as a 1000-d KID embedding.
 *
 * Parameters: `conv<i>/*`, `bn<i>/*` (batch norm), `fc<i>/*`, `out/*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  type ApplyContext,
  conv2d,
  dense,
  dropout,
  flatten,
  type Layer,
  maxPool,
} from "../layers.ts";
import {
  type BuildOptions,
  checkInput,
  makeNetwork,
  type Network,
  newStore,
  resolveConfig,
} from "../network.ts";
import { normLayer } from "../norm.ts";
import type { WeightInit } from "../params.ts";
import { deriveSeed } from "../rng.ts";

/** Config of {@link gazeEstimator}. */
export interface GazeEstimatorConfig {
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Image channels. */
  inChannels: number;
  /** Widths of the five convolutions (paper: 32, 32, 64, 80, 192). */
  convFilters: number[];
  /** Widths of the hidden FC layers (paper: 1000). */
  hidden: number[];
  /** Outputs: 3 (gaze vector) or 2 (pitch, yaw). */
  outputs: number;
  /** Scale of every conv and hidden width. */
  widthMultiplier: number;
  /** Append 2x2 pools after pool2 until H' x W' is at most this. */
  maxFlattenPositions: number;
  /** Batch norm after each convolution. */
  norm: "none" | "batch";
  /** Dropout rate after each hidden FC layer (training only). */
  dropout: number;
  /** Kernel initialisation (He by default: a plain ReLU regression net). */
  init: WeightInit;
}

/** Defaults of {@link GazeEstimatorConfig}: the paper's estimator at 35x55x1. */
export const GAZE_ESTIMATOR_DEFAULTS: GazeEstimatorConfig = {
  height: 35,
  width: 55,
  inChannels: 1,
  convFilters: [32, 32, 64, 80, 192],
  hidden: [1000],
  outputs: 3,
  widthMultiplier: 1,
  maxFlattenPositions: 64,
  norm: "none",
  dropout: 0,
  init: "he",
};

/** The gaze estimator network, with access to intermediate features. */
export interface GazeEstimator extends Network<GazeEstimatorConfig, tf.Tensor2D> {
  /** Stage names, in order, accepted by {@link features}. */
  readonly featureLayers: readonly string[];
  /** Size of the flattened conv output (the first FC's input). */
  readonly flattenSize: number;
  /**
   * The output of stage `layer` (4-D for conv/pool stages, 2-D for FC stages), e.g. `conv2` for
   * SimGAN's psi or `fc1` for KID features.
   */
  features(x: tf.Tensor4D, options: { layer: string } & ApplyContext): tf.Tensor;
}

interface Stage {
  name: string;
  run: (h: tf.Tensor, ctx: ApplyContext) => tf.Tensor;
}

/** Builds the gaze estimator; `apply(x)` returns [B, outputs]. */
export function gazeEstimator(
  config: Partial<GazeEstimatorConfig>,
  options: BuildOptions,
): GazeEstimator {
  const cfg = resolveConfig("gaze_estimator", GAZE_ESTIMATOR_DEFAULTS, config);
  if (cfg.convFilters.length !== 5) throw new Error("gaze_estimator: convFilters needs 5 widths");
  const params = newStore(options);
  const scale = (w: number) => Math.max(1, Math.round(w * cfg.widthMultiplier));
  const { init } = cfg;
  const stages: Stage[] = [];
  let [h, w, c] = [cfg.height, cfg.width, cfg.inChannels];
  const checkSize = (name: string) => {
    if (h < 1 || w < 1) {
      throw new Error(
        `gaze_estimator: ${cfg.height}x${cfg.width} is too small (empty after ${name})`,
      );
    }
  };
  let convIndex = 0;
  const addConv = (filters: number) => {
    const i = ++convIndex;
    const conv = conv2d(params.scope(`conv${i}`), {
      inChannels: c,
      filters,
      kernel: 3,
      padding: "valid",
      init,
    });
    const bn = normLayer(params.scope(`bn${i}`), cfg.norm, { channels: filters, init });
    stages.push({
      name: `conv${i}`,
      run: (t, ctx) => {
        const y = conv.apply(t, ctx);
        return tf.relu(bn ? bn.apply(y, ctx) : y);
      },
    });
    [h, w, c] = [h - 2, w - 2, filters];
    checkSize(`conv${i}`);
  };
  let poolIndex = 0;
  const addPool = (size: number) => {
    const pool: Layer = maxPool({ size, stride: 2, padding: "valid" });
    stages.push({ name: `pool${++poolIndex}`, run: (t, ctx) => pool.apply(t, ctx) });
    [h, w] = [Math.floor((h - size) / 2) + 1, Math.floor((w - size) / 2) + 1];
    checkSize(`pool${poolIndex}`);
  };
  const widths = cfg.convFilters.map(scale);
  widths.slice(0, 3).forEach(addConv);
  addPool(3);
  widths.slice(3).forEach(addConv);
  addPool(2);
  while (h * w > cfg.maxFlattenPositions && h >= 2 && w >= 2) addPool(2);
  const flattenSize = h * w * c;
  let units = flattenSize;
  cfg.hidden.map(scale).forEach((width, j) => {
    const fc = dense(params.scope(`fc${j + 1}`), { inUnits: units, units: width, init });
    const drop = cfg.dropout > 0
      ? dropout({ rate: cfg.dropout, seed: deriveSeed(options.seed, `fc${j + 1}_dropout`) })
      : undefined;
    stages.push({
      name: `fc${j + 1}`,
      run: (t, ctx) => {
        const y = tf.relu(fc.apply(t.rank === 4 ? flatten(t) : t, ctx));
        return drop ? drop.apply(y, ctx) : y;
      },
    });
    units = width;
  });
  const out = dense(params.scope("out"), { inUnits: units, units: cfg.outputs, init });
  stages.push({
    name: "out",
    run: (t, ctx) => out.apply(t.rank === 4 ? flatten(t) : t, ctx),
  });
  const runUpTo = (x: tf.Tensor4D, last: string, ctx: ApplyContext) => {
    if (x.shape[1] !== cfg.height || x.shape[2] !== cfg.width) {
      throw new Error(
        `gaze_estimator: built for ${cfg.height}x${cfg.width}, got ${x.shape[1]}x${x.shape[2]}`,
      );
    }
    let t: tf.Tensor = x;
    for (const stage of stages) {
      t = stage.run(t, ctx);
      if (stage.name === last) break;
    }
    return t;
  };
  const net = makeNetwork({
    kind: "gaze_estimator",
    config: cfg,
    params,
    inChannels: cfg.inChannels,
    forward: (x, ctx) => runUpTo(x, "out", ctx) as tf.Tensor2D,
  });
  const featureLayers = stages.map((s) => s.name);
  return {
    ...net,
    featureLayers,
    flattenSize,
    features: (x, { layer, ...ctx }) => {
      if (!featureLayers.includes(layer)) {
        throw new Error(`gaze_estimator: no layer '${layer}' (have ${featureLayers.join(", ")})`);
      }
      checkInput("gaze_estimator", x, cfg.inChannels);
      return tf.tidy(() => runUpTo(x, layer, ctx));
    },
  };
}
