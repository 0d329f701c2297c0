/**
 * pix2pix's paired data: which array of a paired data set is the input x (`--pairs`), how a
 * semantic class-id map becomes the network's input (`--mapEncoding`), and an in-memory stream
 * of aligned (x, y) batches in shuffled epochs.
 *
 * A paired set (`make-data --domain paired`, `lib/data/dataset.ts`) holds per parameter set the
 * target-domain twin y (`images.npy`), the synthetic render (`synthetic.npy`) and the semantic
 * map (`maps.npy`, class ids 0..5: skin, sclera, iris, pupil, lid margin, caruncle), all
 * pixel-aligned. The two tasks:
 *
 * | `--pairs` | x | y |
 * |---|---|---|
 * | `twins` | the synthetic render (C channels, v / 127.5 - 1) | its target-domain twin |
 * | `maps` | the class-id map, encoded | the target-domain image |
 *
 * Map encodings:
 * - `onehot` (default): K = 6 channels, channel k is +1 where the class is k and -1 elsewhere (the
 *   [-1, 1] range of images; no order is implied between classes, which are categories);
 * - `scaled`: one channel, 2 id / (K - 1) - 1 (ids 0..5 -> -1, -0.6, ..., 1): compact, but it
 *   imposes an order (iris "between" sclera and pupil) the network has to undo.
 *
 * Order of the stream: epoch e is `new Rng(seed).fork("epoch", e).permutation(N)`, as
 * `ImageStream`'s, and x and y are taken at the same indices; the position (epoch, offset,
 * count) is the whole state ({@link StreamState}), so a checkpoint resumes the same order.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Dataset, toFloat } from "../../data/dataset.ts";
import { CLASS_NAMES } from "../../data/render/raster.ts";
import { SetupError } from "../../util/cli.ts";
import { Rng } from "../../util/random.ts";
import type { ImageShape } from "../image_pool.ts";
import { openFlagDataset } from "../simgan/data.ts";
import type { StreamState } from "../simgan/source.ts";

/** The two paired tasks. */
export const PAIRS = ["twins", "maps"] as const;

/** `twins` (synthetic render -> its twin) or `maps` (semantic map -> target image). */
export type Pairs = typeof PAIRS[number];

/** How a class-id map becomes the network's input. */
export const MAP_ENCODINGS = ["onehot", "scaled"] as const;

/** `onehot` (K channels in {-1, +1}) or `scaled` (one channel, 2 id / (K - 1) - 1). */
export type MapEncoding = typeof MAP_ENCODINGS[number];

/** Number of semantic classes K of the renderer's maps. */
export const MAP_CLASSES = CLASS_NAMES.length;

/** Input channels C_x of a task: the image's channels (`twins`), or the map encoding's. */
export function inputChannels(pairs: Pairs, encoding: MapEncoding, imageChannels: number): number {
  if (pairs === "twins") return imageChannels;
  return encoding === "onehot" ? MAP_CLASSES : 1;
}

/**
 * Encodes class-id maps `[N, H, W, 1]` as network inputs: `onehot` gives `[N, H, W, K]` in
 * {-1, +1}, `scaled` gives `[N, H, W, 1]` = 2 id / (K - 1) - 1.
 *
 * @throws {RangeError} naming the first id that is not a class (>= K).
 */
export function encodeMaps(ids: Uint8Array, encoding: MapEncoding): Float32Array {
  const k = MAP_CLASSES;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= k) {
      throw new RangeError(
        `encodeMaps: value ${ids[i]} at ${i} is not a class id (0..${k - 1}: ` +
          `${CLASS_NAMES.join(", ")})`,
      );
    }
  }
  if (encoding === "scaled") return Float32Array.from(ids, (v) => (2 * v) / (k - 1) - 1);
  if (encoding !== "onehot") throw new RangeError(`encodeMaps: unknown encoding '${encoding}'`);
  const out = new Float32Array(ids.length * k).fill(-1);
  for (let i = 0; i < ids.length; i++) out[i * k + ids[i]] = 1;
  return out;
}

/** Class-id maps as gray images for display: id x 255 / (K - 1). */
export function mapsToBytes(ids: Uint8Array): Uint8Array {
  return Uint8Array.from(
    ids,
    (v) => Math.round((Math.min(v, MAP_CLASSES - 1) * 255) / (MAP_CLASSES - 1)),
  );
}

