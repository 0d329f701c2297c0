/**
 * Buffers of generated images shown to a discriminator again later, so that it does not forget
 * the artefacts of earlier generators:
 *
 * - {@link HistoryBuffer}: SimGAN's history of refined images (Shrivastava et al. 2017, sec. 2.3).
 *   Each discriminator mini-batch is half real images, a quarter refined by the current refiner
 *   and a quarter sampled from the buffer ({@link simganComposition}); after each step the new
 *   refined images go into the buffer: appended while it is not full, afterwards each replaces a
 *   uniformly chosen stored image. (The paper: "we randomly replace b/2 samples in the buffer
 *   with the newly generated refined images"; the exact rule is not published.)
 * - {@link ImagePool}: CycleGAN's image pool (Shrivastava et al.'s idea as coded by Zhu et al.,
 *   `util/image_pool.py`): while fewer than `capacity` (50) images are stored, each new image
 *   is stored and returned; then, with probability 1/2, a random stored image is returned and
 *   replaced by the new one, else the new image is returned unchanged.
 *
 * Images live on the JavaScript side as one Float32Array (no tensors: nothing can leak, and
 * the contents go straight into a checkpoint). Randomness: draw number k (one per `sample`,
 * `add` or `query` call) uses the stream `new Rng(seed).fork(kind, k)`, so the state to resume
 * exactly is the stored images plus the counters of {@link PoolState}.
 *
 * @module
 */
import { Rng } from "../util/random.ts";

/** Height, width and channels of the stored images. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** Options of the buffer constructors. */
export interface PoolOptions {
  /** Most images kept. */
  capacity: number;
  /** Size of one image. */
  shape: ImageShape;
  /** Seed of every random choice. */
  seed: number | string;
}

/** Everything needed to restore a buffer: arrays for a checkpoint and a JSON blob. */
export interface PoolState {
  /** The stored images, [size, H, W, C] row-major (only the filled part). */
  arrays: { images: Float32Array };
  /** Kind, capacity, shape, fill and counters. */
  json: {
    kind: "simgan_history" | "cyclegan_pool";
    capacity: number;
    shape: ImageShape;
    size: number;
    /** Random draws made so far (the next uses stream number `draws`). */
    draws: number;
    /** Images offered to the buffer so far. */
    seen: number;
  };
}

/** How SimGAN's discriminator mini-batch of `batchSize` images is made up. */
export interface Composition {
  /** Real images: half. */
  real: number;
  /** Refined by the current refiner: a quarter. */
  current: number;
  /** Sampled from the history buffer: a quarter (current images stand in while it is empty). */
  history: number;
}

/**
 * SimGAN's discriminator mini-batch: half real, a quarter current refined, a quarter history.
 *
 * @throws unless `batchSize` is a positive multiple of 4.
 */
export function simganComposition(batchSize: number): Composition {
  if (!Number.isInteger(batchSize) || batchSize < 4 || batchSize % 4 !== 0) {
    throw new Error(`SimGAN batch size must be a positive multiple of 4, got ${batchSize}`);
  }
  return { real: batchSize / 2, current: batchSize / 4, history: batchSize / 4 };
}

function imageSize(shape: ImageShape): number {
  const { height, width, channels } = shape;
  for (const v of [height, width, channels]) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`image pool: bad shape ${JSON.stringify(shape)}`);
    }
  }
  return height * width * channels;
}

/** Storage and bookkeeping shared by both buffers. */
abstract class StoredImages {
  readonly capacity: number;
  readonly shape: ImageShape;
  /** Values per image. */
  readonly imageSize: number;
  protected data: Float32Array;
  protected count = 0;
  protected draws = 0;
  protected seen = 0;
  readonly #root: Rng;

