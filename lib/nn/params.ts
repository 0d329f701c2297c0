/**
 * Parameter store: named `tf.Variable`s created deterministically from a seed.
 *
 * A network owns one {@link ParamStore}. Layers create their variables through a
 * {@link ParamScope} (a store seen under a name prefix such as `block2/conv1`), so every
 * parameter has a stable, readable name (`block2/conv1/kernel`). Those names are the keys of
 * checkpoints ({@link ParamStore.getWeights} / {@link ParamStore.setWeights}).
 *
 * Initial values: the values of parameter `name` are drawn from `Rng(deriveSeed(seed, name))`,
 * so they depend only on the store's seed and the parameter's name (adding a layer does not change
 * the others). Give different networks different seeds (e.g. `deriveSeed(runSeed, "G")`).
 *
 * Initialisers (fan_in = kh*kw*C_in for a conv, C_in for a dense layer):
 * - `gan`: N(0, 0.02^2), as in DCGAN / pix2pix / CycleGAN (`init_type='normal'`);
 * - `he`: N(0, 2 / fan_in) (He et al. 2015, for ReLU nets);
 * - `glorot`: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).
 *
 * TensorFlow.js keeps a global registry of variable names; each store registers its variables as
 * `<namespace>/<name>`. The namespace defaults to a fresh `nn<k>`; pass one (e.g. `G`, `D_X`) for
 * readable optimiser-state names. Two live stores cannot share a namespace.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deriveSeed, Rng } from "./rng.ts";

/** Weight initialisation scheme of a layer's kernel (biases start at 0). */
export type WeightInit = "gan" | "he" | "glorot";

/** Names accepted for {@link WeightInit}. */
export const WEIGHT_INITS: readonly WeightInit[] = ["gan", "he", "glorot"];

/** How to fill a new parameter. */
export type ParamInit =
  | { kind: "normal"; mean?: number; std: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "constant"; value: number };

/** Options of {@link ParamScope.create}. */
export interface CreateOptions {
  /** How to fill it. */
  init: ParamInit;
  /** Whether optimisers update it (default true; false for batch-norm running statistics). */
  trainable?: boolean;
}

/** One named array of a checkpoint. */
export interface NamedArray {
  /** Tensor shape. */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** All parameters of a store by name, as saved in checkpoints. */
export type NamedWeights = Record<string, NamedArray>;

/**
 * The {@link ParamInit} of a kernel for a {@link WeightInit} scheme.
 *
 * @param scheme `gan`, `he` or `glorot`.
 * @param fans fan_in and fan_out of the layer.
 */
export function kernelInit(
  scheme: WeightInit,
  fans: { fanIn: number; fanOut: number },
): ParamInit {
  switch (scheme) {
    case "gan":
      return { kind: "normal", std: 0.02 };
    case "he":
      return { kind: "normal", std: Math.sqrt(2 / fans.fanIn) };
    case "glorot": {
      const a = Math.sqrt(6 / (fans.fanIn + fans.fanOut));
      return { kind: "uniform", low: -a, high: a };
    }
  }
}

/** The {@link ParamInit} of a normalisation scale (gamma): N(1, 0.02^2) for `gan`, else 1. */
export function gammaInit(scheme: WeightInit): ParamInit {
  return scheme === "gan" ? { kind: "normal", mean: 1, std: 0.02 } : { kind: "constant", value: 1 };
}

/** Something parameters can be created in: a store, or a store under a name prefix. */
export interface ParamScope {
  /** The prefix of names created here ("" for the store itself). */
  readonly prefix: string;
  /** Creates parameter `<prefix>/<name>`; throws if that name exists. */
  create(name: string, shape: number[], options: CreateOptions): tf.Variable;
  /** The same store under `<prefix>/<name>`. */
  scope(name: string): ParamScope;
}

function join(prefix: string, name: string): string {
  if (name === "" || name.includes("//")) throw new Error(`invalid parameter name '${name}'`);
  return prefix === "" ? name : `${prefix}/${name}`;
}

function fill(seed: number, name: string, size: number, init: ParamInit): Float32Array {
  const rng = new Rng(deriveSeed(seed, name));
  switch (init.kind) {
    case "normal":
      return rng.normalArray(size, init.mean ?? 0, init.std);
    case "uniform":
      return rng.uniformArray(size, init.low, init.high);
    case "constant":
      return new Float32Array(size).fill(init.value);
  }
}

let namespaceCounter = 0;

/** Options of the {@link ParamStore} constructor. */
export interface ParamStoreOptions {
  /** Seed of every initial value in the store. */
  seed: number;
  /** Prefix of the tfjs variable names; default a fresh `nn<k>`. */
  namespace?: string;
}

/** Named, seeded `tf.Variable`s of one network. */
export class ParamStore implements ParamScope {
  /** Seed of every initial value. */
  readonly seed: number;
  /** Prefix of the tfjs variable names (`<namespace>/<name>`). */
  readonly namespace: string;
  readonly prefix = "";
  #vars = new Map<string, tf.Variable>();
  #disposed = false;

