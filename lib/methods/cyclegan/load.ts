/**
 * The generators of a CycleGAN or GazeGAN run folder, rebuilt for inference: G as the
 * evaluation's refiner ({@link loadCycleRefiner}, registered by `mod.ts` for
 * `deno task eval-gaze --refiner RUN`), G and F for the report's sections
 * ({@link loadCycleGenerators}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Refiner } from "../../eval/refiner.ts";
import type { Network } from "../../nn/network.ts";
import type { ResnetGeneratorConfig } from "../../nn/networks/resnet_generator.ts";
import { buildNetwork } from "../../nn/registry.ts";
import { readCheckpoint } from "../../train/checkpoint.ts";
import { readRunConfig, runPaths } from "../../train/run.ts";
import type { ImageShape } from "../image_pool.ts";
import { CYCLEGAN_DEFAULTS, type CycleGANConfig, mergeConfig } from "./config.ts";

/** A ResNet generator of the CycleGAN family (G or F). */
export type CycleGenerator = Network<ResnetGeneratorConfig, tf.Tensor4D>;

/** Images per `refine` call of the refiners made here. */
export const REFINE_BATCH = 256;

/** A {@link Refiner} that runs a generator (inference mode) on chunks of images. */
export function generatorRefiner(
  G: CycleGenerator,
  options: { name: string; source?: Record<string, unknown>; dispose?: () => void },
): Refiner {
  return {
    name: options.name,
    batchSize: REFINE_BATCH,
    source: options.source,
    dispose: options.dispose,
    refine: async (images, shape) => {
      const out = tf.tidy(() => G.apply(tf.tensor4d(images, [...shape]), { training: false }));
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
  };
}

/** The fields of `defaults` found in a task config's values (loop, data and eval dropped). */
export function methodPart<T>(values: Record<string, unknown>, defaults: object): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) if (key in values) out[key] = values[key];
  return out as T;
}

/** What {@link loadCycleGenerators} loaded. */
export interface LoadedCycleGenerators {
  /** `cyclegan` or `gazegan`. */
  method: "cyclegan" | "gazegan";
  /** The run's `config.json` values. */
  values: Record<string, unknown>;
  /** G (synthetic to real) with the checkpoint's weights. */
  G: CycleGenerator;
  /** F (real to synthetic), when asked for. */
  F?: CycleGenerator;
  /** The checkpoint file and its completed steps. */
  file: string;
  step: number;
  /** The checkpoint's JSON state (`CycleCheckpointState` when written by the task). */
  state: unknown;
  /** Releases the networks loaded. */
  dispose(): void;
}

let loads = 0;

/**
 * Rebuilds G (and, with `F: true`, F) of a CycleGAN or GazeGAN run: the architecture from
 * `RUN/config.json`, the weights from `RUN/checkpoints/latest.safetensors`, each under a fresh
 * namespace (`G_load<k>`, `F_load<k>`), so they can live beside a training model.
 *
 * @throws when the run is not of the family, has no checkpoint, or the weights do not fit.
 */
export async function loadCycleGenerators(
  runDir: string,
  options: { F?: boolean } = {},
): Promise<LoadedCycleGenerators> {
  const saved = await readRunConfig(runDir);
  if (saved.method !== "cyclegan" && saved.method !== "gazegan") {
    throw new Error(`${runDir}: a '${saved.method}' run, not a CycleGAN or GazeGAN run`);
  }
  const file = runPaths(runDir).latestCheckpoint;
  const ckpt = await readCheckpoint(file);
  const names = options.F ? ["G", "F"] as const : ["G"] as const;
  for (const name of names) {
    if (!ckpt.networks[name]?.weights) throw new Error(`${file}: has no generator '${name}'`);
  }
  const values = saved.values as Record<string, unknown>;
  const generator = mergeConfig("cyclegan", CYCLEGAN_DEFAULTS, {
    generator: values.generator as CycleGANConfig["generator"],
  }).generator;
  const state = ckpt.state as { shape?: ImageShape } | null;
  const channels = state?.shape?.channels;
  if (!channels) throw new Error(`${file}: cannot tell the image channels of G`);
  const k = ++loads;
  const built: CycleGenerator[] = [];
  try {
    for (const name of names) {
      const net = buildNetwork("resnet_generator", {
        ...generator,
        inChannels: channels,
        outChannels: channels,
      }, { seed: 0, namespace: `${name}_load${k}` });
      built.push(net);
      try {
        net.params.setWeights(ckpt.networks[name]!.weights);
      } catch (e) {
        throw new Error(
          `${file}: ${name} does not match ${runDir}/config.json: ${(e as Error).message}`,
        );
      }
    }
  } catch (e) {
    for (const net of built) net.dispose();
    throw e;
  }
  return {
    method: saved.method,
    values,
    G: built[0],
    ...(built[1] ? { F: built[1] } : {}),
    file,
    step: ckpt.step,
    state: ckpt.state,
    dispose: () => {
      for (const net of built) net.dispose();
    },
  };
}

/**
 * Rebuilds G of a CycleGAN or GazeGAN run (architecture from `RUN/config.json`, weights from
 * `RUN/checkpoints/latest.safetensors`) as the evaluation's refiner, under a fresh namespace.
 */
export async function loadCycleRefiner(runDir: string): Promise<Refiner> {
  const loaded = await loadCycleGenerators(runDir);
  return generatorRefiner(loaded.G, {
    name: loaded.method === "gazegan" ? "GazeGAN" : "CycleGAN",
    source: { checkpoint: loaded.file, step: loaded.step },
    dispose: loaded.dispose,
  });
}
