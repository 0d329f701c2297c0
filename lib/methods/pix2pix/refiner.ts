/**
 * pix2pix's G as the evaluations see it: a {@link Refiner} for the gaze protocol (`twins` runs:
 * synthetic renders in) and a {@link PairedTranslator} for the paired metrics (`twins` and
 * `maps`), built from a live G ({@link pix2pixTranslator}) or rebuilt from a run folder
 * ({@link loadPix2PixTranslator}: G's architecture from `RUN/config.json`, its weights from
 * `RUN/checkpoints/latest.safetensors`). `mod.ts` registers both loaders for method `pix2pix`.
 *
 * G keeps dropout on at test time; the n-th call of a translator draws its masks with the key
 * `refine:<n>` (`ApplyContext.noiseKey`), so the live G at the end of training and the same G
 * loaded from the run give the same images for the same calls.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { PairedTranslator } from "../../eval/paired.ts";
import type { Refiner } from "../../eval/refiner.ts";
import type { Network } from "../../nn/network.ts";
import type { UnetGeneratorConfig } from "../../nn/networks/unet_generator.ts";
import { buildNetwork } from "../../nn/registry.ts";
import { readCheckpoint } from "../../train/checkpoint.ts";
import { readRunConfig, runPaths } from "../../train/run.ts";
import { RunSeeds } from "../../train/seeds.ts";
import { methodPart } from "../cyclegan/load.ts";
import type { ImageShape } from "../image_pool.ts";
import {
  PIX2PIX_DEFAULTS,
  type Pix2PixConfig,
  type Pix2PixOverrides,
  resolvePix2PixConfig,
} from "./config.ts";
import {
  encodeMaps,
  inputArray,
  inputChannels,
  MAP_ENCODINGS,
  type MapEncoding,
  PAIRS,
  type Pairs,
} from "./data.ts";
import { unetConfig } from "./model.ts";

/** Images per call of the translators made here. */
export const TRANSLATE_BATCH = 256;

type Generator = Network<UnetGeneratorConfig, tf.Tensor4D>;

/** What G translates: the task and, for maps, their encoding. */
export interface Pix2PixInput {
  pairs: Pairs;
  mapEncoding: MapEncoding;
}

/**
 * A {@link PairedTranslator} running `G` (test mode, dropout keyed by call) on chunks.
 *
 * @param G the generator (not disposed unless `dispose` is passed).
 */
