/**
 * Checkpoints: everything needed to continue a run exactly where it stopped, in one safetensors
 * file (readable from Python with `safetensors.numpy.load_file`).
 *
 * Files: `checkpoints/step-000500.safetensors` for every checkpoint, and
 * `checkpoints/latest.safetensors`, a copy of the newest one. Both are written atomically
 * (temporary file, flushed, renamed), the step file first, so a crash or a failed write leaves
 * the previous `latest` intact. `WriteCheckpointOptions.keepLast` limits the step files kept.
 * Resuming from a checkpoint older than the newest moves the later ones into
 * `checkpoints/abandoned-<YYYYmmdd-HHMMSS>/` ({@link abandonLaterCheckpoints}).
 *
 * Tensors (all float32), by key:
 * - `net/<network>/<parameter>`: every parameter of every network (trainable or not);
 * - `opt/<optimizer>/<weight>`: the optimiser's slots as `optimizer.getWeights()` names them
 *   (for Adam `<variable>/m` and `<variable>/v`, where `<variable>` is the tfjs variable name,
 *   i.e. `<namespace>/<parameter>`);
 * - `optslot/<optimizer>/<field>`: Adam's running `beta^t` products (`accBeta1`, `accBeta2`), so
 *   that a resumed run matches an uninterrupted one bit for bit (tfjs' `setWeights` recomputes
 *   them with `pow`, which rounds differently);
 * - `array/<name>`: arrays the method adds (e.g. SimGAN's history buffer).
 *
 * String metadata: `format` (`eyegan-checkpoint`), `format_version` ({@link CHECKPOINT_VERSION}),
 * `method`, `step` (completed steps), `seed`, `preset`, `config` (JSON values), `networks` (JSON:
 * name -> namespace and parameter count), `optimizers` (JSON: name -> class, iterations, config,
 * weight order), `state` (the method's JSON blob: data order epoch/offset, ...), `elapsed_s`,
 * `created`.
 *
 * Restoring ({@link restoreCheckpoint}) checks everything before changing anything: the same
 * networks with the same parameter names and shapes, optimisers of the same class whose slots
 * refer to existing variables of the same shapes. Restore into freshly built networks (same
 * namespaces) and fresh optimisers, and call `minimize` with the same `varList` order as before:
 * tfjs' Adam matches its slots to variables by position.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedArray, NamedWeights, ParamStore } from "../nn/params.ts";
import { decodeWeights, encodeWeights, WeightsFileError } from "../nn/weights_file.ts";
import { type Run, type RunPaths, stepName, timestamp, writeFileAtomic } from "./run.ts";

/** Value of the `format` metadata. */
export const CHECKPOINT_FORMAT = "eyegan-checkpoint";
/** Format version written; readers accept this version only. */
export const CHECKPOINT_VERSION = 1;

/** A checkpoint that cannot be read or does not fit; the message says which file and why. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** Something with parameters: a `Network` (its `params`) or a `ParamStore`. */
export type HasParams = { readonly params: ParamStore } | ParamStore;

function storeOf(x: HasParams): ParamStore {
  return "params" in x ? x.params : x;
}

/** What a method hands to the loop to save (see {@link captureCheckpoint}). */
export interface CheckpointPayload {
  /** Networks by name (names without `/`), e.g. `{ R, D }`. */
  networks: Record<string, HasParams>;
  /** Optimisers by name, e.g. `{ R: optR, D: optD }`. */
  optimizers?: Record<string, tf.Optimizer>;
  /** Extra float arrays by name (history buffers, fixed sample inputs, ...). */
  arrays?: Record<string, NamedArray | Float32Array>;
  /** Any JSON value: counters the method needs to resume (data epoch and offset, ...). */
  state?: unknown;
}

/** The saved state of one optimiser. */
export interface OptimizerState {
  /** `getClassName()`, e.g. `Adam`. */
  className: string;
  /** Steps applied (`optimizer.iterations`). */
  iterations: number;
  /** `getConfig()`: learning rate, betas, ... (informative; not restored). */
  config: Record<string, unknown>;
  /** Slots in `getWeights()` order (without the iteration count). */
  weights: { name: string; shape: number[]; data: Float32Array }[];
  /** Extra scalar fields (`accBeta1`, `accBeta2`). */
  slots: NamedWeights;
}

