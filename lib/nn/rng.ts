/**
 * Small seeded random number generation for parameter initialisation and dropout masks.
 *
 * Everything random in `lib/nn` goes through {@link Rng}, seeded explicitly, and is generated in
 * JavaScript (not by a backend kernel), so the same seed gives bit-identical initial weights and
 * dropout masks on every backend.
 *
 * - uniform: mulberry32 (32-bit state, period 2^32; plenty for initialisation),
 * - normal: Box–Muller on two uniforms,
 * - seeds for named things: {@link deriveSeed} hashes (seed, label) with FNV-1a and a murmur3
 *   finaliser, so a parameter's initial value depends only on the store seed and its own name,
 *   not on the order in which parameters were created.
 *
 * @module
 */

/** FNV-1a 32-bit hash of a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed for a named sub-thing of a seeded thing (a parameter of a network, a network of a
 * model, ...). Deterministic, and different labels give unrelated seeds.
 *
 * @example
 * ```ts
 * import { deriveSeed } from "./rng.ts";
 * const g = deriveSeed(42, "G");
 * const f = deriveSeed(42, "F");
 * if (g === f) throw new Error("expected different seeds");
 * ```
 */
export function deriveSeed(seed: number, label: string): number {
  return fmix32((fnv1a(label) ^ fmix32(seed >>> 0)) + 0x9e3779b9);
}

/** A seeded pseudo-random generator (mulberry32 + Box–Muller). */
export class Rng {
  #state: number;
  #spare: number | undefined;

  /** @param seed any number; only its low 32 bits matter. */
  constructor(seed: number) {
    this.#state = fmix32(seed >>> 0) || 0x6d2b79f5;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A 32-bit unsigned integer, e.g. to seed another generator. */
  nextSeed(): number {
    return Math.floor(this.uniform() * 4294967296) >>> 0;
  }

  /** Standard normal N(0, 1) by Box–Muller: z = sqrt(-2 ln u1) cos(2 pi u2). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** `n` samples of N(mean, std^2). */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** `n` samples of U[low, high). */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    const span = high - low;
    for (let i = 0; i < n; i++) out[i] = low + span * this.uniform();
    return out;
  }
}
