/**
 * Typed method configs with named presets and dotted command-line overrides.
 *
 * A method declares, once, a nested default config and its presets with {@link defineConfig}:
 *
 * ```ts ignore
 * export const SIMGAN_CONFIG = defineConfig({
 *   name: "simgan",
 *   defaults: { ...LOOP_DEFAULTS, batchSize: 32, lambda: 0.5, loss: "lsgan",
 *               refiner: { blocks: 4, filters: 64 }, optimizer: { lr: 1e-3, beta1: 0.9 } },
 *   presets: { smoke: { steps: 4, refiner: { blocks: 1, filters: 8 } }, quick: {},
 *              paper: { steps: 10_000, batchSize: 512 } },
 *   fields: { ...LOOP_FIELDS, lambda: { doc: "self-regularisation weight", min: 0 },
 *             loss: { choices: ["lsgan", "vanilla"] }, "refiner.blocks": { integer: true } },
 * });
 * ```
 *
 * Resolution ({@link resolveConfig}): the defaults, then the preset's values (`quick` unless
 * `--preset` says otherwise), then overrides by dotted path (`--refiner.blocks 4`,
 * `--optimizer.lr=1e-3`). Each override is parsed by the type of the default it replaces:
 * numbers (`1e-3`), booleans (`true`/`false`; a bare `--flag` means true), strings, enums (when the
 * field declares `choices`), number or string arrays (`1,2,3`). The result records every value that
 * differs from the preset (`non_default` in `config.json`).
 *
 * Bad values, unknown names and bad presets are {@link UsageError}s whose message lists what is
 * valid; an inconsistent declaration (a preset naming a field that does not exist, a default
 * outside its `choices`) is an `Error` thrown by {@link defineConfig} when the module loads.
 *
 * @module
 */
import { UsageError } from "../util/cli.ts";

/** A config leaf: what one dotted flag sets. */
export type ConfigLeaf = number | boolean | string | readonly number[] | readonly string[];

/** A partial config: any subset of the fields, nested objects partial too. */
export type PresetValues<C> = {
  [K in keyof C]?: C[K] extends readonly unknown[] ? C[K]
    : C[K] extends object ? PresetValues<C[K]>
    : C[K];
};

/** The dotted paths of a config's leaves, e.g. `"steps" | "refiner.blocks"`. */
export type ConfigPath<C> = {
  [K in keyof C & string]: C[K] extends readonly unknown[] ? K
    : C[K] extends object ? `${K}.${ConfigPath<C[K]>}`
    : K;
}[keyof C & string];

/** What a method may declare about one field (all optional). */
export interface FieldInfo {
  /** One line for `--help`. */
  doc?: string;
  /** Allowed values of a string (or string array) field. */
  choices?: readonly string[];
  /** Numbers (or array items) must be integers. */
  integer?: boolean;
  /** Smallest allowed number (or array item). */
  min?: number;
  /** Largest allowed number (or array item). */
  max?: number;
  /**
   * Numbers (or array items) must be smaller than this: an exclusive upper bound, e.g. 1 for a
   * rate or an Adam beta that must stay below 1.
   */
  lessThan?: number;
  /** Item type of an array field whose default is empty (default `number`). */
  items?: "number" | "string";
  /**
   * Safe to change when resuming a run (e.g. `steps`, to extend it; logging intervals).
   * Everything else is fixed once a run has started.
   */
  resumable?: boolean;
}

/** Presets every method defines; more may be added. */
export interface StandardPresets<C> {
  /** Seconds on two CPU cores: tests and CI smoke runs. */
  smoke: PresetValues<C>;
  /** The default: minutes, shows the method working. */
  quick: PresetValues<C>;
  /** The paper's settings. */
  paper: PresetValues<C>;
}