/** A checkpoint in memory: plain arrays, no tensors. */
export interface Checkpoint {
  /** Format version it was written with. */
  version: number;
  /** The method's name. */
  method: string;
  /** Completed steps. */
  step: number;
  /** The run seed. */
  seed: number;
  /** The preset and the resolved values. */
  config: { preset: string; values: Record<string, unknown> };
  /** Network parameters by network name. */
  networks: Record<string, { namespace: string; weights: NamedWeights }>;
  /** Optimiser states by name. */
  optimizers: Record<string, OptimizerState>;
  /** The method's extra arrays. */
  arrays: NamedWeights;
  /** The method's JSON state. */
  state: unknown;
  /** Seconds of training before this checkpoint (over all resumes). */
  elapsedSeconds: number;
  /** ISO time of writing. */
  created: string;
  /** File it was read from (absent when captured in memory). */
  file?: string;
}

/** Run details recorded in a checkpoint besides the payload. */
export interface CheckpointInfo {
  method: string;
  step: number;
  seed: number;
  config: { preset: string; values: object };
  elapsedSeconds?: number;
  now?: Date;
}

const SLOT_FIELDS = ["accBeta1", "accBeta2"] as const;

function checkName(kind: string, name: string): void {
  if (name === "" || name.includes("/")) {
    throw new CheckpointError(`${kind} name '${name}' must be non-empty and contain no '/'`);
  }
}

/**
 * Copies everything of a payload into plain arrays (awaiting `data()`, so it works on every
 * backend). Call between steps; the tensors are not disposed.
 */
export async function captureCheckpoint(
  payload: CheckpointPayload,
  info: CheckpointInfo,
): Promise<Checkpoint> {
  const networks: Checkpoint["networks"] = {};
  for (const [name, net] of Object.entries(payload.networks)) {
    checkName("network", name);
    const store = storeOf(net);
    networks[name] = { namespace: store.namespace, weights: await store.getWeights() };
  }
  const optimizers: Checkpoint["optimizers"] = {};
  for (const [name, opt] of Object.entries(payload.optimizers ?? {})) {
    checkName("optimizer", name);
    const named = await opt.getWeights();
    let iterations = opt.iterations;
    const weights: OptimizerState["weights"] = [];
    for (const [i, w] of named.entries()) {
      if (i === 0 && w.name === "iter") {
        iterations = (await w.tensor.data())[0];
        w.tensor.dispose(); // a fresh scalar made by getWeights
        continue;
      }
      weights.push({ name: w.name, shape: [...w.tensor.shape], data: await readFloats(w.tensor) });
    }
    const slots: NamedWeights = {};
    for (const field of SLOT_FIELDS) {
      const v = slotVariable(opt, field);
      if (v) {
        slots[field] = { shape: [...v.shape], data: await readFloats(v) };
      }
    }
    optimizers[name] = {
      className: opt.getClassName(),
      iterations,
      config: opt.getConfig() as Record<string, unknown>,
      weights,
      slots,
    };
  }
  const arrays: NamedWeights = {};
  for (const [name, a] of Object.entries(payload.arrays ?? {})) {
    checkName("array", name);
    arrays[name] = a instanceof Float32Array
      ? { shape: [a.length], data: a.slice() }
      : { shape: [...a.shape], data: a.data.slice() };
  }
  const state = payload.state === undefined ? null : JSON.parse(JSON.stringify(payload.state));
  return {
    version: CHECKPOINT_VERSION,
    method: info.method,
    step: info.step,
    seed: info.seed,
    config: { preset: info.config.preset, values: structuredClone(info.config.values) as never },
    networks,
    optimizers,
    arrays,
    state,
    elapsedSeconds: info.elapsedSeconds ?? 0,
    created: (info.now ?? new Date()).toISOString(),
  };
}

/** An optimiser's own scalar variable `field` (Adam's `accBeta1`), if it has one. */
function slotVariable(opt: tf.Optimizer, field: string): tf.Variable | undefined {
  const v = (opt as unknown as Record<string, unknown>)[field];
  const ok = typeof v === "object" && v !== null && "assign" in v && "shape" in v;
  return ok ? v as tf.Variable : undefined;
}

async function readFloats(t: tf.Tensor): Promise<Float32Array> {
  const values = await t.data();
  return Float32Array.from(values as ArrayLike<number>);
}

