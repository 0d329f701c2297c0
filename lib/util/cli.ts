/**
 * Command-line helpers shared by every `deno task`: strict flag parsing with `node:util`
 * `parseArgs` (JSR's `@std/cli` is not reachable where the toolkit is built), errors that list
 * the valid flags, value parsers with clear messages, and one way to run a task's `main`.
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

/** `parseArgs` option descriptors. */
export type FlagSpec = Record<
  string,
  { type: "string" | "boolean"; default?: string | boolean; multiple?: boolean; short?: string }
>;

/**
 * Parses `argv` strictly: an unknown flag or a missing value is a {@link UsageError} that
 * lists the valid flags.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli.ts";
 * const { values } = parseFlags(["--steps", "10"], { steps: { type: "string" } });
 * console.log(values.steps); // "10"
 * ```
 */
export function parseFlags(
  argv: string[],
  spec: FlagSpec,
  options: { positionals?: boolean } = {},
): {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
} {
  try {
    return parseArgs({
      args: argv,
      options: spec,
      strict: true,
      allowPositionals: options.positionals ?? false,
    });
  } catch (e) {
    const valid = Object.keys(spec).map((k) => `--${k}`).join(", ");
    throw new UsageError(`${e instanceof Error ? e.message : e}\nvalid flags: ${valid}`);
  }
}

/** Parses an integer flag within `[min, max]`. */
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
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  }
  return n;
}

/** Parses a finite number flag. */
export function numberFlag(name: string, value: unknown): number {
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, got '${value}'`);
  }
  return n;
}

/** Parses `HxW` (e.g. `36x60`). */
export function sizeFlag(name: string, value: unknown): { height: number; width: number } {
  const m = typeof value === "string" ? /^(\d+)x(\d+)$/.exec(value) : null;
  if (!m) throw new UsageError(`--${name} must be HEIGHTxWIDTH, e.g. 36x60, got '${value}'`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

/** A required string flag. */
export function requiredFlag(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/**
 * Runs a task's main function: a {@link UsageError} prints the message and the usage and exits
 * with 2; any other error prints `task: message` (no stack unless `EYEGAN_DEBUG` is set) and
 * exits with 1.
 */
export async function runTask(
  task: string,
  usage: string,
  main: () => Promise<number | void>,
): Promise<never> {
  let code = 0;
  try {
    code = (await main()) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${task}: ${e.message}\n\n${usage}`);
      code = 2;
    } else {
      let debug = false;
      try {
        debug = Deno.env.get("EYEGAN_DEBUG") !== undefined;
      } catch {
        // no --allow-env: no stack traces
      }
      console.error(
        `${task}: ${debug && e instanceof Error ? e.stack : (e as Error)?.message ?? e}`,
      );
      code = 1;
    }
  }
  Deno.exit(code);
}