/** The input maker of a task: raw input bytes `[N, H, W, 1|C]` to floats `[N, H, W, C_x]`. */
export function inputEncoder(
  pairs: Pairs,
  encoding: MapEncoding,
): (raw: Uint8Array) => Float32Array {
  return pairs === "maps" ? (raw) => encodeMaps(raw, encoding) : toFloat;
}

/** A paired data set in memory, as bytes. */
export interface PairedData {
  /** Raw inputs `[N, H, W, C_raw]`: synthetic renders (`twins`) or class ids (`maps`, C_raw 1). */
  inputs: Uint8Array;
  /** Ground-truth twins `[N, H, W, C]`. */
  targets: Uint8Array;
  /** Size of one target image (and of one input, but for its channels). */
  shape: ImageShape;
  /** Channels of one raw input. */
  inputChannels: number;
  /** Pairs. */
  count: number;
}

/** The array of a paired set that holds the input of `pairs`. */
export function inputArray(pairs: Pairs): "synthetic" | "maps" {
  return pairs === "twins" ? "synthetic" : "maps";
}

/**
 * Opens a paired data set and checks that it has the arrays `pairs` needs (without reading them).
 *
 * @returns the image size and the number of pairs.
 * @throws {SetupError} naming the flag and the directory when it is missing, unreadable, or not
 *   a paired set.
 */
export async function checkPairedSet(
  dir: string,
  pairs: Pairs,
  flag: string,
): Promise<{ shape: ImageShape; count: number }> {
  const ds = await openFlagDataset(flag, dir);
  try {
    const need = inputArray(pairs);
    if (!ds.arrays.includes(need)) {
      throw new SetupError(
        `${flag} ${dir}: has no ${need}.npy, which --pairs ${pairs} takes as input; a paired ` +
          `data set has it (deno task make-data --domain paired --n N --out DIR)`,
      );
    }
    return {
      shape: { height: ds.height, width: ds.width, channels: ds.channels },
      count: ds.count,
    };
  } finally {
    ds.close();
  }
}

/**
 * Checks that every value of class-id maps `[N, H, W, 1]` is a class id (0..K-1).
 *
 * @throws {SetupError} naming `where`, the pair, the pixel and the value of the first one that is
 *   not.
 */
export function checkMapIds(ids: Uint8Array, shape: ImageShape, where: string): void {
  const per = shape.height * shape.width;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < MAP_CLASSES) continue;
    const pixel = i % per;
    throw new SetupError(
      `${where}: maps.npy of pair ${Math.floor(i / per)} holds ${ids[i]} at row ` +
        `${Math.floor(pixel / shape.width)}, column ${pixel % shape.width}, which is not a class ` +
        `id (0..${MAP_CLASSES - 1}: ${CLASS_NAMES.join(", ")})`,
    );
  }
}

/**
 * Reads a paired data set's inputs (for `pairs`) and twins into memory: all pairs, or the first
 * `limit`. For `maps`, every class id is checked once here ({@link checkMapIds}), so a bad map
 * stops the task before training rather than at the batch that draws it.
 *
 * @throws {SetupError} naming `flag` and the directory for a set that is not a paired set, and
 *   the pair and value of an id that is not a class.
 */
export async function readPairs(
  dir: string,
  pairs: Pairs,
  flag = "--paired",
  options: { limit?: number } = {},
): Promise<PairedData> {
  await checkPairedSet(dir, pairs, flag);
  const ds = await Dataset.open(dir);
  let data: PairedData;
  try {
    const count = Math.min(options.limit ?? ds.count, ds.count);
    const read = async (name: "synthetic" | "maps" | "images") =>
      (count === ds.count
        ? await ds.readAll(name)
        : await ds.readIndices(name, Array.from({ length: count }, (_, i) => i))) as Uint8Array;
    data = {
      inputs: await read(inputArray(pairs)),
      targets: await read("images"),
      shape: { height: ds.height, width: ds.width, channels: ds.channels },
      inputChannels: pairs === "maps" ? 1 : ds.channels,
      count,
    };
  } finally {
    ds.close();
  }
  if (pairs === "maps") checkMapIds(data.inputs, data.shape, `${flag} ${dir}`);
  return data;
}

/** A batch of aligned pairs as tensors (the caller disposes them). */
export interface PairBatch {
  /** Inputs `[n, H, W, C_x]`. */
  x: tf.Tensor4D;
  /** Twins `[n, H, W, C]` in [-1, 1]. */
  y: tf.Tensor4D;
}

