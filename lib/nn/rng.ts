/**
 * Seeds for `lib/nn`: the project's one generator ({@link Rng}, from `lib/util/random.ts`) and
 * {@link deriveSeed}, which names the seed of a sub-thing (a parameter of a network, a network
 * of a model) so that it depends only on the parent seed and the label, never on creation order.
 *
 * Everything random in `lib/nn` is generated in JavaScript, not by a backend kernel, so the same
 * seed gives bit-identical initial weights and dropout masks on every backend.
 *
 * @module
 */
import { Rng } from "../util/random.ts";

export { Rng };

/**
 * A 32-bit seed for the thing called `label` under `seed`: `new Rng(seed).fork(label).key`.
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
  return new Rng(seed).fork(label).key;
}