  protected constructor(readonly kind: PoolState["json"]["kind"], options: PoolOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 0) {
      throw new Error(`image pool: capacity must be an integer >= 0, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.shape = { ...options.shape };
    this.imageSize = imageSize(options.shape);
    this.data = new Float32Array(0);
    this.#root = new Rng(options.seed).fork(kind);
  }

  /** Images stored now. */
  get size(): number {
    return this.count;
  }

  /** Whether `capacity` images are stored. */
  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Copy of stored image `i`. */
  get(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`image pool: no image ${i} (size ${this.count})`);
    }
    return this.data.slice(i * this.imageSize, (i + 1) * this.imageSize);
  }

  /** The stream of the next random draw. */
  protected nextRng(): Rng {
    return this.#root.fork(this.draws++);
  }

  /** Number of images in `images`, checking it holds whole images. */
  protected countOf(images: Float32Array): number {
    const n = images.length / this.imageSize;
    if (!Number.isInteger(n)) {
      const { height, width, channels } = this.shape;
      throw new RangeError(
        `image pool: ${images.length} values are not N x ${height}x${width}x${channels}`,
      );
    }
    return n;
  }

  /** Writes image `src` of `images` into slot `slot` (growing the storage to `slot + 1`). */
  protected put(slot: number, images: Float32Array, src: number): void {
    const need = (slot + 1) * this.imageSize;
    if (need > this.data.length) {
      const grown = Math.min(
        this.capacity,
        Math.max(slot + 1, 2 * (this.data.length / this.imageSize), 8),
      );
      const data = new Float32Array(grown * this.imageSize);
      data.set(this.data);
      this.data = data;
    }
    const s = this.imageSize;
    this.data.set(images.subarray(src * s, (src + 1) * s), slot * s);
    if (slot >= this.count) this.count = slot + 1;
  }

  /** Arrays and counters for a checkpoint (the arrays are copies). */
  state(): PoolState {
    return {
      arrays: { images: this.data.slice(0, this.count * this.imageSize) },
      json: {
        kind: this.kind,
        capacity: this.capacity,
        shape: { ...this.shape },
        size: this.count,
        draws: this.draws,
        seen: this.seen,
      },
    };
  }

  /**
   * Restores a {@link state}; the buffer must have been built with the same kind, capacity,
   * shape and seed.
   *
   * @throws if the state does not fit this buffer (nothing is changed then).
   */
  restore(state: PoolState): void {
    const j = state.json;
    const problem = j.kind !== this.kind
      ? `kind ${j.kind}, expected ${this.kind}`
      : j.capacity !== this.capacity
      ? `capacity ${j.capacity}, expected ${this.capacity}`
      : imageSize(j.shape) !== this.imageSize || j.shape.height !== this.shape.height ||
          j.shape.width !== this.shape.width
      ? `image shape ${JSON.stringify(j.shape)}, expected ${JSON.stringify(this.shape)}`
      : !Number.isInteger(j.size) || j.size < 0 || j.size > this.capacity
      ? `size ${j.size} outside 0..${this.capacity}`
      : state.arrays.images.length !== j.size * this.imageSize
      ? `${state.arrays.images.length} values for ${j.size} images`
      : !Number.isInteger(j.draws) || j.draws < 0 || !Number.isInteger(j.seen) || j.seen < j.size
      ? `bad counters draws=${j.draws} seen=${j.seen}`
      : undefined;
    if (problem) throw new Error(`image pool: cannot restore state: ${problem}`);
    this.data = Float32Array.from(state.arrays.images);
    this.count = j.size;
    this.draws = j.draws;
    this.seen = j.seen;
  }
}

/**
 * SimGAN's history of refined images (see the module documentation).
 *
 * @example
 * ```ts
 * import { HistoryBuffer, simganComposition } from "./image_pool.ts";
 * const shape = { height: 2, width: 2, channels: 1 };
 * const history = new HistoryBuffer({ capacity: 100, shape, seed: 1 });
 * const { current, history: fromHistory } = simganComposition(8); // 2 and 2
 * const refined = new Float32Array(current * 4).fill(0.5); // the current refiner's images
 * const old = history.sample(Math.min(fromHistory, history.size)); // [] at the first step
 * history.add(refined); // after the discriminator step
 * console.log(old.length, history.size); // 0 2
 * ```
 */
export class HistoryBuffer extends StoredImages {
  constructor(options: PoolOptions) {
    super("simgan_history", options);
    if (options.capacity < 1) throw new Error("HistoryBuffer: capacity must be >= 1");
  }

  /**
   * `n` stored images drawn uniformly at random, without replacement while `n <= size`
   * (with replacement beyond), as one Float32Array [n, H, W, C].
   *
   * @throws if `n > 0` and the buffer is empty.
   */
  sample(n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sample: bad count ${n}`);
    const out = new Float32Array(n * this.imageSize);
    if (n === 0) return out;
    if (this.count === 0) throw new Error("HistoryBuffer.sample: the buffer is empty");
    const rng = this.nextRng();
    const picks = n <= this.count
      ? rng.permutation(this.count).subarray(0, n)
      : Uint32Array.from({ length: n }, () => rng.int(0, this.count));
    const s = this.imageSize;
    picks.forEach((p, k) => out.set(this.data.subarray(p * s, (p + 1) * s), k * s));
    return out;
  }