/** Where training takes its pairs from. */
export interface PairSource {
  /** The next `n` aligned pairs. */
  next(n: number): PairBatch | Promise<PairBatch>;
}

/** Shuffled, endless batches of aligned pairs held in memory (see the module documentation). */
export class PairStream implements PairSource {
  /** Number of pairs. */
  readonly count: number;
  /** Channels of an encoded input. */
  readonly inChannels: number;
  readonly #rng: Rng;
  #order: Uint32Array;
  #epoch = 0;
  #offset = 0;

  /**
   * @param data the pairs ({@link readPairs} has checked every map's class ids; the encoder
   *   still refuses a bad id in any batch it encodes, e.g. of data made by hand).
   * @param encode raw input bytes of n pairs to floats `[n, H, W, C_x]` ({@link inputEncoder});
   *   the first pair is encoded once here to learn `C_x`.
   * @param seed seed of the shuffles.
   */
  constructor(
    readonly data: PairedData,
    readonly encode: (raw: Uint8Array) => Float32Array,
    seed: number | string,
  ) {
    this.count = data.count;
    if (!Number.isInteger(this.count) || this.count < 1) {
      throw new RangeError(`PairStream: needs at least one pair, got ${this.count}`);
    }
    const { height, width } = data.shape;
    const probe = encode(data.inputs.subarray(0, height * width * data.inputChannels));
    this.inChannels = probe.length / (height * width);
    this.#rng = new Rng(seed);
    this.#order = this.#permutation(0);
  }

  #permutation(epoch: number): Uint32Array {
    return this.#rng.fork("epoch", epoch).permutation(this.count);
  }

  /** The indices of the next `n` pairs (advancing the position). */
  nextIndices(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      if (this.#offset >= this.count) {
        this.#epoch++;
        this.#offset = 0;
        this.#order = this.#permutation(this.#epoch);
      }
      out[k] = this.#order[this.#offset++];
    }
    return out;
  }

  /** The next `n` pairs: x encoded, y in [-1, 1]. */
  nextArrays(n: number): { x: Float32Array; y: Float32Array } {
    return this.pairs(this.nextIndices(n));
  }

  /** Pairs `indices` (the position does not move). */
  pairs(indices: ArrayLike<number>): { x: Float32Array; y: Float32Array } {
    const { height, width, channels } = this.data.shape;
    const perIn = height * width * this.data.inputChannels, perOut = height * width * channels;
    const n = indices.length;
    const raw = new Uint8Array(n * perIn);
    const y = new Float32Array(n * perOut);
    for (let k = 0; k < n; k++) {
      const i = indices[k];
      raw.set(this.data.inputs.subarray(i * perIn, (i + 1) * perIn), k * perIn);
      const t = this.data.targets.subarray(i * perOut, (i + 1) * perOut);
      for (let j = 0; j < perOut; j++) y[k * perOut + j] = t[j] / 127.5 - 1;
    }
    return { x: this.encode(raw), y };
  }

  /** The next `n` pairs as tensors (the caller disposes them). */
  next(n: number): PairBatch {
    const { height, width, channels } = this.data.shape;
    const { x, y } = this.nextArrays(n);
    return {
      x: tf.tensor4d(x, [n, height, width, this.inChannels]),
      y: tf.tensor4d(y, [n, height, width, channels]),
    };
  }

  /** Current position, with the number of pairs. */
  state(): StreamState {
    return { epoch: this.#epoch, offset: this.#offset, count: this.count };
  }

  /**
   * Moves to a saved position.
   *
   * @throws RangeError for a malformed state, or one saved with a data set of another size
   *   (nothing is changed then).
   */
  restore(state: StreamState): void {
    if (
      typeof state !== "object" || state === null || !Number.isInteger(state.epoch) ||
      state.epoch < 0 || !Number.isInteger(state.offset) || state.offset < 0 ||
      state.offset > this.count
    ) {
      throw new RangeError(`PairStream: bad state ${JSON.stringify(state)}`);
    }
    if (state.count !== this.count) {
      throw new RangeError(
        `PairStream: the saved position is for a data set of ${state.count} pairs, this one ` +
          `has ${this.count} (was the data set changed or regenerated since?)`,
      );
    }
    this.#epoch = state.epoch;
    this.#offset = state.offset;
    this.#order = this.#permutation(state.epoch);
  }
}