  constructor(options: ParamStoreOptions) {
    if (!Number.isFinite(options.seed)) throw new Error(`seed must be a number: ${options.seed}`);
    this.seed = options.seed;
    this.namespace = options.namespace ?? `nn${namespaceCounter++}`;
  }

  create(name: string, shape: number[], options: CreateOptions): tf.Variable {
    this.#assertLive();
    if (this.#vars.has(name)) throw new Error(`parameter '${name}' already exists`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = fill(this.seed, name, size, options.init);
    const trainable = options.trainable ?? true;
    const tfName = `${this.namespace}/${name}`;
    let v: tf.Variable;
    try {
      v = tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), trainable, tfName));
    } catch (e) {
      if (String(e).includes("already registered")) {
        throw new Error(
          `tfjs variable '${tfName}' already exists: another live ParamStore uses namespace ` +
            `'${this.namespace}'; dispose it or choose another namespace`,
        );
      }
      throw e;
    }
    this.#vars.set(name, v);
    return v;
  }

  scope(name: string): ParamScope {
    return new SubScope(this, join("", name));
  }

  /** The parameter called `name`; throws with the known names if absent. */
  get(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (!v) throw new Error(`no parameter '${name}' (have: ${this.names().join(", ")})`);
    return v;
  }

  /** Whether a parameter `name` exists. */
  has(name: string): boolean {
    return this.#vars.has(name);
  }

  /** Parameter names in creation order. */
  names(): string[] {
    return [...this.#vars.keys()];
  }

  /** All variables (trainable and not), in creation order. */
  variables(): tf.Variable[] {
    return [...this.#vars.values()];
  }

  /** The variables optimisers update (the `varList` of `optimizer.minimize`). */
  trainableVariables(): tf.Variable[] {
    return this.variables().filter((v) => v.trainable);
  }

  /** Number of scalar parameters (all, or only trainable ones). */
  count(options: { trainableOnly?: boolean } = {}): number {
    const vars = options.trainableOnly ? this.trainableVariables() : this.variables();
    return vars.reduce((n, v) => n + v.size, 0);
  }

  /**
   * Copies every parameter (trainable and not) out as named Float32Arrays, for checkpoints.
   * Asynchronous so it works on WebGPU.
   */
  async getWeights(): Promise<NamedWeights> {
    this.#assertLive();
    const out: NamedWeights = {};
    for (const [name, v] of this.#vars) {
      // copy: the cpu backend hands out its own storage
      out[name] = { shape: [...v.shape], data: new Float32Array(await v.data()) };
    }
    return out;
  }

  /**
   * Assigns values to parameters by name.
   *
   * @param weights named arrays, e.g. from {@link getWeights} or a checkpoint.
   * @param options `strict` (default true): every parameter must be given and no other name.
   * @throws on unknown or missing names (strict), or on a shape or size mismatch.
   */
  setWeights(weights: NamedWeights, options: { strict?: boolean } = {}): void {
    this.#assertLive();
    const strict = options.strict ?? true;
    const given = Object.keys(weights);
    if (strict) {
      const unknown = given.filter((n) => !this.#vars.has(n));
      const missing = this.names().filter((n) => !(n in weights));
      if (unknown.length || missing.length) {
        throw new Error(
          `weights do not match the network: unknown [${unknown.join(", ")}], missing [${
            missing.join(", ")
          }]`,
        );
      }
    }
    for (const name of given) {
      const v = this.#vars.get(name);
      if (!v) continue;
      const { shape, data } = weights[name];
      const same = shape.length === v.shape.length && shape.every((d, i) => d === v.shape[i]);
      if (!same) throw new Error(`'${name}': shape [${shape}] does not match [${v.shape}]`);
      if (data.length !== v.size) throw new Error(`'${name}': ${data.length} values for ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, "float32")));
    }
  }

  /** Disposes every variable; the store cannot be used afterwards. */
  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
    this.#disposed = true;
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error(`ParamStore '${this.namespace}' was disposed`);
  }
}

class SubScope implements ParamScope {
  constructor(readonly store: ParamStore, readonly prefix: string) {}

  create(name: string, shape: number[], options: CreateOptions): tf.Variable {
    return this.store.create(join(this.prefix, name), shape, options);
  }

  scope(name: string): ParamScope {
    return new SubScope(this.store, join(this.prefix, name));
  }
}
