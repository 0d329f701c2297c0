/**
 * A small seeded pseudo-random number generator, used for everything random in the project.
 *
 * The generator is mulberry32 (a 32-bit state advanced by a Weyl step and finalised by an
 * avalanche mix). It is fast, has no dependencies and gives the same stream on every platform.
 * Its period is 2^32, so one stream must not be used for more than a few hundred million draws;
 * use {@link Rng.fork} to give every independent consumer (every image, every layer, every
 * epoch) its own stream.
 *
 * Streams are named, not counted: `rng.fork("image", 17)` depends only on the seed `rng` was
 * created with and on the labels, never on how many numbers were drawn before. So image 17 of a
 * data set is the same whether it is rendered first or last, alone or in a batch.
 *
 * @example
 * ```ts
 * import { Rng } from "./random.ts";
 * const rng = new Rng(42);
 * const x = rng.uniform(-1, 1); // uniform in [-1, 1)
 * const z = rng.normal(); // standard normal
 * const k = rng.int(0, 10); // integer in 0..9
 * const image3 = rng.fork("image", 3); // an independent stream for image 3
 * console.log(x, z, k, image3.uniform());
 * ```
 *
 * @module
 */

/** FNV-1a hash of a string to an unsigned 32-bit integer, finalised with a mix step. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** A 32-bit avalanche mix (the murmur3 finaliser): every input bit affects every output bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Turns a seed given as a number (any finite value) or a string into a 32-bit key. */
function seedKey(seed: number | string): number {
  if (typeof seed === "string") return hashString(seed);
  if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be finite, got ${seed}`);
  if (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return mix32(seed ^ 0x9e3779b9);
  return hashString(`number:${seed}`);
}

/** A seeded stream of pseudo-random numbers. See the module documentation. */
export class Rng {
  #key: number;
  #state: number;
  #spare = NaN;

  /** @param seed any finite number or a string; equal seeds give equal streams. */
  constructor(seed: number | string) {
    this.#key = seedKey(seed);
    this.#state = this.#key;
  }

  /** The 32-bit key derived from the seed; {@link Rng.fork} hashes labels into it. */
  get key(): number {
    return this.#key;
  }

  /** The next unsigned 32-bit integer (mulberry32). */
  nextUint32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in `[lo, hi)` (default `[0, 1)`), with 32 bits of resolution. */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * (this.nextUint32() / 4294967296);
  }

  /**
   * A normal number with the given mean and standard deviation (Box-Muller:
   * `z0 = sqrt(-2 ln u1) cos(2 pi u2)`, `z1 = sqrt(-2 ln u1) sin(2 pi u2)`; z1 is kept for the
   * next call).
   */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.#spare)) {
      const z = this.#spare;
      this.#spare = NaN;
      return mean + std * z;
    }
    const u1 = (this.nextUint32() + 1) / 4294967297; // in (0, 1): log is finite
    const u2 = this.nextUint32() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spare = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in `[lo, hi)`; both bounds must be integers with `hi > lo`. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) {
      throw new RangeError(`Rng.int: need integers lo < hi, got ${lo}, ${hi}`);
    }
    return lo + Math.floor(this.uniform() * (hi - lo));
  }

  /** `n` samples of N(mean, std^2) as float32. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** `n` samples of U[lo, hi) as float32. */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** `true` with probability `p`. */
  bool(p = 0.5): boolean {
    return this.uniform() < p;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T, A extends { length: number; [i: number]: T }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of `0 .. n-1`. */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle<number, Uint32Array>(out);
  }

  /**
   * An independent stream named by `labels`, derived from this stream's seed only (not from its
   * current position): `new Rng(s).fork("a", 1)` always gives the same stream.
   */
  fork(...labels: (string | number)[]): Rng {
    let key = this.#key;
    for (const label of labels) key = mix32(key ^ hashString(`${typeof label}:${label}`));
    const child = new Rng(0);
    child.#key = key;
    child.#state = key;
    return child;
  }
}