/** Encodes a checkpoint as safetensors bytes (see the module doc for the layout). */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const tensors: NamedWeights = {};
  const networks: Record<string, { namespace: string; parameters: number }> = {};
  for (const [name, net] of Object.entries(ckpt.networks)) {
    for (const [p, w] of Object.entries(net.weights)) tensors[`net/${name}/${p}`] = w;
    networks[name] = { namespace: net.namespace, parameters: Object.keys(net.weights).length };
  }
  const optimizers: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(ckpt.optimizers)) {
    for (const w of o.weights) {
      const key = `opt/${name}/${w.name}`;
      if (key in tensors) {
        throw new CheckpointError(`optimizer '${name}': duplicate slot ${w.name}`);
      }
      tensors[key] = { shape: w.shape, data: w.data };
    }
    for (const [field, w] of Object.entries(o.slots)) tensors[`optslot/${name}/${field}`] = w;
    optimizers[name] = {
      className: o.className,
      iterations: o.iterations,
      config: o.config,
      weights: o.weights.map((w) => w.name),
      slots: Object.keys(o.slots),
    };
  }
  for (const [name, a] of Object.entries(ckpt.arrays)) tensors[`array/${name}`] = a;
  return encodeWeights(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: String(ckpt.version),
    method: ckpt.method,
    step: String(ckpt.step),
    seed: String(ckpt.seed),
    preset: ckpt.config.preset,
    config: JSON.stringify(ckpt.config.values),
    networks: JSON.stringify(networks),
    optimizers: JSON.stringify(optimizers),
    state: JSON.stringify(ckpt.state ?? null),
    elapsed_s: String(ckpt.elapsedSeconds),
    created: ckpt.created,
  });
}

function parseJson<T>(file: string, key: string, text: string | undefined): T {
  if (text === undefined) throw new CheckpointError(`${file}: metadata '${key}' is missing`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CheckpointError(`${file}: metadata '${key}' is not valid JSON (corrupt file?)`);
  }
}

function parseInteger(file: string, key: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 0) {
    throw new CheckpointError(`${file}: metadata '${key}' is '${text}', not a count`);
  }
  return n;
}

/**
 * Decodes checkpoint bytes.
 *
 * @param bytes the file's contents.
 * @param file name for messages.
 * @throws {CheckpointError} for a corrupt or truncated file, a file that is not an eyegan
 *   checkpoint, or another format version.
 */
export function decodeCheckpoint(bytes: Uint8Array, file = "<checkpoint>"): Checkpoint {
  let decoded: ReturnType<typeof decodeWeights>;
  try {
    decoded = decodeWeights(bytes, file);
  } catch (e) {
    const why = e instanceof WeightsFileError ? e.message : `${file}: ${(e as Error).message}`;
    throw new CheckpointError(`${why} (the checkpoint is corrupt or truncated)`);
  }
  const { weights, metadata: meta } = decoded;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `${file}: not an eyegan checkpoint (format '${meta.format ?? "none"}')`,
    );
  }
  const version = Number(meta.format_version);
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `${file}: checkpoint format version ${meta.format_version}, but this version of eyegan ` +
        `reads version ${CHECKPOINT_VERSION}` +
        (version > CHECKPOINT_VERSION ? " (written by a newer eyegan)" : ""),
    );
  }
  const netMeta = parseJson<Record<string, { namespace: string }>>(file, "networks", meta.networks);
  const optMeta = parseJson<
    Record<string, {
      className: string;
      iterations: number;
      config: Record<string, unknown>;
      weights: string[];
      slots: string[];
    }>
  >(file, "optimizers", meta.optimizers);
  const networks: Checkpoint["networks"] = {};
  for (const [name, n] of Object.entries(netMeta)) {
    networks[name] = { namespace: n.namespace, weights: {} };
  }
  const arrays: NamedWeights = {};
  const optTensors: Record<string, NamedWeights> = {};
  for (const [key, w] of Object.entries(weights)) {
    const [kind, owner, ...rest] = key.split("/");
    const name = rest.join("/");
    if (kind === "net" && networks[owner] && name) networks[owner].weights[name] = w;
    else if (kind === "array" && owner) arrays[[owner, ...rest].join("/")] = w;
    else if ((kind === "opt" || kind === "optslot") && optMeta[owner] && name) {
      (optTensors[`${kind}/${owner}`] ??= {})[name] = w;
    } else throw new CheckpointError(`${file}: unexpected tensor '${key}'`);
  }
  const optimizers: Checkpoint["optimizers"] = {};
  for (const [name, o] of Object.entries(optMeta)) {
    const slotsIn = optTensors[`opt/${name}`] ?? {};
    const weightsOut = o.weights.map((w) => {
      const t = slotsIn[w];
      if (!t) throw new CheckpointError(`${file}: optimizer '${name}' lacks its slot '${w}'`);
      return { name: w, shape: t.shape, data: t.data };
    });
    const slots: NamedWeights = {};
    for (const field of o.slots) {
      const t = optTensors[`optslot/${name}`]?.[field];
      if (!t) throw new CheckpointError(`${file}: optimizer '${name}' lacks '${field}'`);
      slots[field] = t;
    }
    optimizers[name] = {
      className: o.className,
      iterations: o.iterations,
      config: o.config,
      weights: weightsOut,
      slots,
    };
  }
  return {
    version,
    method: meta.method ?? "",
    step: parseInteger(file, "step", meta.step),
    seed: parseInteger(file, "seed", meta.seed),
    config: {
      preset: meta.preset ?? "",
      values: parseJson<Record<string, unknown>>(file, "config", meta.config),
    },
    networks,
    optimizers,
    arrays,
    state: parseJson<unknown>(file, "state", meta.state ?? "null"),
    elapsedSeconds: Number(meta.elapsed_s) || 0,
    created: meta.created ?? "",
    file,
  };
}