/** A method's config declaration; see the module documentation. */
export interface ConfigSpec<C extends object> {
  /** Method name (`simgan`): run folder names, `train-<name>` tasks, checkpoints. */
  name: string;
  /** One paragraph for `--help`. */
  description?: string;
  /** Every field with its default value. */
  defaults: C;
  /** Named partial configs applied over the defaults. */
  presets: StandardPresets<C> & Record<string, PresetValues<C>>;
  /** Preset used when `--preset` is not given (default `quick`). */
  defaultPreset?: string;
  /** Per-field details by dotted path. */
  fields?: { [P in ConfigPath<C>]?: FieldInfo };
}

/** One changed value in {@link ResolvedConfig.nonDefault}. */
export interface NonDefault {
  /** The value in use. */
  value: ConfigLeaf;
  /** The preset's value. */
  default: ConfigLeaf;
}

/** A config after presets and overrides, as written to `config.json`. */
export interface ResolvedConfig<C> {
  /** The method name. */
  method: string;
  /** The preset the values started from. */
  preset: string;
  /** Every value. */
  values: C;
  /** Values that differ from the preset's, by dotted path. */
  nonDefault: Record<string, NonDefault>;
}

/** One leaf of a config declaration (see {@link configFields}). */
export interface FieldDescription {
  /** Dotted path, also the flag name. */
  path: string;
  /** Its value in the defaults (before any preset). */
  default: ConfigLeaf;
  /** Declared details. */
  info: FieldInfo;
}

/** Flags the harness handles itself; no config field may use these names. */
export const RUN_FLAG_NAMES = [
  "preset",
  "out",
  "resume",
  "seed",
  "backend",
  "quiet",
  "help",
] as const;

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? "array" : typeof v;
}

function isLeaf(v: unknown): v is ConfigLeaf {
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return true;
  return Array.isArray(v) &&
    (v.every((x) => typeof x === "number") || v.every((x) => typeof x === "string"));
}

/** Leaves of a nested object as `[dotted path, value]`, in declaration order. */
export function flattenConfig(config: object, prefix = ""): [string, ConfigLeaf][] {
  const out: [string, ConfigLeaf][] = [];
  for (const [key, value] of Object.entries(config)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (isDict(value)) out.push(...flattenConfig(value, path));
    else if (isLeaf(value)) out.push([path, value]);
    else {throw new Error(
        `config field '${path}' has an unsupported value ${JSON.stringify(value)}`,
      );}
  }
  return out;
}

