/**
 * The contract every network builder returns, and config resolution with defaults.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ApplyContext } from "./layers.ts";
import { ParamStore } from "./params.ts";

/** Options shared by every network builder. */
export interface BuildOptions {
  /** Seed of the initial weights (and of dropout masks). */
  seed: number;
  /** Prefix of the tfjs variable names, e.g. `G`, `D_Y` (default: a fresh `nn<k>`). */
  namespace?: string;
}

/** A built network: its resolved config, its parameters and its forward function. */
export interface Network<C = unknown, O extends tf.Tensor = tf.Tensor> {
  /** Builder name, e.g. `resnet_generator`. */
  readonly kind: string;
  /** The config with every default filled in (write it to the run folder). */
  readonly config: Readonly<C>;
  /** The parameters (names, counts, checkpoints). */
  readonly params: ParamStore;
  /**
   * Forward pass on an NHWC batch. Intermediate tensors are released (`tf.tidy`); the input is
   * not disposed. Call inside `optimizer.minimize` / `tf.variableGrads` to train.
   */
  apply(x: tf.Tensor4D, ctx?: ApplyContext): O;
  /** `params.trainableVariables()`: the `varList` for an optimiser. */
  trainableVariables(): tf.Variable[];
  /** Disposes the parameters. */
  dispose(): void;
}

/**
 * Merges overrides into defaults, rejecting unknown keys and values whose type differs from the
 * default's (a number where a string is expected, ...).
 *
 * @param kind network name, for error messages.
 */
export function resolveConfig<C extends object>(
  kind: string,
  defaults: C,
  overrides: Partial<C> = {},
): C {
  const known = Object.keys(defaults);
  for (const [key, value] of Object.entries(overrides)) {
    if (!known.includes(key)) {
      throw new Error(`${kind}: unknown config key '${key}' (known: ${known.join(", ")})`);
    }
    const def = (defaults as Record<string, unknown>)[key];
    const kindOf = (v: unknown) => Array.isArray(v) ? "array" : typeof v;
    if (value !== undefined && def !== undefined && kindOf(def) !== kindOf(value)) {
      // "auto"-or-number style fields declare their default as a string: allow numbers there
      const autoNumber = def === "auto" && typeof value === "number";
      if (!autoNumber) {
        throw new Error(
          `${kind}: config '${key}' must be ${kindOf(def)}, got ${JSON.stringify(value)}`,
        );
      }
    }
  }
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) out[key] = value;
  return out as C;
}

/** Throws unless `x` is [B, H, W, channels]. */
export function checkInput(kind: string, x: tf.Tensor, channels: number): void {
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new Error(`${kind}: expected input [B, H, W, ${channels}], got [${x.shape}]`);
  }
}

/** Creates the parameter store of a network from {@link BuildOptions}. */
export function newStore(options: BuildOptions): ParamStore {
  return new ParamStore({ seed: options.seed, namespace: options.namespace });
}

/**
 * Assembles a {@link Network} from its parts; wraps `forward` with the input check and a
 * `tf.tidy`.
 */
export function makeNetwork<C, O extends tf.Tensor>(parts: {
  kind: string;
  config: C;
  params: ParamStore;
  inChannels: number;
  forward: (x: tf.Tensor4D, ctx: ApplyContext) => O;
}): Network<C, O> {
  const { kind, config, params, inChannels, forward } = parts;
  return {
    kind,
    config,
    params,
    apply: (x, ctx = {}) => {
      checkInput(kind, x, inChannels);
      return tf.tidy(() => forward(x, ctx));
    },
    trainableVariables: () => params.trainableVariables(),
    dispose: () => params.dispose(),
  };
}