  /**
   * Adds new refined images: while the buffer is not full they are appended; once it is full,
   * each replaces a stored image chosen uniformly at random (distinct slots while the batch is
   * no larger than the buffer).
   *
   * @param images [n, H, W, C] row-major.
   */
  add(images: Float32Array): void {
    const n = this.countOf(images);
    if (n === 0) return;
    let i = 0;
    // fill phase: append until full
    for (; i < n && !this.full; i++) this.put(this.count, images, i);
    if (i < n) {
      const rng = this.nextRng();
      const rest = n - i;
      const slots = rest <= this.capacity
        ? rng.permutation(this.capacity).subarray(0, rest)
        : Uint32Array.from({ length: rest }, () => rng.int(0, this.capacity));
      for (let k = 0; k < rest; k++) this.put(slots[k], images, i + k);
    }
    this.seen += n;
  }
}

/**
 * CycleGAN's image pool (see the module documentation). Capacity 0 passes images through.
 *
 * @example
 * ```ts
 * import { ImagePool } from "./image_pool.ts";
 * const pool = new ImagePool({ capacity: 50, shape: { height: 2, width: 2, channels: 1 }, seed: 1 });
 * const fakes = new Float32Array(4 * 4).fill(1); // 4 generated images
 * const forD = pool.query(fakes); // the first 50 go in and come back unchanged
 * console.log(forD.length, pool.size); // 16 4
 * ```
 */
export class ImagePool extends StoredImages {
  constructor(options: PoolOptions) {
    super("cyclegan_pool", options);
  }

  /**
   * Images for the discriminator, one per input image, [n, H, W, C]. For each input in turn:
   * if the pool is not full, store it and return it; otherwise with probability 1/2 return a
   * uniformly chosen stored image and store the input in its place, else return the input.
   */
  query(images: Float32Array): Float32Array {
    const n = this.countOf(images);
    if (this.capacity === 0 || n === 0) return images.slice();
    const out = new Float32Array(images.length);
    const s = this.imageSize;
    const rng = this.nextRng();
    for (let i = 0; i < n; i++) {
      const image = images.subarray(i * s, (i + 1) * s);
      if (!this.full) {
        this.put(this.count, images, i);
        out.set(image, i * s);
      } else if (rng.uniform() < 0.5) {
        // swap: return a stored image, keep the new one in its slot
        const slot = rng.int(0, this.capacity);
        out.set(this.data.subarray(slot * s, (slot + 1) * s), i * s);
        this.put(slot, images, i);
      } else {
        out.set(image, i * s);
      }
    }
    this.seen += n;
    return out;
  }
}