/** The value at a dotted path, or `undefined`. */
export function getPath(config: object, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split(".")) {
    if (!isDict(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function setPath(config: Dict, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = config;
  for (const key of keys.slice(0, -1)) node = node[key] as Dict;
  node[keys[keys.length - 1]] = value;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Every leaf of a declaration with its default and details. */
export function configFields<C extends object>(spec: ConfigSpec<C>): FieldDescription[] {
  const fields = (spec.fields ?? {}) as Record<string, FieldInfo>;
  return flattenConfig(spec.defaults).map(([path, def]) => ({
    path,
    default: def,
    info: fields[path] ?? {},
  }));
}

function describeType(def: ConfigLeaf, info: FieldInfo): string {
  if (info.choices) {
    return Array.isArray(def) ? `list of ${info.choices.join("|")}` : info.choices.join("|");
  }
  if (Array.isArray(def)) {
    const item = def.length ? typeof def[0] : info.items ?? "number";
    return `comma-separated ${info.integer ? "integer" : item}s`;
  }
  if (typeof def === "number") return info.integer ? "integer" : "number";
  return typeof def === "boolean" ? "true|false" : "string";
}

function checkNumber(path: string, n: number, info: FieldInfo, raw: unknown): void {
  const show = typeof raw === "string" ? `'${raw}'` : JSON.stringify(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${path} must be a number, got ${show}`);
  if (info.integer && !Number.isInteger(n)) {
    throw new UsageError(`--${path} must be an integer, got ${show}`);
  }
  if (info.min !== undefined && n < info.min) {
    throw new UsageError(`--${path} must be >= ${info.min}, got ${show}`);
  }
  if (info.max !== undefined && n > info.max) {
    throw new UsageError(`--${path} must be <= ${info.max}, got ${show}`);
  }
  if (info.lessThan !== undefined && !(n < info.lessThan)) {
    throw new UsageError(`--${path} must be < ${info.lessThan}, got ${show}`);
  }
}

function checkChoice(path: string, s: string, info: FieldInfo): void {
  if (info.choices && !info.choices.includes(s)) {
    throw new UsageError(`--${path} must be one of ${info.choices.join(", ")}, got '${s}'`);
  }
}

/**
 * Checks a typed value against the field's default type and declared details.
 *
 * @throws {UsageError} naming the flag, the expected type and the value.
 */
export function checkValue(
  path: string,
  value: unknown,
  def: ConfigLeaf,
  info: FieldInfo = {},
): void {
  const expected = describeType(def, info);
  if (kindOf(value) !== kindOf(def)) {
    throw new UsageError(`--${path} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === "number") checkNumber(path, value, info, value);
  else if (typeof value === "string") checkChoice(path, value, info);
  else if (Array.isArray(value)) {
    const items = def as readonly unknown[];
    const wantNumbers = items.length ? typeof items[0] === "number" : info.items !== "string";
    for (const x of value) {
      if (wantNumbers ? typeof x !== "number" : typeof x !== "string") {
        throw new UsageError(`--${path} must be ${expected}, got ${JSON.stringify(value)}`);
      }
      if (typeof x === "number") checkNumber(path, x, info, value);
      else checkChoice(path, x as string, info);
    }
  }
}

/**
 * Parses a command-line string by the type of the field's default (see the module doc).
 *
 * @throws {UsageError} for a value of the wrong type or outside the declared range/choices.
 */
export function parseValue(
  path: string,
  raw: string,
  def: ConfigLeaf,
  info: FieldInfo = {},
): ConfigLeaf {
  let value: ConfigLeaf;
  if (typeof def === "number") {
    value = raw.trim() === "" ? NaN : Number(raw);
    checkNumber(path, value, info, raw);
    return value;
  }
  if (typeof def === "boolean") {
    if (raw !== "true" && raw !== "false") {
      throw new UsageError(`--${path} must be true or false, got '${raw}'`);
    }
    return raw === "true";
  }
  if (typeof def === "string") {
    checkChoice(path, raw, info);
    return raw;
  }
  const parts = raw.trim() === "" ? [] : raw.split(",").map((s) => s.trim());
  const item = def.length ? typeof def[0] : info.items ?? "number";
  if (item === "number") {
    const numbers = parts.map((p) => (p === "" ? NaN : Number(p)));
    for (const n of numbers) checkNumber(path, n, info, raw);
    value = numbers;
  } else {
    for (const p of parts) checkChoice(path, p, info);
    value = parts;
  }
  return value;
}

/**
 * Checks a config declaration and returns it unchanged (typed). Call once per method at module
 * level, so that a wrong declaration fails every test that imports the method.
 *
 * @throws Error if a preset or `fields` entry names an unknown field, a preset value has the wrong
 *   type, a default is outside its `choices`, or a standard preset is missing.
 */
export function defineConfig<C extends object>(spec: ConfigSpec<C>): ConfigSpec<C> {
  const where = `defineConfig(${spec.name})`;
  if (!/^[a-z][a-z0-9_-]*$/.test(spec.name)) {
    throw new Error(`${where}: name must be lower-case letters, digits, '-' or '_'`);
  }
  const fields = configFields(spec);
  const byPath = new Map(fields.map((f) => [f.path, f]));
  for (const f of fields) {
    if ((RUN_FLAG_NAMES as readonly string[]).includes(f.path)) {
      throw new Error(`${where}: field '${f.path}' clashes with the run flag --${f.path}`);
    }
  }
  for (const path of Object.keys(spec.fields ?? {})) {
    if (!byPath.has(path)) throw new Error(`${where}: fields names unknown field '${path}'`);
  }
  for (const f of fields) {
    try {
      checkValue(f.path, f.default, f.default, f.info);
    } catch (e) {
      throw new Error(`${where}: default of ${(e as Error).message}`);
    }
  }
  for (const required of ["smoke", "quick", "paper"]) {
    if (!(required in spec.presets)) throw new Error(`${where}: preset '${required}' is missing`);
  }
  for (const [name, preset] of Object.entries(spec.presets)) {
    for (const [path, value] of flattenConfig(preset as object)) {
      const f = byPath.get(path);
      if (!f) throw new Error(`${where}: preset '${name}' sets unknown field '${path}'`);
      try {
        checkValue(path, value, f.default, f.info);
      } catch (e) {
        throw new Error(`${where}: preset '${name}': ${(e as Error).message}`);
      }
    }
  }
  const preset = spec.defaultPreset ?? "quick";
  if (!(preset in spec.presets)) throw new Error(`${where}: defaultPreset '${preset}' is unknown`);
  return spec;
}

/** Names of a declaration's presets. */
export function presetNames<C extends object>(spec: ConfigSpec<C>): string[] {
  return Object.keys(spec.presets);
}

/**
 * The values of a preset: the defaults with the preset's values applied.
 *
 * @throws {UsageError} for an unknown preset, listing the valid ones.
 */
export function presetConfig<C extends object>(spec: ConfigSpec<C>, preset: string): C {
  if (!Object.hasOwn(spec.presets, preset)) {
    throw new UsageError(
      `unknown preset '${preset}': expected one of ${presetNames(spec).join(", ")}`,
    );
  }
  const values = clone(spec.defaults) as Dict;
  for (const [path, value] of flattenConfig(spec.presets[preset] as object)) {
    setPath(values, path, clone(value));
  }
  return values as C;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/**
 * The error for an unknown flag: lists every valid flag and suggests the closest.
 *
 * @param name the flag without `--`.
 * @param valid valid flag names without `--`.
 */
export function unknownFlagError(name: string, valid: readonly string[]): UsageError {
  const close = valid
    .map((v) => ({ v, d: distance(name, v) }))
    .filter(({ v, d }) => d <= Math.max(2, Math.floor(v.length / 4)))
    .sort((a, b) => a.d - b.d)[0];
  const hint = close ? ` (did you mean --${close.v}?)` : "";
  return new UsageError(
    `unknown flag --${name}${hint}\nvalid flags: ${valid.map((v) => `--${v}`).join(", ")}`,
  );
}

/** The differences between `values` and `reference`, by dotted path. */
export function diffConfig(values: object, reference: object): Record<string, NonDefault> {
  const out: Record<string, NonDefault> = {};
  for (const [path, value] of flattenConfig(values)) {
    const def = getPath(reference, path) as ConfigLeaf;
    if (JSON.stringify(value) !== JSON.stringify(def)) out[path] = { value, default: def };
  }
  return out;
}

/** Options of {@link resolveConfig}. */
export interface ResolveOptions {
  /** Preset name; the declaration's `defaultPreset` (`quick`) when absent. */
  preset?: string;
  /**
   * Values by dotted path. Strings are parsed by the field's type (command-line values); other
   * values must already have the field's type.
   */
  overrides?: Record<string, unknown>;
}

/**
 * Resolves a config: defaults, then the preset, then the overrides.
 *
 * @param spec the method's declaration from {@link defineConfig}.
 * @param options `preset` and dotted `overrides`.
 * @returns the values and what differs from the preset.
 * @throws {UsageError} for an unknown preset or field (listing the valid ones) or a bad value.
 * @example
 * ```ts
 * import { defineConfig, resolveConfig } from "./config.ts";
 * const spec = defineConfig({
 *   name: "toy",
 *   defaults: { steps: 100, refiner: { blocks: 4 } },
 *   presets: { smoke: { steps: 2 }, quick: {}, paper: { steps: 10_000 } },
 * });
 * const r = resolveConfig(spec, { preset: "smoke", overrides: { "refiner.blocks": "2" } });
 * console.log(r.values.refiner.blocks, r.nonDefault); // 2 { "refiner.blocks": { value: 2, default: 4 } }
 * ```
 */
export function resolveConfig<C extends object>(
  spec: ConfigSpec<C>,
  options: ResolveOptions = {},
): ResolvedConfig<C> {
  const preset = options.preset ?? spec.defaultPreset ?? "quick";
  const base = presetConfig(spec, preset);
  const values = clone(base) as Dict;
  const fields = new Map(configFields(spec).map((f) => [f.path, f]));
  for (const [path, raw] of Object.entries(options.overrides ?? {})) {
    const f = fields.get(path);
    if (!f) throw unknownFlagError(path, [...fields.keys()]);
    let value: ConfigLeaf;
    if (typeof raw === "string" && typeof f.default !== "string") {
      value = parseValue(path, raw, f.default, f.info);
    } else {
      checkValue(path, raw, f.default, f.info);
      value = clone(raw as ConfigLeaf);
    }
    setPath(values, path, value);
  }
  return { method: spec.name, preset, values: values as C, nonDefault: diffConfig(values, base) };
}

/**
 * Rebuilds a resolved config from saved values (a run's `config.json`), checking every value
 * against the declaration. Fields the saved values lack take the preset's value and are listed in
 * `added` (the method gained a field since the run started).
 *
 * @throws Error if the saved values have fields the declaration does not know, or wrong types.
 */
export function configFromValues<C extends object>(
  spec: ConfigSpec<C>,
  preset: string,
  saved: object,
): { resolved: ResolvedConfig<C>; added: string[] } {
  const base = presetConfig(spec, preset);
  const fields = new Map(configFields(spec).map((f) => [f.path, f]));
  const values = clone(base) as Dict;
  const unknown: string[] = [];
  for (const [path, value] of flattenConfig(saved)) {
    const f = fields.get(path);
    if (!f) {
      unknown.push(path);
      continue;
    }
    try {
      checkValue(path, value, f.default, f.info);
    } catch (e) {
      throw new Error(`saved config: ${(e as Error).message.replace(/^--/, "")}`);
    }
    setPath(values, path, clone(value));
  }
  if (unknown.length) {
    throw new Error(
      `saved config has fields this version of '${spec.name}' does not know: ${
        unknown.join(", ")
      } (was the run made by another version?)`,
    );
  }
  const added = [...fields.keys()].filter((p) => getPath(saved, p) === undefined);
  return {
    resolved: {
      method: spec.name,
      preset,
      values: values as C,
      nonDefault: diffConfig(values, base),
    },
    added,
  };
}

/** Settings of the training loop that every method shares; spread into a method's defaults. */
export interface LoopSettings {
  /** Training steps in total. */
  steps: number;
  /** Append losses to `metrics.jsonl` every this many steps. */
  logEvery: number;
  /** Write a sample grid every this many steps (0: only at the end). */
  sampleEvery: number;
  /** Write `checkpoints/step-N.safetensors` every this many steps (0: only at the end). */
  checkpointEvery: number;
}

/** Defaults of {@link LoopSettings}. */
export const LOOP_DEFAULTS: LoopSettings = {
  steps: 1000,
  logEvery: 10,
  sampleEvery: 200,
  checkpointEvery: 500,
};

/** Field details of {@link LoopSettings}: integers, and all of them resumable. */
export const LOOP_FIELDS: { [P in keyof LoopSettings]: FieldInfo } = {
  steps: {
    doc: "training steps in total (raise it with --resume to extend a run)",
    integer: true,
    min: 1,
    resumable: true,
  },
  logEvery: {
    doc: "log losses to metrics.jsonl every N steps",
    integer: true,
    min: 1,
    resumable: true,
  },
  sampleEvery: {
    doc: "write a sample grid every N steps (0: at the end)",
    integer: true,
    min: 0,
    resumable: true,
  },
  checkpointEvery: {
    doc: "write a checkpoint every N steps (0: at the end)",
    integer: true,
    min: 0,
    resumable: true,
  },
};
