/**
 * Command-line helpers shared by every `deno task`: strict flag parsing with `node:util`
 * `parseArgs` (JSR's `@std/cli` is not reachable where the toolkit is built), errors that list
 * the valid flags, value parsers with clear messages, and one way to run a task's `main`.
 *
 * Exit codes of every task: 0 done, 1 the work failed, 2 a bad command line
 * ({@link UsageError}) or a setup problem found before any work ({@link SetupError}).
 *
 * @example
 * ```ts ignore
 * import { intFlag, parseFlags, runTask } from "../lib/util/cli.ts";
 * const USAGE = "Usage: deno task demo [--steps N]";
 * const FLAGS = { steps: { type: "string", default: "10" }, help: { type: "boolean" } } as const;
 * if (import.meta.main) {
 *   await runTask("demo", USAGE, () => {
 *     const { values: v } = parseFlags(Deno.args, FLAGS);
 *     if (v.help) return void console.log(USAGE);
 *     console.log(intFlag("steps", v.steps) * 2);
 *   });
 * }
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A bad command line; the message is for the user. Tasks exit with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A problem with the machine or the inputs found before any work starts (a missing tool,
 * nothing matching a name): tasks exit with code 2, like a {@link UsageError}, but print only
 * the message, not the usage text.
 */
export class SetupError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

/** `parseArgs` option descriptors. */
export type FlagSpec = Record<
  string,
  { type: "string" | "boolean"; default?: string | boolean; multiple?: boolean; short?: string }
>;

/** The value of one flag of a {@link FlagSpec}: a string or a boolean, an array if `multiple`. */
export type FlagValue<F extends FlagSpec[string]> = F extends { multiple: true }
  ? (F extends { type: "boolean" } ? boolean : string)[]
  : F extends { type: "boolean" } ? boolean
  : string;

/** The values {@link parseFlags} returns: flags with a default are always present. */
export type FlagValues<T extends FlagSpec> = {
  [K in keyof T]: T[K] extends { default: string | boolean } ? FlagValue<T[K]>
    : FlagValue<T[K]> | undefined;
};

/** The valid flags of `spec` for error messages: `--out, --quiet (-q), --help (-h)`. */
export function formatFlags(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([name, s]) => (s.short ? `--${name} (-${s.short})` : `--${name}`))
    .join(", ");
}

/**
 * Parses `argv` strictly: an unknown flag, a missing value or (unless `positionals`) a stray
 * argument is a {@link UsageError} that lists the valid flags.
 *
 * @param argv the arguments, e.g. `Deno.args`.
 * @param spec the flags, as for `parseArgs`.
 * @param options `positionals: true` accepts non-flag arguments (returned in `positionals`).
 * @returns the flag values (defaults filled in) and the positional arguments.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli.ts";
 * const { values } = parseFlags(["--steps", "10"], { steps: { type: "string" } });
 * console.log(values.steps); // "10"
 * ```
 */
export function parseFlags<T extends FlagSpec>(
  argv: string[],
  spec: T,
  options: { positionals?: boolean } = {},
): { values: FlagValues<T>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: spec,
      strict: true,
      allowPositionals: options.positionals ?? false,
    });
    // node's own result type says the same, in a form TypeScript cannot relate to ours.
    return { values: values as unknown as FlagValues<T>, positionals };
  } catch (e) {
    throw new UsageError(
      `${e instanceof Error ? e.message : e}\nvalid flags: ${formatFlags(spec)}`,
    );
  }
}

/**
 * Parses an integer flag within `[min, max]`.
 *
 * @example
 * ```ts
 * import { intFlag } from "./cli.ts";
 * console.log(intFlag("runs", "5")); // 5
 * // intFlag("runs", "0") throws UsageError("--runs must be an integer >= 1, got '0'")
 * ```
 */
export function intFlag(
  name: string,
  value: unknown,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (
    typeof value !== "string" || value.trim() === "" || !Number.isInteger(n) || n < min || n > max
  ) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, got '${value}'`);
  }
  return n;
}

/**
 * `--seeds`: distinct seeds (integers 0 to 2^32 - 1) separated by commas; with `count`, a value
 * without a comma is a count instead (`3` = seeds 0, 1, 2; 1 to 100). `repeated` words the error
 * for a seed given twice.
 *
 * @throws {UsageError} for a seed or count out of range, no seed, or a repeated seed.
 */
export function seedsFlag(
  value: unknown,
  options: { count?: boolean; repeated: (value: unknown) => string },
): number[] {
  if (options.count && typeof value === "string" && !value.includes(",")) {
    const n = intFlag("seeds", value, 1, 100);
    return Array.from({ length: n }, (_, i) => i);
  }
  const parts = typeof value === "string" ? value.split(",").map((s) => s.trim()) : [];
  const seeds = parts.map((p) => intFlag("seeds", p, 0, 0xffffffff));
  if (seeds.length === 0) throw new UsageError("--seeds needs at least one seed");
  if (new Set(seeds).size !== seeds.length) throw new UsageError(options.repeated(value));
  return seeds;
}

/** Parses a finite number flag. */
export function numberFlag(name: string, value: unknown): number {
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, got '${value}'`);
  }
  return n;
}

/**
 * Parses `HxW` (e.g. `36x60`), each side within `[min, max]` (default 1 and unbounded).
 *
 * @example
 * ```ts
 * import { sizeFlag } from "./cli.ts";
 * console.log(sizeFlag("size", "36x60", { min: 16, max: 512 })); // { height: 36, width: 60 }
 * ```
 */
