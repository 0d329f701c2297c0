/**
 * In-memory image streams for SimGAN's {@link BatchSource}: every image of a data set held as
 * bytes (36x60x1 is 2 KiB an image, so 20,000 images are 43 MB), served in shuffled epochs.
 *
 * Order: epoch e is the permutation `new Rng(seed).fork("epoch", e).permutation(N)`; a batch
 * that crosses the end of an epoch continues with the next one. The position (epoch, offset)
 * is the whole state, so a checkpoint resumes the same order; the state also records the number
 * of images, so that a position is never restored onto a data set of another size (the same
 * position in another permutation would silently change the data order).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Dataset } from "../../data/dataset.ts";
import { Rng } from "../../util/random.ts";
import type { ImageShape } from "../image_pool.ts";
import type { BatchSource } from "./model.ts";

/** Position of an {@link ImageStream}. */
export interface StreamState {
  /** Epochs completed. */
  epoch: number;
  /** Images served in the current epoch. */
  offset: number;
  /**
   * Images in the data set the position belongs to (absent in checkpoints written before it was
   * recorded: not checked then).
   */
  count?: number;
}

/** Shuffled, endless batches from images held in memory. */
export class ImageStream {
  /** Number of images. */
  readonly count: number;
  readonly #rng: Rng;
  #order: Uint32Array;
  #epoch = 0;
  #offset = 0;

  /**
   * @param images [N, H, W, C] row-major: bytes 0..255 (mapped to v / 127.5 - 1) or floats in
   *   [-1, 1].
   * @param shape one image's size.
   * @param seed seed of the shuffles.
   */
  constructor(
    readonly images: Uint8Array | Float32Array,
    readonly shape: ImageShape,
    seed: number | string,
  ) {
    const per = shape.height * shape.width * shape.channels;
    this.count = images.length / per;
    if (!Number.isInteger(this.count) || this.count < 1) {
      throw new RangeError(`ImageStream: ${images.length} values are not N >= 1 images of ${per}`);
    }
    this.#rng = new Rng(seed);
    this.#order = this.#permutation(0);
  }

  #permutation(epoch: number): Uint32Array {
    return this.#rng.fork("epoch", epoch).permutation(this.count);
  }

  /** The next `n` images as floats in [-1, 1], [n, H, W, C]. */
  nextArray(n: number): Float32Array {
    const { height, width, channels } = this.shape;
    const per = height * width * channels;
    const out = new Float32Array(n * per);
    for (let k = 0; k < n; k++) {
      if (this.#offset >= this.count) {
        this.#epoch++;
        this.#offset = 0;
        this.#order = this.#permutation(this.#epoch);
      }
      const i = this.#order[this.#offset++];
      const src = this.images.subarray(i * per, (i + 1) * per);
      if (src instanceof Uint8Array) {
        for (let j = 0; j < per; j++) out[k * per + j] = src[j] / 127.5 - 1;
      } else out.set(src, k * per);
    }
    return out;
  }

  /** The next `n` images as a tensor [n, H, W, C] (the caller disposes it). */
  next(n: number): tf.Tensor4D {
    const { height, width, channels } = this.shape;
    return tf.tensor4d(this.nextArray(n), [n, height, width, channels]);
  }

  /** Current position, with the number of images. */
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
      (state.count !== undefined && (!Number.isInteger(state.count) || state.count < 1))
    ) {
      throw new RangeError(`ImageStream: bad state ${JSON.stringify(state)}`);
    }
    if (state.count !== undefined && state.count !== this.count) {
      throw new RangeError(
        `ImageStream: the saved position is for a data set of ${state.count} images, this one ` +
          `has ${this.count} (was the data set changed or regenerated since?)`,
      );
    }
    if (state.offset > this.count) {
      throw new RangeError(
        `ImageStream: the saved offset ${state.offset} is past the end of this data set of ` +
          `${this.count} images (was the data set changed or regenerated since?)`,
      );
    }
    this.#epoch = state.epoch;
    this.#offset = state.offset;
    this.#order = this.#permutation(state.epoch);
  }
}

/** Reads every image of a data set directory as bytes, with its shape. */
export async function readImages(dir: string): Promise<{ images: Uint8Array; shape: ImageShape }> {
  const ds = await Dataset.open(dir);
  try {
    const images = (await ds.readAll("images")) as Uint8Array;
    return { images, shape: { height: ds.height, width: ds.width, channels: ds.channels } };
  } finally {
    ds.close();
  }
}

/** A {@link BatchSource} from two streams. */
export function streamSource(streams: { synthetic: ImageStream; real: ImageStream }): BatchSource {
  return {
    synthetic: (n) => streams.synthetic.next(n),
    real: (n) => streams.real.next(n),
  };
}