export function pix2pixTranslator(
  G: Generator,
  input: Pix2PixInput,
  options: { name?: string; source?: Record<string, unknown>; dispose?: () => void } = {},
): PairedTranslator {
  let calls = 0;
  return {
    name: options.name ?? `pix2pix (${input.pairs})`,
    input: inputArray(input.pairs),
    batchSize: TRANSLATE_BATCH,
    source: options.source,
    dispose: options.dispose,
    ...(input.pairs === "maps"
      ? { encodeMaps: (ids: Uint8Array) => encodeMaps(ids, input.mapEncoding) }
      : {}),
    translate: async (images, shape) => {
      const key = `refine:${calls++}`;
      const out = tf.tidy(() =>
        G.apply(tf.tensor4d(images, [...shape]), { training: false, noiseKey: key })
      );
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
  };
}

/** The {@link Refiner} of a `twins` G (synthetic renders in), for the gaze protocol. */
export function pix2pixRefiner(
  G: Generator,
  options: { name?: string; source?: Record<string, unknown>; dispose?: () => void } = {},
): Refiner {
  const t = pix2pixTranslator(G, { pairs: "twins", mapEncoding: "onehot" }, options);
  return {
    name: options.name ?? "pix2pix",
    refine: t.translate,
    batchSize: t.batchSize,
    source: t.source,
    dispose: t.dispose,
  };
}

let loads = 0;

/** What {@link loadPix2PixGenerator} loaded. */
export interface LoadedPix2PixGenerator {
  /** G with the checkpoint's weights (the caller disposes it). */
  G: Generator;
  /** What G translates. */
  input: Pix2PixInput;
  /** The checkpoint's completed steps and file. */
  step: number;
  file: string;
  /** The run's resolved pix2pix config. */
  config: Pix2PixConfig;
  /** The run's `config.json` values (data sets included). */
  values: Record<string, unknown>;
  /** Size of G's output images. */
  shape: ImageShape;
  /** Input channels of G. */
  inChannels: number;
  /** The checkpoint's JSON state (`Pix2PixCheckpointState` when written by the task). */
  state: unknown;
}

/**
 * Rebuilds G of a pix2pix run (architecture from `RUN/config.json`, weights from the latest
 * checkpoint, or `checkpoint`), under a fresh namespace (`G_load<k>`), with its input settings.
 *
 * @throws when the run is not a pix2pix run, has no checkpoint, or the weights do not fit.
 */
export async function loadPix2PixGenerator(
  runDir: string,
  options: { checkpoint?: string } = {},
): Promise<LoadedPix2PixGenerator> {
  const saved = await readRunConfig(runDir);
  if (saved.method !== "pix2pix") {
    throw new Error(`${runDir}: a '${saved.method}' run, not a pix2pix run`);
  }
  const file = options.checkpoint ?? runPaths(runDir).latestCheckpoint;
  const ckpt = await readCheckpoint(file);
  const weights = ckpt.networks.G?.weights;
  if (!weights) throw new Error(`${file}: has no generator 'G'`);
  const values = saved.values as Record<string, unknown>;
  const cfg = resolvePix2PixConfig(methodPart<Pix2PixOverrides>(values, PIX2PIX_DEFAULTS));
  const pairs = values.pairs as Pairs, mapEncoding = values.mapEncoding as MapEncoding;
  if (!PAIRS.includes(pairs) || !MAP_ENCODINGS.includes(mapEncoding)) {
    throw new Error(
      `${runDir}/config.json: pairs '${pairs}' / mapEncoding '${mapEncoding}' are not known`,
    );
  }
  const state = ckpt.state as { shape?: ImageShape } | null;
  const shape = state?.shape;
  if (!shape) throw new Error(`${file}: cannot tell the image size of G (no state.shape)`);
  const inCh = inputChannels(pairs, mapEncoding, shape.channels);
  // the run's seed of G: the same dropout masks as the trained G for the same keys
  const G = buildNetwork("unet_generator", unetConfig(cfg.generator, inCh, shape), {
    seed: new RunSeeds(ckpt.seed).network("G"),
    namespace: `G_load${++loads}`,
  });
  try {
    G.params.setWeights(weights);
  } catch (e) {
    G.dispose();
    throw new Error(`${file}: G does not match ${runDir}/config.json: ${(e as Error).message}`);
  }
  return {
    G,
    input: { pairs, mapEncoding },
    step: ckpt.step,
    file,
    config: cfg,
    values,
    shape,
    inChannels: inCh,
    state: ckpt.state,
  };
}

/** The paired translator of a pix2pix run (`twins` or `maps`). */
export async function loadPix2PixTranslator(runDir: string): Promise<PairedTranslator> {
  const { G, input, step, file } = await loadPix2PixGenerator(runDir);
  return pix2pixTranslator(G, input, {
    source: { checkpoint: file, step },
    dispose: () => G.dispose(),
  });
}

/**
 * The gaze protocol's refiner of a pix2pix `twins` run.
 *
 * @throws for a `maps` run, whose G translates semantic maps, not synthetic images.
 */
export async function loadPix2PixRefiner(runDir: string): Promise<Refiner> {
  const { G, input, step, file } = await loadPix2PixGenerator(runDir);
  if (input.pairs !== "twins") {
    G.dispose();
    throw new Error(
      `${runDir}: a pix2pix '${input.pairs}' run translates semantic maps, not synthetic ` +
        `images, so it is no refiner for the gaze protocol (use deno task eval-pairs); ` +
        `train with --pairs twins for that`,
    );
  }
  return pix2pixRefiner(G, { source: { checkpoint: file, step }, dispose: () => G.dispose() });
}