/**
 * Reads and decodes a checkpoint file.
 *
 * @throws {CheckpointError} when the file is missing, corrupt, or of another format version.
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CheckpointError(`${path}: no such checkpoint`);
    throw e;
  }
  return decodeCheckpoint(bytes, path);
}

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /**
   * Keep only `keepLast` step files: the one written and the newest older ones (default: keep
   * all). `latest` is always kept, and step files of later steps than the one written are never
   * removed (see {@link abandonLaterCheckpoints}).
   */
  keepLast?: number;
}

/** Step files in a checkpoints folder, oldest first. */
export async function listCheckpoints(dir: string): Promise<{ step: number; path: string }[]> {
  const out: { step: number; path: string }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = /^step-(\d+)\.safetensors$/.exec(e.name);
      if (e.isFile && m) out.push({ step: Number(m[1]), path: `${dir}/${e.name}` });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * Writes `checkpoints/step-NNNNNN.safetensors`, then the same bytes to
 * `checkpoints/latest.safetensors`; both atomically. If either write fails, the previous
 * `latest` is untouched. With `keepLast`, step files older than the one written are removed
 * beyond the newest `keepLast - 1` of them; the file just written and files of later steps
 * are always kept.
 *
 * @returns the step file's path.
 */
export async function writeCheckpoint(
  run: Run,
  ckpt: Checkpoint,
  options: WriteCheckpointOptions = {},
): Promise<string> {
  const bytes = encodeCheckpoint(ckpt);
  const dir = run.paths.checkpoints;
  await Deno.mkdir(dir, { recursive: true });
  const stepPath = `${dir}/${stepName(ckpt.step)}.safetensors`;
  await writeFileAtomic(stepPath, bytes);
  // a copy, not a hard link: `cp older.safetensors latest.safetensors` writes in place and would
  // silently change the linked step file too
  await writeFileAtomic(run.paths.latestCheckpoint, bytes);
  if (options.keepLast !== undefined && options.keepLast >= 1) {
    const older = (await listCheckpoints(dir)).filter((c) => c.step < ckpt.step);
    for (const old of older.slice(0, Math.max(0, older.length - (options.keepLast - 1)))) {
      await Deno.remove(old.path).catch(() => {});
    }
  }
  return stepPath;
}

/**
 * The step recorded in a checkpoint file, from its header only (no tensor is read); `undefined`
 * when the file is missing or its header unreadable.
 */
export async function checkpointStep(path: string): Promise<number | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    const readExactly = async (n: number): Promise<Uint8Array | undefined> => {
      const buf = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = await file.read(buf.subarray(done));
        if (got === null) return undefined;
        done += got;
      }
      return buf;
    };
    const head = await readExactly(8);
    if (!head) return undefined;
    const n = Number(new DataView(head.buffer).getBigUint64(0, true));
    if (n <= 0 || n > 100_000_000) return undefined;
    const header = await readExactly(n);
    if (!header) return undefined;
    const meta = JSON.parse(new TextDecoder().decode(header))?.__metadata__;
    const step = Number(meta?.step);
    return meta?.format === CHECKPOINT_FORMAT && Number.isInteger(step) && step >= 0
      ? step
      : undefined;
  } catch {
    return undefined;
  } finally {
    file.close();
  }
}