export function sizeFlag(
  name: string,
  value: unknown,
  range: { min?: number; max?: number } = {},
): { height: number; width: number } {
  const min = range.min ?? 1, max = range.max ?? Number.MAX_SAFE_INTEGER;
  const m = typeof value === "string" ? /^(\d+)x(\d+)$/.exec(value) : null;
  const height = Number(m?.[1]), width = Number(m?.[2]);
  if (!m || height < min || width < min || height > max || width > max) {
    const sides = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(
      `--${name} must be HEIGHTxWIDTH with sides ${sides}, e.g. 36x60, got '${value}'`,
    );
  }
  return { height, width };
}

/** A required string flag: `missing --name` when absent or empty. */
export function requiredFlag(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`missing --${name}`);
  return value;
}

/**
 * A flag whose value is one of `choices`; absent or unknown values are a {@link UsageError}
 * that lists the choices.
 *
 * @example
 * ```ts
 * import { choiceFlag } from "./cli.ts";
 * console.log(choiceFlag("split", "val", ["train", "val", "test"] as const)); // "val"
 * // choiceFlag("split", "dev", [...]) throws: unknown --split "dev"; use one of train, val, test
 * ```
 */
export function choiceFlag<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  const list = choices.join(", ");
  if (value === undefined || value === "") {
    throw new UsageError(`missing --${name}: one of ${list}`);
  }
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new UsageError(`unknown --${name} ${JSON.stringify(value)}; use one of ${list}`);
  }
  return value as T;
}

/** A `--channels` flag: 1 (gray) or 3 (RGB). */
export function channelsFlag(name: string, value: unknown): 1 | 3 {
  if (value !== "1" && value !== "3") {
    throw new UsageError(`--${name} must be 1 or 3, got '${value}'`);
  }
  return Number(value) as 1 | 3;
}

/** Splits a comma-separated flag value, dropping blanks: `"a, b,"` -> `["a", "b"]`. */
export function listFlag(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * Parses a flag with a library parser (e.g. `parseBackendName`): whatever it throws becomes a
 * {@link UsageError} `--name: message`.
 *
 * @example
 * ```ts
 * import { parsedFlag } from "./cli.ts";
 * const hex = (s: string) => {
 *   if (!/^[0-9a-f]+$/.test(s)) throw new Error(`not hex: '${s}'`);
 *   return parseInt(s, 16);
 * };
 * console.log(parsedFlag("mask", "ff", hex)); // 255; "fg" throws "--mask: not hex: 'fg'"
 * ```
 */
export function parsedFlag<T>(name: string, value: string, parse: (value: string) => T): T {
  try {
    return parse(value);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--${name}: ${e instanceof Error ? e.message : e}`);
  }
}

/** True for a missing `--allow-*` permission (Deno 2's `NotCapable`, or `PermissionDenied`). */
export function isPermissionError(e: unknown): boolean {
  const errors = Deno.errors as unknown as Record<string, unknown>;
  return (typeof errors.NotCapable === "function" &&
    e instanceof (errors.NotCapable as new () => Error)) ||
    e instanceof Deno.errors.PermissionDenied;
}

/** The environment variable that makes {@link taskExitCode} print stack traces. */
export const DEBUG_ENV = "EYEGAN_DEBUG";

/**
 * Whether `EYEGAN_DEBUG` is set, read only when the task may read it: the permission is queried
 * first (`Deno.permissions.querySync`, which never prompts), and anything but "granted" counts
 * as unset. So a task whose `--allow-env` does not list it (e.g. `compare`, `check-browser`)
 * never stops at an interactive permission prompt while reporting an error.
 */
export function debugEnabled(): boolean {
  try {
    const status = Deno.permissions.querySync({ name: "env", variable: DEBUG_ENV });
    if (status.state !== "granted") return false;
    return Deno.env.get(DEBUG_ENV) !== undefined;
  } catch {
    // no permissions API, or the read was refused after all: no stack traces
    return false;
  }
}

/** Options of {@link taskExitCode} and {@link runTask}. */
export interface TaskOptions {
  /**
   * Advice printed on the line after a failure's message (exit 1), e.g. which flag or
   * permission would help; `undefined` for none.
   */
  hint?: (error: unknown) => string | undefined;
}

/**
 * Runs a task's main function and returns its exit code instead of exiting (for tests and for
 * {@link runTask}): `main`'s own code (default 0); 2 for a {@link UsageError} (the message and
 * the usage are printed) or a {@link SetupError} (the message only); 1 for any other error
 * (`task: message`, then the hint, if any; the stack only when `EYEGAN_DEBUG` is set and the
 * task may read it, see {@link debugEnabled}).
 */
export async function taskExitCode(
  task: string,
  usage: string,
  main: () => Promise<number | void> | number | void,
  options: TaskOptions = {},
): Promise<number> {
  try {
    return (await main()) ?? 0;
  } catch (e) {
    if (e instanceof SetupError) {
      console.error(`${task}: ${e.message}`);
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(`${task}: ${e.message}\n\n${usage}`);
      return 2;
    }
    const message = debugEnabled() && e instanceof Error ? e.stack : (e as Error)?.message ?? e;
    const hint = options.hint?.(e);
    console.error(`${task}: ${message}${hint ? `\n${hint}` : ""}`);
    return 1;
  }
}

/**
 * Runs a task's main function and exits with its code; see {@link taskExitCode}.
 *
 * @param task the task's name, prefixed to error messages.
 * @param usage printed after a {@link UsageError}'s message.
 * @param main the task; returns its exit code (nothing means 0).
 */
export async function runTask(
  task: string,
  usage: string,
  main: () => Promise<number | void> | number | void,
  options: TaskOptions = {},
): Promise<never> {
  Deno.exit(await taskExitCode(task, usage, main, options));
}
