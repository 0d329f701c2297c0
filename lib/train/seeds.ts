/**
 * One seed per run, and every random thing of the run derived from it by name.
 *
 * A run has exactly one seed (`--seed`, recorded in `config.json` and `env.json`). Everything
 * random gets its own stream, derived from that seed and a name (and optionally counters) with
 * {@link Rng.fork} of `lib/util/random.ts`:
 *
 * | what | how a method gets it |
 * |---|---|
 * | initial weights of network `G` | `seeds.network("G")` (a 32-bit seed for `buildNetwork`) |
 * | data order of epoch `e` | `seeds.rng("data", e)` |
 * | history buffer draws at step `i` | `seeds.rng("buffer", i)` |
 * | dropout masks of network `G` | `seeds.network("G")` as well (see below) |
 * | anything else | `seeds.rng("noise", i)`, `seeds.derive("my-thing")` |
 *
 * Dropout masks are not a stream of their own: a network gives each of its dropout layers a seed
 * derived from its own seed (`buildNetwork`'s `seed`) and the layer's name (e.g. the U-Net's
 * `up2_dropout`, `deriveSeed` of `lib/nn/rng.ts`), and a call's `ApplyContext.noiseKey`
 * (pix2pix: `G:<update>` in training, `refine:<n>` in its translators) picks that call's masks.
 * So a network rebuilt with `seeds.network("G")` draws the same masks for the same keys.
 *
 * Streams are named, not counted: a stream depends only on the run seed and its labels, never on
 * what was drawn before. Prefer one stream per step or per epoch (`seeds.rng("buffer", i)`) over
 * one long stream: then resuming from a checkpoint needs no generator state at all, only the
 * counters (epoch, offset), which a method stores in its checkpoint's `state`.
 *
 * @example
 * ```ts
 * import { RunSeeds } from "./seeds.ts";
 * const seeds = new RunSeeds(7);
 * const g = seeds.network("G");
 * const order = seeds.rng("data", 0).permutation(10); // epoch 0
 * if (g === seeds.network("F") || order.length !== 10) throw new Error("unexpected");
 * ```
 *
 * @module
 */
import { Rng } from "../util/random.ts";

/** Largest accepted run seed (seeds are unsigned 32-bit integers). */
export const MAX_SEED = 0xffffffff;

/** Seeds of everything random in a run, derived by name from the run seed. */
export class RunSeeds {
  readonly #root: Rng;

  /**
   * @param seed the run seed, an integer in `0..2^32-1`.
   * @throws RangeError for anything else.
   */
  constructor(readonly seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`run seed must be an integer in 0..${MAX_SEED}, got ${seed}`);
    }
    this.#root = new Rng(seed);
  }

  /** An independent stream named by `name` and `labels` (e.g. `rng("data", epoch)`). */
  rng(name: string, ...labels: (string | number)[]): Rng {
    return this.#root.fork(name, ...labels);
  }

  /** A 32-bit seed named by `name` and `labels`, for APIs that take a number. */
  derive(name: string, ...labels: (string | number)[]): number {
    return this.rng(name, ...labels).key;
  }

  /** Seed of the initial weights of the network called `name` (`buildNetwork`'s `seed`). */
  network(name: string): number {
    return this.derive("network", name);
  }
}