/** Options of {@link abandonLaterCheckpoints}. */
export interface AbandonOptions {
  /** Clock of the folder name (default now). */
  now?: Date;
  /** Where the note goes (default `console.error`). */
  print?: (message: string) => void;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const real = (p: string) => Deno.realPath(p).catch(() => undefined);
  const [ra, rb] = await Promise.all([real(a), real(b)]);
  return ra !== undefined && ra === rb;
}

/**
 * Before a run continues from checkpoint `from` (of step `step`): moves the step files of later
 * steps, and `latest.safetensors` when it is of another step, into
 * `checkpoints/abandoned-<YYYYmmdd-HHMMSS>/` (kept, never deleted), and says so on `print`;
 * `latest` is then a copy of `from`. Without this, pruning after the next checkpoint would keep
 * the abandoned later steps and remove the new one, and `--resume RUN` would pick up the
 * abandoned `latest`. Nothing happens when `from` is the newest checkpoint.
 *
 * @returns the folder the files went to, or `undefined` when nothing was moved.
 */
export async function abandonLaterCheckpoints(
  paths: RunPaths,
  step: number,
  from: string,
  options: AbandonOptions = {},
): Promise<string | undefined> {
  const later = (await listCheckpoints(paths.checkpoints)).filter((c) => c.step > step);
  const latest = paths.latestCheckpoint;
  const latestExists = await Deno.stat(latest).then((s) => s.isFile, () => false);
  const moveLatest = latestExists && !(await sameFile(from, latest)) &&
    (await checkpointStep(latest)) !== step;
  if (!later.length && !moveLatest) return undefined;
  const base = `${paths.checkpoints}/abandoned-${timestamp(options.now ?? new Date())}`;
  let folder = base;
  for (let k = 2;; k++) {
    try {
      await Deno.mkdir(folder);
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      folder = `${base}-${k}`;
    }
  }
  const moved: string[] = [];
  for (const c of later) {
    const name = c.path.slice(c.path.lastIndexOf("/") + 1);
    await Deno.rename(c.path, `${folder}/${name}`);
    moved.push(name);
  }
  if (moveLatest) {
    const bytes = await Deno.readFile(from);
    await Deno.copyFile(latest, `${folder}/latest.safetensors`);
    await writeFileAtomic(latest, bytes); // replaced atomically: there is always a `latest`
    moved.push("latest.safetensors");
  }
  (options.print ?? console.error)(
    `resuming from step ${step}, before the run's newest checkpoints: moved ${
      moved.join(", ")
    } to ${folder}/ (kept, not deleted); latest.safetensors is now step ${step}`,
  );
  return folder;
}

/** Where a checkpoint is restored into. */
export interface RestoreTargets {
  /** Freshly built networks, by the names used when saving. */
  networks: Record<string, HasParams>;
  /** Fresh optimisers, by the names used when saving. */
  optimizers?: Record<string, tf.Optimizer>;
}

