/**
 * SimGAN's refiner as the evaluation sees it (`lib/eval/refiner.ts`): built from a live model
 * ({@link simganRefiner}) or rebuilt from a run folder ({@link loadSimganRefiner}: R's
 * architecture from `RUN/config.json`, its weights from `RUN/checkpoints/latest.safetensors`).
 * `mod.ts` registers {@link loadSimganRefiner} for method `simgan`, so
 * `deno task eval-gaze --refiner RUN` works on SimGAN runs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Refiner } from "../../eval/refiner.ts";
import type { Network } from "../../nn/network.ts";
import type { SimganRefinerConfig } from "../../nn/networks/simgan_refiner.ts";
import { buildNetwork } from "../../nn/registry.ts";
import { readCheckpoint } from "../../train/checkpoint.ts";
import { readRunConfig, runPaths } from "../../train/run.ts";
import type { ImageShape } from "../image_pool.ts";
import {
  resolveSimganConfig,
  SIMGAN_DEFAULTS,
  type SimGANConfig,
  type SimGANOverrides,
} from "./config.ts";

/** Images per `refine` call of the refiners made here. */
export const REFINE_BATCH = 256;

/**
 * A {@link Refiner} that runs `R` (for inference) on chunks of images.
 *
 * @param R the refiner network (not disposed by the refiner unless `dispose` is passed).
 * @param options name, source recorded in `eval.json`, and `dispose`.
 */
export function simganRefiner(
  R: Network<SimganRefinerConfig, tf.Tensor4D>,
  options: { name?: string; source?: Record<string, unknown>; dispose?: () => void } = {},
): Refiner {
  return {
    name: options.name ?? "SimGAN",
    batchSize: REFINE_BATCH,
    source: options.source,
    dispose: options.dispose,
    refine: async (images, shape) => {
      const out = tf.tidy(() => R.apply(tf.tensor4d(images, [...shape]), { training: false }));
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
  };
}

let loads = 0;

/** The SimGAN fields of a task config's values (the loop, data and eval fields dropped). */
export function simganPart(values: Record<string, unknown>): SimGANOverrides {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SIMGAN_DEFAULTS)) if (key in values) out[key] = values[key];
  return out as SimGANOverrides;
}

/** What {@link loadSimganRefinerNetwork} loaded. */
export interface LoadedSimganRefiner {
  /** R with the checkpoint's weights (the caller disposes it). */
  R: Network<SimganRefinerConfig, tf.Tensor4D>;
  /** The run's resolved SimGAN config. */
  config: SimGANConfig;
  /** The run's `config.json` values (data sets included). */
  values: Record<string, unknown>;
  /** The checkpoint file and its completed steps. */
  file: string;
  step: number;
  /** The checkpoint's JSON state (`SimGANCheckpointState` when written by `train-simgan`). */
  state: unknown;
}

/**
 * Rebuilds the refiner network R of a SimGAN run: its architecture from `RUN/config.json`, its
 * weights from `RUN/checkpoints/latest.safetensors` (or `checkpoint`). Each call builds R under a
 * fresh variable namespace (`R_load<k>`), so it can live beside a training model.
 *
 * @throws when the run is not a SimGAN run, has no checkpoint, or the weights do not fit.
 */
export async function loadSimganRefinerNetwork(
  runDir: string,
  options: { checkpoint?: string } = {},
): Promise<LoadedSimganRefiner> {
  const saved = await readRunConfig(runDir);
  if (saved.method !== "simgan") {
    throw new Error(`${runDir}: a '${saved.method}' run, not a SimGAN run`);
  }
  const file = options.checkpoint ?? runPaths(runDir).latestCheckpoint;
  const ckpt = await readCheckpoint(file);
  const weights = ckpt.networks.R?.weights;
  if (!weights) throw new Error(`${file}: has no refiner 'R'`);
  const config = resolveSimganConfig(simganPart(saved.values));
  const state = ckpt.state as { shape?: ImageShape } | null;
  const channels = state?.shape?.channels ?? weights["conv_in/kernel"]?.shape[2];
  if (!channels) throw new Error(`${file}: cannot tell the image channels of R`);
  const R = buildNetwork("simgan_refiner", { channels, ...config.refiner }, {
    seed: 0,
    namespace: `R_load${++loads}`,
  });
  try {
    R.params.setWeights(weights);
  } catch (e) {
    R.dispose();
    throw new Error(
      `${file}: the refiner R does not match ${runDir}/config.json: ${(e as Error).message}`,
    );
  }
  return { R, config, values: saved.values, file, step: ckpt.step, state: ckpt.state };
}

/**
 * The evaluation's refiner of a SimGAN run: R from {@link loadSimganRefinerNetwork}, released by
 * the refiner's `dispose`.
 *
 * @throws when the run is not a SimGAN run, has no checkpoint, or the weights do not fit.
 */
export async function loadSimganRefiner(
  runDir: string,
  options: { checkpoint?: string } = {},
): Promise<Refiner> {
  const { R, file, step } = await loadSimganRefinerNetwork(runDir, options);
  return simganRefiner(R, {
    name: "SimGAN",
    source: { checkpoint: file, step },
    dispose: () => R.dispose(),
  });
}