/** What {@link restoreCheckpoint} hands back to the method. */
export interface Restored {
  /** Completed steps: the loop's `startStep`. */
  step: number;
  /** The method's extra arrays. */
  arrays: NamedWeights;
  /** The method's JSON state. */
  state: unknown;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function sameKeys(kind: string, file: string, saved: string[], given: string[]): void {
  const missing = given.filter((n) => !saved.includes(n));
  const extra = saved.filter((n) => !given.includes(n));
  if (missing.length || extra.length) {
    throw new CheckpointError(
      `${file}: ${kind}s do not match: the checkpoint has [${saved.join(", ")}], the method ` +
        `built [${given.join(", ")}]`,
    );
  }
}

/** Checks a network against saved weights; returns a list of problems. */
function networkProblems(store: ParamStore, weights: NamedWeights): string[] {
  const problems: string[] = [];
  const names = store.names();
  const saved = Object.keys(weights);
  const missing = names.filter((n) => !(n in weights));
  const unknown = saved.filter((n) => !store.has(n));
  if (missing.length) problems.push(`missing in the checkpoint: ${missing.join(", ")}`);
  if (unknown.length) problems.push(`not in the network: ${unknown.join(", ")}`);
  for (const n of names) {
    const w = weights[n];
    if (w && !sameShape(w.shape, store.get(n).shape)) {
      problems.push(`'${n}' is [${w.shape}] in the checkpoint, [${store.get(n).shape}] now`);
    }
  }
  return problems;
}

/**
 * Checks that a checkpoint fits the networks and optimisers it is to be restored into, without
 * changing anything ({@link restoreCheckpoint} does this first).
 *
 * @throws {CheckpointError} naming the network, parameter or optimiser slot that does not fit
 *   (a config or namespace change since the checkpoint was written).
 */
export function checkCheckpoint(ckpt: Checkpoint, targets: RestoreTargets): void {
  const file = ckpt.file ?? "checkpoint";
  sameKeys("network", file, Object.keys(ckpt.networks), Object.keys(targets.networks));
  const optimizers = targets.optimizers ?? {};
  sameKeys("optimizer", file, Object.keys(ckpt.optimizers), Object.keys(optimizers));
  for (const [name, net] of Object.entries(targets.networks)) {
    const problems = networkProblems(storeOf(net), ckpt.networks[name].weights);
    if (problems.length) {
      throw new CheckpointError(
        `${file}: network '${name}' does not match the checkpoint (was the config changed?): ` +
          problems.join("; "),
      );
    }
  }
  const registered = tf.engine().registeredVariables;
  for (const [name, opt] of Object.entries(optimizers)) {
    const saved = ckpt.optimizers[name];
    if (saved.className !== opt.getClassName()) {
      throw new CheckpointError(
        `${file}: optimizer '${name}' is ${saved.className} in the checkpoint, ` +
          `${opt.getClassName()} now`,
      );
    }
    for (const w of saved.weights) {
      const variable = w.name.slice(0, w.name.lastIndexOf("/"));
      const v = registered[variable];
      if (!v) {
        throw new CheckpointError(
          `${file}: optimizer '${name}' has state for variable '${variable}', which does not ` +
            `exist (were the networks built with other namespaces?)`,
        );
      }
      if (!sameShape(v.shape, w.shape)) {
        throw new CheckpointError(
          `${file}: optimizer '${name}' slot '${w.name}' is [${w.shape}], variable is [${v.shape}]`,
        );
      }
    }
  }
}

/**
 * Loads a checkpoint into freshly built networks and optimisers. Everything is checked first
 * ({@link checkCheckpoint}), so on error nothing has changed.
 *
 * @throws {CheckpointError} naming the network, parameter or optimiser slot that does not fit
 *   (a config or namespace change since the checkpoint was written).
 */
export async function restoreCheckpoint(
  ckpt: Checkpoint,
  targets: RestoreTargets,
): Promise<Restored> {
  checkCheckpoint(ckpt, targets);
  const optimizers = targets.optimizers ?? {};
  for (const [name, net] of Object.entries(targets.networks)) {
    storeOf(net).setWeights(ckpt.networks[name].weights);
  }
  for (const [name, opt] of Object.entries(optimizers)) {
    const saved = ckpt.optimizers[name];
    const old = await opt.getWeights();
    const values: { name: string; tensor: tf.Tensor }[] = [
      { name: "iter", tensor: tf.scalar(saved.iterations, "int32") },
      ...saved.weights.map((w) => ({
        name: w.name,
        tensor: tf.tensor(w.data, w.shape, "float32"),
      })),
    ];
    await opt.setWeights(values);
    tf.dispose(values.map((v) => v.tensor)); // setWeights made its own variables of them
    tf.dispose(old.map((v) => v.tensor)); // the replaced slots (and getWeights' fresh scalar)
    for (const [field, w] of Object.entries(saved.slots)) {
      const v = slotVariable(opt, field);
      if (v && sameShape(v.shape, w.shape)) {
        tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, "float32")));
      }
    }
  }
  return { step: ckpt.step, arrays: ckpt.arrays, state: ckpt.state };
}
